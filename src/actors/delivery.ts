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
 *
 * Error scopes: an error about one channel (a throwing `ticker` callback) or one connection (the
 * private socket's auth failure) is tagged with `scopeError(error, concerns)`. An error listener
 * registered for one wish (a client subscription's `onError`) only hears errors that concern its
 * type; an error that no listener takes goes to the hub, never nowhere.
 */
import { UpbitCallbackError, type UpbitError } from '../io/index.js';
import type { DataMessage } from '../io/index.js';
import type { Stamped } from './router.js';

export type Listener<T = Stamped<DataMessage>> = (event: T) => void;
export type ErrorListener = (error: UpbitError) => void;

/** Which wire types an error is about; errors without a scope concern every type. */
const scopes = new WeakMap<UpbitError, (type: string) => boolean>();

/** Tag `error` as concerning only the wire types `concerns` accepts; returns it. */
export function scopeError<E extends UpbitError>(error: E, concerns: (type: string) => boolean): E {
  scopes.set(error, concerns);
  return error;
}

/** Whether `error` concerns wire type `type` (true for unscoped errors). */
export function concerns(error: UpbitError, type: string): boolean {
  return scopes.get(error)?.(type) ?? true;
}

interface ErrorEntry {
  readonly fn: ErrorListener;
  /** Only errors this accepts reach `fn`; absent: every error. */
  readonly accepts: ((error: UpbitError) => boolean) | undefined;
}

export interface DeliveryMetrics {
  delivered: number;
  callbackErrors: number;
}

export class Delivery {
  /** Listeners by channel: a wire type (`ticker`, `candle.1m`, `myOrder`...) or `message` for all. */
  private readonly listeners = new Map<string, Listener[]>();
  private readonly errorListeners: ErrorEntry[] = [];
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

  /** `accepts` narrows what this listener hears (see error scopes above). */
  onError(fn: ErrorListener, accepts?: (error: UpbitError) => boolean): () => void {
    const entry: ErrorEntry = { fn, accepts };
    this.errorListeners.push(entry);
    return () => {
      const i = this.errorListeners.indexOf(entry);
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
      const error = new UpbitCallbackError(`a ${msg.type} listener of component ${this.componentId} threw`, cause);
      this.error(scopeError(error, (type) => type === msg.type));
    }
  }

  /** Report an error to this component's error listeners; never throws. */
  error(error: UpbitError): void {
    const takers = this.errorListeners.filter((l) => l.accepts === undefined || l.accepts(error));
    if (takers.length === 0) {
      this.fallbackError(error, this.componentId);
      return;
    }
    for (const { fn } of takers) {
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
