/**
 * The bounded queue behind a `Sink` (src/actors/sink.ts), one per subscription: what waits while
 * the consumer is busy, and what a policy drops or replaces. No timers, no callbacks: the sink
 * passes the time in and decides when to take.
 *
 *   coalesce     Map key → latest message, keys in order of first arrival; `bound` keys.
 *   throttle     the same Map, plus when each key was last delivered: a key is due
 *                `interval` ms after its last delivery.
 *   drop_oldest  a ring buffer of `bound` messages.
 *
 * Overflow drops the oldest message (or key) and counts it in `dropped`; replacing a waiting
 * message by a later one with the same key counts it in `coalesced`.
 */
import { UpbitValidationError } from '../io/index.js';
import type { DeliveryPolicy } from './sink.js';

export const COALESCE = 0;
export const FIFO = 1;
export const THROTTLE = 2;
/** "Nothing deliverable": distinct from every message. */
export const NONE: unique symbol = Symbol('none');

/** Default bound of every policy (FIFO length, or distinct keys waiting). */
export const DEFAULT_BOUND = 10_000;

/** `coalesce (bound 10000 keys)`, `drop_oldest (bound 10000)`, `throttle (2/s, bound 10000 keys)`. */
export function describePolicy(p: DeliveryPolicy): string {
  const bound = p.bound ?? DEFAULT_BOUND;
  if (p.kind === 'drop_oldest') return `drop_oldest (bound ${bound})`;
  if (p.kind === 'coalesce') return `coalesce (bound ${bound} keys)`;
  return `throttle (${p.perSecond}/s, bound ${bound} keys)`;
}

/** Validate a policy (and the budget) for the sink labelled `label`; returns the bound. */
export function checkPolicy(policy: DeliveryPolicy, label: string, budgetMs: number | undefined): number {
  const bound = policy.bound ?? DEFAULT_BOUND;
  const bad = (what: string) => new UpbitValidationError('INVALID_OPTION', `${label}: ${what}`);
  if (policy.kind !== 'coalesce' && policy.kind !== 'drop_oldest' && policy.kind !== 'throttle') {
    throw bad(`unknown delivery policy ${String((policy as { kind: unknown }).kind)}`);
  }
  if (!Number.isInteger(bound) || bound < 1) throw bad(`delivery bound must be a positive integer, got ${String(policy.bound)}`);
  if (policy.kind === 'throttle' && !(typeof policy.perSecond === 'number' && policy.perSecond > 0)) {
    throw bad(`throttle perSecond must be a number above 0, got ${String(policy.perSecond)}`);
  }
  if (budgetMs !== undefined && !(budgetMs >= 0)) throw bad(`budgetMs must be a number of ms, 0 or more, got ${String(budgetMs)}`);
  return bound;
}

export class PolicyQueue<T> {
  readonly kind: number;
  /** Throttle: ms between two deliveries of one key; 0 otherwise. */
  readonly interval: number;
  size = 0;
  dropped = 0;
  coalesced = 0;
  private readonly keyed = new Map<string, T>();
  private readonly fifo = new Ring<T>();
  /** Throttle: when each key was last delivered. */
  private readonly lastAt = new Map<string, number>();
  /** drop_oldest: keys already taken in this drain turn. */
  private readonly seen = new Set<string>();
  /** Throttle: `lastAt` size that triggers the next prune. */
  private pruneAt = 1024;

  constructor(
    policy: DeliveryPolicy,
    readonly bound: number,
    private readonly keyOf: (msg: T) => string,
  ) {
    this.kind = policy.kind === 'coalesce' ? COALESCE : policy.kind === 'drop_oldest' ? FIFO : THROTTLE;
    this.interval = policy.kind === 'throttle' ? 1000 / policy.perSecond : 0;
  }

  /** Queue `msg` (`key`: its key when already known). Returns true when the bound overflowed and the oldest was dropped. */
  add(msg: T, key?: string): boolean {
    let overflow = false;
    if (this.kind === FIFO) {
      if (this.fifo.size >= this.bound) {
        this.fifo.shift();
        overflow = true;
      }
      this.fifo.push(msg);
    } else {
      const k = key ?? this.keyOf(msg);
      if (this.keyed.has(k)) {
        this.keyed.set(k, msg); // keeps the key's place in line
        this.coalesced++;
        return false;
      }
      if (this.keyed.size >= this.bound) {
        this.keyed.delete(this.keyed.keys().next().value as string);
        overflow = true;
      }
      this.keyed.set(k, msg);
    }
    if (overflow) this.dropped++;
    else this.size++;
    return overflow;
  }

  /** A drain turn begins: drop_oldest may take each key once again. */
  newTurn(): void {
    this.seen.clear();
  }

  /**
   * The next deliverable message at time `t`, or NONE. `turn`: drop_oldest stops at a key already
   * taken this turn (others never wait for one key's backlog). Throttle records the delivery.
   */
  take(t: number, turn: boolean): T | typeof NONE {
    if (this.size === 0) return NONE;
    if (this.kind === FIFO) {
      if (turn) {
        const key = this.keyOf(this.fifo.peek());
        if (this.seen.has(key)) return NONE;
        this.seen.add(key);
      }
      this.size--;
      return this.fifo.shift();
    }
    for (const [key, msg] of this.keyed) {
      if (this.kind === THROTTLE && !this.due(key, t)) continue;
      this.keyed.delete(key);
      this.size--;
      if (this.kind === THROTTLE) this.delivered(key, t);
      return msg;
    }
    return NONE;
  }

  /** Throttle: whether `key` may be delivered at `t` and nothing of it is waiting (so a push may go straight through). */
  mayPass(key: string, t: number): boolean {
    return !this.keyed.has(key) && this.due(key, t);
  }

  /** Throttle: record a delivery of `key` at `t`. */
  delivered(key: string, t: number): void {
    this.lastAt.set(key, t);
    if (this.lastAt.size >= this.pruneAt) this.prune(t);
  }

  /** Throttle: ms from `t` until some waiting key is due (0: now; Infinity: nothing waits). */
  dueIn(t: number): number {
    let due = Infinity;
    for (const key of this.keyed.keys()) {
      const last = this.lastAt.get(key);
      const wait = last === undefined ? 0 : Math.max(0, last + this.interval - t);
      if (wait < due) due = wait;
    }
    return due;
  }

  clear(): void {
    this.keyed.clear();
    this.fifo.clear();
    this.lastAt.clear();
    this.seen.clear();
    this.size = 0;
  }

  private due(key: string, t: number): boolean {
    const last = this.lastAt.get(key);
    return last === undefined || t - last >= this.interval;
  }

  /** Forget delivery times that no longer hold anything back (candle keys would otherwise pile up); amortised O(1). */
  private prune(t: number): void {
    for (const [key, last] of this.lastAt) if (t - last >= this.interval) this.lastAt.delete(key);
    this.pruneAt = Math.max(1024, 2 * this.lastAt.size);
  }
}

/** A growable ring buffer: O(1) push and shift. */
class Ring<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  size = 0;

  push(x: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = x;
    this.size++;
  }

  peek(): T {
    return this.buf[this.head] as T;
  }

  shift(): T {
    const x = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return x;
  }

  clear(): void {
    this.buf = new Array(16);
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
