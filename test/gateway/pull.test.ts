/**
 * A gateway consumer's snapshots and pull reads (issue 11 item 2): snapshots are answered by the
 * gateway's hub over NATS with the same types and digits as an in-process hub's; REST errors come
 * back as the same typed errors; pull reads hold the last value delivered; interests join the
 * gateway's union and leave it. Real nats-server, the mock exchange (which serves REST too).
 */
import { describe, expect, it } from 'vitest';
import { connectGateway } from '../../src/gateway/index.js';
import { Decimal, UpbitRateLimitError, UpbitRestError, UpbitStoppedError, type Ticker } from '../../src/io/index.js';
import type { Stamped } from '../../src/index.js';
import { encodeRestList } from '../../src/gateway/rest.js';
import { decodeRestList } from '../../src/io/rest-decode.js';
import { REST_TICKER } from '../../src/io/rest-fields.js';
import type { RestTicker } from '../../src/io/index.js';
import { openPublic, startBackends, startTestGateway, waitFor } from './helpers.js';

/** A REST event with every Decimal as its digits (so `toEqual` compares digits, not doubles). */
const digits = (v: unknown): unknown =>
  v instanceof Decimal ? `D:${v.toString()}` : Array.isArray(v) ? v.map(digits) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, digits(x)])) : v;

