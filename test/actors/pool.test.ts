/**
 * The data pool on its own: decoded messages in through `put`, values out through the readers.
 * No sockets, no actors, no clock.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, UpbitValidationError, type Orderbook, type Ticker, type Trade, type UpbitMessage } from '../../src/io/index.js';
import { DataPool } from '../../src/actors/pool.js';

const ticker = (code: string, price: string, stream = 'REALTIME') =>
  decodeFrame(
    JSON.stringify({
      type: 'ticker', code, opening_price: 1, high_price: 1, low_price: 1, trade_price: 0, prev_closing_price: 1,
      change: 'EVEN', change_price: 0, signed_change_price: 0, change_rate: 0, signed_change_rate: 0,
      trade_volume: 1, acc_trade_volume: 1, acc_trade_volume_24h: 1, acc_trade_price: 1, acc_trade_price_24h: 1,
      trade_date: '20261201', trade_time: '000000', trade_timestamp: 1, ask_bid: 'BID', acc_ask_volume: 1,
      acc_bid_volume: 1, highest_52_week_price: 1, highest_52_week_date: '2026-01-01', lowest_52_week_price: 1,
      lowest_52_week_date: '2026-01-01', market_state: 'ACTIVE', timestamp: 1, stream_type: stream,
    }).replace('"trade_price":0', `"trade_price":${price}`),
  )[0] as Ticker;

const trade = (code: string, sid: string) =>
  decodeFrame(
    JSON.stringify({
      type: 'trade', code, trade_price: 100, trade_volume: 1, ask_bid: 'BID', prev_closing_price: 99,
      change: 'RISE', change_price: 1, trade_date: '2026-12-01', trade_time: '00:00:00', trade_timestamp: 1,
      timestamp: 1, sequential_id: 0, stream_type: 'REALTIME',
    }).replace('"sequential_id":0', `"sequential_id":${sid}`),
  )[0] as Trade;

/** A book of `units` levels; ask sizes 0.1, bid sizes 0.2 (sums a double gets wrong). */
const book = (code: string, units: number, level: number | null = 0, first = 101) =>
  decodeFrame(
    JSON.stringify({
      type: 'orderbook', code, total_ask_size: 9, total_bid_size: 9, timestamp: first, level, stream_type: 'REALTIME',
      orderbook_units: Array.from({ length: units }, (_, i) => ({ ask_price: first + i, bid_price: first - 1 - i, ask_size: 0.1, bid_size: 0.2 })),
    }),
  )[0] as Orderbook;

