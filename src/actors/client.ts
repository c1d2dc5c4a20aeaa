/**
 * `hub.client(name)`: the friendly facade. Each client is ONE component actor; each
 * `subscribeX(...)` creates one subscription of it, with exactly its own options, and resolves to
 * its `Subscription` (status, stats, errors, async iteration, unsubscribe).
 *
 *   const client = hub.client('my-app');
 *   const sub = await client.subscribeTicker(['KRW-BTC'], (t) => console.log(t.tradePrice.toString()));
 *   for await (const book of await client.subscribeOrderbook(['KRW-ETH'], undefined, { depth: 5 })) { ... }
 *   await sub.unsubscribe();
 *   await client.cleanup();            // or: await using client = hub.client('x')
 *
 * A subscription the hub cannot create at all (a bad code, a stopped hub) REJECTS with its typed
 * error. One the hub refuses later (the server refuses its code, the connection fails) stays a
 * `Subscription` whose status becomes `failed`, and its `onError` hears why.
 *
 * Garbage collection: a client nobody holds is cleaned up (the hub's FinalizationRegistry). The
 * `Subscription` a client hands out is a `HeldSubscription`: the user's own object over the
 * hub's handle, holding the client, so a user who keeps only the subscription (or iterates it)
 * keeps the client. The hub holds the handle, never this object: nothing the hub reaches holds
 * the client, or it could never be collected.
 */
import type {
  Announcement,
  Candle,
  CandleUnit,
  DataType,
  MyAsset,
  MyOrder,
  Orderbook,
  OrderbookDepth,
  StreamPreference,
  Ticker,
  Trade,
  UpbitError,
  Wish,
} from '../io/index.js';
import type { Component, ErrorListener } from './component.js';
import type { Stamped } from './router.js';
import type { DeliveryPolicy, Subscription } from './subscription.js';

export interface SubscribeOptions {
  /** @default 'both' */
  readonly stream?: StreamPreference;
  /** Errors about this subscription (server refusal, connection trouble, callback errors, shedding). */
  readonly onError?: (error: UpbitError) => void;
  /**
   * What waits, and what is shed, while the callback is busy. @default coalesce (latest per code)
   * for ticker, orderbook and candles; drop_oldest bounded at 10,000 for trades; drop_oldest
   * bounded at 100,000 for private events.
   */
  readonly policy?: DeliveryPolicy;
  /** Subscription id, unique in this client. @default generated */
  readonly id?: string;
}

export interface OrderbookOptions extends SubscribeOptions {
  /** Units per side: 1, 5, 15 or 30. @default 30 */
  readonly depth?: OrderbookDepth;
  /** Price aggregation unit (KRW markets only). @default 0 */
  readonly level?: number;
}

export interface AnnouncementOptions extends SubscribeOptions {
  readonly categories?: string[];
  readonly includeBody?: boolean;
}

/** A callback; it may be async (awaited one at a time, in order). Omit it to iterate the subscription. */
export type Callback<T> = (event: Stamped<T>) => unknown;

/** Hooks the hub gives each client: dropped clients are cleaned up after garbage collection. */
export interface ClientHooks {
  created(client: UpbitClient, component: Component): void;
}

export class UpbitClient implements AsyncDisposable {
  readonly #component: Component;

  constructor(component: Component, hooks?: ClientHooks) {
    this.#component = component;
    hooks?.created(this, component);
  }

  get id(): string {
    return this.#component.id;
  }

  /** The component actor behind this client (listeners, stats, its subscriptions). */
  get component(): Pick<Component, 'id' | 'on' | 'onError' | 'subscription' | 'subscriptions' | 'wishes' | 'stats'> {
    return this.#component;
  }

  subscribeTicker(codes: readonly string[], cb?: Callback<Ticker>, options: SubscribeOptions = {}): Promise<Subscription<Ticker>> {
    return this.#subscribe({ type: 'ticker', codes, stream: options.stream }, cb, options);
  }

