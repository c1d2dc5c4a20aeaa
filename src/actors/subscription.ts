/**
 * One subscription as its owner holds it: `client.subscribeTicker(...)` resolves to one, and a raw
 * component's SUBSCRIBE creates one (`ref.subscription(id)`).
 *
 *   const sub = await client.subscribeTicker(['KRW-BTC'], (t) => draw(t.tradePrice));
 *   sub.status;            // 'pending' → 'active' ⇄ 'interrupted' → 'ended' | 'failed'
 *   sub.stats();           // { delivered, dropped, coalesced, queued, callbackErrors }
 *   for await (const t of sub) { ... }   // when subscribed without a callback
 *   await sub.unsubscribe();
 *
 * How to read: the public `Subscription` interface, then `SubscriptionHandle`, which implements it
 * and owns the three private parts the user never reaches: the route the router calls (its own
 * codes and options), the delivery sink (backpressure policy), and the link to its component.
 */
import {
  PRIVATE_TYPES,
  parseOrderbookCode,
  type DataMessage,
  type UpbitError,
  type Wish,
} from '../io/index.js';
import type { SubscriptionStatus } from '../machines/component.machine.js';
import { ARRIVED } from './arrival.js';
import type { RouteTarget, Stamped } from './router.js';
import { Sink, defaultPolicy, keyOf, type DeliveryPolicy, type SinkHooks, type SinkStats } from './sink.js';

export type { SubscriptionStatus, DeliveryPolicy };
/** What one subscription's delivery did: every message is in exactly one of these (but `callbackErrors`). */
export type SubscriptionStats = Pick<SinkStats, 'delivered' | 'dropped' | 'coalesced' | 'queued' | 'callbackErrors'>;

export interface StatusInfo {
  /** How long the stream was interrupted (on `active` after `interrupted`). */
  readonly gapMs?: number;
  /** Why it failed (on `failed`). */
  readonly error?: UpbitError;
}

export interface Subscription<T = DataMessage> extends AsyncIterable<Stamped<T>> {
  /** Unique in its component. */
  readonly id: string;
  readonly componentId: string;
  /** What it asked for (validated). */
  readonly wish: Wish;
  readonly status: SubscriptionStatus;
  /** The error that failed it, while `failed`. */
  readonly error: UpbitError | undefined;
  stats(): SubscriptionStats;
  /** Status changes of this subscription. */
  onStatus(fn: (status: SubscriptionStatus, info: StatusInfo) => void): () => void;
  /** Errors about this subscription only. */
  onError(fn: (error: UpbitError) => void): () => void;
  /** Stop receiving; the merged request shrinks when no one else wants these codes. */
  unsubscribe(): Promise<void>;
}

/** What a subscription needs from its component (implemented in component.ts). */
export interface SubscriptionOwner {
  readonly id: string;
  /** Component-level listeners, called after the subscription's own callback. */
  tap(msg: Stamped<DataMessage>, sub: SubscriptionHandle): void;
  /** Component-level error listeners; the hub's when nobody (`taken` false) listened so far. */
  componentError(error: UpbitError, taken: boolean, sub?: SubscriptionHandle): void;
  unsubscribe(id: string): void;
  snapshotDone(id: string, code: string): void;
  /** A sampled message (stamped `ARRIVED` by the socket) reached the callback: report the delay. */
  delivered?(side: 'public' | 'private', arrived: number): void;
}

export interface HandleOptions {
  id: string;
  wish: Wish;
  /**
   * Who consumes its messages: its own callback (then its component's listeners too), its
   * component's listeners alone (a raw component's SUBSCRIBE), or `for await` (no callback).
   */
  callback: ((msg: Stamped<DataMessage>) => unknown) | 'listeners' | 'iterate';
  onError: ((error: UpbitError) => void) | undefined;
  policy: DeliveryPolicy | undefined;
  /** Scheduler/clock overrides for the sink (tests). */
  sink: Partial<Pick<SinkHooks<unknown>, 'schedule' | 'now' | 'setTimer' | 'budgetMs'>> | undefined;
}

/** The route a subscription gives the router: exactly its own options. */
function routeOf(wish: Wish, deliver: (m: Stamped<DataMessage>) => void, done: (code: string) => void): RouteTarget & { codes: string[] } {
  const stream = wish.stream ?? 'both';
  const isBook = wish.type === 'orderbook';
  const codes = (wish.codes ?? []).map((c) => (isBook ? parseOrderbookCode(c).code : c));
  // Depth: a `.N` suffix on the code or the `depth` option; 30 (the wire's maximum) means no cut.
  const suffix = isBook ? wish.codes?.map((c) => parseOrderbookCode(c).depth).find((d) => d !== undefined) : undefined;
  const depth = isBook ? (suffix ?? wish.depth ?? 30) : undefined;
  return {
    type: wish.type,
    codes,
    snapshot: stream !== 'realtime',
    realtime: stream !== 'snapshot',
    depth: depth !== undefined && depth < 30 ? depth : undefined,
    level: isBook ? Number(wish.level ?? 0) : undefined,
    categories: wish.categories && wish.categories.length > 0 ? new Set(wish.categories) : undefined,
    deliver,
    snapshotDone: done,
  };
}