describe('DataPool: latest values', () => {
  it('keeps the last ticker delivered for a retained code, nothing for others', () => {
    const pool = new DataPool();
    expect(pool.retain('ticker', 'KRW-BTC')).toBe(true);
    expect(pool.ticker('KRW-BTC')).toBeUndefined();
    const a = ticker('KRW-BTC', '100.1');
    const b = ticker('KRW-BTC', '100.2');
    pool.put(a);
    pool.put(b);
    pool.put(ticker('KRW-ETH', '5'));
    expect(pool.ticker('KRW-BTC')).toBe(b);
    expect(pool.ticker('KRW-BTC')!.tradePrice.toString()).toBe('100.2');
    expect(pool.ticker('KRW-ETH')).toBeUndefined();
    expect(pool.metrics).toMatchObject({ stored: 2, ignored: 1 });
  });

  // `put` skips its look-ups while no key is retained (a count of keys): the count must follow
  // every retain and release, or a key still wanted would be ignored.
  it('stores for a key still retained whatever else was retained and released, and ignores all once none is', () => {
    const pool = new DataPool();
    pool.put(ticker('KRW-BTC', '1')); // nothing retained
    pool.retain('ticker', 'KRW-BTC');
    pool.retain('ticker', 'KRW-BTC'); // a second reader: one key
    pool.retain('trade', 'KRW-ETH');
    pool.retain('orderbook', 'KRW-XRP');
    pool.retain('orderbook', 'KRW-XRP', { level: 10 });
    expect(pool.release('ticker', 'KRW-DOGE')).toBe(false); // never retained
    expect(pool.release('orderbook', 'KRW-XRP', { level: 5 })).toBe(false);
    expect(pool.release('ticker', 'KRW-BTC')).toBe(false); // one reader left
    expect(pool.release('trade', 'KRW-ETH')).toBe(true);
    expect(pool.release('orderbook', 'KRW-XRP')).toBe(true);
    expect(pool.release('orderbook', 'KRW-XRP', { level: 10 })).toBe(true);
    const kept = ticker('KRW-BTC', '2');
    pool.put(kept);
    expect(pool.ticker('KRW-BTC')).toBe(kept);
    expect(pool.metrics).toMatchObject({ stored: 1, ignored: 1 });
    expect(pool.release('ticker', 'KRW-BTC')).toBe(true);
    pool.retain('trade', 'KRW-ETH');
    pool.clear();
    pool.put(trade('KRW-ETH', '7'));
    pool.retain('trade', 'KRW-ETH'); // after clear, counted from nothing again
    pool.put(trade('KRW-ETH', '8'));
    expect(pool.trades('KRW-ETH', 16).map((t) => t.sequentialId)).toEqual(['8']);
    expect(pool.metrics).toMatchObject({ stored: 2, ignored: 2 });
  });

  it('getMultipleTickers: a Map of the codes that have a value, in the order asked', () => {
    const pool = new DataPool();
    for (const c of ['KRW-BTC', 'KRW-ETH', 'KRW-XRP']) pool.retain('ticker', c);
    pool.put(ticker('KRW-ETH', '2'));
    pool.put(ticker('KRW-BTC', '1'));
    const m = pool.tickers(['KRW-BTC', 'KRW-XRP', 'KRW-ETH']);
    expect([...m.keys()]).toEqual(['KRW-BTC', 'KRW-ETH']);
    expect(m.get('KRW-ETH')!.tradePrice.toString()).toBe('2');
    const out = new Map<string, Ticker>();
    expect(pool.tickers(['KRW-ETH'], out)).toBe(out);
    expect([...out.keys()]).toEqual(['KRW-ETH']);
  });

  it('holds one copy per key, however many interests', () => {
    const pool = new DataPool();
    pool.retain('ticker', 'KRW-BTC');
    pool.retain('ticker', 'KRW-BTC');
    pool.put(ticker('KRW-BTC', '1'));
    expect(pool.history('ticker', 'KRW-BTC')).toHaveLength(1);
    expect(pool.metrics.stored).toBe(1);
  });
});

describe('DataPool: bounded history', () => {
  it('keeps the last `history` messages per key, oldest first', () => {
    const pool = new DataPool({ history: 4 });
    pool.retain('ticker', 'KRW-BTC');
    for (let i = 1; i <= 10; i++) pool.put(ticker('KRW-BTC', String(i)));
    expect(pool.history('ticker', 'KRW-BTC').map((t) => (t as Ticker).tradePrice.toString())).toEqual(['7', '8', '9', '10']);
    expect(pool.ticker('KRW-BTC')!.tradePrice.toString()).toBe('10');
  });

  it('keeps trades by count, de-duplicated by sequential id', () => {
    const pool = new DataPool({ tradeHistory: 3 });
    pool.retain('trade', 'KRW-BTC');
    for (const sid of ['17877285547970001', '17877285547970002', '17877285547970002', '17877285547970003', '17877285547970004']) {
      pool.put(trade('KRW-BTC', sid));
    }
    const ids = (ts: Trade[]) => ts.map((t) => t.sequentialId);
    expect(ids(pool.trades('KRW-BTC', 10))).toEqual(['17877285547970002', '17877285547970003', '17877285547970004']);
    expect(ids(pool.trades('KRW-BTC', 2))).toEqual(['17877285547970003', '17877285547970004']);
    expect(pool.metrics.duplicates).toBe(1);
    const out: Trade[] = [];
    expect(pool.trades('KRW-BTC', 1, out)).toBe(out);
    expect(pool.trades('KRW-ETH', 5)).toEqual([]);
  });

  it('candle types are keys like any other', () => {
    const pool = new DataPool();
    pool.retain('candle.1m', 'KRW-BTC');
    const [c] = decodeFrame(
      JSON.stringify({
        type: 'candle.1m', code: 'KRW-BTC', candle_date_time_utc: 'x', candle_date_time_kst: 'x', opening_price: 1,
        high_price: 1, low_price: 1, trade_price: 1.5, candle_acc_trade_volume: 1, candle_acc_trade_price: 1,
        timestamp: 1, stream_type: 'REALTIME',
      }),
    ) as UpbitMessage[];
    pool.put(c as never);
    expect(pool.latest('candle.1m', 'KRW-BTC')).toBe(c);
    expect(pool.latest('candle.5m', 'KRW-BTC')).toBeUndefined();
  });
});

