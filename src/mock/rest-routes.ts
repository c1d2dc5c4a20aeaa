/**
 * The REST endpoints' answers (protocol §9), as data: each route takes the parsed query and
 * returns the response body, or throws `RestError` with Upbit's status and error body.
 *
 * How to read this file: `ROUTES` maps a path (or path prefix for candles) to its rate-limit group
 * and handler. Quotation bodies are built from the same typed messages the WS streams carry
 * (`wireFields` over the field table), so a REST ticker and a WS ticker show the same digits.
 * Not modelled ([U] / out of scope): `to`, `cursor`, `days_ago`, `converting_price_unit`, paging
 * of `/v1/orders/open` beyond `page`/`limit`.
 */
import { CANDLE, MY_ORDER, ORDERBOOK, TICKER, TRADE } from '../io/index.js';
import type { MyOrder, Ticker, Trade } from '../io/index.js';
import type { Accounts } from './account.js';
import { candleMessage } from './candles.js';
import type { Bar } from './candles.js';
import { wireFields, wireName } from './json.js';
import { bookLevel, DAY_UNIT } from './market.js';
import type { Market } from './market.js';
import { quoteOf } from './market-data.js';
import { D, fromSats, SATS } from './num.js';
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

function count(ctx: RouteContext, def: number, max: number, clamp: boolean): number {
  const raw = ctx.q.get('count');
  if (raw === null) return def;
  if (!/^\d+$/.test(raw)) throw new RestError(400, 400, MISMATCH);
  const n = Number(raw);
  if (n >= 1 && n <= max) return n;
  if (clamp) return def; // orderbook: out of range → default (§9.3)
  throw new RestError(400, 400, INVALID);
}

const TICKER_FIELDS = [
  'tradeDate', 'tradeTime', 'tradeTimestamp', 'openingPrice', 'highPrice', 'lowPrice', 'tradePrice',
  'prevClosingPrice', 'change', 'changePrice', 'changeRate', 'signedChangePrice', 'signedChangeRate',
  'tradeVolume', 'accTradePrice', 'accTradePrice24h', 'accTradeVolume', 'accTradeVolume24h',
  'highest52WeekPrice', 'highest52WeekDate', 'lowest52WeekPrice', 'lowest52WeekDate', 'timestamp',
] as const satisfies readonly (keyof Ticker)[];

function restTicker(t: Ticker): unknown {
  return {
    market: t.code,
    ...wireFields(TICKER, t, TICKER_FIELDS),
    trade_date_kst: compactDate(kstShift(t.tradeTimestamp)),
    trade_time_kst: compactTime(kstShift(t.tradeTimestamp)),
  };
}

const TRADE_FIELDS = [
  'timestamp', 'tradePrice', 'tradeVolume', 'prevClosingPrice', 'changePrice', 'askBid', 'sequentialId',
] as const satisfies readonly (keyof Trade)[];

function restTrade(t: Trade): unknown {
  return {
    market: t.code,
    trade_date_utc: isoDate(t.tradeTimestamp),
    trade_time_utc: isoTime(t.tradeTimestamp),
    ...wireFields(TRADE, { ...t, timestamp: t.tradeTimestamp }, TRADE_FIELDS),
  };
}

const CANDLE_FIELDS = [
  'candleDateTimeUtc', 'candleDateTimeKst', 'openingPrice', 'highPrice', 'lowPrice', 'tradePrice',
  'timestamp', 'candleAccTradePrice', 'candleAccTradeVolume',
] as const;

function restCandle(code: string, bar: Bar): Record<string, unknown> {
  // REST `timestamp` is the candle's last tick (§9.5), not the message time.
  return { market: code, ...wireFields(CANDLE, candleMessage('candle.1s', code, bar, 'SNAPSHOT', bar.lastTs), CANDLE_FIELDS) };
}

function candles(ctx: RouteContext, unit: string, extra: (bar: Bar) => Record<string, unknown>): unknown {
  const code = ctx.q.get('market');
  if (!code) throw new RestError(400, 400, MISSING);
  if (!ctx.market.has(code)) throw new RestError(404, 404, 'Code not found');
  const n = count(ctx, 1, 200, false);
  return ctx.market.series(code, unit).latest(n).map((bar) => ({ ...restCandle(code, bar), ...extra(bar) }));
}