describe('gateway snapshots and pull reads', () => {
  it('snapshots equal the in-process hub’s, decimals exact', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    const client = conn.client('snap');
    const local = gw.hub()!.client('reference');

    const tickers = await client.getTickerSnapshot(['KRW-BTC', 'KRW-ETH']);
    expect(tickers.map((t) => t.code)).toEqual(['KRW-BTC', 'KRW-ETH']);
    expect(tickers[0]!.tradePrice).toBeInstanceOf(Decimal);
    expect(tickers[0]!.tradePrice.toString()).toBe(sys.mock.ticker('KRW-BTC').tradePrice.toString());
    expect(tickers[0]!.accTradeVolume24h.toString()).toBe(sys.mock.ticker('KRW-BTC').accTradeVolume24h.toString());
    expect(digits(tickers)).toEqual(digits(await local.getTickerSnapshot(['KRW-BTC', 'KRW-ETH'])));

    const books = await client.getOrderbookSnapshot(['KRW-BTC'], { count: 5 });
    expect(books[0]!.orderbookUnits).toHaveLength(5);
    expect(books[0]!.orderbookUnits[0]!.askPrice).toBeInstanceOf(Decimal);
    expect(digits(books)).toEqual(digits(await local.getOrderbookSnapshot(['KRW-BTC'], { count: 5 })));

    const trades = await client.getTradesSnapshot('KRW-BTC', { count: 3 });
    expect(trades.length).toBeGreaterThan(0);
    expect(digits(trades)).toEqual(digits(await local.getTradesSnapshot('KRW-BTC', { count: 3 })));

    const candles = await client.getCandles('1m', 'KRW-BTC', { count: 4 });
    expect(candles.length).toBeGreaterThan(0);
    expect(digits(candles)).toEqual(digits(await local.getCandles('1m', 'KRW-BTC', { count: 4 })));

    // The wire format keeps digits no double holds (what crossed NATS above is this encoding).
    const huge = { ...tickers[0]!, tradePrice: new Decimal('12345678901234567890.123456789'), changeRate: new Decimal('0.00000001') };
    const back = decodeRestList<RestTicker>(JSON.stringify(encodeRestList([huge], REST_TICKER)), REST_TICKER)[0]!;
    expect(back.tradePrice.toFixed()).toBe('12345678901234567890.123456789');
    expect(back.changeRate.toFixed()).toBe('0.00000001');
    expect(digits(back)).toEqual(digits(huge));

    await local.cleanup();
    await conn.close();
  });

  it('REST errors arrive typed; STOPPED after close', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    const client = conn.client('errors');

    const notFound = await client.getTickerSnapshot(['KRW-NOPE']).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(UpbitRestError);
    expect((notFound as UpbitRestError).code).toBe('REST_ERROR');
    expect((notFound as UpbitRestError).status).toBe(404);
    expect((notFound as UpbitRestError).serverMessage).toBe('Code not found');

    sys.mock.failRest({ status: 429, count: 4 }); // the first try and the transport's three retries
    const limited = await client.getTickerSnapshot(['KRW-BTC']).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(UpbitRateLimitError);
    expect((limited as UpbitRateLimitError).code).toBe('RATE_LIMITED');
    expect((limited as UpbitRateLimitError).status).toBe(429);

    await conn.close();
    await expect(client.getTickerSnapshot(['KRW-BTC'])).rejects.toBeInstanceOf(UpbitStoppedError);
    await expect(client.registerInterests(['KRW-BTC'], ['ticker'])).rejects.toBeInstanceOf(UpbitStoppedError);
  });

  it('pull reads equal the last value delivered; the union shrinks when interests end', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    const puller = conn.client('puller');
    const watcher = conn.client('watcher');
    expect(puller.getTicker('KRW-BTC')).toBeUndefined();

    await puller.registerInterests(['KRW-BTC', 'KRW-ETH'], ['ticker', 'trade']);
    await puller.registerInterests(['KRW-BTC'], ['orderbook']);
    await waitFor(() => JSON.stringify(openPublic(sys.mock)) === JSON.stringify([['orderbook|KRW-BTC', 'ticker|KRW-BTC', 'ticker|KRW-ETH', 'trade|KRW-BTC', 'trade|KRW-ETH']]), {
      message: 'the interests in the gateway union',
    });
    const seen: Stamped<Ticker>[] = [];
    const sub = await watcher.subscribeTicker(['KRW-BTC'], (t) => seen.push(t));
    const caughtUp = () =>
      puller.getTicker('KRW-BTC')?.timestamp === sys.mock.ticker('KRW-BTC').timestamp &&
      puller.getTicker('KRW-ETH')?.timestamp === sys.mock.ticker('KRW-ETH').timestamp &&
      seen.at(-1)?.timestamp === sys.mock.ticker('KRW-BTC').timestamp &&
      puller.getTrades('KRW-BTC', 1)[0]?.sequentialId === sys.mock.lastTrade('KRW-BTC').sequentialId &&
      puller.getOrderbook('KRW-BTC')?.timestamp === sys.mock.orderbook('KRW-BTC')?.timestamp;
    await waitFor(() => puller.getOrderbook('KRW-BTC') !== undefined && puller.getTrades('KRW-ETH', 1).length > 0 && seen.length > 0, {
      step: () => sys.mock.tick(),
      message: 'data flowing',
    });
    for (let i = 0; i < 5; i++) sys.mock.tick();
    await waitFor(caughtUp, {
      message: 'pull reads caught up',
      describe: () => ({
        t: [puller.getTicker('KRW-BTC')?.timestamp, sys.mock.ticker('KRW-BTC').timestamp],
        e: [puller.getTicker('KRW-ETH')?.timestamp, sys.mock.ticker('KRW-ETH').timestamp],
        s: seen.at(-1)?.timestamp,
        tr: [puller.getTrades('KRW-BTC', 1)[0]?.sequentialId, sys.mock.lastTrade('KRW-BTC').sequentialId],
        ob: [puller.getOrderbook('KRW-BTC')?.timestamp, sys.mock.orderbook('KRW-BTC')?.timestamp],
      }),
    });

    const t = puller.getTicker('KRW-BTC')!;
    expect(t.tradePrice).toBeInstanceOf(Decimal);
    expect(t.tradePrice.toString()).toBe(sys.mock.ticker('KRW-BTC').tradePrice.toString());
    expect(t.tradePrice.toString()).toBe(seen.at(-1)!.tradePrice.toString());
    expect([...puller.getMultipleTickers(['KRW-BTC', 'KRW-ETH', 'KRW-XRP']).keys()]).toEqual(['KRW-BTC', 'KRW-ETH']);
    expect(puller.getTrades('KRW-BTC', 1)[0]!.tradePrice.toString()).toBe(sys.mock.lastTrade('KRW-BTC').tradePrice.toString());
    const book = puller.getOrderbook('KRW-BTC', { depth: 5 })!;
    expect(book.orderbookUnits).toHaveLength(5);
    expect(book.orderbookUnits[0]!.askPrice.toString()).toBe(sys.mock.orderbook('KRW-BTC')!.orderbookUnits[0]!.askPrice.toString());

    // Interests end: the union shrinks (the watcher's subscription keeps KRW-BTC's ticker).
    puller.unregisterInterests(['KRW-ETH']);
    await waitFor(() => JSON.stringify(openPublic(sys.mock)) === JSON.stringify([['orderbook|KRW-BTC', 'ticker|KRW-BTC', 'trade|KRW-BTC']]), {
      message: 'KRW-ETH leaving the union',
    });
    expect(puller.getTicker('KRW-ETH')).toBeUndefined();
    await puller.cleanup(); // a pull-only client: its interests leave with it
    await waitFor(() => JSON.stringify(openPublic(sys.mock)) === JSON.stringify([['ticker|KRW-BTC']]), { message: 'only the subscription left' });
    void sub;
    await conn.close();
  });
});
