/**
 * `GatewayClient`: what `connectGateway(...).client(id)` returns. The same subscribeX signatures
 * as the hub's `UpbitClient` (src/actors/client.ts), served from the gateway's JetStream subjects:
 *
 *   const client = gw.client('chart');
 *   const sub = await client.subscribeOrderbook(['KRW-BTC'], (book) => draw(book), { depth: 5 });
 *   await sub.unsubscribe();
 *   await client.cleanup();   // or: await using client = gw.client('chart')
 *
 * Validation happens here, before anything is sent: a bad code throws `UpbitValidationError`.
 */
import {
  validateWish,
  type Candle,
  type CandleUnit,
  type DataType,
  type MyAsset,
  type MyOrder,
  type Orderbook,
  type OrderbookOptions,
  type Stamped,
  type SubscribeOptions,
  type Ticker,
  type Trade,
  type Announcement,
  type UpbitError,
  type Wish,
} from '../index.js';
import type { ClientHost } from './consumer.js';
import { Local, type Event } from './reader.js';

type Callback<T> = (event: Stamped<T>) => void;

export interface GatewaySubscription {
  readonly wish: Wish;
  unsubscribe(): Promise<void>;
}

export class GatewayClient implements AsyncDisposable {
  private readonly subs = new Set<GatewaySubscription>();
  private readonly errorListeners = new Set<(error: UpbitError) => void>();
  private done = false;

  constructor(
    readonly id: string,
    private readonly host: ClientHost,
  ) {}

  subscribeTicker(codes: readonly string[], cb: Callback<Ticker>, options: SubscribeOptions = {}): Promise<GatewaySubscription> {
    return this.subscribe({ type: 'ticker', codes, stream: options.stream }, cb, options);
  }

  subscribeTrade(codes: readonly string[], cb: Callback<Trade>, options: SubscribeOptions = {}): Promise<GatewaySubscription> {
    return this.subscribe({ type: 'trade', codes, stream: options.stream }, cb, options);
  }

  /** The gateway publishes the deepest book anyone wants; `depth` is cut here. */
  subscribeOrderbook(codes: readonly string[], cb: Callback<Orderbook>, options: OrderbookOptions = {}): Promise<GatewaySubscription> {
    return this.subscribe({ type: 'orderbook', codes, stream: options.stream, depth: options.depth, level: options.level }, cb, options);
  }

  subscribeCandle(unit: CandleUnit, codes: readonly string[], cb: Callback<Candle>, options: SubscribeOptions = {}): Promise<GatewaySubscription> {
    return this.subscribe({ type: `candle.${unit}` as DataType, codes, stream: options.stream }, cb, options);
  }

  subscribeMyOrder(codes: readonly string[] | undefined, cb: Callback<MyOrder>, options: SubscribeOptions = {}): Promise<GatewaySubscription> {
    return this.subscribe({ type: 'myOrder', codes: codes ?? [] }, cb, options);
  }

  subscribeMyAsset(cb: Callback<MyAsset>, options: SubscribeOptions = {}): Promise<GatewaySubscription> {
    return this.subscribe({ type: 'myAsset' }, cb, options);
  }

  subscribeAnnouncement(
    cb: Callback<Announcement>,
    options: SubscribeOptions & { categories?: string[]; includeBody?: boolean } = {},
  ): Promise<GatewaySubscription> {
    return this.subscribe({ type: 'announcement', categories: options.categories, includeBody: options.includeBody }, cb, options);
  }

  /** Errors of this client's subscriptions that have no `onError` of their own. */
  onError(fn: (error: UpbitError) => void): () => void {
    this.errorListeners.add(fn);
    return () => this.errorListeners.delete(fn);
  }

  async cleanup(): Promise<void> {
    for (const s of [...this.subs]) await s.unsubscribe();
    this.done = true;
    this.host.releaseClient(this.id);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.cleanup();
  }

  private fallback = (error: UpbitError) => {
    if (this.errorListeners.size === 0) return this.host.report(error);
    for (const fn of [...this.errorListeners]) {
      try {
        fn(error);
      } catch {
        // ignore
      }
    }
  };

  private async subscribe<T>(raw: Wish, cb: Callback<T>, options: SubscribeOptions): Promise<GatewaySubscription> {
    if (this.done) throw new TypeError(`client ${this.id} was cleaned up`);
    const wish = stripUndefined(raw);
    validateWish(wish); // throws UpbitValidationError to the caller: nothing reaches the gateway
    const local = new Local(wish, cb as unknown as (e: Event) => void, options.onError, this.fallback);
    let gone = false;
    const sub: GatewaySubscription = {
      wish,
      unsubscribe: async () => {
        if (gone) return;
        gone = true;
        this.subs.delete(sub);
        this.host.remove(this.id, local);
      },
    };
    this.subs.add(sub);
    await this.host.add(this.id, local);
    return sub;
  }
}

function stripUndefined(w: Wish): Wish {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(w)) if (v !== undefined) out[k] = v;
  return out as unknown as Wish;
}
