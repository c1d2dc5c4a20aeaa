/**
 * The one field table for every Upbit WebSocket message kind.
 *
 * How to read this file: each message kind is a list of rows `field(DEFAULT, SIMPLE, kind)`. The
 * camelCase name users see is derived from the DEFAULT name (`acc_trade_price_24h` →
 * `accTradePrice24h`), both at run time (`camelCase`) and at the type level (`CamelCase<>`), so no
 * field name is written twice. The decoder, the encoder and the TypeScript event types
 * (`UpbitMessage`, below) are all generated from these rows.
 *
 * Source of truth: ../shared/upbit-protocol.md §3 (mirrored in docs/protocol.md).
 */
import type { Decimal } from 'decimal.js';

// ─── kinds ──────────────────────────────────────────────────────────────────────────────────────

/** A JSON value kind and what it decodes to. `nullable` rows decode a JSON null or an absent key to `null`. */
export type Kind =
  | { readonly t: 'decimal'; readonly nullable: boolean } // Decimal, from the number's source text
  | { readonly t: 'integer'; readonly nullable: boolean } // number, a JSON integer within 2^53
  | { readonly t: 'timestamp'; readonly nullable: boolean } // number, Unix milliseconds
  | { readonly t: 'int64'; readonly nullable: boolean } // string of digits: a Long that may exceed 2^53
  | { readonly t: 'string'; readonly nullable: boolean }
  | { readonly t: 'id'; readonly nullable: boolean } // string; a JSON integer is accepted and kept as its digit string
  | { readonly t: 'enum'; readonly nullable: boolean; readonly values: readonly string[] }
  | { readonly t: 'boolean'; readonly nullable: boolean }
  | { readonly t: 'strings'; readonly nullable: boolean } // a list of strings
  | { readonly t: 'list'; readonly nullable: boolean; readonly of: Table }; // a list of objects

const kind = <T extends Kind['t']>(t: T) => ({ t, nullable: false }) as const;
export const DECIMAL = kind('decimal');
export const INTEGER = kind('integer');
export const TIMESTAMP = kind('timestamp');
export const INT64 = kind('int64');
export const STRING = kind('string');
export const ID = kind('id');
export const BOOLEAN = kind('boolean');
export const STRINGS = kind('strings');
export const oneOf = <const V extends readonly string[]>(...values: V) =>
  ({ t: 'enum', nullable: false, values }) as const;
export const listOf = <const T extends Table>(of: T) => ({ t: 'list', nullable: false, of }) as const;
export const nullable = <const K extends Kind>(k: K) =>
  ({ ...k, nullable: true }) as unknown as Omit<K, 'nullable'> & { readonly nullable: true };

// ─── rows and tables ────────────────────────────────────────────────────────────────────────────

export interface Row<D extends string = string, S extends string = string, K extends Kind = Kind> {
  /** DEFAULT-format key, e.g. `acc_trade_price_24h`. */
  readonly wire: D;
  /** SIMPLE-format key, e.g. `atp24h`. */
  readonly simple: S;
  /** camelCase name on decoded messages, e.g. `accTradePrice24h`. */
  readonly name: CamelCase<D>;
  readonly kind: K;
}
export type Table = readonly Row[];

export type CamelCase<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

export function camelCase<S extends string>(s: S): CamelCase<S> {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as CamelCase<S>;
}

export function field<const D extends string, const S extends string, const K extends Kind>(
  wire: D,
  simple: S,
  k: K,
): Row<D, S, K> {
  return { wire, simple, name: camelCase(wire), kind: k };
}

// ─── shared enumerations ────────────────────────────────────────────────────────────────────────

const STREAM_TYPE = oneOf('SNAPSHOT', 'REALTIME');
const CHANGE = oneOf('RISE', 'EVEN', 'FALL');
const ASK_BID = oneOf('ASK', 'BID');

export const CANDLE_UNITS = ['1s', '1m', '3m', '5m', '10m', '15m', '30m', '60m', '240m'] as const;
export type CandleUnit = (typeof CANDLE_UNITS)[number];
export type CandleType = `candle.${CandleUnit}`;
export const CANDLE_TYPES = CANDLE_UNITS.map((u) => `candle.${u}` as CandleType);

// ─── the tables (../shared/upbit-protocol.md §3) ────────────────────────────────────────────────

