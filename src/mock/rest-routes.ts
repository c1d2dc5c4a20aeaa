/**
 * The REST endpoints' answers (protocol §9, and the exchange reads), as data: each route takes the
 * parsed query and returns the response body, or throws `RestError` with Upbit's status and body.
 *
 * How to read this file: `ROUTES` maps a path (or the candle-minutes prefix) to its rate-limit
 * group and handler. Bodies are built with `restObject` over the client's own REST row tables
 * (src/io/rest-fields.ts, derived from the WS field table), so a REST ticker and a WS ticker show
 * the same digits and no key is spelled here. Paging: candles take `to` (exclusive bar start,
 * ISO 8601, UTC unless it has an offset), trades take `cursor` (a sequential_id: older trades).
 * Not modelled ([U] / out of scope): trades `to` and `days_ago`, `converting_price_unit`.
 */
import { REST_ACCOUNT, REST_CANDLE, REST_INSTRUMENT, REST_MARKET, REST_ORDER, REST_ORDERBOOK, REST_TICKER, REST_TRADE } from '../io/index.js';
import type { Ticker, Trade } from '../io/index.js';
import type { Accounts, MockOrder } from './account.js';
import { candleMessage } from './candles.js';
import type { Bar } from './candles.js';
import { restObject } from './json.js';
import { bookLevel } from './market.js';
import type { Market } from './market.js';
import { quoteOf, supportedLevels, tickSize } from './market-data.js';
import { D, fromSats, SATS, toSats } from './num.js';
import { compactDate, compactTime, isoDate, isoKst, isoTime, kstShift } from './time.js';

/** A REST error: quotation errors carry a numeric `name`, exchange errors a string code (§6.2). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string | number,
    message: string,
  ) {
    super(message);
  }
  body(): unknown {
    return { error: { name: this.errorName, message: this.message } };
  }
}

const MISSING = 'Missing request parameter error. Check the required parameters!';
const INVALID = 'Invalid parameter. Check the given value!';
const MISMATCH = 'Type mismatch error. Check the parameters type!';

export interface RouteContext {
  readonly q: URLSearchParams;
  readonly market: Market;
  readonly accounts: Accounts;
  /** Set for exchange routes after JWT verification. */
  readonly accessKey: string | undefined;
}

export interface Route {
  /** The rate-limit group (§7.1). */
  readonly group: string;
  readonly handler: (ctx: RouteContext, rest: string) => unknown;
}

function codes(ctx: RouteContext, name: string): string[] {
  const raw = ctx.q.get(name);
  if (!raw) throw new RestError(400, 400, MISSING);
  const list = raw.split(',').map((s) => s.trim());
  for (const c of list) if (!ctx.market.has(c)) throw new RestError(404, 404, 'Code not found');
  return list;
}

function oneCode(ctx: RouteContext): string {
  const code = ctx.q.get('market');
  if (!code) throw new RestError(400, 400, MISSING);
  if (!ctx.market.has(code)) throw new RestError(404, 404, 'Code not found');
  return code;
}

function count(ctx: RouteContext, def: number, max: number, clamp: boolean): number {
  const raw = ctx.q.get('count');
  if (raw === null) return def;
  if (!/^\d+$/.test(raw)) throw new RestError(400, 400, MISMATCH);
  const n = Number(raw);
  if (n >= 1 && n <= max) return n;
  if (clamp) return def; // orderbook: out of range → default (§9.3)
  throw new RestError(400, 400, INVALID);
}

function restTicker(t: Ticker): unknown {
  const kst = kstShift(t.tradeTimestamp);
  return restObject(REST_TICKER, { ...t, tradeDateKst: compactDate(kst), tradeTimeKst: compactTime(kst) });
}

function restTrade(t: Trade): unknown {
  // REST `timestamp` is the trade's own time.
  const ts = t.tradeTimestamp;
  return restObject(REST_TRADE, { ...t, timestamp: ts, tradeDateUtc: isoDate(ts), tradeTimeUtc: isoTime(ts) });
}

/** `to` (ISO 8601; UTC when it has no offset) as ms, or Infinity. */
function candleTo(ctx: RouteContext): number {
  const raw = ctx.q.get('to');
  if (raw === null || raw === '') return Infinity;
  const text = /(Z|[+-]\d\d:\d\d)$/.test(raw) ? raw : `${raw.replace(' ', 'T')}Z`;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new RestError(400, 400, INVALID);
  return ms;
}

