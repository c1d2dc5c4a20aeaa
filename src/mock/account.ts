/**
 * The simulated exchange account behind the private streams: balances per access key, orders, and
 * the myOrder/myAsset events their life produces, with exact Decimal arithmetic.
 *
 * How to read this file: `placeOrder` locks funds and emits `wait`; then each fill emits `trade`
 * (and the balance changes), and the last one `done`; `cancelOrder` emits `cancel` and unlocks.
 *
 *   placeOrder ─► myOrder wait + myAsset(lock) ─► [fill ─► myOrder trade + myAsset]×n ─► myOrder done (+ myAsset refund)
 *        └────────────── fills: 0 → rests in wait ─► fillOrder(uuid) … / cancelOrder(uuid) ─► myOrder cancel + myAsset
 *
 * Bid lock = price × volume + fee (limit) or funds + fee (`price`, market buy); ask lock = volume.
 * A fill of v at p moves p × v (+ fee on bids, − fee on asks) between quote and base. Fee rate per
 * quote currency (`feeRates`). Market-type orders fill at the simulated best ask/bid.
 */
import type { Decimal, MyAsset, MyOrder } from '../io/index.js';
import type { Market } from './market.js';
import { baseOf, quoteOf } from './market-data.js';
import { D, floorDp, ZERO } from './num.js';
import type { Dec } from './num.js';
import type { MockKey } from './options.js';
import type { Prng } from './prng.js';

export type OrderSide = 'bid' | 'ask';
export type OrdType = 'limit' | 'price' | 'market' | 'best';
export type SmpType = 'reduce' | 'cancel_maker' | 'cancel_taker' | 'none';

export interface PlaceOrder {
  /** @default the first configured key */
  readonly accessKey?: string;
  readonly code: string;
  readonly side: OrderSide;
  readonly ordType: OrdType;
  /** limit: unit price; price (market buy) and best bid: total funds. */
  readonly price?: string | number | Decimal;
  /** limit, market (market sell) and best ask: volume. */
  readonly volume?: string | number | Decimal;
  readonly identifier?: string;
  readonly timeInForce?: 'ioc' | 'fok' | 'post_only';
  /** Self-match prevention; `none` turns it off (added 2026-11-09). @default 'cancel_maker' (Upbit's default) */
  readonly smpType?: SmpType;
  /** Fills to split the order into right away; 0 leaves a limit order resting in `wait`. @default 1 */
  readonly fills?: number;
}

export interface MockOrder {
  readonly uuid: string;
  readonly accessKey: string;
  readonly code: string;
  readonly side: OrderSide;
  readonly ordType: OrdType;
  readonly price: Dec | null;
  readonly volume: Dec | null;
  state: 'wait' | 'done' | 'cancel';
  remainingVolume: Dec | null;
  executedVolume: Dec;
  executedFunds: Dec;
  readonly reservedFee: Dec;
  remainingFee: Dec;
  paidFee: Dec;
  locked: Dec;
  tradesCount: number;
  readonly identifier: string | null;
  readonly timeInForce: 'ioc' | 'fok' | 'post_only' | null;
  readonly smpType: SmpType;
  readonly createdAt: number;
}

export interface Balance {
  balance: Dec;
  locked: Dec;
  avgBuyPrice: Dec;
}

export type AccountEvent =
  | { readonly kind: 'myOrder'; readonly accessKey: string; readonly message: MyOrder }
  | { readonly kind: 'myAsset'; readonly accessKey: string; readonly message: MyAsset };

/** An order the exchange would refuse; `name` is Upbit's REST error name. */
export class MockOrderError extends Error {
  override readonly name = 'MockOrderError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface Fill {
  readonly uuid: string;
  readonly price: Dec;
  readonly volume: Dec;
  readonly fee: Dec;
  readonly isMaker: boolean;
  readonly ts: number;
}

const dec = (v: string | number | Decimal | undefined, what: string): Dec => {
  if (v === undefined) throw new MockOrderError('invalid_parameter', `${what} is required`);
  const d = new D(v as string);
  if (!d.isFinite() || d.lte(0)) throw new MockOrderError('invalid_parameter', `${what} must be > 0`);
  return d;
};

export class Accounts {
  private readonly wallets = new Map<string, Map<string, Balance>>();
  private readonly orders = new Map<string, MockOrder>();

  constructor(
    keys: readonly MockKey[],
    private readonly feeRates: Readonly<Record<string, string>>,
    private readonly market: Market,
    private readonly prng: Prng,
    private readonly publish: (e: AccountEvent) => void,
    defaults: Readonly<Record<string, string>>,
  ) {
    for (const k of keys) {
      const w = new Map<string, Balance>();
      for (const [cur, amount] of Object.entries(k.balances ?? defaults)) {
        w.set(cur, { balance: new D(amount), locked: ZERO, avgBuyPrice: ZERO });
      }
      this.wallets.set(k.accessKey, w);
    }
  }

