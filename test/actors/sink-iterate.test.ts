/**
 * The sink consumed by `for await` (no callback), and `stats()` checked after every step of
 * randomised runs of every policy. Same deterministic rig as sink.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../../src/actors/sink.js';
import { prng } from '../prng.js';
import { Rig, microtasks, tick, type Msg } from './sink-rig.js';

/** A `for await` consumer that waits for `gate()` after each message. */
function consume(r: Rig, opts: { gated?: boolean; perMessage?: (m: Msg) => void; stopAt?: number } = {}) {
  const got: number[] = [];
  let open: (() => void) | undefined;
  const done = (async () => {
    for await (const m of r.sink) {
      got.push(m.n);
      opts.perMessage?.(m);
      if (m.n === opts.stopAt) break;
      if (opts.gated) await new Promise<void>((resolve) => (open = resolve));
    }
  })();
  return { got, done, gate: () => open?.() };
}

describe('async iteration', () => {
  it('receives in order and applies backpressure by the policy while the loop body is busy', async () => {
    const r = new Rig({ kind: 'coalesce' }, { iterate: true });
    const c = consume(r, { gated: true });
    await microtasks();
    r.push(tick('A', 1)); // the loop is waiting: handed over at once
    await microtasks();
    expect(c.got).toEqual([1]);
    r.push(tick('A', 2), tick('B', 3), tick('A', 4)); // the body is busy: coalesced
    expect(r.sink.stats()).toMatchObject({ delivered: 1, queued: 2, coalesced: 1 });
    for (let i = 0; i < 3; i++) {
      c.gate();
      await microtasks();
      r.flush();
      await microtasks();
    }
    expect(c.got).toEqual([1, 4, 3]);
    expect(r.sink.stats()).toMatchObject({ delivered: 3, queued: 0 });
  });

  it('a slow loop body yields to I/O between messages of a backlog', async () => {
    const r = new Rig({ kind: 'drop_oldest' }, { iterate: true });
    r.push(tick('A', 1), tick('A', 2), tick('A', 3)); // queued before the loop starts
    const c = consume(r, { perMessage: () => (r.clock += 5) });
    await microtasks();
    expect(c.got).toEqual([1]); // within this turn's budget: at once
    expect(r.tasks).toHaveLength(1); // 5 ms spent: the next one waits for the next turn
    await microtasks();
    expect(c.got).toEqual([1]);
    r.turn();
    await microtasks();
    expect(c.got).toEqual([1, 2]);
    r.turn();
    await microtasks();
    expect(c.got).toEqual([1, 2, 3]);
  });

  it('a fast loop body takes a backlog without waiting for turns', async () => {
    const r = new Rig({ kind: 'drop_oldest' }, { iterate: true });
    const c = consume(r);
    await microtasks();
    r.push(tick('A', 1));
    r.push(tick('A', 2), tick('A', 3));
    await microtasks();
    expect(c.got).toEqual([1, 2, 3]);
    expect(r.tasks).toHaveLength(0);
  });

  it('break closes the sink and tells onReturn; close ends a waiting loop', async () => {
    let returned = 0;
    const r = new Rig({ kind: 'drop_oldest' }, { iterate: true, hooks: { onReturn: () => returned++ } });
    const c = consume(r, { stopAt: 2 });
    r.push(tick('A', 1), tick('A', 2), tick('A', 3));
    await c.done;
    expect(c.got).toEqual([1, 2]);
    expect(returned).toBe(1);
    r.push(tick('A', 4));
    expect(r.sink.stats()).toMatchObject({ delivered: 2, queued: 0 });

    const w = new Rig({ kind: 'drop_oldest' }, { iterate: true });
    const waiting = consume(w);
    await microtasks();
    w.sink.close();
    await waiting.done; // ends (done: true) instead of hanging
    expect(waiting.got).toEqual([]);
  });

  it('throttle applies to the loop too', async () => {
    const r = new Rig({ kind: 'throttle', perSecond: 1 }, { iterate: true });
    const c = consume(r);
    await microtasks();
    r.push(tick('A', 1), tick('A', 2), tick('A', 3));
    await microtasks();
    expect(c.got).toEqual([1]);
    r.advance(999);
    r.flush();
    await microtasks();
    expect(c.got).toEqual([1]);
    r.advance(1);
    r.flush();
    await microtasks();
    expect(c.got).toEqual([1, 3]);
  });

  it('a sink with a callback cannot also be iterated', () => {
    const r = new Rig({ kind: 'coalesce' });
    expect(() => r.sink[Symbol.asyncIterator]()).toThrow(TypeError);
  });
});

describe('stats() is exact at every point', () => {
  const policies: DeliveryPolicy[] = [
    { kind: 'coalesce', bound: 3 },
    { kind: 'drop_oldest', bound: 5 },
    { kind: 'throttle', perSecond: 10, bound: 3 },
  ];
  for (const policy of policies) {
    it(`${policy.kind}: every push is delivered, dropped, coalesced or queued; one call in flight`, async () => {
      const rand = prng(policy.kind.length * 7919);
      const r = new Rig(policy);
      let pushed = 0;
      let mode = 0;
      r.behave = (_m, rig) => {
        if (mode === 1) rig.clock += 5;
        if (mode === 2) return Rig.deferred(_m, rig);
        if (mode === 3) throw new Error('x');
        return undefined;
      };
      let settled = 0;
      let bpErrors = 0;
      for (let step = 0; step < 3000; step++) {
        const op = rand();
        if (op < 0.5) {
          r.push(tick('ABCDE'[Math.floor(rand() * 5)], ++pushed));
        } else if (op < 0.6) mode = Math.floor(rand() * 4);
        else if (op < 0.75) {
          if (settled < r.pending.length) {
            const p = r.pending[settled++];
            if (rand() < 0.5) p.resolve();
            else p.reject(new Error('no'));
            await microtasks();
          }
        } else if (op < 0.9) r.turn();
        else r.advance(Math.floor(rand() * 150));
        const s = r.sink.stats();
        expect(s.delivered + s.dropped + s.coalesced + s.queued).toBe(pushed);
        expect(s.delivered).toBe(r.calls.length);
        expect(s.queued).toBeLessThanOrEqual(policy.bound!);
        expect(r.pending.length - settled).toBeLessThanOrEqual(1);
        bpErrors = r.errors.filter((e) => e.code === 'BACKPRESSURE').length;
        expect(bpErrors).toBeLessThanOrEqual(s.dropped);
        expect(s.callbackErrors).toBe(r.errors.filter((e) => e.code === 'CALLBACK').length);
      }
      expect(r.sink.stats().delivered).toBeGreaterThan(100); // the run exercised every path
      expect(bpErrors).toBeGreaterThan(0);
    });
  }
});