/** §3.1 ticker. Deprecated `is_trading_suspended`, `market_warning` and the rarely set `delisting_date` are nullable: they may be absent. */
export const TICKER = [
  field('type', 'ty', oneOf('ticker')),
  field('code', 'cd', STRING),
  field('opening_price', 'op', DECIMAL),
  field('high_price', 'hp', DECIMAL),
  field('low_price', 'lp', DECIMAL),
  field('trade_price', 'tp', DECIMAL),
  field('prev_closing_price', 'pcp', DECIMAL),
  field('change', 'c', CHANGE),
  field('change_price', 'cp', DECIMAL),
  field('signed_change_price', 'scp', DECIMAL),
  field('change_rate', 'cr', DECIMAL),
  field('signed_change_rate', 'scr', DECIMAL),
  field('trade_volume', 'tv', DECIMAL),
  field('acc_trade_volume', 'atv', DECIMAL),
  field('acc_trade_volume_24h', 'atv24h', DECIMAL),
  field('acc_trade_price', 'atp', DECIMAL),
  field('acc_trade_price_24h', 'atp24h', DECIMAL),
  field('trade_date', 'tdt', STRING),
  field('trade_time', 'ttm', STRING),
  field('trade_timestamp', 'ttms', TIMESTAMP),
  field('ask_bid', 'ab', ASK_BID),
  field('acc_ask_volume', 'aav', DECIMAL),
  field('acc_bid_volume', 'abv', DECIMAL),
  field('highest_52_week_price', 'h52wp', DECIMAL),
  field('highest_52_week_date', 'h52wdt', STRING),
  field('lowest_52_week_price', 'l52wp', DECIMAL),
  field('lowest_52_week_date', 'l52wdt', STRING),
  field('market_state', 'ms', oneOf('PREVIEW', 'ACTIVE', 'DELISTED')),
  field('is_trading_suspended', 'its', nullable(BOOLEAN)),
  field('delisting_date', 'dd', nullable(STRING)),
  field('market_warning', 'mw', nullable(oneOf('NONE', 'CAUTION'))),
  field('timestamp', 'tms', TIMESTAMP),
  field('stream_type', 'st', STREAM_TYPE),
] as const;

/** §3.2 trade. `sequential_id` is a Long (e.g. 17877285547970000 > 2^53), so it is kept as a digit string. */
export const TRADE = [
  field('type', 'ty', oneOf('trade')),
  field('code', 'cd', STRING),
  field('trade_price', 'tp', DECIMAL),
  field('trade_volume', 'tv', DECIMAL),
  field('ask_bid', 'ab', ASK_BID),
  field('prev_closing_price', 'pcp', DECIMAL),
  field('change', 'c', CHANGE),
  field('change_price', 'cp', DECIMAL),
  field('trade_date', 'td', STRING),
  field('trade_time', 'ttm', STRING),
  field('trade_timestamp', 'ttms', TIMESTAMP),
  field('timestamp', 'tms', TIMESTAMP),
  field('sequential_id', 'sid', INT64),
  field('best_ask_price', 'bap', nullable(DECIMAL)),
  field('best_ask_size', 'bas', nullable(DECIMAL)),
  field('best_bid_price', 'bbp', nullable(DECIMAL)),
  field('best_bid_size', 'bbs', nullable(DECIMAL)),
  field('stream_type', 'st', STREAM_TYPE),
] as const;

/** §3.3 one orderbook level; index 0 is the best. */
export const ORDERBOOK_UNIT = [
  field('ask_price', 'ap', DECIMAL),
  field('bid_price', 'bp', DECIMAL),
  field('ask_size', 'as', DECIMAL),
  field('bid_size', 'bs', DECIMAL),
] as const;

/** §3.3 orderbook: always a full top-N book, never a delta. */
export const ORDERBOOK = [
  field('type', 'ty', oneOf('orderbook')),
  field('code', 'cd', STRING),
  field('total_ask_size', 'tas', DECIMAL),
  field('total_bid_size', 'tbs', DECIMAL),
  field('orderbook_units', 'obu', listOf(ORDERBOOK_UNIT)),
  field('timestamp', 'tms', TIMESTAMP),
  field('level', 'lv', nullable(DECIMAL)),
  field('stream_type', 'st', STREAM_TYPE),
] as const;

/** §3.4 candle.{1s,1m,3m,5m,10m,15m,30m,60m,240m}: one table for every unit. */
export const CANDLE = [
  field('type', 'ty', oneOf(...CANDLE_TYPES)),
  field('code', 'cd', STRING),
  field('candle_date_time_utc', 'cdttmu', STRING),
  field('candle_date_time_kst', 'cdttmk', STRING),
  field('opening_price', 'op', DECIMAL),
  field('high_price', 'hp', DECIMAL),
  field('low_price', 'lp', DECIMAL),
  field('trade_price', 'tp', DECIMAL),
  field('candle_acc_trade_volume', 'catv', DECIMAL),
  field('candle_acc_trade_price', 'catp', DECIMAL),
  field('timestamp', 'tms', TIMESTAMP),
  field('stream_type', 'st', STREAM_TYPE),
] as const;

