/**
 * One rate limiter for every Upbit request: REST groups, WebSocket connects and WebSocket messages
 * (protocol §7.1). Pure: the clock is injected, nothing here opens a socket.
 *
 * How to read this file: every (group, key) pair has a `Bucket` holding the times of its newest
 * grants (a sliding-window log), a FIFO queue of waiting callers and an optional block. A grant at
 * time t is allowed when, for every window (limit L per W ms) of the group, the L-th newest grant
 * g satisfies g + W + margin ≤ t. So ANY interval of W ms, at any alignment, holds at most L
 * grants — unlike a token bucket that starts full and refills at L/s, which lets 2L − 1 through in
 * one second (Upbit counts per second, fixed windows: that second burst is a 429).
 *
 *   acquire ──► queue empty and a slot free? ──► grant now (recorded synchronously, FIFO kept)
 *                 └─ else queue ──► one timer per bucket at the head's earliest slot ──► pump
 *   tryAcquire ─► the same check, synchronous, never queues (the subscription machine's slot)
 *   observeRemaining(`group=candles; min=600; sec=3`) ─► fewer left than we think? fill the gap
 *                 with phantom grants, so we slow down before the server says 429
 *   block(group, ms) ─► nothing granted before then (418); callers whose deadline is earlier fail
 *
 * `marginMs` widens every window by a little: a request granted at t reaches the server a little
 * later, and jitter must not land two of our windows in one of the server's.
 *
 * Browsers: Upbit limits every request that carries an `Origin` header to 1 per 10 s for
 * quotation REST and WebSocket connects (§7.1, "group=origin"). With `origin: true` those groups
 * share one `origin` bucket of 1 per 10 s. Node sends no Origin header, so the default is off.
 */
import { UpbitAbortError, UpbitRateLimitError } from './errors.js';

/** Upbit's REST rate-limit groups (§7.1). */
export type RestGroup = 'market' | 'candle' | 'trade' | 'ticker' | 'orderbook' | 'default' | 'order' | 'order-test' | 'order-cancel-all';
/** Every group the limiter knows: REST, WebSocket connects and messages, and the browser `origin` group. */
export type LimitGroup = RestGroup | 'websocket-connect' | 'websocket-message' | 'origin';

/** At most `limit` grants in any `windowMs` interval. */
export interface RateWindow {
  readonly limit: number;
  readonly windowMs: number;
}

const perSecond = (limit: number): readonly RateWindow[] => [{ limit, windowMs: 1000 }];

/** Upbit's numbers (protocol §7.1, rate-limits page of 2026-09-08). */
export const UPBIT_LIMITS: Readonly<Record<LimitGroup, readonly RateWindow[]>> = {
  market: perSecond(10),
  candle: perSecond(10),
  trade: perSecond(10),
  ticker: perSecond(10),
  orderbook: perSecond(10),
  default: perSecond(30),
  order: perSecond(12),
  'order-test': perSecond(8),
  'order-cancel-all': [{ limit: 1, windowMs: 2000 }],
  'websocket-connect': perSecond(5),
  'websocket-message': [
    { limit: 5, windowMs: 1000 },
    { limit: 100, windowMs: 60_000 },
  ],
  origin: [{ limit: 1, windowMs: 10_000 }],
};

/** The groups an `Origin` header puts under the 1-per-10-s rule (§7.1). */
const ORIGIN_GROUPS: ReadonlySet<LimitGroup> = new Set(['market', 'candle', 'trade', 'ticker', 'orderbook', 'websocket-connect']);

/** `Remaining-Req` group names as Upbit sends them today (§7.2) → the limiter's group. */
const HEADER_GROUPS: Readonly<Record<string, LimitGroup>> = {
  market: 'market',
  markets: 'market',
  candle: 'candle',
  candles: 'candle',
  trade: 'trade',
  trades: 'trade',
  ticker: 'ticker',
  orderbook: 'orderbook',
  default: 'default',
  order: 'order',
  'order-test': 'order-test',
  'order-cancel-all': 'order-cancel-all',
  origin: 'origin',
};

/** The clock the limiter runs on; tests pass a simulated one. */
export interface LimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface LimiterOptions {
  /** Override groups: a number is "per second", or give the windows. @default UPBIT_LIMITS */
  readonly limits?: Partial<Record<LimitGroup, number | readonly RateWindow[]>>;
  /** Extra width of every window, for network jitter between grant and arrival. @default 50 */
  readonly marginMs?: number;
  /** Browser mode: quotation REST and WS connects share the `origin` bucket (1 per 10 s). @default false */
  readonly origin?: boolean;
  /** @default the system clock */
  readonly clock?: LimiterClock;
}