describe('DataPool: orderbooks per code and level, cut on read', () => {
  it('cuts to the depth asked with exact totals, and caches the cut until the next book', () => {
    const pool = new DataPool();
    pool.retain('orderbook', 'KRW-BTC', { depth: 30 });
    pool.retain('orderbook', 'KRW-BTC', { depth: 5 });
    const full = book('KRW-BTC', 30);
    pool.put(full);
    expect(pool.orderbook('KRW-BTC')).toBe(full);
    const five = pool.orderbook('KRW-BTC', { depth: 5 })!;
    expect(five.orderbookUnits).toHaveLength(5);
    expect(five.totalAskSize.toString()).toBe('0.5');
    expect(five.totalBidSize.toString()).toBe('1');
    expect(five.code).toBe('KRW-BTC');
    expect(pool.orderbook('KRW-BTC', { depth: 5 })).toBe(five);
    const three = pool.orderbook('KRW-BTC', { depth: 3 })!;
    expect(three.totalAskSize.toString()).toBe('0.3'); // 0.1 + 0.1 + 0.1 as a double is 0.30000000000000004
    const next = book('KRW-BTC', 30, 0, 200);
    pool.put(next);
    const five2 = pool.orderbook('KRW-BTC', { depth: 5 })!;
    expect(five2).not.toBe(five);
    expect(five2.orderbookUnits[0].askPrice.toString()).toBe('200');
  });

  it('keeps levels apart; a frame without a level is the native book', () => {
    const pool = new DataPool();
    pool.retain('orderbook', 'KRW-BTC');
    pool.retain('orderbook', 'KRW-BTC', { level: 10000 });
    const native = book('KRW-BTC', 2, null);
    const grouped = book('KRW-BTC', 2, 10000);
    pool.put(native);
    pool.put(grouped);
    pool.put(book('KRW-BTC', 2, 0.5)); // a level nobody asked for
    expect(pool.orderbook('KRW-BTC')).toBe(native);
    expect(pool.orderbook('KRW-BTC', { level: 10000 })).toBe(grouped);
    expect(pool.metrics.ignored).toBe(1);
  });

  it('reports the deepest depth wanted, which shrinks when the deep interest ends', () => {
    const pool = new DataPool();
    expect(pool.retain('orderbook', 'KRW-BTC', { depth: 5 })).toBe(true);
    expect(pool.retain('orderbook', 'KRW-BTC', { depth: 15 })).toBe(false);
    expect(pool.depthWanted('KRW-BTC')).toBe(15);
    expect(pool.release('orderbook', 'KRW-BTC', { depth: 15 })).toBe(false);
    expect(pool.depthWanted('KRW-BTC')).toBe(5);
    expect(pool.interests()).toEqual([{ type: 'orderbook', code: 'KRW-BTC', level: 0, depth: 5 }]);
    expect(pool.release('orderbook', 'KRW-BTC', { depth: 5 })).toBe(true);
    expect(pool.depthWanted('KRW-BTC')).toBeUndefined();
  });
});

describe('DataPool: interests', () => {
  it('tells the hub when a key is first wanted and when the last reader leaves, and drops its data', () => {
    const pool = new DataPool();
    expect(pool.retain('ticker', 'KRW-BTC')).toBe(true);
    expect(pool.retain('ticker', 'KRW-BTC')).toBe(false);
    expect(pool.retain('trade', 'KRW-BTC')).toBe(true);
    pool.put(ticker('KRW-BTC', '1'));
    expect(pool.release('ticker', 'KRW-BTC')).toBe(false);
    expect(pool.ticker('KRW-BTC')).toBeDefined();
    expect(pool.release('ticker', 'KRW-BTC')).toBe(true);
    expect(pool.ticker('KRW-BTC')).toBeUndefined();
    pool.put(ticker('KRW-BTC', '2'));
    expect(pool.ticker('KRW-BTC')).toBeUndefined();
    expect(pool.release('ticker', 'KRW-BTC')).toBe(false); // never below zero
    expect(pool.interests()).toEqual([{ type: 'trade', code: 'KRW-BTC' }]);
    expect(pool.retain('ticker', 'KRW-BTC')).toBe(true); // wanted again: a new key, empty
    expect(pool.ticker('KRW-BTC')).toBeUndefined();
  });

  it('refuses bad options with a typed error', () => {
    expect(() => new DataPool({ history: 0 })).toThrow(UpbitValidationError);
    const pool = new DataPool();
    expect(() => pool.retain('orderbook', 'KRW-BTC', { depth: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => pool.retain('orderbook', 'KRW-BTC', { level: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(pool.interests()).toEqual([]);
  });
});