  balances(accessKey: string): ReadonlyMap<string, Readonly<Balance>> {
    return this.wallet(accessKey);
  }
  order(uuid: string): MockOrder | undefined {
    return this.orders.get(uuid);
  }
  openOrders(accessKey: string): MockOrder[] {
    return [...this.orders.values()].filter((o) => o.accessKey === accessKey && o.state === 'wait');
  }
  /** Done and cancelled orders, oldest first. */
  closedOrders(accessKey: string): MockOrder[] {
    return [...this.orders.values()].filter((o) => o.accessKey === accessKey && o.state !== 'wait');
  }

  placeOrder(p: PlaceOrder): MockOrder {
    const accessKey = p.accessKey ?? this.wallets.keys().next().value!;
    const w = this.wallet(accessKey);
    if (!this.market.has(p.code)) throw new MockOrderError('market_does_not_exist', `unknown market ${p.code}`);
    const quote = quoteOf(p.code);
    const base = baseOf(p.code);
    const fee = new D(this.feeRates[quote] ?? '0.0025');
    const type = p.ordType === 'best' ? (p.side === 'bid' ? 'price' : 'market') : p.ordType;
    const fills = p.fills ?? 1;
    if (!Number.isInteger(fills) || fills < 0 || (fills === 0 && type !== 'limit')) {
      throw new MockOrderError('invalid_parameter', 'fills must be an integer >= 0 (0 only for limit orders)');
    }
    if ((type === 'price' && p.side !== 'bid') || (type === 'market' && p.side !== 'ask')) {
      throw new MockOrderError('invalid_parameter', `${p.ordType} orders are ${type === 'price' ? 'bid' : 'ask'} only`);
    }
    const price = type === 'market' ? null : dec(p.price, 'price');
    const volume = type === 'price' ? null : floorDp(dec(p.volume, 'volume'), 8);
    const funds = type === 'price' ? price! : type === 'limit' ? price!.mul(volume!) : ZERO;
    const reservedFee = funds.mul(fee);
    const locked = p.side === 'bid' ? funds.plus(reservedFee) : volume!;
    const lockCur = p.side === 'bid' ? quote : base;
    const have = w.get(lockCur)?.balance ?? ZERO;
    if (have.lt(locked)) throw new MockOrderError(`insufficient_funds_${p.side}`, `${lockCur} balance ${have} < ${locked}`);
    const order: MockOrder = {
      uuid: this.prng.uuid(),
      accessKey,
      code: p.code,
      side: p.side,
      ordType: p.ordType,
      price,
      volume,
      state: 'wait',
      remainingVolume: volume,
      executedVolume: ZERO,
      executedFunds: ZERO,
      reservedFee,
      remainingFee: reservedFee,
      paidFee: ZERO,
      locked,
      tradesCount: 0,
      identifier: p.identifier ?? null,
      timeInForce: p.timeInForce ?? null,
      smpType: p.smpType ?? 'cancel_maker',
      createdAt: this.market.now(),
    };
    this.orders.set(order.uuid, order);
    this.move(w, lockCur, locked.neg(), locked);
    this.emitOrder(order, undefined);
    this.emitAsset(accessKey, [lockCur]);
    if (fills === 0) return order;
    const at = type === 'limit' ? price! : p.side === 'bid' ? this.market.bestAsk(p.code) : this.market.bestBid(p.code);
    const total = type === 'price' ? floorDp(funds.div(at), 8) : volume!;
    for (let i = 0; i < fills; i++) {
      const v = i === fills - 1 ? total.minus(order.executedVolume) : floorDp(total.div(fills), 8);
      if (v.gt(0)) this.fill(order, v, at, false);
    }
    this.complete(order);
    return order;
  }

  /** Fill a resting order (maker): `volume` defaults to the rest, `price` to the order price. */
  fillOrder(uuid: string, f: { volume?: string | number | Decimal; price?: string | number | Decimal } = {}): MockOrder {
    const o = this.orders.get(uuid);
    if (!o || o.state !== 'wait') throw new MockOrderError('order_not_found', `no open order ${uuid}`);
    const v = f.volume === undefined ? o.remainingVolume! : floorDp(dec(f.volume, 'volume'), 8);
    if (v.gt(o.remainingVolume!)) throw new MockOrderError('invalid_parameter', 'fill volume exceeds the remaining volume');
    this.fill(o, v, f.price === undefined ? o.price! : dec(f.price, 'price'), true);
    if (o.remainingVolume!.isZero()) this.complete(o);
    return o;
  }

  cancelOrder(uuid: string): MockOrder {
    const o = this.orders.get(uuid);
    if (!o || o.state !== 'wait') throw new MockOrderError('order_not_found', `no open order ${uuid}`);
    const cur = o.side === 'bid' ? quoteOf(o.code) : baseOf(o.code);
    const w = this.wallet(o.accessKey);
    this.move(w, cur, o.locked, o.locked.neg());
    o.locked = ZERO;
    o.remainingFee = ZERO;
    o.state = 'cancel';
    this.emitOrder(o, undefined);
    this.emitAsset(o.accessKey, [cur]);
    return o;
  }

