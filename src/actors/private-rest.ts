/**
 * The private REST shapes the reconciler reads (`/v1/orders/open`, `/v1/orders/closed`,
 * `/v1/orders/uuids`, `/v1/accounts`: every number a string), the narrow `PrivateRest` interface
 * the REST client implements, and their mapping to the socket's myOrder / myAsset event shapes
 * with exact Decimals (reconcile.ts uses it; so may a REST snapshot API).
 *
 * How to read: the shapes, then `orderFromRest` (its comment is the field-by-field mapping), then
 * `assetFromRest`. Pure functions: no timers, no I/O. A value that cannot be read exactly (a JS
 * number, an unknown enum) is an `UpbitDecodeError` with code `DECODE_FIELD`.
 */
import { MY_ORDER, UpbitDecodeError, toDecimal, type Asset, type Decimal, type MyAsset, type MyOrder } from '../io/index.js';

// ─── REST shapes (exchange API: every number is a string) ──────────────────────────────────────

/** An order as `/v1/orders/open`, `/v1/orders/closed` and `/v1/orders/uuids` answer it. */
export interface RestOrder {
  readonly uuid: string;
  readonly side: string; // 'bid' | 'ask'
  readonly ord_type: string; // 'limit' | 'price' | 'market' | 'best'
  readonly price?: string | null;
  readonly state: string; // 'wait' | 'watch' | 'done' | 'cancel' (| 'prevented')
  readonly market: string;
  readonly created_at: string; // ISO 8601 with offset
  readonly volume?: string | null;
  readonly remaining_volume?: string | null;
  readonly reserved_fee?: string | null;
  readonly remaining_fee?: string | null;
  readonly paid_fee?: string | null;
  readonly locked?: string | null;
  readonly executed_volume?: string | null;
  readonly executed_funds?: string | null;
  readonly trades_count?: number | null;
  readonly time_in_force?: string | null;
  readonly identifier?: string | null;
  readonly smp_type?: string | null;
  readonly prevented_volume?: string | null;
  readonly prevented_locked?: string | null;
}

/** One row of `/v1/accounts`. */
export interface RestAccount {
  readonly currency: string;
  readonly balance: string;
  readonly locked: string;
  readonly avg_buy_price?: string;
  readonly unit_currency?: string;
}

/** The signed REST calls the reconciler needs (the REST client implements them; tests use fakes). */
export interface PrivateRest {
  accounts(signal?: AbortSignal): Promise<readonly RestAccount[]>;
  /** Orders in `wait` or `watch`. */
  openOrders(signal?: AbortSignal): Promise<readonly RestOrder[]>;
  /** Orders done or cancelled since `since` (Unix ms). */
  closedOrders(query: { readonly since: number }, signal?: AbortSignal): Promise<readonly RestOrder[]>;
  /** Optional: orders by uuid (`/v1/orders/uuids`), to learn the fate of a known open order the two lists above no longer show. */
  ordersByUuid?(uuids: readonly string[], signal?: AbortSignal): Promise<readonly RestOrder[]>;
}

export type RestMyOrder = MyOrder & { readonly source: 'rest' };
export type RestMyAsset = MyAsset & { readonly source: 'rest' };
export type RestPrivateEvent = RestMyOrder | RestMyAsset;

// ─── mapping (REST → the socket's event shapes, exact Decimals) ─────────────────────────────────

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const valuesOf = (wire: string) => (MY_ORDER.find((r) => r.wire === wire)!.kind as { values: readonly string[] }).values;
const ORDER_TYPES = valuesOf('order_type');
const STATES = valuesOf('state');
const TIME_IN_FORCE = valuesOf('time_in_force');

function bad(what: string, value: unknown): never {
  throw new UpbitDecodeError('DECODE_FIELD', `REST ${what}: unexpected value ${JSON.stringify(value)}`);
}
/** A decimal string to an exact Decimal; a JS number (already through a double) is refused. */
function dec(what: string, v: unknown): Decimal {
  return typeof v === 'string' && NUMBER.test(v) ? toDecimal(v) : bad(what, v);
}
function decOrNull(what: string, v: unknown): Decimal | null {
  return v === null || v === undefined ? null : dec(what, v);
}
function oneOf<T extends string>(what: string, v: unknown, values: readonly string[]): T {
  return typeof v === 'string' && values.includes(v) ? (v as T) : bad(what, v);
}

