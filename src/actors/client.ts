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
 * error. One the hub refuses later (the server refuses its code, the connection fails, Upbit does
 * not list its market: UNKNOWN_MARKET) stays a `Subscription` whose status becomes `failed`, and
 * its `onError` hears why.
 *
 * REST snapshots (`getTickerSnapshot`, `getOrderbookSnapshot`, `getTradesSnapshot`, `getCandles`)
 * go through the hub's one rate limiter and reject with typed errors (STOPPED after hub.stop()).
 * The pull model: `registerInterests(codes, types)` puts them in the hub's union as this client's
 * wishes; `getTicker` / `getOrderbook` / `getMultipleTickers` / `getTrades` read the hub's data
 * pool synchronously (undefined until a value arrived). See rest-side.ts.
 *
 * Garbage collection: a client nobody holds is cleaned up (the hub's FinalizationRegistry): its
 * wishes leave the union. A subscription with a callback holds its client while it lives (the hub
 * keeps calling your callback: that stream must not stop because you kept no reference); the
 * `Subscription` a client hands out (a `HeldSubscription`) and its iterator hold the client too.
 * So what is collected is a client with no live callback subscription that nothing else holds: one
 * whose iterated subscriptions were dropped mid-way, or one that only registered interests.
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
import { UpbitUsageError, UpbitValidationError, assertMarketCode, type CandleTo, type RestCandle, type RestCandleUnit, type RestOrderbook, type RestTicker, type RestTrade } from '../io/index.js';
import type { Component, ErrorListener } from './component.js';
import type { PoolType } from './pool.js';
import type { InterestOptions, RestSide } from './rest-side.js';
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
  /** The hub's REST side: snapshots, interests, the data pool (a gateway consumer's speaks NATS). */
  data?: ClientData;
}

/** What a client's snapshots and pull reads need: the hub's RestSide has it, so does a gateway consumer. */
export interface ClientData extends Pick<RestSide, 'snapshot' | 'registerInterests' | 'unregisterInterests'> {
  readonly rest: Pick<RestSide['rest'], 'tickers' | 'orderbooks' | 'trades' | 'tradesIter' | 'candles' | 'candlesIter'>;
  readonly pool: Pick<RestSide['pool'], 'ticker' | 'orderbook' | 'tickers' | 'trades'>;
}

export class UpbitClient implements AsyncDisposable {
  readonly #component: Component;
  readonly #data: ClientHooks['data'];

  constructor(component: Component, hooks?: ClientHooks) {
    this.#component = component;
    this.#data = hooks?.data;
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

  // ── REST snapshots (typed events, in the order asked) ─────────────────────────────────────

  /** Tickers of `codes` now, from REST (no `askBid`, `marketState` or `streamType`: see RestTicker). */
  getTickerSnapshot(codes: readonly string[]): Promise<RestTicker[]> {
    return this.#rest((d, signal) => d.rest.tickers(checkCodes(codes), { signal }));
  }

  /** Orderbooks of `codes` now; `level` aggregates prices (KRW markets); `count` units per side (1–30). */
  getOrderbookSnapshot(codes: readonly string[], options: { level?: number; count?: number } = {}): Promise<RestOrderbook[]> {
    return this.#rest((d, signal) => d.rest.orderbooks(checkCodes(codes), { level: options.level, count: options.count, signal }));
  }

  /** The latest `count` trades of `code`, newest first (more than 500 pages through Upbit's cursor). */
  getTradesSnapshot(code: string, options: { count?: number } = {}): Promise<RestTrade[]> {
    return this.#rest(async (d, signal) => {
      const [c] = checkCodes([code]);
      const count = options.count;
      if (count === undefined || count <= 500) return d.rest.trades(c!, { count, signal });
      const out: RestTrade[] = [];
      for await (const t of d.rest.tradesIter(c!, { limit: count, signal })) out.push(t);
      return out;
    });
  }

  /** Candles of `code`, newest first, ending before `to` (more than 200 page back through Upbit's `to`). */
  getCandles(unit: RestCandleUnit, code: string, options: { count?: number; to?: CandleTo } = {}): Promise<RestCandle[]> {
    return this.#rest(async (d, signal) => {
      const [c] = checkCodes([code]);
      const { count, to } = options;
      if (count === undefined || count <= 200) return d.rest.candles(unit, c!, { count, to, signal });
      const out: RestCandle[] = [];
      for await (const x of d.rest.candlesIter(unit, c!, { limit: count, to, signal })) out.push(x);
      return out;
    });
  }

  // ── the pull model (the hub's data pool) ──────────────────────────────────────────────────

  /**
   * Keep the latest values of `types` × `codes` in the hub's pool: they join the union as this
   * client's wishes and leave it on `unregisterInterests` or `cleanup()`. Rejects with
   * UNKNOWN_MARKET for a code Upbit does not list, CONFLICT for an orderbook `level` another
   * subscription holds on one of the codes (nothing registered then).
   */
  registerInterests(codes: readonly string[], types: readonly PoolType[], options?: InterestOptions): Promise<void> {
    if (!this.#data) return Promise.reject(new UpbitUsageError('this client has no hub data pool'));
    return this.#data.registerInterests(this.id, codes, types, options);
  }

  /** Drop interests (those of `codes` and/or `types`; all when both are omitted). */
  unregisterInterests(codes?: readonly string[], types?: readonly PoolType[]): void {
    this.#data?.unregisterInterests(this.id, codes, types);
  }

  /** The latest ticker of `code` (synchronous, allocates nothing), or undefined. */
  getTicker(code: string): Ticker | undefined {
    return this.#data?.pool.ticker(code);
  }

  /** The latest orderbook of `code` at `level`, cut to `depth` units with exact totals, or undefined. */
  getOrderbook(code: string, options?: { depth?: number; level?: number }): Orderbook | undefined {
    return this.#data?.pool.orderbook(code, options);
  }

  /** The latest ticker of each code that has one (allocates only the Map). */
  getMultipleTickers(codes: readonly string[]): Map<string, Ticker> {
    return this.#data ? this.#data.pool.tickers(codes) : new Map();
  }

  /** The last `n` trades of `code` kept in the pool, oldest first (at most the pool's trade history). */
  getTrades(code: string, n: number): Trade[] {
    return this.#data ? this.#data.pool.trades(code, n) : [];
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

  async #rest<T>(call: (data: NonNullable<ClientHooks['data']>, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.#data) throw new UpbitUsageError('this client has no hub REST side');
    return this.#data.snapshot((signal) => call(this.#data!, signal));
  }

  async #subscribe<T>(wish: Wish, cb: Callback<T> | undefined, options: SubscribeOptions): Promise<Subscription<T>> {
    const { type, ...rest } = wish;
    const sub = this.#component.subscribe({
      options: { ...rest, channel: type, id: options.id },
      callback: cb ? (cb as (msg: Stamped<unknown>) => unknown) : 'iterate',
      onError: options.onError,
      policy: options.policy,
    });
    // A live callback subscription keeps its client (and so its stream) alive; see the header.
    if (cb) sub.anchor(this);
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

function checkCodes(codes: readonly string[]): string[] {
  if (!Array.isArray(codes) || codes.length === 0) throw new UpbitValidationError('INVALID_CODE', 'give at least one market code');
  for (const c of codes) assertMarketCode(c);
  return [...codes];
}