type Extra = (bar: Bar, code: string, ctx: RouteContext) => Record<string, unknown>;

function candles(ctx: RouteContext, unit: string, extra: Extra): unknown {
  const code = oneCode(ctx);
  const n = count(ctx, 1, 200, false);
  return ctx.market
    .series(code, unit)
    .latest(n, candleTo(ctx))
    .map((bar) => {
      // REST `timestamp` is the candle's last tick (§9.5), not the message time.
      const m = candleMessage('candle.1s', code, bar, 'SNAPSHOT', bar.lastTs);
      return restObject(REST_CANDLE, { ...m, ...extra(bar, code, ctx) });
    });
}

/** Day candles: change against the previous day's close (the ticker's before the first bar). */
const dayChange: Extra = (bar, code, ctx) => {
  const prev = bar.prevClose ?? toSats(ctx.market.ticker(code).prevClosingPrice);
  const change = bar.close - prev;
  const abs = change < 0n ? -change : change;
  const rate = (2n * abs * SATS + prev) / (2n * prev); // 8 decimals, half-up
  return { prevClosingPrice: fromSats(prev), changePrice: fromSats(change), changeRate: fromSats(change < 0n ? -rate : rate) };
};

const period: Extra = (bar) => ({ firstDayOfPeriod: isoDate(bar.start) });
const MINUTE_UNITS = new Set(['1', '3', '5', '10', '15', '30', '60', '240']);

function restOrder(ctx: RouteContext, o: MockOrder): unknown {
  const m = ctx.accounts.orderMessage(o);
  return restObject(REST_ORDER, { ...m, side: o.side, ordType: o.ordType, state: o.state, createdAt: isoKst(o.createdAt) }, 'string');
}

function states(ctx: RouteContext, allowed: readonly string[]): string[] {
  const list = [...ctx.q.getAll('states[]'), ...ctx.q.getAll('state')];
  if (list.some((s) => !allowed.includes(s))) throw new RestError(400, 'invalid_parameter', `state must be one of ${allowed.join(', ')}`);
  return list;
}

function time(ctx: RouteContext, name: string): number | undefined {
  const raw = ctx.q.get(name);
  if (raw === null) return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw new RestError(400, 'invalid_parameter', `${name} is not an ISO 8601 time`);
  return ms;
}

