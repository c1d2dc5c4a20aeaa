/**
 * The per-subscription delivery sink: the last hop before user code, one per subscription.
 *
 * How to read this file: `Sink.push` (the hot path) is first in the class; everything after it is
 * the queued path, entered only while the consumer is busy, slow or asynchronous.
 *
 *   push ──direct?──yes──▶ invoke(callback)         fast path: sync, within budget, nothing queued
 *     │ no                                          (no allocation, no closure per message)
 *     ▼
 *   enqueue ─▶ queue (policy: coalesce | drop_oldest | throttle; bounded; every loss counted)
 *                │
 *                └─ drain turn (hooks.schedule, i.e. after I/O) ─▶ callback, at most once per key,
 *                   stopping after a slow call or `budgetMs` ─▶ yield; or ─▶ a waiting iterator
 *
 * Counting (`stats()`): every pushed message that is not ignored (after `close()`) ends up in
 * exactly one of `delivered` (handed to the consumer, whatever the callback then did), `dropped`
 * (a bound overflowed), `coalesced` (replaced by a later message with the same key) or `queued`
 * (waiting now). `close()` discards the queue without counting it as dropped.
 *
 * States: `direct` is true exactly when a push may call the callback at once. A sync callback that
 * takes longer than `budgetMs` sets `slow`; an async one sets `inFlight` until it settles. Either
 * sends later pushes to the queue until the consumer is fast again with nothing queued.
 *
 * Timing costs two clock reads (about 100 ns together on Node 20, several times the rest of the
 * fast path), so the fast path times every call only until TRUSTED calls in a row were fast, then
 * one call in SAMPLE: a callback that turns slow is caught within SAMPLE calls. The queued path
 * times every call.
 */
import { performance } from 'node:perf_hooks';
import { UpbitBackpressureError, UpbitCallbackError, type UpbitError } from '../io/index.js';
import { checkPolicy, COALESCE, DEFAULT_BOUND, describePolicy, NONE, PolicyQueue, THROTTLE } from './sink-queue.js';

export { DEFAULT_BOUND, describePolicy } from './sink-queue.js';

export type DeliveryPolicy =
  /** Latest per key (key = code; candles: code + candle start time, so a closed bar is never replaced by the next one). `bound`: distinct keys waiting, @default 10_000. */
  | { kind: 'coalesce'; bound?: number }
  /** Bounded FIFO, the oldest dropped on overflow. @default bound 10_000 */
  | { kind: 'drop_oldest'; bound?: number }
  /** Latest per key wins, at most `perSecond` calls per second per key. `bound`: distinct keys waiting, @default 10_000. */
  | { kind: 'throttle'; perSecond: number; bound?: number };

export interface SinkStats {
  /** Messages handed to the consumer (a callback that then threw or rejected included). */
  delivered: number;
  /** Messages lost to a bound overflow (each episode also raised one `UpbitBackpressureError`). */
  dropped: number;
  /** Messages replaced in the queue by a later one with the same key (coalesce, throttle). */
  coalesced: number;
  /** Messages waiting now. */
  queued: number;
  /** Callback throws and rejections (each reported as an `UpbitCallbackError`). */
  callbackErrors: number;
  /** Times `onError` itself threw (swallowed). */
  errorHandlerErrors: number;
}

export interface SinkHooks<T> {
  /** The consumer. Sync or async (a returned thenable is awaited: one at a time, in order). Absent: the sink is consumed by async iteration. */
  callback?: (msg: T) => unknown;
  /** Errors concerning this subscription only (UpbitCallbackError for a throw/rejection, UpbitBackpressureError once per overflow episode). Must never throw out of the sink (a throw is swallowed and counted). */
  onError: (error: UpbitError) => void;
  /** Coalescing key of a message. */
  keyOf: (msg: T) => string;
  /** Name for messages, e.g. 'chart/ticker#3'. */
  label: string;
  /** Yield to I/O between drain turns. @default setImmediate */
  schedule?: (fn: () => void) => void;
  /** Monotonic ms clock for the slow-callback budget and throttle. @default performance.now */
  now?: () => number;
  /** Timer for throttle; returns a cancel function. @default setTimeout/clearTimeout */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /**
   * A synchronous callback slower than this moves the subscription to the queued path; also how
   * long an iterator takes a backlog before yielding to I/O. `Infinity`: the fast path reads no
   * clock (saves two `now()` calls per message) and never leaves for being slow. @default 1 (ms)
   */
  budgetMs?: number;
  /**
   * After a drain turn that overran the budget, wait as long as it took (at most 50 ms) before the
   * next one, on `setTimer`: a slow consumer then gets at most half of the thread and the socket is
   * read in between. `false` drains on `schedule` after every turn. @default true
   */
  pauseSlowTurns?: boolean;
  /** The async iterator was ended by its consumer (`break`, `return`, a throw in the loop body); the sink is already closed. */
  onReturn?: () => void;
}