export interface AcquireOptions {
  /** Separate budget per key: the access key (pocket) for exchange groups, the connection for WS messages. @default '' */
  readonly key?: string;
  /** Fail with `UpbitRateLimitError` rather than be granted after this time (clock ms). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

export type TryResult = { readonly ok: true } | { readonly ok: false; readonly retryInMs: number };

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly deadline: number | undefined;
  /** Removes the abort listener and the deadline timer. */
  cleanup: () => void;
}

class Bucket {
  /** Grant times, oldest first; only the newest `keep` are needed. */
  readonly log: number[] = [];
  readonly queue: Waiter[] = [];
  blockedUntil = 0;
  timer: unknown = undefined;
  readonly keep: number;
  constructor(
    readonly group: LimitGroup,
    readonly windows: readonly RateWindow[],
  ) {
    this.keep = Math.max(...windows.map((w) => w.limit));
  }
}

export class RateLimiter {
  readonly limits: Readonly<Record<LimitGroup, readonly RateWindow[]>>;
  readonly marginMs: number;
  readonly origin: boolean;
  readonly #clock: LimiterClock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: LimiterOptions = {}) {
    const limits: Record<string, readonly RateWindow[]> = { ...UPBIT_LIMITS };
    for (const [g, v] of Object.entries(options.limits ?? {})) {
      if (v === undefined) continue;
      const windows = typeof v === 'number' ? perSecond(v) : v;
      if (!(g in UPBIT_LIMITS)) throw new RangeError(`unknown rate-limit group ${g}`);
      if (!windows.length || windows.some((w) => !(w.limit >= 1 && Number.isInteger(w.limit) && w.windowMs > 0))) {
        throw new RangeError(`rate limit of ${g} needs windows with an integer limit >= 1 and windowMs > 0`);
      }
      limits[g] = windows;
    }
    this.limits = limits as Record<LimitGroup, readonly RateWindow[]>;
    this.marginMs = options.marginMs ?? 50;
    this.origin = options.origin ?? false;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Wait for a slot of `group` (first come, first served). Rejects with `UpbitRateLimitError` past `deadline`, `UpbitAbortError` on abort. */
  acquire(group: LimitGroup, options: AcquireOptions = {}): Promise<void> {
    const { signal, deadline } = options;
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const b = this.#bucket(group, options.key);
    const now = this.#clock.now();
    const t = this.#nextFree(b, now); // a lower bound for anyone queued, too
    if (b.queue.length === 0 && t <= now) {
      this.#grant(b, now);
      return Promise.resolve();
    }
    if (deadline !== undefined && t > deadline) return Promise.reject(this.#late(b, t - now, b.blockedUntil > deadline ? 418 : undefined));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, deadline, cleanup: () => {} };
      const drop = (err: Error) => {
        const i = b.queue.indexOf(w);
        if (i < 0) return;
        b.queue.splice(i, 1);
        w.cleanup();
        reject(err);
        this.#pump(b); // the head may have changed
      };
      const onAbort = () => drop(aborted(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer =
        deadline === undefined ? undefined : this.#clock.setTimeout(() => drop(this.#late(b, this.#nextFree(b, this.#clock.now()) - this.#clock.now())), Math.max(0, deadline - now));
      w.cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        if (timer !== undefined) this.#clock.clearTimeout(timer);
      };
      b.queue.push(w);
      if (b.queue.length === 1) this.#pump(b);
    });
  }

  /** Take a slot now if one is free and nobody is queued; never waits. */
  tryAcquire(group: LimitGroup, key?: string): TryResult {
    const b = this.#bucket(group, key);
    const now = this.#clock.now();
    const t = this.#nextFree(b, now);
    if (b.queue.length === 0 && t <= now) {
      this.#grant(b, now);
      return { ok: true };
    }
    return { ok: false, retryInMs: Math.max(1, t - now) };
  }