/** §3.5 myOrder. A real `wait` event carries many nulls (ccxt PR #27219), so most values are nullable. */
export const MY_ORDER = [
  field('type', 'ty', oneOf('myOrder')),
  field('code', 'cd', STRING),
  field('uuid', 'uid', STRING),
  field('ask_bid', 'ab', ASK_BID),
  field('order_type', 'ot', oneOf('limit', 'price', 'market', 'best')),
  field('state', 's', oneOf('wait', 'watch', 'trade', 'done', 'cancel', 'prevented')),
  field('trade_uuid', 'tuid', nullable(STRING)),
  field('price', 'p', nullable(DECIMAL)),
  field('avg_price', 'ap', nullable(DECIMAL)),
  field('volume', 'v', nullable(DECIMAL)),
  field('remaining_volume', 'rv', nullable(DECIMAL)),
  field('executed_volume', 'ev', nullable(DECIMAL)),
  field('trades_count', 'tc', nullable(INTEGER)),
  field('reserved_fee', 'rsf', nullable(DECIMAL)),
  field('remaining_fee', 'rmf', nullable(DECIMAL)),
  field('paid_fee', 'pf', nullable(DECIMAL)),
  field('locked', 'l', nullable(DECIMAL)),
  field('executed_funds', 'ef', nullable(DECIMAL)),
  field('time_in_force', 'tif', nullable(oneOf('ioc', 'fok', 'post_only'))),
  field('trade_fee', 'tf', nullable(DECIMAL)),
  field('is_maker', 'im', nullable(BOOLEAN)),
  field('identifier', 'id', nullable(STRING)),
  field('smp_type', 'smpt', nullable(oneOf('reduce', 'cancel_maker', 'cancel_taker', 'none'))),
  field('prevented_volume', 'pv', nullable(DECIMAL)),
  field('prevented_locked', 'pl', nullable(DECIMAL)),
  field('trade_timestamp', 'ttms', nullable(TIMESTAMP)),
  field('order_timestamp', 'otms', nullable(TIMESTAMP)),
  field('timestamp', 'tms', TIMESTAMP),
  field('stream_type', 'st', STREAM_TYPE),
] as const;

/** §3.6 one changed currency of a myAsset event. */
export const ASSET = [
  field('currency', 'cu', STRING),
  field('balance', 'b', DECIMAL),
  field('locked', 'l', DECIMAL),
] as const;

/** §3.6 myAsset: sent only when balances change. */
export const MY_ASSET = [
  field('type', 'ty', oneOf('myAsset')),
  field('asset_uuid', 'astuid', STRING),
  field('assets', 'ast', listOf(ASSET)),
  field('asset_timestamp', 'asttms', TIMESTAMP),
  field('timestamp', 'tms', TIMESTAMP),
  field('stream_type', 'st', STREAM_TYPE),
] as const;

export const ANNOUNCEMENT_CATEGORIES = [
  'notice',
  'trade',
  'wallet',
  'maintenance',
  'digital_asset',
  'nft',
  'service',
  'event',
] as const;

/** §3.7 announcement (private endpoint). `body` only with `include_body`, and may be null. */
export const ANNOUNCEMENT = [
  field('type', 'ty', oneOf('announcement')),
  field('event_type', 'et', oneOf('CREATED', 'UPDATED')),
  field('uuid', 'uid', STRING),
  field('title', 'tt', STRING),
  field('category', 'cat', STRING),
  field('url', 'url', STRING),
  field('first_listed_at', 'flat', STRING),
  field('listed_at', 'lat', STRING),
  field('timestamp', 'tms', TIMESTAMP),
  field('stream_type', 'st', STREAM_TYPE),
  field('body', 'bd', nullable(STRING)),
] as const;

/** §2.4 one active stream in a LIST_SUBSCRIPTIONS answer. */
export const SUBSCRIPTION_ENTRY = [
  field('type', 'ty', STRING),
  field('codes', 'cds', nullable(STRINGS)),
  field('level', 'lv', nullable(DECIMAL)),
] as const;

/** §2.4 the LIST_SUBSCRIPTIONS answer. Its `ticket` is a String today, a Long on older pages: both accepted. */
export const LIST_SUBSCRIPTIONS = [
  field('method', 'mthd', oneOf('LIST_SUBSCRIPTIONS')),
  field('result', 'rslt', listOf(SUBSCRIPTION_ENTRY)),
  field('ticket', 'tckt', nullable(ID)),
] as const;

/** §5.2 the answer to a text `PING`. */
export const STATUS = [field('status', 'status', STRING)] as const;

/** §6.1 `{"error":{"name":"INVALID_AUTH","message":"..."}}`: the inner object. `name` may be a number in REST-style errors (§6.2). */
export const ERROR_BODY = [field('name', 'name', ID), field('message', 'message', nullable(STRING))] as const;