  private fill(o: MockOrder, v: Dec, p: Dec, isMaker: boolean): void {
    const quote = quoteOf(o.code);
    const base = baseOf(o.code);
    const w = this.wallet(o.accessKey);
    const funds = p.mul(v);
    const fee = funds.mul(new D(this.feeRates[quote] ?? '0.0025'));
    o.executedVolume = o.executedVolume.plus(v);
    if (o.remainingVolume) o.remainingVolume = o.remainingVolume.minus(v);
    o.executedFunds = o.executedFunds.plus(funds);
    o.paidFee = o.paidFee.plus(fee);
    o.remainingFee = D.max(o.reservedFee.minus(o.paidFee), ZERO);
    o.tradesCount++;
    if (o.side === 'bid') {
      const before = o.locked;
      o.locked = o.ordType === 'limit' ? o.remainingVolume!.mul(o.price!).plus(o.remainingFee) : before.minus(funds).minus(fee);
      const released = before.minus(o.locked);
      // locked funds that the fill did not spend (a better price) go back to the balance
      this.move(w, quote, released.minus(funds).minus(fee), released.neg());
      const b = w.get(base) ?? { balance: ZERO, locked: ZERO, avgBuyPrice: ZERO };
      const held = b.balance.plus(b.locked);
      b.avgBuyPrice = held.times(b.avgBuyPrice).plus(funds).div(held.plus(v)).toDecimalPlaces(8);
      w.set(base, b);
      this.move(w, base, v, ZERO);
    } else {
      o.locked = o.locked.minus(v);
      this.move(w, base, ZERO, v.neg());
      this.move(w, quote, funds.minus(fee), ZERO);
    }
    const f: Fill = { uuid: this.prng.uuid(), price: p, volume: v, fee, isMaker, ts: this.market.now() };
    this.emitOrder(o, f);
    this.emitAsset(o.accessKey, [quote, base]);
  }

  /** All filled (or a market order spent): refund what stays locked, emit `done`. */
  private complete(o: MockOrder): void {
    const cur = o.side === 'bid' ? quoteOf(o.code) : baseOf(o.code);
    const refund = o.locked;
    o.locked = ZERO;
    o.remainingFee = ZERO;
    o.state = 'done';
    if (!refund.isZero()) this.move(this.wallet(o.accessKey), cur, refund, refund.neg());
    this.emitOrder(o, undefined);
    if (!refund.isZero()) this.emitAsset(o.accessKey, [cur]);
  }

  private wallet(accessKey: string): Map<string, Balance> {
    const w = this.wallets.get(accessKey);
    if (!w) throw new MockOrderError('invalid_access_key', `unknown access key ${accessKey}`);
    return w;
  }

  private move(w: Map<string, Balance>, cur: string, dBalance: Dec, dLocked: Dec): void {
    const b = w.get(cur) ?? { balance: ZERO, locked: ZERO, avgBuyPrice: ZERO };
    b.balance = b.balance.plus(dBalance);
    b.locked = b.locked.plus(dLocked);
    w.set(cur, b);
  }

  private emitOrder(o: MockOrder, f: Fill | undefined): void {
    this.publish({ kind: 'myOrder', accessKey: o.accessKey, message: this.orderMessage(o, f) });
  }

  /** The myOrder message for the order's current state (a `trade` event when `f` is given). */
  orderMessage(o: MockOrder, f?: Fill): MyOrder {
    const t = this.market.now();
    return {
      type: 'myOrder',
      code: o.code,
      uuid: o.uuid,
      askBid: o.side === 'bid' ? 'BID' : 'ASK',
      orderType: o.ordType,
      state: f ? 'trade' : o.state,
      tradeUuid: f?.uuid ?? null,
      price: f ? f.price : o.price,
      avgPrice: o.executedVolume.isZero() ? ZERO : o.executedFunds.div(o.executedVolume).toDecimalPlaces(8),
      volume: f ? f.volume : o.volume,
      remainingVolume: o.remainingVolume,
      executedVolume: o.executedVolume,
      tradesCount: o.tradesCount,
      reservedFee: o.reservedFee,
      remainingFee: o.remainingFee,
      paidFee: o.paidFee,
      locked: o.locked,
      executedFunds: o.executedFunds,
      timeInForce: o.timeInForce,
      tradeFee: f?.fee ?? null,
      isMaker: f ? f.isMaker : null,
      identifier: o.identifier,
      smpType: o.smpType,
      preventedVolume: null,
      preventedLocked: ZERO,
      tradeTimestamp: f?.ts ?? null,
      orderTimestamp: o.createdAt,
      timestamp: t,
      streamType: 'REALTIME',
    };
  }

  private emitAsset(accessKey: string, currencies: readonly string[]): void {
    const w = this.wallet(accessKey);
    const t = this.market.now();
    const message: MyAsset = {
      type: 'myAsset',
      assetUuid: this.prng.uuid(),
      assets: [...new Set(currencies)].map((c) => {
        const b = w.get(c) ?? { balance: ZERO, locked: ZERO };
        return { currency: c, balance: b.balance, locked: b.locked };
      }),
      assetTimestamp: t,
      timestamp: t,
      streamType: 'REALTIME',
    };
    this.publish({ kind: 'myAsset', accessKey, message });
  }
}
