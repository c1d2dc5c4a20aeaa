/**
 * The rate limiter on a simulated clock: the window property (no interval of W ms ever holds more
 * than the limit, at any alignment), FIFO order, deadlines, abort, `Remaining-Req`, blocks, the
 * browser origin rule and configuration. No real timers: `SimClock.advance` runs due timers in
 * order and drains microtasks between them.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, UPBIT_LIMITS, UpbitAbortError, UpbitRateLimitError } from '../../src/io/index.js';
import type { LimitGroup, LimiterClock } from '../../src/io/index.js';
import { prng } from '../prng.js';

class SimClock implements LimiterClock {
  t = 1_700_000_000_000;
  #id = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.#id, { at: this.t + ms, fn });
    return this.#id;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  /** Move time forward by `ms`, firing due timers in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** The most grants in any interval [s, s + width): the maximum is reached at an interval starting at a grant. */
function maxInWindow(times: readonly number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j] < sorted[i] + width) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

function setup(opts: ConstructorParameters<typeof RateLimiter>[0] = {}) {
  const clock = new SimClock();
  const limiter = new RateLimiter({ clock, ...opts });
  return { clock, limiter };
}

describe('window property', () => {
  it('a burst of 50 acquires never puts more than 10 ticker grants in any 1-second interval', async () => {
    const { clock, limiter } = setup({ marginMs: 0 });
    const granted: number[] = [];
    const all = Array.from({ length: 50 }, () => limiter.acquire('ticker').then(() => granted.push(clock.now())));
    await clock.advance(10_000);
    await Promise.all(all);
    expect(granted).toHaveLength(50);
    expect(maxInWindow(granted, 1000)).toBe(10); // a full-then-refill bucket would allow 19
    expect(granted[49] - granted[0]).toBe(4000); // and it is not slower than it has to be
  });

  it('random arrivals, random groups: no interval of any window ever exceeds its limit', async () => {
    const { clock, limiter } = setup();
    const r = prng(7);
    const rnd = { int: (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1)) };
    const groups: LimitGroup[] = ['candle', 'default', 'order', 'order-test', 'order-cancel-all', 'websocket-connect', 'websocket-message'];
    const granted = new Map<LimitGroup, number[]>(groups.map((g) => [g, []]));
    for (let step = 0; step < 4000; step++) {
      const g = groups[rnd.int(0, groups.length - 1)];
      if (rnd.int(0, 1) === 0) {
        if (limiter.tryAcquire(g).ok) granted.get(g)!.push(clock.now());
      } else void limiter.acquire(g).then(() => granted.get(g)!.push(clock.now()));
      await clock.advance(rnd.int(0, 40));
    }
    await clock.advance(200_000);
    for (const g of groups) {
      for (const w of UPBIT_LIMITS[g]) expect(maxInWindow(granted.get(g)!, w.windowMs + 50), `${g} per ${w.windowMs} ms`).toBeLessThanOrEqual(w.limit);
    }
    expect(granted.get('websocket-message')!.length).toBeGreaterThan(100); // the per-minute window was really tested
  });

  it('websocket messages: 5 per second and 100 per minute, per connection key', async () => {
    const { clock, limiter } = setup({ marginMs: 0 });
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 150; i++) {
      void limiter.acquire('websocket-message', { key: 'conn-1' }).then(() => a.push(clock.now()));
      void limiter.acquire('websocket-message', { key: 'conn-2' }).then(() => b.push(clock.now()));
    }
    await clock.advance(120_000);
    expect(a).toHaveLength(150);
    expect(maxInWindow(a, 1000)).toBe(5);
    expect(maxInWindow(a, 60_000)).toBe(100);
    expect(a[100] - a[0]).toBe(60_000); // the 101st waits for the first minute to pass
    expect(b).toEqual(a); // keys do not share a budget
  });
});

