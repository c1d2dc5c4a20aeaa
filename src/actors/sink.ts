/**
 * PLACEHOLDER (replaced by the `sink` branch): the per-subscription delivery step, sync only.
 */
import { UpbitCallbackError, type UpbitError } from '../io/index.js';

export type DeliveryPolicy =
  | { kind: 'coalesce' }
  | { kind: 'drop_oldest'; bound?: number }
  | { kind: 'throttle'; perSecond: number };
export interface SinkStats { delivered: number; dropped: number; coalesced: number; queued: number; callbackErrors: number }
export interface SinkHooks<T> {
  callback?: (msg: T) => unknown;
  onError: (error: UpbitError) => void;
  keyOf: (msg: T) => string;
  label: string;
  schedule?: (fn: () => void) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => () => void;
  budgetMs?: number;
}
export function defaultPolicy(type: string): DeliveryPolicy {
  if (type === 'trade') return { kind: 'drop_oldest', bound: 10_000 };
  if (type === 'myOrder' || type === 'myAsset' || type === 'announcement') return { kind: 'drop_oldest', bound: 100_000 };
  return { kind: 'coalesce' };
}
export function keyOf(msg: { type: string; code?: string; candleDateTimeUtc?: string }): string {
  return msg.candleDateTimeUtc !== undefined ? `${msg.code}|${msg.candleDateTimeUtc}` : (msg.code ?? msg.type);
}
export class Sink<T> implements AsyncIterable<T> {
  private readonly s: SinkStats = { delivered: 0, dropped: 0, coalesced: 0, queued: 0, callbackErrors: 0 };
  private closed = false;
  constructor(readonly policy: DeliveryPolicy, private readonly hooks: SinkHooks<T>) {}
  push(msg: T): void {
    if (this.closed || !this.hooks.callback) return;
    this.s.delivered++;
    try {
      const r = this.hooks.callback(msg) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') (r as Promise<unknown>).then(undefined, (e) => this.fail(e));
    } catch (e) {
      this.fail(e);
    }
  }
  private fail(cause: unknown) {
    this.s.callbackErrors++;
    try { this.hooks.onError(new UpbitCallbackError(`the callback of ${this.hooks.label} threw`, cause)); } catch { /* never loops */ }
  }
  stats(): SinkStats { return { ...this.s }; }
  close(): void { this.closed = true; }
  [Symbol.asyncIterator](): AsyncIterator<T> { throw new Error('not in placeholder'); }
}
