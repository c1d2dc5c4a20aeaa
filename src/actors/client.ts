/**
 * `hub.client(name)`: the friendly facade. Each client is ONE component actor; each
 * `subscribeX(...)` is a thin layer that validates the wish, sends SUBSCRIBE to that actor and
 * filters the component's deliveries down to the codes this subscription asked for.
 *
 *   const client = hub.client('my-app');
 *   const sub = await client.subscribeTicker(['KRW-BTC'], (t) => console.log(t.tradePrice.toString()));
 *   await sub.unsubscribe();
 *   await client.cleanup();            // or: await using client = hub.client('x')
 */
import {
  validateWish,
  type Candle,
  type CandleUnit,
  type DataType,
  type MyAsset,
  type MyOrder,
  type Orderbook,
  type OrderbookDepth,
  type StreamPreference,
  type Ticker,
  type Trade,
  type Announcement,
  type UpbitError,
  type Wish,
} from '../io/index.js';
import type { ComponentRef } from './component.js';
import type { Stamped } from './router.js';

export interface Subscription {
  /** The wish this subscription added (validated). */
  readonly wish: Wish;
  /** Stop receiving; the merged request shrinks when no one else wants these codes. */
  unsubscribe(): Promise<void>;
}

export interface SubscribeOptions {
  /** @default 'both' */
  readonly stream?: StreamPreference;
  /** Errors about this subscription (bad code, server refusal, auth failure). */
  readonly onError?: (error: UpbitError) => void;
}

export interface OrderbookOptions extends SubscribeOptions {
  /** Units per side: 1, 5, 15 or 30. @default 30 */
  readonly depth?: OrderbookDepth;
  /** Price aggregation unit (KRW markets only). @default 0 */
  readonly level?: number;
}

type Callback<T> = (event: Stamped<T>) => void;

export class UpbitClient implements AsyncDisposable {
  private readonly subs = new Set<{ unsubscribe(): Promise<void> }>();
  /** How many live subscriptions hold each `type|code` (`type|*` for wishes without codes). */
  private readonly held = new Map<string, number>();

  private keys(wish: Wish): string[] {
    return wish.codes && wish.codes.length > 0 ? wish.codes.map((c) => `${wish.type}|${c}`) : [`${wish.type}|*`];
  }
  private hold(wish: Wish): void {
    for (const k of this.keys(wish)) this.held.set(k, (this.held.get(k) ?? 0) + 1);
  }
  /** Release a wish; returns the codes (or 'all') no other subscription holds. */
  private release(wish: Wish): string[] | 'all' {
    const gone: string[] = [];
    for (const k of this.keys(wish)) {
      const n = (this.held.get(k) ?? 1) - 1;
      if (n > 0) this.held.set(k, n);
      else {
        this.held.delete(k);
        gone.push(k.slice(k.indexOf('|') + 1));
      }
    }
    if (gone.length === 1 && gone[0] === '*') return 'all';
    return gone.filter((c) => c !== '*');
  }

  constructor(readonly component: ComponentRef) {}

  get id(): string {
    return this.component.id;
  }

  subscribeTicker(codes: readonly string[], cb: Callback<Ticker>, options: SubscribeOptions = {}): Promise<Subscription> {
    return this.subscribe({ type: 'ticker', codes, stream: options.stream }, cb as Callback<unknown>, options);
  }

  subscribeTrade(codes: readonly string[], cb: Callback<Trade>, options: SubscribeOptions = {}): Promise<Subscription> {
    return this.subscribe({ type: 'trade', codes, stream: options.stream }, cb as Callback<unknown>, options);
  }

  subscribeOrderbook(codes: readonly string[], cb: Callback<Orderbook>, options: OrderbookOptions = {}): Promise<Subscription> {
    const wish: Wish = { type: 'orderbook', codes, stream: options.stream, depth: options.depth, level: options.level };
    return this.subscribe(wish, cb as Callback<unknown>, options);
  }

  subscribeCandle(
    unit: CandleUnit,
    codes: readonly string[],
    cb: Callback<Candle>,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.subscribe({ type: `candle.${unit}` as DataType, codes, stream: options.stream }, cb as Callback<unknown>, options);
  }

  /** Your orders' lifecycle; no codes = every market. */
  subscribeMyOrder(codes: readonly string[] | undefined, cb: Callback<MyOrder>, options: SubscribeOptions = {}): Promise<Subscription> {
    return this.subscribe({ type: 'myOrder', codes: codes ?? [] }, cb as Callback<unknown>, options);
  }

  subscribeMyAsset(cb: Callback<MyAsset>, options: SubscribeOptions = {}): Promise<Subscription> {
    return this.subscribe({ type: 'myAsset' }, cb as Callback<unknown>, options);
  }

  subscribeAnnouncement(
    cb: Callback<Announcement>,
    options: SubscribeOptions & { categories?: string[]; includeBody?: boolean } = {},
  ): Promise<Subscription> {
    const wish: Wish = { type: 'announcement', categories: options.categories, includeBody: options.includeBody };
    return this.subscribe(wish, cb as Callback<unknown>, options);
  }

  /** Unsubscribe everything and stop the component actor. */
  async cleanup(): Promise<void> {
    for (const s of [...this.subs]) await s.unsubscribe();
    await this.component.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.cleanup();
  }

  private async subscribe(raw: Wish, cb: Callback<unknown>, options: SubscribeOptions): Promise<Subscription> {
    const wish = stripUndefined(raw);
    validateWish(wish); // throws UpbitValidationError to the caller: a bad code never reaches the wire
    const codes = wish.codes && wish.codes.length > 0 ? new Set(wish.codes.map((c) => c.split('.')[0])) : undefined;
    const offData = this.component.on(wish.type, (event) => {
      const code = (event as { code?: string }).code;
      if (codes && code !== undefined && !codes.has(code)) return;
      cb(event);
    });
    const offError = options.onError ? this.component.onError(options.onError, wish) : () => {};
    let done = false;
    const sub: Subscription = {
      wish,
      unsubscribe: async () => {
        if (done) return;
        done = true;
        offData();
        offError();
        this.subs.delete(sub);
        // Several subscriptions of this client may share a code: only codes nobody holds any more leave.
        const gone = this.release(wish);
        if (gone === 'all') this.component.send({ type: 'UNSUBSCRIBE', channel: wish.type });
        else if (gone.length > 0) this.component.send({ type: 'UNSUBSCRIBE', channel: wish.type, codes: gone });
      },
    };
    this.subs.add(sub);
    this.hold(wish);
    const { type: channel, ...wishOptions } = wish;
    this.component.send({ type: 'SUBSCRIBE', channel, ...wishOptions });
    return sub;
  }
}

function stripUndefined(w: Wish): Wish {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(w)) if (v !== undefined) out[k] = v;
  return out as unknown as Wish;
}