export class SubscriptionHandle implements Subscription {
  readonly id: string;
  readonly componentId: string;
  readonly side: 'public' | 'private';
  #wish: Wish;
  #status: SubscriptionStatus = 'pending';
  #error: UpbitError | undefined;
  readonly #owner: SubscriptionOwner;
  readonly #sink: Sink<Stamped<DataMessage>>;
  readonly #hasCallback: boolean;
  readonly #errorListeners = new Set<(error: UpbitError) => void>();
  readonly #statusListeners = new Set<(status: SubscriptionStatus, info: StatusInfo) => void>();
  #route: RouteTarget & { codes: string[] };
  /** What this subscription keeps alive while it lives (a callback subscription: its client). */
  #anchor: unknown;

  constructor(owner: SubscriptionOwner, options: HandleOptions) {
    this.id = options.id;
    this.componentId = owner.id;
    this.#owner = owner;
    this.#wish = options.wish;
    this.side = PRIVATE_TYPES.has(options.wish.type) ? 'private' : 'public';
    if (options.onError) this.#errorListeners.add(options.onError);
    const own = typeof options.callback === 'function' ? options.callback : undefined;
    this.#hasCallback = options.callback !== 'iterate';
    this.#sink = new Sink<Stamped<DataMessage>>(options.policy ?? defaultPolicy(options.wish.type), {
      ...options.sink,
      callback:
        options.callback === 'iterate'
          ? undefined
          : (msg) => {
              // One frame in 64 carries its arrival time: the delay ends here, as the callback is called.
              const arrived = (msg as unknown as Record<symbol, number | undefined>)[ARRIVED];
              if (arrived !== undefined) owner.delivered?.(this.side, arrived);
              owner.tap(msg, this);
              return own?.(msg);
            },
      onError: (error) => this.reportError(error),
      // `break` out of `for await` (the iterator's return()): the subscription ends, and the union
      // shrinks when no one else wants its codes.
      onReturn: () => owner.unsubscribe(this.id),
      keyOf: keyOf as (msg: Stamped<DataMessage>) => string,
      label: `${owner.id}/${options.id}`,
    });
    const sink = this.#sink;
    this.#route = routeOf(options.wish, (m) => sink.push(m), (code) => owner.snapshotDone(this.id, code));
  }

  get wish(): Wish {
    return this.#wish;
  }
  get status(): SubscriptionStatus {
    return this.#status;
  }
  get error(): UpbitError | undefined {
    return this.#error;
  }
  /** @internal what the router calls. */
  get route(): RouteTarget {
    return this.#route;
  }

  stats(): SubscriptionStats {
    const { delivered, dropped, coalesced, queued, callbackErrors } = this.#sink.stats();
    return { delivered, dropped, coalesced, queued, callbackErrors };
  }

  onStatus(fn: (status: SubscriptionStatus, info: StatusInfo) => void): () => void {
    this.#statusListeners.add(fn);
    return () => this.#statusListeners.delete(fn);
  }

  onError(fn: (error: UpbitError) => void): () => void {
    this.#errorListeners.add(fn);
    return () => this.#errorListeners.delete(fn);
  }

  unsubscribe(): Promise<void> {
    this.#sink.close(); // the owner asked to stop: nothing queued is delivered after this
    if (this.#status !== 'ended') this.#owner.unsubscribe(this.id);
    return Promise.resolve();
  }

  /** @internal its component stops: nothing queued is delivered after this. */
  halt(): void {
    this.#sink.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Stamped<DataMessage>> {
    if (this.#hasCallback) throw new TypeError(`subscription ${this.componentId}/${this.id} has a callback; subscribe without one to iterate it`);
    return this.#sink[Symbol.asyncIterator]();
  }

  /** @internal an error about this subscription: its own listeners, then its component's. Never throws. */
  reportError(error: UpbitError): void {
    for (const fn of [...this.#errorListeners]) {
      try {
        fn(error);
      } catch {
        // An error listener that throws must not break delivery or loop back here.
      }
    }
    this.#owner.componentError(error, this.#errorListeners.size > 0, this);
  }

  /** @internal while this subscription lives, `owner` (its client) is not collected. */
  anchor(owner: unknown): void {
    this.#anchor = owner;
  }

  /** @internal fewer codes, after a partial UNSUBSCRIBE (the router is told by the caller). */
  setWish(wish: Wish): void {
    this.#wish = wish;
    this.#route.codes = routeOf(wish, () => {}, () => {}).codes;
  }

  /** @internal a status change from the component machine. */
  setStatus(status: SubscriptionStatus, info: StatusInfo): void {
    if (status === 'failed') this.#error = info.error;
    else if (status !== 'ended') this.#error = undefined;
    // Ended by itself or by its owner: what it was already given is still delivered, nothing more.
    if (status === 'ended') {
      this.#sink.finish();
      this.#anchor = undefined;
    }
    if (status === this.#status && info.gapMs === undefined) return;
    this.#status = status;
    for (const fn of [...this.#statusListeners]) {
      try {
        fn(status, info);
      } catch {
        // A status listener that throws must not break the machine's notifications.
      }
    }
  }
}

export type { SinkHooks };