  /** Milliseconds until `group` could grant (0 = now), ignoring the queue. */
  delayFor(group: LimitGroup, key?: string): number {
    const b = this.#bucket(group, key);
    const now = this.#clock.now();
    return Math.max(0, this.#nextFree(b, now) - now);
  }

  /**
   * Read a `Remaining-Req` header (`group=candles; min=600; sec=9`). When the server has fewer
   * requests left this second than our own count says (someone else shares the IP or pocket),
   * the difference is recorded as phantom grants now, so the next requests wait instead of
   * drawing a 429. Returns the group it applied to, or undefined for an unreadable header.
   */
  observeRemaining(header: string | null | undefined, key?: string): LimitGroup | undefined {
    if (!header) return undefined;
    const parts = new Map<string, string>();
    for (const p of header.split(';')) {
      const eq = p.indexOf('=');
      if (eq > 0) parts.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
    }
    const group = HEADER_GROUPS[parts.get('group') ?? ''];
    const sec = Number(parts.get('sec'));
    if (!group || !/^\d+$/.test(parts.get('sec') ?? '')) return undefined;
    const b = this.#bucket(group, key);
    const w = b.windows.find((x) => x.windowMs === 1000) ?? b.windows[0];
    const now = this.#clock.now();
    const width = w.windowMs + this.marginMs;
    let used = 0;
    for (let i = b.log.length - 1; i >= 0 && b.log[i] > now - width; i--) used++;
    const gap = w.limit - used - sec;
    for (let k = 0; k < gap; k++) this.#grant(b, now);
    return group;
  }

  /**
   * Grant nothing in `group` for `ms` (an HTTP 418 block, or a 429 back-off). Queued callers
   * whose deadline falls inside the block fail at once with `UpbitRateLimitError`.
   */
  block(group: LimitGroup, ms: number, key?: string): void {
    const b = this.#bucket(group, key);
    const now = this.#clock.now();
    b.blockedUntil = Math.max(b.blockedUntil, now + ms);
    for (const w of [...b.queue]) {
      if (w.deadline !== undefined && w.deadline < b.blockedUntil) {
        b.queue.splice(b.queue.indexOf(w), 1);
        w.cleanup();
        w.reject(this.#late(b, b.blockedUntil - now, 418));
      }
    }
    this.#pump(b);
  }

  /** When `group`'s block ends (clock ms), or 0. */
  blockedUntil(group: LimitGroup, key?: string): number {
    const b = this.#bucket(group, key);
    return b.blockedUntil > this.#clock.now() ? b.blockedUntil : 0;
  }

  /** Reject every waiter and stop every timer. */
  dispose(): void {
    for (const b of this.#buckets.values()) {
      if (b.timer !== undefined) this.#clock.clearTimeout(b.timer);
      b.timer = undefined;
      for (const w of b.queue.splice(0)) {
        w.cleanup();
        w.reject(new UpbitAbortError('ABORTED', 'rate limiter disposed'));
      }
    }
  }

  // ─── internals ──────────────────────────────────────────────────────────────────────────────

  #bucket(group: LimitGroup, key = ''): Bucket {
    const g: LimitGroup = this.origin && ORIGIN_GROUPS.has(group) ? 'origin' : group;
    const id = `${g}\u0000${key}`;
    let b = this.#buckets.get(id);
    if (!b) {
      const windows = this.limits[g];
      if (!windows) throw new RangeError(`unknown rate-limit group ${group}`);
      this.#buckets.set(id, (b = new Bucket(g, windows)));
    }
    return b;
  }

  /** The earliest time ≥ now at which one more grant fits every window (and the block is over). */
  #nextFree(b: Bucket, now: number): number {
    let t = Math.max(now, b.blockedUntil);
    const log = b.log;
    for (const w of b.windows) {
      // the w.limit-th newest grant must be out of the window: g + width <= t
      if (log.length >= w.limit) t = Math.max(t, log[log.length - w.limit] + w.windowMs + this.marginMs);
    }
    return t;
  }

  #grant(b: Bucket, now: number): void {
    b.log.push(now);
    if (b.log.length > b.keep) b.log.splice(0, b.log.length - b.keep);
  }

  #late(b: Bucket, retryInMs: number, status?: number): UpbitRateLimitError {
    const why = status === 418 ? 'blocked (HTTP 418)' : 'rate limit';
    return new UpbitRateLimitError(b.group, `${b.group}: ${why}, no slot before the deadline (retry in ${Math.ceil(retryInMs)} ms)`, retryInMs, status);
  }

  /** Grant what can be granted now, in order; arm one timer for the head's slot. */
  #pump(b: Bucket): void {
    if (b.timer !== undefined) {
      this.#clock.clearTimeout(b.timer);
      b.timer = undefined;
    }
    for (;;) {
      const head = b.queue[0];
      if (!head) return;
      const now = this.#clock.now();
      const t = this.#nextFree(b, now);
      if (t <= now) {
        b.queue.shift();
        this.#grant(b, now);
        head.cleanup();
        head.resolve();
        continue;
      }
      if (head.deadline !== undefined && t > head.deadline) {
        b.queue.shift();
        head.cleanup();
        head.reject(this.#late(b, t - now, b.blockedUntil > now ? 418 : undefined));
        continue;
      }
      b.timer = this.#clock.setTimeout(() => {
        b.timer = undefined;
        this.#pump(b);
      }, t - now);
      return;
    }
  }
}

export function createRateLimiter(options?: LimiterOptions): RateLimiter {
  return new RateLimiter(options);
}

function aborted(signal: AbortSignal): UpbitAbortError {
  return new UpbitAbortError('ABORTED', 'the request was aborted', signal.reason);
}
