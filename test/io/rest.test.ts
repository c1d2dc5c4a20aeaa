/**
 * The REST client against the mock exchange (real HTTP on 127.0.0.1, port 0): every quotation
 * call, values exact (each decoded row compared with the digits the mock served), results in the
 * order asked, and paging behind the async iterators. Errors, retries, timeouts, the rate limiter
 * and the signed calls are in rest-errors.test.ts and rest-private.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  createRestClient,
  REST_CANDLE,
  REST_CANDLE_UNITS,
  REST_ORDERBOOK,
  REST_TICKER,
  REST_TRADE,
  restOriginFromUrl,
  UpbitValidationError,
} from '../../src/io/index.js';
import type { RestCandle, RestTrade } from '../../src/io/index.js';
import { mock } from '../mock/helpers.js';
import { expectServed, served } from './rest-helpers.js';

const MARKETS = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'BTC-ETH', 'USDT-BTC'];

async function setup(ticks = 5) {
  const m = await mock({ markets: MARKETS });
  m.tick(ticks);
  const rest = createRestClient({ origin: m.restUrl });
  return { m, rest };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('restOriginFromUrl', () => {
  it.each([
    ['wss://api.upbit.com/websocket/v1', 'https://api.upbit.com'],
    ['wss://api.upbit.com/websocket/v1/private', 'https://api.upbit.com'],
    ['ws://127.0.0.1:8080/websocket/v1', 'http://127.0.0.1:8080'],
    ['ws://[::1]:9000/x', 'http://[::1]:9000'],
  ])('%s → %s', (ws, origin) => expect(restOriginFromUrl(ws)).toBe(origin));

  it('refuses what is not a ws(s) URL', () => {
    expect(() => restOriginFromUrl('ftp://x')).toThrow(UpbitValidationError);
    expect(() => restOriginFromUrl('nope')).toThrow(UpbitValidationError);
  });

  it('the mock: its WS URL leads to its own REST origin, never the internet', async () => {
    const m = await mock();
    expect(restOriginFromUrl(m.url)).toBe(m.restUrl);
  });
});

describe('quotation', () => {
  it('markets, with typed market_event warnings only when isDetails', async () => {
    const { m, rest } = await setup();
    const plain = await rest.markets();
    expect(plain.map((x) => x.code)).toEqual(m.markets);
    expect(plain[0]).toEqual({ code: 'KRW-BTC', koreanName: '비트코인', englishName: 'Bitcoin' }); // non-ASCII body
    const details = await rest.markets({ isDetails: true });
    expect(details[0].marketEvent).toEqual({
      warning: false,
      caution: {
        PRICE_FLUCTUATIONS: false,
        TRADING_VOLUME_SOARING: false,
        DEPOSIT_AMOUNT_SOARING: false,
        GLOBAL_PRICE_DIFFERENCES: false,
        CONCENTRATION_OF_SMALL_ACCOUNTS: false,
      },
    });
  });

  it('tickers: exact values, in the order asked; REST rows only (no askBid, marketState, streamType)', async () => {
    const { m, rest } = await setup();
    const codes = ['USDT-BTC', 'KRW-BTC', 'BTC-ETH'];
    const got = await rest.tickers(codes);
    expect(got.map((t) => t.code)).toEqual(codes);
    const raw = await served(m, `/v1/ticker?markets=${codes.join(',')}`);
    const byCode = new Map(raw.body.map((r) => [r.market, r]));
    expectServed(got, codes.map((c) => byCode.get(c)!), REST_TICKER);
    expect(got[1].tradePrice.eq(m.ticker('KRW-BTC').tradePrice)).toBe(true); // same digits as the socket
    expect(Object.keys(got[0])).not.toContain('askBid');
    expect(Object.keys(got[0])).not.toContain('streamType');
    expect(got[0].tradeDateKst).toMatch(/^\d{8}$/);
  });

  it('tickersByQuote', async () => {
    const { m, rest } = await setup();
    const got = await rest.tickersByQuote(['KRW']);
    expect(got.map((t) => t.code)).toEqual(['KRW-BTC', 'KRW-ETH', 'KRW-XRP']);
    expectServed(got, (await served(m, '/v1/ticker/all?quote_currencies=KRW')).body, REST_TICKER);
  });

  it('orderbooks: level and count; a pair without that level is left out', async () => {
    const { m, rest } = await setup();
    const deep = await rest.orderbooks(['KRW-ETH', 'KRW-BTC']);
    expect(deep.map((b) => [b.code, b.orderbookUnits.length])).toEqual([
      ['KRW-ETH', 30],
      ['KRW-BTC', 30],
    ]);
    expectServed(deep, (await served(m, '/v1/orderbook?markets=KRW-ETH,KRW-BTC')).body, REST_ORDERBOOK);
    const five = await rest.orderbooks(['KRW-BTC'], { count: 5 });
    expect(five[0].orderbookUnits).toHaveLength(5);
    const [inst] = await rest.orderbookInstruments(['KRW-BTC']);
    const level = inst.supportedLevels[2];
    const grouped = await rest.orderbooks(['KRW-BTC', 'BTC-ETH'], { level });
    expect(grouped.map((b) => b.code)).toEqual(['KRW-BTC']); // BTC-ETH supports level 0 only
    expect(grouped[0].level!.eq(level)).toBe(true);
    expectServed(grouped, (await served(m, `/v1/orderbook?markets=KRW-BTC,BTC-ETH&level=${level.toFixed()}`)).body, REST_ORDERBOOK);
    await expect(rest.orderbooks(['KRW-BTC'], { count: 31 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('orderbook instruments: tick size and supported levels as exact Decimals', async () => {
    const { m, rest } = await setup();
    const got = await rest.orderbookInstruments(['BTC-ETH', 'KRW-BTC']);
    const raw = (await served(m, '/v1/orderbook/instruments?markets=BTC-ETH,KRW-BTC')).body;
    expect(got.map((x) => x.code)).toEqual(['BTC-ETH', 'KRW-BTC']);
    got.forEach((x, i) => {
      expect(x.quoteCurrency).toBe(raw[i].quote_currency);
      expect(x.tickSize.toFixed()).toBe(raw[i].tick_size);
      expect(x.supportedLevels.map((l) => l.toFixed())).toEqual(raw[i].supported_levels);
    });
    expect(got[1].supportedLevels[0].isZero()).toBe(true);
    expect(got[1].supportedLevels.length).toBeGreaterThan(1);
  });

  it('trades: exact, newest first; tradesIter pages with the cursor without gaps or repeats', async () => {
    const { m, rest } = await setup(450);
    const page = await rest.trades('KRW-BTC', { count: 3 });
    expectServed(page, (await served(m, '/v1/trades/ticks?market=KRW-BTC&count=3')).body, REST_TRADE);
    const before = m.stats().rest.requests;
    const paged: RestTrade[] = await all(rest.tradesIter('KRW-BTC', { limit: 420, pageSize: 200 }));
    expect(m.stats().rest.requests - before).toBe(3); // 200 + 200 + 20
    const oneShot = (await served(m, '/v1/trades/ticks?market=KRW-BTC&count=420')).body;
    expectServed(paged, oneShot, REST_TRADE);
    expect(new Set(paged.map((t) => t.sequentialId)).size).toBe(420);
    // the history ends: the iterator stops on a short page
    expect((await all(rest.tradesIter('KRW-ETH', { pageSize: 200 }))).length).toBe(451);
  });

  it.each(REST_CANDLE_UNITS)('candles %s: exact values for every unit', async (unit) => {
    const { m, rest } = await setup(50);
    const got = await rest.candles(unit, 'KRW-BTC', { count: 3 });
    expect(got.length).toBeGreaterThan(0);
    const path =
      unit === '1s' ? '/v1/candles/seconds' : unit.endsWith('m') ? `/v1/candles/minutes/${unit.slice(0, -1)}` : `/v1/candles/${unit}s`;
    expectServed(got, (await served(m, `${path}?market=KRW-BTC&count=3`)).body, REST_CANDLE);
    const c = got[0];
    expect(c.unit !== null).toBe(unit.endsWith('m'));
    expect(c.changeRate !== null).toBe(unit === 'day');
    expect(c.firstDayOfPeriod !== null).toBe(unit === 'week' || unit === 'month' || unit === 'year');
  });

  it('week, month and year candles start on Monday, the 1st, and January 1st', async () => {
    const { rest } = await setup(3);
    const [w] = await rest.candles('week', 'KRW-BTC');
    const [mo] = await rest.candles('month', 'KRW-BTC');
    const [y] = await rest.candles('year', 'KRW-BTC');
    expect(new Date(`${w.candleDateTimeUtc}Z`).getUTCDay()).toBe(1);
    expect(mo.candleDateTimeUtc).toMatch(/^\d{4}-\d\d-01T00:00:00$/);
    expect(y.candleDateTimeUtc).toMatch(/^\d{4}-01-01T00:00:00$/);
    expect(w.firstDayOfPeriod).toBe(w.candleDateTimeUtc.slice(0, 10));
  });

  it('candlesIter pages back with `to` (exclusive), newest first, no gaps or repeats', async () => {
    const { m, rest } = await setup(1500); // 150 one-second bars
    const before = m.stats().rest.requests;
    const got: RestCandle[] = await all(rest.candlesIter('1s', 'KRW-BTC', { limit: 120, pageSize: 50 }));
    expect(m.stats().rest.requests - before).toBe(3); // 50 + 50 + 20
    const oneShot = (await served(m, '/v1/candles/seconds?market=KRW-BTC&count=120')).body;
    expectServed(got, oneShot, REST_CANDLE);
    const times = got.map((c) => c.candleDateTimeUtc);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(times).size).toBe(120);
    // from a given `to`: only older bars
    const to = new Date(`${times[10]}Z`);
    const older = await all(rest.candlesIter('1s', 'KRW-BTC', { to, limit: 5 }));
    expect(older.map((c) => c.candleDateTimeUtc)).toEqual(times.slice(11, 16));
    // until the history ends
    expect((await all(rest.candlesIter('1s', 'KRW-BTC', { pageSize: 200 }))).length).toBe(151);
  });

  it('refuses bad arguments before any request', async () => {
    const { m, rest } = await setup();
    const before = m.stats().rest.requests;
    await expect(rest.tickers([])).rejects.toMatchObject({ code: 'INVALID_CODE' });
    await expect(rest.candles('2m' as never, 'KRW-BTC')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(rest.candles('1m', 'KRW-BTC', { count: 201 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(rest.trades('KRW-BTC', { count: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(m.stats().rest.requests).toBe(before);
    expect(() => createRestClient({ origin: 'wss://api.upbit.com' })).toThrow(UpbitValidationError);
  });
});
