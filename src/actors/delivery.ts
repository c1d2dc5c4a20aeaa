/**
 * The per-component delivery step: the last hop before user code.
 *
 * Every routed message for a component goes through its `Delivery.push`. Today the strategy is
 * `sync` (call the listeners at once, in order). Backpressure strategies (drop, coalesce by
 * key, throttle) replace `push` without touching the router or the component actor.
 *
 * A listener that throws never breaks anything else: the error is wrapped in an
 * `UpbitCallbackError` and handed to the component's `error` listeners (or the hub's, when the
 * component has none), and the remaining listeners still run.
 */
import { UpbitCallbackError, type UpbitError } from '../io/index.js';
import type { DataMessage } from '../io/index.js';
import type { Stamped } from './router.js';

export type Listener<T = Stamped<DataMessage>> = (event: T) => void;
export type ErrorListener = (error: UpbitError) => void;

export interface DeliveryMetrics {
  delivered: number;
  callbackErrors: number;
}

export class Delivery {
  /** Listeners by channel: a wire type (`ticker`, `candle.1m`, `myOrder`...) or `message` for all. */
  private readonly listeners = new Map<string, Listener[]>();
  private readonly errorListeners: ErrorListener[] = [];
  readonly metrics: DeliveryMetrics = { delivered: 0, callbackErrors: 0 };
  private closed = false;

  constructor(
    readonly componentId: string,
    private readonly fallbackError: (error: UpbitError, componentId: string) => void,
  ) {}

  on(channel: string, fn: Listener): () => void {
    const list = this.listeners.get(channel);
    // Copy on write: a listener that unsubscribes during dispatch does not disturb the loop.
    this.listeners.set(channel, list ? [...list, fn] : [fn]);
    return () => {
      const cur = this.listeners.get(channel);
      if (!cur) return;
      const next = cur.filter((f) => f !== fn);
      if (next.length > 0) this.listeners.set(channel, next);
      else this.listeners.delete(channel);
    };
  }

  onError(fn: ErrorListener): () => void {
    this.errorListeners.push(fn);
    return () => {
      const i = this.errorListeners.indexOf(fn);
      if (i >= 0) this.errorListeners.splice(i, 1);
    };
  }

  /** Hot path. */
  push(msg: Stamped<DataMessage>): void {
    if (this.closed) return;
    this.metrics.delivered++;
    const typed = this.listeners.get(msg.type);
    if (typed !== undefined) for (let i = 0; i < typed.length; i++) this.call(typed[i], msg);
    const any = this.listeners.get('message');
    if (any !== undefined) for (let i = 0; i < any.length; i++) this.call(any[i], msg);
  }

  private call(fn: Listener, msg: Stamped<DataMessage>): void {
    try {
      fn(msg);
    } catch (cause) {
      this.metrics.callbackErrors++;
      this.error(new UpbitCallbackError(`a ${msg.type} listener of component ${this.componentId} threw`, cause));
    }
  }

  /** Report an error to this component's error listeners; never throws. */
  error(error: UpbitError): void {
    if (this.errorListeners.length === 0) {
      this.fallbackError(error, this.componentId);
      return;
    }
    for (const fn of [...this.errorListeners]) {
      try {
        fn(error);
      } catch (cause) {
        // An error listener that throws: hand it upward once, never loop.
        this.fallbackError(new UpbitCallbackError(`an error listener of component ${this.componentId} threw`, cause), this.componentId);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.errorListeners.length = 0;
  }
}