/** Default bound of the private and announcement FIFOs. */
export const PRIVATE_BOUND = 100_000;
/** Longest pause after an overrunning drain turn. */
const MAX_PAUSE_MS = 50;

/** ticker, orderbook, candle.* → coalesce; trade (and anything unknown) → drop_oldest 10,000; myOrder, myAsset, announcement → drop_oldest 100,000. */
export function defaultPolicy(type: string): DeliveryPolicy {
  if (type === 'ticker' || type === 'orderbook' || type.startsWith('candle.')) return { kind: 'coalesce' };
  if (type === 'myOrder' || type === 'myAsset' || type === 'announcement') return { kind: 'drop_oldest', bound: PRIVATE_BOUND };
  return { kind: 'drop_oldest', bound: DEFAULT_BOUND };
}

/** The coalescing key: the code (the type when there is none); candles add their start time. */
export function keyOf(msg: { type: string; code?: string; candleDateTimeUtc?: string }): string {
  const code = msg.code ?? msg.type;
  return msg.type.startsWith('candle.') ? `${code}|${msg.candleDateTimeUtc}` : code;
}

/** Timed fast calls in a row after which the fast path only samples. */
const TRUSTED = 16;
/** Once trusted, the fast path times one call in this many (a power of two). */
const SAMPLE = 16;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
const defaultNow = () => performance.now();
const defaultSchedule = (fn: () => void) => void setImmediate(fn);
const defaultSetTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export class Sink<T> implements AsyncIterable<T> {
  private readonly cb: ((msg: T) => unknown) | undefined;
  private readonly hooks: SinkHooks<T>;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void) => void;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private readonly budget: number;
  /** Whether calls are timed against the budget (false when it is Infinity). */
  private readonly timed: boolean;
  private readonly policyName: string;
  private readonly queue: PolicyQueue<T>;
  private readonly throttled: boolean;
  private readonly waiters: Array<(r: IteratorResult<T>) => void> = [];
  private readonly drainFn = () => this.drain();
  private readonly timerFn = () => {
    this.cancelTimer = undefined;
    this.drain();
  };

  private direct: boolean;
  private slow = false;
  /** Timed calls in a row that were fast (up to TRUSTED). */
  private streak = 0;
  /** Fast-path calls since the last sampled one, modulo SAMPLE. */
  private skips = 0;
  private calling = false;
  private inFlight = false;
  /** Tells a settling promise whether it is still the one in flight. */
  private generation = 0;
  private drainScheduled = false;
  private closed = false;
  /** finish(): no more pushes; close once what is queued was delivered. */
  private finishing = false;
  private overflowing = false;
  private cancelTimer: (() => void) | undefined = undefined;
  /** When the current drain turn (or the last direct hand-over to an iterator) began. */
  private turnStart: number;
  private delivered = 0;
  /** How long the last drain turn took (ms). */
  private lastTurnMs = 0;
  private callbackErrors = 0;
  private errorHandlerErrors = 0;

  constructor(policy: DeliveryPolicy, hooks: SinkHooks<T>) {
    const bound = checkPolicy(policy, hooks.label, hooks.budgetMs);
    this.cb = hooks.callback;
    this.hooks = hooks;
    this.now = hooks.now ?? defaultNow;
    this.schedule = hooks.schedule ?? defaultSchedule;
    this.setTimer = hooks.setTimer ?? defaultSetTimer;
    this.budget = hooks.budgetMs ?? 1;
    this.timed = this.budget !== Infinity;
    this.queue = new PolicyQueue<T>(policy, bound, hooks.keyOf);
    this.throttled = this.queue.kind === THROTTLE;
    this.policyName = describePolicy(policy);
    this.turnStart = this.now();
    this.direct = this.cb !== undefined && !this.throttled;
  }

  /** Hand one message to the consumer now (fast path) or queue it per the policy. */
  push(msg: T): void {
    if (this.direct) {
      this.direct = false; // re-entrant pushes queue behind this one
      this.invoke(msg, this.streak < TRUSTED || (this.skips = (this.skips + 1) & (SAMPLE - 1)) === 0);
      if (this.slow || this.inFlight || this.closed || this.queue.size !== 0) this.afterTurn();
      else this.direct = true;
      return;
    }
    this.enqueue(msg);
  }

  stats(): SinkStats {
    return {
      delivered: this.delivered,
      dropped: this.queue.dropped,
      coalesced: this.queue.coalesced,
      queued: this.queue.size,
      callbackErrors: this.callbackErrors,
      errorHandlerErrors: this.errorHandlerErrors,
    };
  }

  /**
   * No more pushes: what is queued is still delivered, then the sink closes (a subscription that
   * ended by itself, like a snapshot-only one after its snapshot, loses nothing it was given).
   */
  finish(): void {
    if (this.closed || this.finishing) return;
    this.finishing = true;
    this.direct = false;
    if (this.queue.size === 0 && !this.inFlight && !this.calling) this.close();
  }

  /** Stop: the queue is discarded (not counted as dropped), iterators end, later pushes are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.direct = false;
    this.queue.clear();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (const resolve of this.waiters.splice(0)) resolve(DONE);
  }

  /** One consumer at a time pulls messages; the policy decides what waits or drops while it is busy. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.cb !== undefined) throw new TypeError(`${this.hooks.label} delivers to a callback; it cannot also be iterated`);
    const iterator: AsyncIterableIterator<T> = {
      next: () => this.next(),
      return: () => {
        const was = this.closed;
        this.close();
        if (!was) this.hooks.onReturn?.();
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Call the callback once. Sets `slow` (`timed` and the sync part over budget) or `inFlight` (a thenable came back). */
  private invoke(msg: T, timed: boolean): void {
    this.calling = true;
    this.delivered++;
    timed &&= this.timed;
    const t0 = timed ? this.now() : 0;
    let result: unknown;
    let threw = false;
    try {
      result = this.cb!(msg);
    } catch (error) {
      threw = true;
      result = error;
    }
    if (timed) {
      this.slow = this.now() - t0 > this.budget;
      if (this.slow) this.streak = 0;
      else if (this.streak < TRUSTED) this.streak++;
    }
    this.calling = false;
    if (threw) this.callbackFailed(result, msg, 'threw');
    else if (result !== undefined && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      this.awaitResult(result as PromiseLike<unknown>, msg);
    }
  }

  private awaitResult(result: PromiseLike<unknown>, msg: T): void {
    const generation = ++this.generation;
    this.inFlight = true;
    const settle = (failed: boolean, reason?: unknown) => {
      if (generation !== this.generation || !this.inFlight) return; // a thenable settling twice
      this.inFlight = false;
      if (failed) this.callbackFailed(reason, msg, 'rejected');
      this.afterTurn();
    };
    try {
      result.then(
        () => settle(false),
        (reason: unknown) => settle(true, reason),
      );
    } catch (error) {
      settle(true, error); // a `then` that throws
    }
  }

  private callbackFailed(cause: unknown, msg: T, how: string): void {
    this.callbackErrors++;
    this.report(new UpbitCallbackError(`${this.hooks.label}: the callback ${how} on ${this.safeKey(msg)}`, cause));
  }

  private report(error: UpbitError): void {
    try {
      this.hooks.onError(error);
    } catch {
      this.errorHandlerErrors++; // never re-reported: that could loop
    }
  }

  private safeKey(msg: T): string {
    try {
      return this.hooks.keyOf(msg);
    } catch {
      return 'a message';
    }
  }

  private enqueue(msg: T): void {
    if (this.closed || this.finishing) return;
    if (this.cb === undefined) {
      this.offerToIterator(msg);
      return;
    }
    let key: string | undefined;
    if (this.throttled) {
      key = this.hooks.keyOf(msg);
      if (this.throttleDirect(msg, key)) return;
    }
    this.add(msg, key);
    if (!this.inFlight && !this.calling) {
      if (this.throttled) this.armThrottle();
      else this.scheduleDrain();
    }
  }

  /** Throttle: call at once when the consumer is idle, nothing is waiting for this key and its interval has passed. */
  private throttleDirect(msg: T, key: string): boolean {
    if (this.slow || this.inFlight || this.calling || this.drainScheduled) return false;
    const t = this.now();
    if (!this.queue.mayPass(key, t)) return false;
    this.queue.delivered(key, t);
    this.invoke(msg, true);
    this.afterTurn();
    return true;
  }

  private offerToIterator(msg: T): void {
    if (this.waiters.length > 0 && this.queue.size === 0) {
      const key = this.throttled ? this.hooks.keyOf(msg) : '';
      const t = this.now();
      if (!this.throttled || this.queue.mayPass(key, t)) {
        if (this.throttled) this.queue.delivered(key, t);
        this.turnStart = t;
        this.delivered++;
        this.waiters.shift()!({ value: msg, done: false });
        return;
      }
    }
    this.add(msg, undefined);
    if (this.waiters.length > 0) this.afterTurn();
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.closed) return Promise.resolve(DONE);
    if (this.finishing && this.queue.size === 0) {
      this.close();
      return Promise.resolve(DONE);
    }
    // Serve a backlog synchronously only within the turn's budget, then yield to I/O first.
    const t = this.now();
    if (this.waiters.length === 0 && this.queue.size > 0 && t - this.turnStart <= this.budget) {
      const msg = this.queue.take(t, false);
      if (msg !== NONE) {
        this.delivered++;
        if (this.queue.size === 0) this.overflowing = false; // the episode is over
        return Promise.resolve({ value: msg, done: false });
      }
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.queue.size > 0) this.afterTurn();
    });
  }

  /** One drain turn: deliver what is deliverable, at most once per key, until a slow or async call or the budget; then yield. */
  private drain(): void {
    this.drainScheduled = false;
    if (this.closed || this.inFlight || this.calling) return;
    const start = (this.turnStart = this.now());
    if (this.cb === undefined) {
      while (this.waiters.length > 0) {
        const msg = this.queue.take(start, false);
        if (msg === NONE) break;
        this.delivered++;
        this.waiters.shift()!({ value: msg, done: false });
      }
    } else {
      this.queue.newTurn();
      // coalesce: each key present at the start once; re-entrant pushes wait for the next turn.
      let limit = this.queue.kind === COALESCE ? this.queue.size : Infinity;
      while (limit-- > 0) {
        const msg = this.queue.take(this.throttled ? this.now() : start, true);
        if (msg === NONE) break;
        this.invoke(msg, true);
        // A slow call alone exceeds the budget: others then wait for one slow call, never for a backlog.
        if (this.inFlight || this.closed || this.now() - start > this.budget) break;
      }
    }
    this.lastTurnMs = this.now() - start;
    this.afterTurn();
  }

  /** The consumer is free again (or still busy): go back to the fast path, or plan the next turn. */
  private afterTurn(): void {
    if (this.closed || this.inFlight || this.calling) return;
    if (this.queue.size === 0) {
      if (this.finishing) return this.close();
      this.overflowing = false; // the episode is over
      this.direct = this.cb !== undefined && !this.throttled && !this.slow && !this.drainScheduled;
      return;
    }
    if (this.cb === undefined && this.waiters.length === 0) return; // the iterator pulls
    if (this.throttled) this.armThrottle();
    else this.scheduleDrain();
  }

  private scheduleDrain(): void {
    this.direct = false;
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    // A turn that overran the budget pauses as long as it took (at most MAX_PAUSE_MS): a slow
    // consumer gets at most half of the thread, and the socket is read in between (with
    // permessage-deflate every frame needs its own turn of the loop, so a slow call in EVERY turn
    // would hold each frame, and the pong behind them, back by that call).
    const pause = this.lastTurnMs > this.budget && this.hooks.pauseSlowTurns !== false ? Math.min(this.lastTurnMs, MAX_PAUSE_MS) : 0;
    this.lastTurnMs = 0;
    if (pause > 0) this.setTimer(this.drainFn, pause);
    else this.schedule(this.drainFn);
  }

  /** Throttle: a turn now when a key is due, else a timer for the earliest due key. */
  private armThrottle(): void {
    const wait = this.queue.dueIn(this.now());
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (wait === 0) this.scheduleDrain();
    else if (wait !== Infinity) this.cancelTimer = this.setTimer(this.timerFn, wait);
  }

  /** Queue `msg`; an overflow is counted by the queue and reported once per episode. */
  private add(msg: T, key: string | undefined): void {
    if (!this.queue.add(msg, key) || this.overflowing) return;
    this.overflowing = true; // afterTurn ends the episode when the queue is empty
    this.report(new UpbitBackpressureError(this.hooks.label, this.policyName, this.stats()));
  }
}
