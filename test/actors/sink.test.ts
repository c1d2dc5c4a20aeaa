/**
 * The per-subscription sink on its own (src/actors/sink.ts): the fast path, the queued path for
 * slow and async callbacks, each policy's bound and counters, errors, close, async iteration.
 * Every test runs on the deterministic rig (test/actors/sink-rig.ts): a manual schedule queue, a
 * fake clock (a "slow" callback advances it by 5 ms), fake timers. No real sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Sink, defaultPolicy, describePolicy, keyOf } from '../../src/actors/sink.js';
import { UpbitBackpressureError, UpbitCallbackError, UpbitValidationError } from '../../src/io/index.js';
import { Rig, candle, microtasks, tick, type Msg } from './sink-rig.js';

describe('defaults and keys', () => {
  it('picks the policy per type', () => {
    for (const t of ['ticker', 'orderbook', 'candle.1m', 'candle.240m']) expect(defaultPolicy(t)).toEqual({ kind: 'coalesce' });
    expect(defaultPolicy('trade')).toEqual({ kind: 'drop_oldest', bound: 10_000 });
    for (const t of ['myOrder', 'myAsset', 'announcement']) expect(defaultPolicy(t)).toEqual({ kind: 'drop_oldest', bound: 100_000 });
  });

  it('keys by code; candles by code and start time; no code: the type', () => {
    expect(keyOf({ type: 'ticker', code: 'KRW-BTC' })).toBe('KRW-BTC');
    expect(keyOf(candle('KRW-BTC', '2026-12-01T03:00:00', 1))).not.toBe(keyOf(candle('KRW-BTC', '2026-12-01T03:01:00', 2)));
    expect(keyOf({ type: 'myAsset' })).toBe('myAsset');
    expect(describePolicy({ kind: 'throttle', perSecond: 2 })).toBe('throttle (2/s, bound 10000 keys)');
  });

  it('rejects a bad policy with a typed error', () => {
    const hooks = { onError: () => {}, keyOf, label: 'x#1' };
    for (const p of [{ kind: 'drop_oldest', bound: 0 }, { kind: 'coalesce', bound: 1.5 }, { kind: 'throttle', perSecond: 0 }, { kind: 'throttle', perSecond: NaN }, { kind: 'lifo' }]) {
      const make = () => new Sink(p as never, hooks);
      expect(make).toThrow(UpbitValidationError);
      expect(make).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
    for (const budgetMs of [-1, NaN]) expect(() => new Sink({ kind: 'coalesce' }, { ...hooks, budgetMs })).toThrow(UpbitValidationError);
  });
});

describe('fast path', () => {
  it('calls a fast sync callback inside push, in order, scheduling nothing', () => {
    const r = new Rig({ kind: 'coalesce' });
    r.push(tick('A', 1), tick('A', 2), tick('B', 3));
    expect(r.ns()).toEqual([1, 2, 3]);
    expect(r.tasks).toHaveLength(0);
    expect(r.sink.stats()).toEqual({ delivered: 3, dropped: 0, coalesced: 0, queued: 0, callbackErrors: 0, errorHandlerErrors: 0 });
  });

  it('once trusted, times only one call in 16, and still catches a callback that turns slow within 16 calls', () => {
    let reads = 0;
    let rig: Rig | undefined;
    const r = (rig = new Rig({ kind: 'drop_oldest' }, { hooks: { now: () => (reads++, rig ? rig.clock : 0) } }));
    for (let n = 1; n <= 100; n++) r.push(tick('A', n));
    const trusted = reads;
    for (let n = 101; n <= 260; n++) r.push(tick('A', n));
    expect(reads - trusted).toBe(2 * (160 / 16)); // two reads per sampled call
    r.behave = Rig.takes(5);
    for (let n = 261; n <= 300; n++) r.push(tick('A', n));
    expect(r.calls.length).toBeLessThanOrEqual(260 + 16); // then the queued path took over
    expect(r.sink.stats().queued).toBeGreaterThan(0);
    expect(r.tasks).toHaveLength(1);
  });

  it('budgetMs: Infinity reads no clock on the fast path', () => {
    let reads = 0;
    const r = new Rig({ kind: 'coalesce' }, { hooks: { budgetMs: Infinity, now: () => (reads++, 0) } });
    reads = 0;
    r.push(tick('A', 1), tick('A', 2));
    expect(reads).toBe(0);
    expect(r.ns()).toEqual([1, 2]);
  });

  it('a push from inside the callback is delivered after it returns, never nested', () => {
    const r = new Rig({ kind: 'drop_oldest' });
    let depth = 0;
    let maxDepth = 0;
    r.behave = (m) => {
      maxDepth = Math.max(maxDepth, ++depth);
      if (m.n === 1) r.sink.push(tick('A', 2));
      depth--;
    };
    r.push(tick('A', 1));
    expect(r.ns()).toEqual([1]);
    r.flush();
    expect(r.ns()).toEqual([1, 2]);
    expect(maxDepth).toBe(1);
  });
});

describe('slow synchronous callback', () => {
  it('moves the sink to the queued path: each turn calls it once, then yields', () => {
    const r = new Rig({ kind: 'coalesce' });
    r.behave = Rig.takes(5);
    r.push(tick('A', 1)); // called at once; found slow
    r.push(tick('A', 2), tick('B', 3), tick('A', 4));
    expect(r.ns()).toEqual([1]);
    expect(r.sink.stats()).toMatchObject({ delivered: 1, queued: 2, coalesced: 1 });
    expect(r.turn()).toBe(1);
    expect(r.ns()).toEqual([1, 4]); // one slow call per turn: B waits for one call, not for a backlog
    expect(r.tasks).toHaveLength(1);
    r.turn();
    expect(r.ns()).toEqual([1, 4, 3]);
    expect(r.tasks).toHaveLength(0);
    r.push(tick('C', 5)); // still slow: queued, not called inside push
    expect(r.ns()).toEqual([1, 4, 3]);
    r.flush();
    expect(r.ns()).toEqual([1, 4, 3, 5]);
  });

  it('on one loop, a fast subscription is called at every push; the slow one costs one call per turn', () => {
    const r = new Rig({ kind: 'coalesce' });
    r.behave = Rig.takes(5);
    const fast: number[] = [];
    const f = new Sink<Msg>({ kind: 'coalesce' }, { callback: (m) => void fast.push(m.n), onError: () => {}, keyOf, label: 'fast#1', schedule: (fn) => r.tasks.push(fn), now: () => r.clock });
    for (let n = 1; n <= 20; n++) {
      // one socket read: a ticker for each of 4 codes, to both subscriptions, then the loop turns
      for (const code of 'ABCD') {
        r.push(tick(code, n));
        f.push(tick(code, n));
      }
      const before = r.clock;
      r.turn();
      expect(r.clock - before).toBeLessThanOrEqual(5); // at most one slow call between two reads
    }
    expect(fast).toHaveLength(80);
    expect(r.calls.length).toBeLessThanOrEqual(21);
    const s = r.sink.stats();
    expect(s.queued).toBeLessThanOrEqual(4); // latest per code waits, nothing piles up
    expect(s.delivered + s.coalesced + s.queued).toBe(80);
  });

  it('after a slow turn it pauses as long as the turn took (so the socket is read in between), then goes on', () => {
    const r = new Rig({ kind: 'coalesce' }, { hooks: { pauseSlowTurns: true } });
    r.behave = Rig.takes(5);
    r.push(tick('A', 1)); // called at once; found slow
    r.push(tick('A', 2), tick('B', 3));
    expect(r.turn()).toBe(1); // the first queued turn is a task
    expect(r.ns()).toEqual([1, 2]);
    expect(r.tasks).toHaveLength(0); // no task right after a slow turn...
    expect(r.liveTimers()).toBe(1); // ...but a pause of the turn's length
    r.advance(4.9);
    expect(r.ns()).toEqual([1, 2]);
    r.advance(0.1);
    expect(r.ns()).toEqual([1, 2, 3]);
    expect(r.sink.stats()).toMatchObject({ delivered: 3, queued: 0 });
  });

  it('a fast callback on the queued path keeps calling within the budget, then yields', () => {
    const r = new Rig({ kind: 'coalesce' });
    r.behave = Rig.takes(5);
    r.push(tick('Z', 0));
    r.behave = Rig.takes(0.6); // under the 1 ms budget each, over it after two
    r.push(tick('A', 1), tick('B', 2), tick('C', 3), tick('D', 4));
    r.turn();
    expect(r.ns()).toEqual([0, 1, 2]);
    r.flush();
    expect(r.ns()).toEqual([0, 1, 2, 3, 4]);
  });

  it('drop_oldest: a drain turn calls each key at most once', () => {
    const r = new Rig({ kind: 'drop_oldest' });
    r.behave = Rig.takes(5);
    r.push(tick('A', 1));
    r.behave = () => undefined; // fast again
    r.push(tick('A', 2), tick('A', 3), tick('B', 4));
    r.turn();
    expect(r.ns()).toEqual([1, 2]);
    r.turn();
    expect(r.ns()).toEqual([1, 2, 3, 4]);
  });

  it('goes back to the fast path once fast with nothing queued', () => {
    const r = new Rig({ kind: 'coalesce' });
    r.behave = Rig.takes(5);
    r.push(tick('A', 1));
    r.behave = () => undefined;
    r.push(tick('A', 2));
    r.flush();
    r.push(tick('A', 3));
    expect(r.ns()).toEqual([1, 2, 3]); // called inside push again
    expect(r.tasks).toHaveLength(0);
  });
});

describe('async callback', () => {
  it('is awaited one at a time, in order', async () => {
    const r = new Rig({ kind: 'drop_oldest' });
    r.behave = Rig.deferred;
    r.push(tick('A', 1), tick('A', 2), tick('B', 3));
    expect(r.ns()).toEqual([1]);
    for (let i = 0; i < 2; i++) {
      r.pending[i].resolve();
      await microtasks();
      r.flush();
      expect(r.calls).toHaveLength(i + 2);
      expect(r.pending).toHaveLength(i + 2); // never two unsettled at once
    }
    expect(r.ns()).toEqual([1, 2, 3]);
  });

  describe('a rejection', () => {
    const seen: unknown[] = [];
    const listener = (reason: unknown) => seen.push(reason);
    afterEach(() => {
      process.off('unhandledRejection', listener);
    });

    it('becomes an UpbitCallbackError with the original cause; nothing reaches the process', async () => {
      process.on('unhandledRejection', listener);
      const r = new Rig({ kind: 'drop_oldest' });
      const boom = new Error('boom');
      r.behave = async () => {
        throw boom;
      };
      r.push(tick('A', 1), tick('A', 2));
      await microtasks();
      r.flush();
      await microtasks();
      await new Promise((resolve) => setImmediate(resolve)); // Node reports unhandled rejections by now
      expect(seen).toEqual([]);
      expect(r.ns()).toEqual([1, 2]);
      expect(r.errors).toHaveLength(2);
      for (const e of r.errors) {
        expect(e).toBeInstanceOf(UpbitCallbackError);
        expect(e.code).toBe('CALLBACK');
        expect(e.cause).toBe(boom);
        expect(e.message).toContain('test/ticker#1');
      }
      expect(r.sink.stats()).toMatchObject({ delivered: 2, callbackErrors: 2 });
    });
  });

  it('a throw (fast or queued path) is reported and later messages still arrive', () => {
    const r = new Rig({ kind: 'drop_oldest' });
    r.behave = (m) => {
      if (m.n % 2 === 1) throw new Error(`bad ${m.n}`);
    };
    r.push(tick('A', 1), tick('A', 2));
    r.behave = (m, rig) => {
      rig.clock += 5;
      if (m.n % 2 === 1) throw new Error(`bad ${m.n}`);
    };
    r.push(tick('A', 3), tick('A', 4), tick('A', 5), tick('A', 6));
    r.flush();
    expect(r.ns()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.errors.map((e) => (e.cause as Error).message)).toEqual(['bad 1', 'bad 3', 'bad 5']);
    expect(r.sink.stats()).toMatchObject({ delivered: 6, callbackErrors: 3, queued: 0 });
  });

  it('a thenable whose then() throws is a callback error, not a stuck sink', () => {
    const r = new Rig({ kind: 'drop_oldest' });
    r.behave = (m) => (m.n === 1 ? { then: () => { throw new Error('bad then'); } } : undefined);
    r.push(tick('A', 1), tick('A', 2));
    r.flush();
    expect(r.ns()).toEqual([1, 2]);
    expect(r.sink.stats().callbackErrors).toBe(1);
  });

  it('never settling: messages wait in the bounded queue, one call in flight', () => {
    const fifo = new Rig({ kind: 'drop_oldest', bound: 3 });
    fifo.behave = () => new Promise(() => {});
    for (let n = 1; n <= 10; n++) fifo.push(tick('A', n));
    fifo.flush();
    expect(fifo.ns()).toEqual([1]);
    expect(fifo.sink.stats()).toMatchObject({ delivered: 1, queued: 3, dropped: 6, coalesced: 0 });
    expect(fifo.errors.filter((e) => e instanceof UpbitBackpressureError)).toHaveLength(1);

    const latest = new Rig({ kind: 'coalesce' });
    latest.behave = () => new Promise(() => {});
    for (let n = 1; n <= 10; n++) latest.push(tick(n % 2 ? 'A' : 'B', n));
    latest.flush();
    expect(latest.sink.stats()).toMatchObject({ delivered: 1, queued: 2, dropped: 0, coalesced: 7 });
  });
});

describe('bounded queue per policy', () => {
  /** A sink whose consumer is busy until `release()`. */
  function busy(policy: ConstructorParameters<typeof Rig>[0]) {
    const r = new Rig(policy);
    r.behave = Rig.deferred;
    r.push(tick('X', 0));
    const release = async () => {
      r.behave = () => undefined;
      r.pending.at(-1)!.resolve();
      await microtasks();
      r.flush();
    };
    return { r, release };
  }

  it('coalesce keeps the latest per key, counted', async () => {
    const { r, release } = busy({ kind: 'coalesce' });
    r.push(tick('A', 1), tick('B', 2), tick('A', 3), tick('A', 4));
    expect(r.sink.stats()).toMatchObject({ queued: 2, coalesced: 2, dropped: 0 });
    await release();
    expect(r.ns()).toEqual([0, 4, 2]);
    expect(r.errors).toEqual([]);
  });

  it('candles: a closed bar is never replaced by the next one', async () => {
    const { r, release } = busy({ kind: 'coalesce' });
    r.push(candle('KRW-BTC', '03:00', 1), candle('KRW-BTC', '03:00', 2), candle('KRW-BTC', '03:01', 3));
    await release();
    expect(r.ns()).toEqual([0, 2, 3]);
    expect(r.sink.stats().coalesced).toBe(1);
  });

  it('coalesce over its bound of keys drops the oldest key, counted and reported', async () => {
    const { r, release } = busy({ kind: 'coalesce', bound: 2 });
    r.push(tick('A', 1), tick('B', 2), tick('C', 3));
    expect(r.sink.stats()).toMatchObject({ queued: 2, dropped: 1 });
    await release();
    expect(r.ns()).toEqual([0, 2, 3]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toBeInstanceOf(UpbitBackpressureError);
  });

  it('drop_oldest drops the oldest; one UpbitBackpressureError per overflow episode', async () => {
    const { r, release } = busy({ kind: 'drop_oldest', bound: 2 });
    r.push(tick('A', 1), tick('A', 2), tick('A', 3), tick('A', 4));
    expect(r.sink.stats()).toMatchObject({ delivered: 1, queued: 2, dropped: 2 });
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0] as UpbitBackpressureError;
    expect(e).toBeInstanceOf(UpbitBackpressureError);
    expect(e.code).toBe('BACKPRESSURE');
    expect(e.name).toBe('UpbitBackpressureError');
    expect(String(e)).toMatch(/^UpbitBackpressureError: /);
    expect(e.message).toContain('test/ticker#1');
    expect(e.message).toContain('drop_oldest (bound 2)');
    expect(e.message).toContain('1 dropped'); // the counts when the episode began
    expect(e).toMatchObject({ subscription: 'test/ticker#1', policy: 'drop_oldest (bound 2)', dropped: 1 });
    await release();
    expect(r.ns()).toEqual([0, 3, 4]);
    expect(r.sink.stats()).toMatchObject({ queued: 0, dropped: 2 });

    // The queue drained to empty: the next overflow is a new episode.
    r.behave = Rig.deferred;
    r.push(tick('A', 5), tick('A', 6), tick('A', 7), tick('A', 8));
    expect(r.errors).toHaveLength(2);
    // Partly drained only: still the same episode.
    r.behave = Rig.deferred;
    r.pending.at(-1)!.resolve();
    await microtasks();
    r.flush(); // delivers 7 (async again), 8 waits
    r.push(tick('A', 9), tick('A', 10));
    expect(r.sink.stats()).toMatchObject({ queued: 2, dropped: 4 });
    expect(r.errors).toHaveLength(2);
  });

  it('throttle: latest per key, at most perSecond calls per second per key', () => {
    const r = new Rig({ kind: 'throttle', perSecond: 2 });
    r.push(tick('A', 1)); // t=0: called
    r.advance(100);
    r.push(tick('A', 2));
    r.advance(100);
    r.push(tick('A', 3), tick('B', 4)); // A replaced (coalesced); B is its own key: called
    expect(r.ns()).toEqual([1, 4]);
    expect(r.sink.stats()).toMatchObject({ queued: 1, coalesced: 1 });
    r.advance(299);
    r.flush();
    expect(r.ns()).toEqual([1, 4]);
    r.advance(1); // t=500
    r.flush();
    expect(r.ns()).toEqual([1, 4, 3]);
    expect(r.sink.stats()).toMatchObject({ delivered: 3, queued: 0, coalesced: 1 });
  });

  it('throttle, randomised: spacing per key never under 1/perSecond, and each key ends on its latest message', async () => {
    const { prng } = await import('../prng.js');
    const rand = prng(8);
    const r = new Rig({ kind: 'throttle', perSecond: 4 });
    const at: Array<[string, number]> = [];
    r.behave = (m) => void at.push([m.code!, r.clock]);
    const last = new Map<string, number>();
    for (let n = 1; n <= 2000; n++) {
      const code = 'ABC'[Math.floor(rand() * 3)];
      r.push(tick(code, n));
      last.set(code, n);
      r.advance(Math.floor(rand() * 20));
      if (rand() < 0.3) r.flush();
    }
    r.advance(1000);
    r.flush();
    for (const code of 'ABC') {
      const times = at.filter(([c]) => c === code).map(([, t]) => t);
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(250);
      expect(r.calls.filter((m) => m.code === code).at(-1)!.n).toBe(last.get(code));
    }
    const s = r.sink.stats();
    expect(s.delivered + s.coalesced).toBe(2000);
  });
});