// ─── the registry: one entry per message kind ───────────────────────────────────────────────────

/**
 * Every kind the decoder returns, keyed by its discriminant. Data kinds carry their wire `type`;
 * the three control answers, which have no `type` on the wire, get the synthetic discriminants
 * `listSubscriptions`, `status` and `error` and are recognised by their key (`method`, `status`, `error`).
 */
export const KINDS = {
  ticker: TICKER,
  trade: TRADE,
  orderbook: ORDERBOOK,
  candle: CANDLE,
  myOrder: MY_ORDER,
  myAsset: MY_ASSET,
  announcement: ANNOUNCEMENT,
  listSubscriptions: LIST_SUBSCRIPTIONS,
  status: STATUS,
  error: ERROR_BODY,
} as const;
export type KindName = keyof typeof KINDS;

/** Data types a client can subscribe to, by wire type. */
export const DATA_TYPES = ['ticker', 'trade', 'orderbook', ...CANDLE_TYPES, 'myOrder', 'myAsset', 'announcement'] as const;
export type DataType = 'ticker' | 'trade' | 'orderbook' | CandleType | 'myOrder' | 'myAsset' | 'announcement';
export const PRIVATE_TYPES: ReadonlySet<string> = new Set(['myOrder', 'myAsset', 'announcement']);

export function tableOf(type: string): Table | undefined {
  if (type.startsWith('candle.')) return (CANDLE_TYPES as readonly string[]).includes(type) ? CANDLE : undefined;
  switch (type) {
    case 'ticker':
      return TICKER;
    case 'trade':
      return TRADE;
    case 'orderbook':
      return ORDERBOOK;
    case 'myOrder':
      return MY_ORDER;
    case 'myAsset':
      return MY_ASSET;
    case 'announcement':
      return ANNOUNCEMENT;
    default:
      return undefined;
  }
}

// ─── types derived from the tables ──────────────────────────────────────────────────────────────

type Scalar<K> = K extends { t: 'decimal' }
  ? Decimal
  : K extends { t: 'integer' | 'timestamp' }
    ? number
    : K extends { t: 'int64' | 'string' | 'id' }
      ? string
      : K extends { t: 'enum'; values: readonly (infer V)[] }
        ? V
        : K extends { t: 'boolean' }
          ? boolean
          : K extends { t: 'strings' }
            ? readonly string[]
            : K extends { t: 'list'; of: infer T extends Table }
              ? readonly Shape<T>[]
              : never;
type Value<K> = K extends { nullable: true } ? Scalar<K> | null : Scalar<K>;

/** The decoded shape of a table: camelCase names, exact values. */
export type Shape<T extends Table> = { readonly [R in T[number] as R['name']]: Value<R['kind']> };

export type Ticker = Shape<typeof TICKER>;
export type Trade = Shape<typeof TRADE>;
export type OrderbookUnit = Shape<typeof ORDERBOOK_UNIT>;
export type Orderbook = Shape<typeof ORDERBOOK>;
export type Candle = Shape<typeof CANDLE>;
export type MyOrder = Shape<typeof MY_ORDER>;
export type Asset = Shape<typeof ASSET>;
export type MyAsset = Shape<typeof MY_ASSET>;
export type Announcement = Shape<typeof ANNOUNCEMENT>;
export type SubscriptionEntry = Shape<typeof SUBSCRIPTION_ENTRY>;
export type ListSubscriptions = Shape<typeof LIST_SUBSCRIPTIONS> & { readonly type: 'listSubscriptions' };
export type Status = Shape<typeof STATUS> & { readonly type: 'status' };
export type ErrorFrame = Shape<typeof ERROR_BODY> & { readonly type: 'error' };

/** Every decoded message: a discriminated union on `type`. */
export type UpbitMessage =
  | Ticker
  | Trade
  | Orderbook
  | Candle
  | MyOrder
  | MyAsset
  | Announcement
  | ListSubscriptions
  | Status
  | ErrorFrame;
export type DataMessage = Ticker | Trade | Orderbook | Candle | MyOrder | MyAsset | Announcement;
/** The message for one wire type: `MessageOf<'candle.1m'>` is `Candle`. */
export type MessageOf<T extends string> = Extract<DataMessage, { type: T }> extends never
  ? T extends CandleType
    ? Candle
    : never
  : Extract<DataMessage, { type: T }>;

export type Format = 'DEFAULT' | 'SIMPLE' | 'JSON_LIST' | 'SIMPLE_LIST';
export const FORMATS: readonly Format[] = ['DEFAULT', 'SIMPLE', 'JSON_LIST', 'SIMPLE_LIST'];