export const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  [
    '/v1/market/all',
    {
      group: 'market',
      handler: (ctx) => {
        const details = ctx.q.get('is_details') === 'true';
        return ctx.market.codes.map((code) => {
          const s = ctx.market.spec(code);
          const m = restObject(REST_MARKET, { code, koreanName: s.koreanName, englishName: s.englishName });
          if (details) {
            m.market_event = {
              warning: false,
              caution: {
                PRICE_FLUCTUATIONS: false,
                TRADING_VOLUME_SOARING: false,
                DEPOSIT_AMOUNT_SOARING: false,
                GLOBAL_PRICE_DIFFERENCES: false,
                CONCENTRATION_OF_SMALL_ACCOUNTS: false,
              },
            };
          }
          return m;
        });
      },
    },
  ],
  ['/v1/ticker', { group: 'ticker', handler: (ctx) => codes(ctx, 'markets').map((c) => restTicker(ctx.market.ticker(c))) }],
  [
    '/v1/ticker/all',
    {
      group: 'ticker',
      handler: (ctx) => {
        const quotes = ctx.q.get('quote_currencies')?.split(',');
        return ctx.market.codes.filter((c) => !quotes || quotes.includes(quoteOf(c))).map((c) => restTicker(ctx.market.ticker(c)));
      },
    },
  ],
  [
    '/v1/orderbook',
    {
      group: 'orderbook',
      handler: (ctx) => {
        const list = codes(ctx, 'markets');
        const rawLevel = ctx.q.get('level') ?? '0';
        if (!/^\d+(\.\d+)?$/.test(rawLevel)) throw new RestError(400, 400, MISMATCH);
        const level = bookLevel(new D(rawLevel));
        const depth = count(ctx, 30, 30, true);
        const out: unknown[] = [];
        for (const c of list) {
          const ob = ctx.market.orderbook(c, depth, level, 'SNAPSHOT');
          if (ob) out.push(restObject(REST_ORDERBOOK, ob)); // unsupported level: no entry (§9.3)
        }
        return out;
      },
    },
  ],
  [
    '/v1/orderbook/instruments',
    {
      group: 'orderbook',
      handler: (ctx) =>
        codes(ctx, 'markets').map((c) => {
          const bid = ctx.market.bestBid(c);
          // Upbit sends tick_size and supported_levels as strings.
          return restObject(REST_INSTRUMENT, {
            code: c,
            quoteCurrency: quoteOf(c),
            tickSize: tickSize(quoteOf(c), bid).toFixed(),
            supportedLevels: supportedLevels(c, toSats(bid)).map((l) => fromSats(l).toFixed()),
          });
        }),
    },
  ],
  [
    '/v1/trades/ticks',
    {
      group: 'trade',
      handler: (ctx) => {
        const code = oneCode(ctx);
        const n = count(ctx, 1, 500, false);
        return ctx.market.recentTrades(code, n, ctx.q.get('cursor') ?? undefined).map(restTrade);
      },
    },
  ],
  [
    '/v1/candles/minutes/',
    {
      group: 'candle',
      handler: (ctx, unit) => {
        if (!MINUTE_UNITS.has(unit)) throw new RestError(400, 400, INVALID);
        return candles(ctx, `${unit}m`, () => ({ unit: Number(unit) }));
      },
    },
  ],
  ['/v1/candles/seconds', { group: 'candle', handler: (ctx) => candles(ctx, '1s', () => ({})) }],
  [
    '/v1/candles/days',
    {
      group: 'candle',
      handler: (ctx) => candles(ctx, 'day', dayChange),
    },
  ],
  ['/v1/candles/weeks', { group: 'candle', handler: (ctx) => candles(ctx, 'week', period) }],
  ['/v1/candles/months', { group: 'candle', handler: (ctx) => candles(ctx, 'month', period) }],
  ['/v1/candles/years', { group: 'candle', handler: (ctx) => candles(ctx, 'year', period) }],
  [
    '/v1/accounts',
    {
      group: 'default',
      handler: (ctx) =>
        [...ctx.accounts.balances(ctx.accessKey!)].map(([currency, b]) =>
          restObject(
            REST_ACCOUNT,
            { currency, balance: b.balance, locked: b.locked, avgBuyPrice: b.avgBuyPrice, avgBuyPriceModified: false, unitCurrency: 'KRW' },
            'string',
          ),
        ),
    },
  ],
  [
    '/v1/orders/open',
    {
      group: 'default',
      handler: (ctx) => {
        const market = ctx.q.get('market');
        const wanted = states(ctx, ['wait', 'watch']);
        if (wanted.length && !wanted.includes('wait')) return [];
        const limit = Math.min(Number(ctx.q.get('limit') ?? 100) || 100, 100);
        const page = Math.max(Number(ctx.q.get('page') ?? 1) || 1, 1);
        let open = ctx.accounts.openOrders(ctx.accessKey!).filter((o) => !market || o.code === market);
        open = ctx.q.get('order_by') === 'asc' ? open : open.reverse();
        return open.slice((page - 1) * limit, page * limit).map((o) => restOrder(ctx, o));
      },
    },
  ],
  [
    '/v1/orders/closed',
    {
      group: 'default',
      handler: (ctx) => {
        const market = ctx.q.get('market');
        const wanted = states(ctx, ['done', 'cancel']);
        const start = time(ctx, 'start_time') ?? -Infinity;
        const end = time(ctx, 'end_time') ?? Infinity;
        const limit = Math.min(Number(ctx.q.get('limit') ?? 100) || 100, 1000);
        let closed = ctx.accounts
          .closedOrders(ctx.accessKey!)
          .filter((o) => (!market || o.code === market) && (!wanted.length || wanted.includes(o.state)))
          .filter((o) => o.createdAt >= start && o.createdAt <= end);
        closed = ctx.q.get('order_by') === 'asc' ? closed : closed.reverse();
        return closed.slice(0, limit).map((o) => restOrder(ctx, o));
      },
    },
  ],
]);

/** The route for a path: exact match, or the candle-minutes prefix with its unit. */
export function findRoute(path: string): { route: Route; rest: string } | undefined {
  const exact = ROUTES.get(path);
  if (exact) return { route: exact, rest: '' };
  const prefix = '/v1/candles/minutes/';
  if (path.startsWith(prefix)) return { route: ROUTES.get(prefix)!, rest: path.slice(prefix.length) };
  return undefined;
}