describe('errors never stop delivery', () => {
  it('an onError that throws is swallowed and counted, never looped', () => {
    let heard = 0;
    const r = new Rig({ kind: 'drop_oldest' }, { hooks: { onError: () => { heard++; throw new Error('handler'); } } });
    r.behave = () => {
      throw new Error('cb');
    };
    expect(() => r.push(tick('A', 1), tick('A', 2))).not.toThrow();
    r.flush();
    expect(r.ns()).toEqual([1, 2]);
    expect(heard).toBe(2);
    expect(r.sink.stats()).toMatchObject({ callbackErrors: 2, errorHandlerErrors: 2 });
  });
});

describe('close', () => {
  it('discards the queue (not as dropped), ignores later pushes, cancels timers and turns', async () => {
    const r = new Rig({ kind: 'drop_oldest' });
    r.behave = Rig.deferred;
    r.push(tick('A', 1), tick('A', 2), tick('A', 3));
    r.sink.close();
    expect(r.sink.stats()).toMatchObject({ delivered: 1, queued: 0, dropped: 0 });
    r.pending[0].resolve();
    await microtasks();
    r.push(tick('A', 4));
    r.flush();
    expect(r.ns()).toEqual([1]);

    const t = new Rig({ kind: 'throttle', perSecond: 1 });
    t.push(tick('A', 1), tick('A', 2));
    expect(t.liveTimers()).toBe(1);
    t.sink.close();
    expect(t.liveTimers()).toBe(0);
  });
});