/**
 * A REST order as a myOrder event. The mapping (REST → socket field):
 *   market → code · side bid/ask → askBid BID/ASK · ord_type → orderType · state → state (never
 *   `trade`) · price, volume, remaining_volume, executed_volume, executed_funds, reserved_fee,
 *   remaining_fee, paid_fee, locked, prevented_volume, prevented_locked → same names, exact
 *   Decimals from the strings · trades_count → tradesCount · time_in_force, identifier, smp_type →
 *   same (null when absent) · created_at (ISO) → orderTimestamp (ms).
 *   Not in the REST lists, so null: tradeUuid, tradeFee, isMaker, tradeTimestamp, avgPrice (REST
 *   gives no average; executedFunds / executedVolume is the caller's to compute and round).
 *   timestamp: when the reconciler built the event. streamType: 'REALTIME' (it is live news, not a
 *   subscription snapshot; snapshot-only routes would drop it otherwise). source: 'rest'.
 */
export function orderFromRest(o: RestOrder, now: number): RestMyOrder {
  if (typeof o.uuid !== 'string' || !o.uuid) bad('order uuid', o.uuid);
  if (typeof o.market !== 'string') bad('order market', o.market);
  const orderTimestamp = typeof o.created_at === 'string' ? Date.parse(o.created_at) : NaN;
  if (Number.isNaN(orderTimestamp)) bad('order created_at', o.created_at);
  const tc = o.trades_count;
  if (tc !== undefined && tc !== null && !Number.isInteger(tc)) bad('order trades_count', tc);
  return Object.freeze({
    type: 'myOrder',
    code: o.market,
    uuid: o.uuid,
    askBid: o.side === 'bid' ? 'BID' : o.side === 'ask' ? 'ASK' : bad('order side', o.side),
    orderType: oneOf<MyOrder['orderType']>('order ord_type', o.ord_type, ORDER_TYPES),
    state: o.state === 'trade' ? bad('order state', o.state) : oneOf<MyOrder['state']>('order state', o.state, STATES),
    tradeUuid: null,
    price: decOrNull('order price', o.price),
    avgPrice: null,
    volume: decOrNull('order volume', o.volume),
    remainingVolume: decOrNull('order remaining_volume', o.remaining_volume),
    executedVolume: decOrNull('order executed_volume', o.executed_volume),
    tradesCount: tc ?? null,
    reservedFee: decOrNull('order reserved_fee', o.reserved_fee),
    remainingFee: decOrNull('order remaining_fee', o.remaining_fee),
    paidFee: decOrNull('order paid_fee', o.paid_fee),
    locked: decOrNull('order locked', o.locked),
    executedFunds: decOrNull('order executed_funds', o.executed_funds),
    timeInForce: o.time_in_force == null ? null : oneOf<NonNullable<MyOrder['timeInForce']>>('order time_in_force', o.time_in_force, TIME_IN_FORCE),
    tradeFee: null,
    isMaker: null,
    identifier: o.identifier ?? null,
    // Passed through as sent: Upbit added `none` (issue 9 part 7) before the field table knew it.
    smpType: (o.smp_type ?? null) as MyOrder['smpType'],
    preventedVolume: decOrNull('order prevented_volume', o.prevented_volume),
    preventedLocked: decOrNull('order prevented_locked', o.prevented_locked),
    tradeTimestamp: null,
    orderTimestamp,
    timestamp: now,
    streamType: 'REALTIME',
    source: 'rest',
  });
}

/** One `/v1/accounts` row as a myAsset entry: currency, balance, locked (avg_buy_price has no socket field). */
export function assetFromRest(a: RestAccount): Asset {
  if (typeof a.currency !== 'string' || !a.currency) bad('account currency', a.currency);
  return Object.freeze({ currency: a.currency, balance: dec('account balance', a.balance), locked: dec('account locked', a.locked) });
}
