/**
 * The Upbit REST client: quotation snapshots (markets, tickers, orderbooks and their supported
 * levels, trades, candles of every unit) and the signed reads the private fallback needs
 * (accounts, open and closed orders). No actors; one `RateLimiter` paces every call.
 *
 * How to read this file: each method names its path, its rate-limit group (§7.1) and its row
 * table (rest-fields.ts), asks rest-transport.ts for the body and decodes it with
 * rest-decode.ts, so values are exact Decimals from the JSON digits. Paging (candles 200 at a
 * time going back with `to`; trades going back with `cursor`) is behind async iterators:
 *
 *   for await (const c of rest.candlesIter('1m', 'KRW-BTC', { limit: 1000 })) ...
 *
 * `restOriginFromUrl` derives the REST origin from a WebSocket URL, so a client pointed at a
 * local server never calls the internet.
 */
import type { Decimal } from 'decimal.js';
import { toDecimal } from './decimal.js';
import { UpbitValidationError } from './errors.js';
import type { CandleUnit } from './fields.js';
import { Credentials, type CredentialsInput, type JwtAlgorithm } from './jwt.js';
import { RateLimiter, SYSTEM_CLOCK, type LimiterClock } from './limiter.js';
import { decodeRestList } from './rest-decode.js';
import {
  REST_ACCOUNT,
  REST_CANDLE,
  REST_INSTRUMENT,
  REST_MARKET,
  REST_ORDER,
  REST_ORDERBOOK,
  REST_TICKER,
  REST_TRADE,
  type RestAccount,
  type RestCandle,
  type RestMarket,
  type RestOrder,
  type RestOrderbook,
  type RestOrderbookInstrument,
  type RestTicker,
  type RestTrade,
} from './rest-fields.js';
import { RestTransport, type CallOptions, type Query } from './rest-transport.js';

export type { CallOptions } from './rest-transport.js';

export interface RestClientOptions {
  /** `https://api.upbit.com`, or the mock's `restUrl`. See `restOriginFromUrl`. */
  readonly origin: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Share one with the rest of the hub. @default a new RateLimiter with Upbit's numbers */
  readonly limiter?: RateLimiter;
  /** Per call, every attempt and wait included. @default 10000 */
  readonly timeoutMs?: number;
  /** Retries after a 5xx or a network error. @default 2 */
  readonly retries?: number;
  /** Retries after a 429 or 418 (each waits out the server's block first). @default 3 */
  readonly rateLimitRetries?: number;
  /** Wait before retry number `attempt` (1, 2, ...). @default 250 · 2^(attempt − 1) ms */
  readonly retryDelay?: (attempt: number) => number;
  /** API keys, for accounts() and the order lists (signed with a query hash, §8). */
  readonly credentials?: Credentials | CredentialsInput;
  /** @default 'HS512' */
  readonly jwtAlgorithm?: JwtAlgorithm;
  /** For the timeout and the retry waits (tests). @default the system clock */
  readonly clock?: LimiterClock;
}

/** Candle units: the socket's `1s`…`240m`, and the REST-only day, week, month and year. */
export type RestCandleUnit = CandleUnit | 'day' | 'week' | 'month' | 'year';
export const REST_CANDLE_UNITS: readonly RestCandleUnit[] = ['1s', '1m', '3m', '5m', '10m', '15m', '30m', '60m', '240m', 'day', 'week', 'month', 'year'];

/** Upbit's page sizes. */
export const CANDLES_PER_PAGE = 200;
export const TRADES_PER_PAGE = 500;

function candlePath(unit: RestCandleUnit): string {
  if (unit === '1s') return '/v1/candles/seconds';
  if (unit === 'day' || unit === 'week' || unit === 'month' || unit === 'year') return `/v1/candles/${unit}s`;
  const m = /^(1|3|5|10|15|30|60|240)m$/.exec(unit);
  if (!m) throw new UpbitValidationError('INVALID_OPTION', `candle unit must be one of ${REST_CANDLE_UNITS.join(', ')}`);
  return `/v1/candles/minutes/${m[1]}`;
}

/** A `to` for candles: a Date, Unix ms, or Upbit's own ISO 8601 text (UTC unless it has an offset). */
export type CandleTo = Date | number | string;

function isoTo(to: CandleTo | undefined): string | undefined {
  if (to === undefined) return undefined;
  if (typeof to === 'string') return to;
  return new Date(to).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function checkCount(count: number | undefined, max: number): number | undefined {
  if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= max)) {
    throw new UpbitValidationError('INVALID_OPTION', `count must be an integer from 1 to ${max}`);
  }
  return count;
}

function codeList(codes: readonly string[]): string {
  if (!Array.isArray(codes) || codes.length === 0 || codes.some((c) => typeof c !== 'string' || !c)) {
    throw new UpbitValidationError('INVALID_CODE', 'give at least one market code');
  }
  return codes.join(',');
}

