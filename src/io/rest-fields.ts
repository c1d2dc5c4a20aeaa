/**
 * REST row tables, derived from the one field table (fields.ts) — no socket field name is written
 * again here.
 *
 * How to read this file: a REST object is a socket table minus the rows REST does not send
 * (`without`), with the `code` row read from REST's key `market` (`asMarket`: same name, same
 * kind, so REST events also have `code`), plus the few keys only REST has (`field(...)` below:
 * `trade_date_kst`, `unit`, `side`, ...). The decoder (rest-decode.ts) reads the `wire` key of each
 * row; decimals are exact and may come as JSON numbers (quotation) or strings (exchange, §6.2).
 *
 * Sources: ../shared/upbit-protocol.md §9 (quotation), Upbit's exchange API for accounts/orders.
 */
import type { Decimal } from 'decimal.js';
import {
  ASSET,
  BOOLEAN,
  CANDLE,
  DECIMAL,
  field,
  INTEGER,
  MY_ORDER,
  nullable,
  oneOf,
  ORDERBOOK,
  STRING,
  STRINGS,
  TICKER,
  TRADE,
  type Kind,
  type Row,
  type Shape,
  type Table,
} from './fields.js';

type NameOf<T extends Table> = T[number]['name'];

/** The rows of `table` without the named ones (names are checked against the table). */
function without<const T extends Table, const N extends NameOf<T>>(table: T, names: readonly N[]): Exclude<T[number], { name: N }>[] {
  return table.filter((r) => !(names as readonly string[]).includes(r.name)) as Exclude<T[number], { name: N }>[];
}

/** One row of `table`, by name. */
function rowOf<const T extends Table, const N extends NameOf<T>>(table: T, name: N): Extract<T[number], { name: N }> {
  return table.find((r) => r.name === name) as Extract<T[number], { name: N }>;
}

/** A row read from another key: REST sends the pair as `market` where the socket sends `code`. */
function rekey<R extends Row>(row: R, wire: string): R {
  return { ...row, wire, simple: wire } as R;
}

/** A row that REST may omit or send as null. */
function optional<R extends Row>(row: R): Omit<R, 'kind'> & { readonly kind: Omit<R['kind'], 'nullable'> & { readonly nullable: true } } {
  return { ...row, kind: nullable(row.kind as Kind) } as never;
}

/** The pair, under REST's key `market`, decoded as `code` like on the socket. */
const MARKET = rekey(rowOf(TICKER, 'code'), 'market');

// ─── quotation (§9) ─────────────────────────────────────────────────────────────────────────────

/** §9.1 `/v1/market/all`. `market_event` (with `is_details=true`) is read by rest.ts. */
export const REST_MARKET = [MARKET, field('korean_name', 'korean_name', STRING), field('english_name', 'english_name', STRING)] as const;

/** §9.2 `/v1/ticker`: the socket ticker without its WS-only rows, plus the KST date and time. */
export const REST_TICKER = [
  MARKET,
  ...without(TICKER, [
    'type',
    'code',
    'askBid',
    'accAskVolume',
    'accBidVolume',
    'marketState',
    'isTradingSuspended',
    'delistingDate',
    'marketWarning',
    'streamType',
  ]),
  field('trade_date_kst', 'trade_date_kst', STRING),
  field('trade_time_kst', 'trade_time_kst', STRING),
] as const;

/** §9.3 `/v1/orderbook`. */
export const REST_ORDERBOOK = [MARKET, ...without(ORDERBOOK, ['type', 'code', 'streamType'])] as const;

/** `/v1/orderbook/instruments`: tick size and the `level`s the pair supports (strings on the wire). */
export const REST_INSTRUMENT = [
  MARKET,
  field('quote_currency', 'quote_currency', STRING),
  field('tick_size', 'tick_size', DECIMAL),
  field('supported_levels', 'supported_levels', STRINGS),
] as const;