describe('acquire', () => {
  it('serves concurrent callers first come, first served', async () => {
    const { clock, limiter } = setup({ limits: { ticker: 1 } });
    const order: number[] = [];
    const all = [1, 2, 3, 4].map((n) => limiter.acquire('ticker').then(() => order.push(n)));
    expect(limiter.tryAcquire('ticker').ok).toBe(false); // never jumps the queue
    await clock.advance(5000);
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('a slot that frees while someone waits goes to the waiter, not to a newcomer', async () => {
    const { clock, limiter } = setup({ limits: { ticker: 1 }, marginMs: 0 });
    await limiter.acquire('ticker');
    const order: string[] = [];
    void limiter.acquire('ticker').then(() => order.push('waiter'));
    clock.t += 1000; // the slot is free, the waiter's timer has not run yet
    expect(limiter.tryAcquire('ticker').ok).toBe(false);
    void limiter.acquire('ticker').then(() => order.push('newcomer'));
    await clock.advance(2000);
    expect(order).toEqual(['waiter', 'newcomer']);
  });

  it('fails with RATE_LIMITED when no slot comes before the deadline; the queue moves on', async () => {
    const { clock, limiter } = setup({ limits: { ticker: 1 }, marginMs: 0 });
    await limiter.acquire('ticker');
    const late = limiter.acquire('ticker', { deadline: clock.now() + 500 });
    await expect(late).rejects.toMatchObject({ name: 'UpbitRateLimitError', code: 'RATE_LIMITED', group: 'ticker', retryInMs: 1000 });
    const queued = limiter.acquire('ticker');
    const tooLate = limiter.acquire('ticker', { deadline: clock.now() + 1500 }); // behind `queued`: its slot is at 2000
    const rejected = expect(tooLate).rejects.toBeInstanceOf(UpbitRateLimitError);
    await clock.advance(1000);
    await queued;
    await clock.advance(600);
    await rejected;
  });

  it('an aborted caller leaves the queue with ABORTED; the next one gets its slot', async () => {
    const { clock, limiter } = setup({ limits: { ticker: 1 }, marginMs: 0 });
    await limiter.acquire('ticker');
    const ac = new AbortController();
    const first = limiter.acquire('ticker', { signal: ac.signal });
    let second = -1;
    void limiter.acquire('ticker').then(() => (second = clock.now()));
    const t0 = clock.now();
    ac.abort();
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.advance(1000);
    expect(second).toBe(t0 + 1000);
    await expect(limiter.acquire('ticker', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(UpbitAbortError);
  });

  it('tryAcquire is synchronous and says how long to wait', async () => {
    const { clock, limiter } = setup({ marginMs: 0 });
    for (let i = 0; i < 5; i++) expect(limiter.tryAcquire('websocket-connect')).toEqual({ ok: true });
    await clock.advance(300);
    expect(limiter.tryAcquire('websocket-connect')).toEqual({ ok: false, retryInMs: 700 });
    await clock.advance(700);
    expect(limiter.tryAcquire('websocket-connect').ok).toBe(true);
  });
});

describe('server feedback', () => {
  it('Remaining-Req with fewer left than counted slows down before the server says no', async () => {
    const { clock, limiter } = setup({ marginMs: 0 });
    await limiter.acquire('candle');
    // Someone else on this IP used 7: the server has 2 left, we thought 9.
    expect(limiter.observeRemaining('group=candles; min=600; sec=2')).toBe('candle');
    expect(limiter.tryAcquire('candle').ok).toBe(true);
    expect(limiter.tryAcquire('candle').ok).toBe(true);
    expect(limiter.tryAcquire('candle')).toEqual({ ok: false, retryInMs: 1000 });
    // More left than we counted: nothing changes (never speeds up past our own count).
    await clock.advance(1000);
    expect(limiter.tryAcquire('candle').ok).toBe(true);
    limiter.observeRemaining('group=candles; min=600; sec=9');
    for (let i = 0; i < 9; i++) expect(limiter.tryAcquire('candle').ok).toBe(true);
    expect(limiter.tryAcquire('candle').ok).toBe(false);
    expect(limiter.observeRemaining('garbage')).toBeUndefined();
    expect(limiter.observeRemaining('group=trades; min=600; sec=0')).toBe('trade');
    expect(limiter.tryAcquire('trade').ok).toBe(false);
  });

  it('block (418): nothing is granted before it ends; a deadline inside the block fails at once', async () => {
    const { clock, limiter } = setup();
    const t0 = clock.now();
    limiter.block('ticker', 4000);
    let at = -1;
    void limiter.acquire('ticker').then(() => (at = clock.now()));
    await expect(limiter.acquire('ticker', { deadline: t0 + 1000 })).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 418 });
    await clock.advance(3999);
    expect(at).toBe(-1);
    await clock.advance(1);
    expect(at).toBe(t0 + 4000);
    expect(limiter.blockedUntil('ticker')).toBe(0);
  });

  it('a block arriving while callers wait fails those whose deadline it passes', async () => {
    const { clock, limiter } = setup({ limits: { ticker: 1 } });
    await limiter.acquire('ticker');
    const waiting = limiter.acquire('ticker', { deadline: clock.now() + 3000 });
    limiter.block('ticker', 10_000);
    await expect(waiting).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 418 });
  });
});

describe('configuration', () => {
  it('origin mode: quotation groups and connects share 1 request per 10 s', async () => {
    const { clock, limiter } = setup({ origin: true, marginMs: 0 });
    expect(limiter.tryAcquire('ticker').ok).toBe(true);
    expect(limiter.tryAcquire('candle')).toEqual({ ok: false, retryInMs: 10_000 });
    expect(limiter.tryAcquire('websocket-connect').ok).toBe(false);
    expect(limiter.tryAcquire('default').ok).toBe(true); // exchange calls are not under the origin rule
    await clock.advance(10_000);
    expect(limiter.tryAcquire('orderbook').ok).toBe(true);
  });

  it('limits are configurable, per second or as windows; bad ones are refused', () => {
    const { limiter } = setup({ limits: { ticker: 3, order: [{ limit: 2, windowMs: 5000 }] } });
    for (let i = 0; i < 3; i++) expect(limiter.tryAcquire('ticker').ok).toBe(true);
    expect(limiter.tryAcquire('ticker').ok).toBe(false);
    expect(limiter.limits.order).toEqual([{ limit: 2, windowMs: 5000 }]);
    expect(limiter.limits.candle).toEqual([{ limit: 10, windowMs: 1000 }]);
    expect(() => new RateLimiter({ limits: { ticker: 0 } })).toThrow(RangeError);
    expect(() => new RateLimiter({ limits: { nope: 1 } as never })).toThrow(RangeError);
  });

  it('order-cancel-all: one per 2 s', async () => {
    const { clock, limiter } = setup({ marginMs: 0 });
    expect(limiter.tryAcquire('order-cancel-all').ok).toBe(true);
    await clock.advance(1999);
    expect(limiter.tryAcquire('order-cancel-all').ok).toBe(false);
    await clock.advance(1);
    expect(limiter.tryAcquire('order-cancel-all').ok).toBe(true);
  });

  it('dispose rejects waiters and leaves no timer', async () => {
    const { clock, limiter } = setup({ limits: { ticker: 1 } });
    limiter.tryAcquire('ticker');
    const w = limiter.acquire('ticker');
    limiter.dispose();
    await expect(w).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock.timers.size).toBe(0);
  });
});