/** Results in the order the codes were asked (Upbit's own order is not promised). */
function inOrder<T extends { readonly code: string }>(rows: T[], codes: readonly string[]): T[] {
  const rank = new Map(codes.map((c, i) => [c, i]));
  return rows.sort((a, b) => (rank.get(a.code) ?? Infinity) - (rank.get(b.code) ?? Infinity));
}

export class RestClient {
  readonly origin: string;
  readonly limiter: RateLimiter;
  readonly #t: RestTransport;

  constructor(options: RestClientOptions) {
    if (!options || typeof options.origin !== 'string' || !/^https?:\/\/[^/]+$/.test(options.origin.replace(/\/$/, ''))) {
      throw new UpbitValidationError('INVALID_OPTION', 'origin must be an http(s) origin such as https://api.upbit.com');
    }
    this.origin = options.origin.replace(/\/$/, '');
    this.limiter = options.limiter ?? new RateLimiter();
    const f = options.fetch ?? globalThis.fetch;
    const creds = options.credentials;
    this.#t = new RestTransport({
      origin: this.origin,
      fetch: f.bind(globalThis),
      limiter: this.limiter,
      clock: options.clock ?? SYSTEM_CLOCK,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 2,
      rateLimitRetries: options.rateLimitRetries ?? 3,
      retryDelay: options.retryDelay ?? ((n) => 250 * 2 ** (n - 1)),
      credentials: creds === undefined ? undefined : creds instanceof Credentials ? creds : new Credentials(creds),
      jwtAlgorithm: options.jwtAlgorithm ?? 'HS512',
    });
  }

  // ─── quotation ────────────────────────────────────────────────────────────────────────────

  /** §9.1 every listed market; `isDetails` adds `marketEvent` (warning and caution flags). */
  async markets(o: { isDetails?: boolean } & CallOptions = {}): Promise<RestMarket[]> {
    const body = await this.#t.get('/v1/market/all', [['is_details', o.isDetails ? 'true' : undefined]], 'market', o);
    return decodeRestList<RestMarket>(body, REST_MARKET, { raw: ['market_event'] });
  }

  /** §9.2 tickers of `codes`, in that order. */
  async tickers(codes: readonly string[], o: CallOptions = {}): Promise<RestTicker[]> {
    const body = await this.#t.get('/v1/ticker', [['markets', codeList(codes)]], 'ticker', o);
    return inOrder(decodeRestList<RestTicker>(body, REST_TICKER), codes);
  }

  /** Tickers of every market quoted in `quotes` (`['KRW']`). */
  async tickersByQuote(quotes: readonly string[], o: CallOptions = {}): Promise<RestTicker[]> {
    const body = await this.#t.get('/v1/ticker/all', [['quote_currencies', codeList(quotes)]], 'ticker', o);
    return decodeRestList<RestTicker>(body, REST_TICKER);
  }

  /**
   * §9.3 orderbooks of `codes`, in that order. `level` aggregates prices (KRW markets; see
   * `orderbookInstruments`); a pair that does not support it is left out, as Upbit does.
   * `count` 1–30 units per side. @default level 0, count 30
   */
  async orderbooks(codes: readonly string[], o: { level?: number | string | Decimal; count?: number } & CallOptions = {}): Promise<RestOrderbook[]> {
    const q: Query = [
      ['markets', codeList(codes)],
      ['level', o.level === undefined ? undefined : String(o.level)],
      ['count', checkCount(o.count, 30)],
    ];
    return inOrder(decodeRestList<RestOrderbook>(await this.#t.get('/v1/orderbook', q, 'orderbook', o), REST_ORDERBOOK), codes);
  }

  /** Tick size and supported `level`s of `codes`, in that order. */
  async orderbookInstruments(codes: readonly string[], o: CallOptions = {}): Promise<RestOrderbookInstrument[]> {
    const body = await this.#t.get('/v1/orderbook/instruments', [['markets', codeList(codes)]], 'orderbook', o);
    const rows = decodeRestList<Omit<RestOrderbookInstrument, 'supportedLevels'> & { supportedLevels: readonly string[] }>(body, REST_INSTRUMENT);
    const out = rows.map((r) => Object.freeze({ ...r, supportedLevels: Object.freeze(r.supportedLevels.map(toDecimal)) }));
    return inOrder(out, codes);
  }

  /** §9.4 recent trades of `code`, newest first; `cursor` (a `sequentialId`) continues an earlier page. */
  async trades(
    code: string,
    o: { count?: number; cursor?: string; to?: string; daysAgo?: number } & CallOptions = {},
  ): Promise<RestTrade[]> {
    const q: Query = [
      ['market', codeList([code])],
      ['to', o.to],
      ['count', checkCount(o.count, TRADES_PER_PAGE)],
      ['cursor', o.cursor],
      ['days_ago', o.daysAgo],
    ];
    return decodeRestList<RestTrade>(await this.#t.get('/v1/trades/ticks', q, 'trade', o), REST_TRADE);
  }

  /** Trades of `code`, newest first, page after page (500 a page) until `limit` or the history ends. */
  async *tradesIter(code: string, o: { limit?: number; pageSize?: number } & CallOptions = {}): AsyncGenerator<RestTrade> {
    let left = o.limit ?? Infinity;
    let cursor: string | undefined;
    while (left > 0) {
      const count = Math.min(left, o.pageSize ?? TRADES_PER_PAGE);
      const page = await this.trades(code, { ...o, count, cursor });
      for (const t of page) {
        if (left-- <= 0) return;
        yield t;
      }
      if (page.length < count) return;
      cursor = page[page.length - 1].sequentialId;
    }
  }

  /** §9.5 candles of `code`, newest first, at most `count` (≤ 200) ending before `to`. */
  async candles(unit: RestCandleUnit, code: string, o: { count?: number; to?: CandleTo } & CallOptions = {}): Promise<RestCandle[]> {
    const path = candlePath(unit);
    const q: Query = [
      ['market', codeList([code])],
      ['to', isoTo(o.to)],
      ['count', checkCount(o.count, CANDLES_PER_PAGE)],
    ];
    return decodeRestList<RestCandle>(await this.#t.get(path, q, 'candle', o), REST_CANDLE);
  }

  /** Candles going back from `to` (default: now), 200 a page, until `limit` or the history ends. */
  async *candlesIter(unit: RestCandleUnit, code: string, o: { to?: CandleTo; limit?: number; pageSize?: number } & CallOptions = {}): AsyncGenerator<RestCandle> {
    let left = o.limit ?? Infinity;
    let to: CandleTo | undefined = o.to;
    while (left > 0) {
      const count = Math.min(left, o.pageSize ?? CANDLES_PER_PAGE);
      const page = await this.candles(unit, code, { ...o, count, to });
      for (const c of page) {
        if (left-- <= 0) return;
        yield c;
      }
      if (page.length < count) return;
      to = `${page[page.length - 1].candleDateTimeUtc}Z`; // `to` is exclusive: the page before the oldest
    }
  }

  // ─── exchange (signed: needs `credentials`) ───────────────────────────────────────────────

  /** Every currency of the account: balance, locked, average buy price. */
  async accounts(o: CallOptions = {}): Promise<RestAccount[]> {
    return decodeRestList<RestAccount>(await this.#t.get('/v1/accounts', [], 'default', o, true), REST_ACCOUNT);
  }

  /** Open (`wait`, `watch`) orders, newest first unless `orderBy: 'asc'`; up to 100 a page. */
  async openOrders(
    o: { market?: string; states?: readonly ('wait' | 'watch')[]; page?: number; limit?: number; orderBy?: 'asc' | 'desc' } & CallOptions = {},
  ): Promise<RestOrder[]> {
    const q: Query = [
      ['market', o.market],
      ...(o.states ?? []).map((s) => ['states[]', s] as const),
      ['page', o.page],
      ['limit', checkCount(o.limit, 100)],
      ['order_by', o.orderBy],
    ];
    return decodeRestList<RestOrder>(await this.#t.get('/v1/orders/open', q, 'default', o, true), REST_ORDER);
  }

  /** Closed (`done`, `cancel`) orders created in [startTime, endTime], newest first; up to 1000. */
  async closedOrders(
    o: {
      market?: string;
      states?: readonly ('done' | 'cancel')[];
      startTime?: Date | number | string;
      endTime?: Date | number | string;
      limit?: number;
      orderBy?: 'asc' | 'desc';
    } & CallOptions = {},
  ): Promise<RestOrder[]> {
    const time = (t: Date | number | string | undefined) => (t === undefined || typeof t === 'string' ? t : new Date(t).toISOString());
    const q: Query = [
      ['market', o.market],
      ...(o.states ?? []).map((s) => ['states[]', s] as const),
      ['start_time', time(o.startTime)],
      ['end_time', time(o.endTime)],
      ['limit', checkCount(o.limit, 1000)],
      ['order_by', o.orderBy],
    ];
    return decodeRestList<RestOrder>(await this.#t.get('/v1/orders/closed', q, 'default', o, true), REST_ORDER);
  }
}

export function createRestClient(options: RestClientOptions): RestClient {
  return new RestClient(options);
}

/**
 * The REST origin of a WebSocket URL: `wss://api.upbit.com/websocket/v1` → `https://api.upbit.com`,
 * `ws://127.0.0.1:P/...` → `http://127.0.0.1:P`.
 */
export function restOriginFromUrl(wsUrl: string): string {
  let u: URL;
  try {
    u = new URL(wsUrl);
  } catch {
    throw new UpbitValidationError('INVALID_OPTION', `not a URL: ${wsUrl}`);
  }
  const scheme = u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : u.protocol === 'ws:' || u.protocol === 'http:' ? 'http:' : undefined;
  if (!scheme) throw new UpbitValidationError('INVALID_OPTION', `not a ws(s) URL: ${wsUrl}`);
  return `${scheme}//${u.host}`;
}