const MINUTE_UNITS = new Set(['1', '3', '5', '10', '15', '30', '60', '240']);
const ORDER_FIELDS = [
  'uuid', 'price', 'volume', 'remainingVolume', 'reservedFee', 'remainingFee', 'paidFee', 'locked',
  'executedVolume', 'executedFunds', 'tradesCount', 'identifier', 'timeInForce',
] as const satisfies readonly (keyof MyOrder)[];

export const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  [
    '/v1/market/all',
    {
      group: 'market',
      handler: (ctx) => {
        const details = ctx.q.get('is_details') === 'true';
        return ctx.market.codes.map((code) => {
          const s = ctx.market.spec(code);
          const m: Record<string, unknown> = { market: code, korean_name: s.koreanName, english_name: s.englishName };
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
        return ctx.market.codes
          .filter((c) => !quotes || quotes.includes(quoteOf(c)))
          .map((c) => restTicker(ctx.market.ticker(c)));
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
          if (!ob) continue; // unsupported level: no entry (§9.3)
          const fields = wireFields(ORDERBOOK, ob, ['timestamp', 'totalAskSize', 'totalBidSize', 'orderbookUnits', 'level']);
          out.push({ market: c, ...fields });
        }
        return out;
      },
    },
  ],
  [
    '/v1/trades/ticks',
    {
      group: 'trade',
      handler: (ctx) => {
        const code = ctx.q.get('market');
        if (!code) throw new RestError(400, 400, MISSING);
        if (!ctx.market.has(code)) throw new RestError(404, 404, 'Code not found');
        const n = count(ctx, 1, 500, false);
        return ctx.market.recentTrades(code, n).map(restTrade);
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
      handler: (ctx) => {
        const code = ctx.q.get('market') ?? '';
        const first = ctx.market.has(code) ? ctx.market.ticker(code).prevClosingPrice : undefined;
        return candles(ctx, DAY_UNIT, (bar) => {
          const prev = bar.prevClose ?? BigInt(first!.mul(SATS.toString()).toFixed(0));
          const change = bar.close - prev;
          const abs = change < 0n ? -change : change;
          const rate = (2n * abs * SATS + prev) / (2n * prev); // 8 decimals, half-up
          return {
            [wireName(TICKER, 'prevClosingPrice')]: fromSats(prev),
            [wireName(TICKER, 'changePrice')]: fromSats(change),
            [wireName(TICKER, 'changeRate')]: fromSats(change < 0n ? -rate : rate),
          };
        });
      },
    },
  ],
  [
    '/v1/accounts',
    {
      group: 'default',
      handler: (ctx) =>
        [...ctx.accounts.balances(ctx.accessKey!)].map(([currency, b]) => ({
          currency,
          balance: b.balance.toFixed(),
          locked: b.locked.toFixed(),
          avg_buy_price: b.avgBuyPrice.toFixed(),
          avg_buy_price_modified: false,
          unit_currency: 'KRW',
        })),
    },
  ],
  [
    '/v1/orders/open',
    {
      group: 'default',
      handler: (ctx) => {
        const market = ctx.q.get('market');
        const states = [...ctx.q.getAll('states[]'), ...ctx.q.getAll('state')];
        if (states.some((s) => s !== 'wait' && s !== 'watch')) throw new RestError(400, 'invalid_parameter', 'state must be wait or watch');
        if (states.length && !states.includes('wait')) return [];
        const limit = Math.min(Number(ctx.q.get('limit') ?? 100) || 100, 100);
        const page = Math.max(Number(ctx.q.get('page') ?? 1) || 1, 1);
        let open = ctx.accounts.openOrders(ctx.accessKey!).filter((o) => !market || o.code === market);
        open = ctx.q.get('order_by') === 'asc' ? open : open.reverse();
        return open.slice((page - 1) * limit, page * limit).map((o) => ({
          side: o.side,
          ord_type: o.ordType,
          state: o.state,
          market: o.code,
          created_at: isoKst(o.createdAt),
          ...wireFields(MY_ORDER, ctx.accounts.orderMessage(o), ORDER_FIELDS, 'string'),
        }));
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