/** §9.4 `/v1/trades/ticks`: `timestamp` is the trade's time; no `change`, no best bid/ask. */
export const REST_TRADE = [
  MARKET,
  field('trade_date_utc', 'trade_date_utc', STRING),
  field('trade_time_utc', 'trade_time_utc', STRING),
  ...without(TRADE, [
    'type',
    'code',
    'change',
    'tradeDate',
    'tradeTime',
    'tradeTimestamp',
    'bestAskPrice',
    'bestAskSize',
    'bestBidPrice',
    'bestBidSize',
    'streamType',
  ]),
] as const;

/**
 * §9.5 candles, every unit in one table: `timestamp` is the candle's last tick; `unit` (minutes),
 * the change rows (days) and `first_day_of_period` (weeks, months, years) are null elsewhere.
 */
export const REST_CANDLE = [
  MARKET,
  ...without(CANDLE, ['type', 'code', 'streamType']),
  optional(rowOf(TICKER, 'prevClosingPrice')),
  optional(rowOf(TICKER, 'changePrice')),
  optional(rowOf(TICKER, 'changeRate')),
  field('converted_trade_price', 'converted_trade_price', nullable(DECIMAL)),
  field('unit', 'unit', nullable(INTEGER)),
  field('first_day_of_period', 'first_day_of_period', nullable(STRING)),
] as const;

// ─── exchange (signed) ──────────────────────────────────────────────────────────────────────────

/** `GET /v1/accounts`: one currency of the account (decimals as strings on the wire). */
export const REST_ACCOUNT = [
  ...ASSET,
  field('avg_buy_price', 'avg_buy_price', DECIMAL),
  field('avg_buy_price_modified', 'avg_buy_price_modified', BOOLEAN),
  field('unit_currency', 'unit_currency', STRING),
] as const;

/** `GET /v1/orders/open`, `/v1/orders/closed`: one order, its amounts as of the call. */
export const REST_ORDER = [
  ...without(MY_ORDER, [
    'type',
    'code',
    'askBid',
    'orderType',
    'tradeUuid',
    'avgPrice',
    'tradeFee',
    'isMaker',
    'tradeTimestamp',
    'orderTimestamp',
    'timestamp',
    'streamType',
  ]),
  MARKET,
  field('side', 'side', oneOf('ask', 'bid')),
  field('ord_type', 'ord_type', oneOf('limit', 'price', 'market', 'best')),
  field('created_at', 'created_at', STRING),
] as const;

// ─── types ──────────────────────────────────────────────────────────────────────────────────────

/** The caution flags of `market_event` (§9.1); unknown future flags pass through. */
export interface MarketEvent {
  readonly warning: boolean;
  readonly caution: {
    readonly PRICE_FLUCTUATIONS?: boolean;
    readonly TRADING_VOLUME_SOARING?: boolean;
    readonly DEPOSIT_AMOUNT_SOARING?: boolean;
    readonly GLOBAL_PRICE_DIFFERENCES?: boolean;
    readonly CONCENTRATION_OF_SMALL_ACCOUNTS?: boolean;
    readonly [flag: string]: boolean | undefined;
  };
}

export type RestMarket = Shape<typeof REST_MARKET> & {
  /** Only with `isDetails: true`. */
  readonly marketEvent?: MarketEvent;
};
export type RestTicker = Shape<typeof REST_TICKER>;
export type RestOrderbook = Shape<typeof REST_ORDERBOOK>;
export type RestOrderbookInstrument = Omit<Shape<typeof REST_INSTRUMENT>, 'supportedLevels'> & {
  /** The `level` values `/v1/orderbook` accepts for this pair, exact. */
  readonly supportedLevels: readonly Decimal[];
};
export type RestTrade = Shape<typeof REST_TRADE>;
export type RestCandle = Shape<typeof REST_CANDLE>;
export type RestAccount = Shape<typeof REST_ACCOUNT>;
export type RestOrder = Shape<typeof REST_ORDER>;