  subscribeTrade(codes: readonly string[], cb?: Callback<Trade>, options: SubscribeOptions = {}): Promise<Subscription<Trade>> {
    return this.#subscribe({ type: 'trade', codes, stream: options.stream }, cb, options);
  }

  subscribeOrderbook(codes: readonly string[], cb?: Callback<Orderbook>, options: OrderbookOptions = {}): Promise<Subscription<Orderbook>> {
    return this.#subscribe({ type: 'orderbook', codes, stream: options.stream, depth: options.depth, level: options.level }, cb, options);
  }

  subscribeCandle(unit: CandleUnit, codes: readonly string[], cb?: Callback<Candle>, options: SubscribeOptions = {}): Promise<Subscription<Candle>> {
    return this.#subscribe({ type: `candle.${unit}` as DataType, codes, stream: options.stream }, cb, options);
  }

  /** Your orders' lifecycle; no codes = every market. */
  subscribeMyOrder(codes: readonly string[] | undefined, cb?: Callback<MyOrder>, options: SubscribeOptions = {}): Promise<Subscription<MyOrder>> {
    return this.#subscribe({ type: 'myOrder', codes: codes ?? [] }, cb, options);
  }

  subscribeMyAsset(cb?: Callback<MyAsset>, options: SubscribeOptions = {}): Promise<Subscription<MyAsset>> {
    return this.#subscribe({ type: 'myAsset' }, cb, options);
  }

  subscribeAnnouncement(cb?: Callback<Announcement>, options: AnnouncementOptions = {}): Promise<Subscription<Announcement>> {
    return this.#subscribe({ type: 'announcement', categories: options.categories, includeBody: options.includeBody }, cb, options);
  }

  /** Errors of every subscription of this client, with the subscription they concern. */
  onError(fn: ErrorListener): () => void {
    return this.#component.onError(fn);
  }

  /** Unsubscribe everything and stop the component actor. */
  async cleanup(): Promise<void> {
    await this.#component.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.cleanup();
  }

  async #subscribe<T>(wish: Wish, cb: Callback<T> | undefined, options: SubscribeOptions): Promise<Subscription<T>> {
    const { type, ...rest } = wish;
    const sub = this.#component.subscribe({
      options: { ...rest, channel: type, id: options.id },
      callback: cb ? (cb as (msg: Stamped<unknown>) => unknown) : 'iterate',
      onError: options.onError,
      policy: options.policy,
    });
    return new HeldSubscription(sub as unknown as Subscription<T>, this);
  }
}

/** The user's side of a client's subscription: delegates to the hub's handle and keeps the client alive. */
class HeldSubscription<T> implements Subscription<T> {
  readonly #sub: Subscription<T>;
  readonly #client: UpbitClient;

  constructor(sub: Subscription<T>, client: UpbitClient) {
    this.#sub = sub;
    this.#client = client;
  }

  get id() {
    return this.#sub.id;
  }
  get componentId() {
    return this.#sub.componentId;
  }
  get wish() {
    return this.#sub.wish;
  }
  get status() {
    return this.#sub.status;
  }
  get error() {
    return this.#sub.error;
  }
  stats() {
    return this.#sub.stats();
  }
  onStatus(fn: Parameters<Subscription<T>['onStatus']>[0]) {
    return this.#sub.onStatus(fn);
  }
  onError(fn: (error: UpbitError) => void) {
    return this.#sub.onError(fn);
  }
  unsubscribe() {
    return this.#sub.unsubscribe();
  }
  /** The iterator holds the client too: `for await (const t of await client.subscribeX(...))` keeps it. */
  [Symbol.asyncIterator](): AsyncIterator<Stamped<T>> & { readonly client: UpbitClient } {
    const it = this.#sub[Symbol.asyncIterator]();
    return {
      client: this.#client,
      next: (...args) => it.next(...args),
      return: (value) => (it.return ? it.return(value) : Promise.resolve({ value, done: true })),
      throw: (err) => (it.throw ? it.throw(err) : Promise.reject(err)),
    };
  }
}
