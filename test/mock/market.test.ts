import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/io/index.js';
import type { Candle, Orderbook, Ticker, Trade, UpbitMessage } from '../../src/io/index.js';
import { DEFAULT_MARKETS, tickSize } from '../../src/mock/index.js';
import { D } from '../../src/mock/num.js';
import { connect, mock, request, T0, ticket } from './helpers.js';
import type { Client } from './helpers.js';

/** Every frame before the answer to a PING sent now, decoded with the project's decoder (exact decimals). */
async function drainDecoded(c: Client): Promise<UpbitMessage[]> {
  c.send('PING');
  const out: UpbitMessage[] = [];
  for (;;) {
    const f = await c.next();
    const [m] = decodeFrame(f.data);
    if (m.type === 'status') return out;
    out.push(m);
  }
}

const realtime = <T extends UpbitMessage>(list: UpbitMessage[], type: string) =>
  list.filter((m) => m.type === type && (m as { streamType?: string }).streamType === 'REALTIME') as unknown as T[];

describe('market simulator', () => {
  it('has a realistic default market list with KRW, BTC and USDT quotes', async () => {
    const codes = DEFAULT_MARKETS.map((m) => m.code);
    for (const c of ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE', 'BTC-ETH', 'BTC-XRP', 'USDT-BTC', 'USDT-ETH']) {
      expect(codes).toContain(c);
    }
    const m = await mock();
    expect(m.ticker('KRW-BTC').tradePrice.gt(10_000_000)).toBe(true);
    expect(m.ticker('BTC-ETH').tradePrice.lt(1)).toBe(true);
  });

  it('follows the KRW tick table', () => {
    const cases: [string, string, string][] = [
      ['KRW', '135000000', '1000'],
      ['KRW', '1500000', '500'],
      ['KRW', '250000', '50'],
      ['KRW', '30000', '10'],
      ['KRW', '3100', '1'],
      ['KRW', '330', '0.1'],
      ['KRW', '0.019', '0.00001'],
      ['BTC', '0.0355', '0.00000001'],
    ];
    for (const [q, p, t] of cases) expect(tickSize(q, new D(p)).toString()).toBe(t);
  });

  it('is deterministic: same seed and calls → identical frames; another seed differs', async () => {
    const run = async (seed: number) => {
      const m = await mock({ seed });
      const c = await connect(m.url);
      await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC', 'USDT-ETH'] }, { type: 'orderbook', codes: ['KRW-XRP.5'] }, { type: 'trade', codes: ['BTC-XRP'] }]);
      m.tick(20);
      c.send('PING');
      await c.until((j) => j.status === 'UP');
      return c.frames.map((f) => f.text);
    };
    const a = await run(7);
    expect(a.length).toBe(4 + 20 * 4 + 1);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it('moves the ticker consistently with every trade (exact decimals)', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'trade', codes: ['KRW-ETH'], is_only_realtime: true }, { type: 'ticker', codes: ['KRW-ETH'] }]);
    m.tick(60);
    const all = await drainDecoded(c);
    const [first] = all as Ticker[];
    const trades = realtime<Trade>(all, 'trade');
    const tickers = realtime<Ticker>(all, 'ticker');
    expect(trades.length).toBe(60);
    let prev = first;
    trades.forEach((t, i) => {
      const k = tickers[i];
      expect(k.tradePrice.eq(t.tradePrice)).toBe(true);
      expect(k.tradeVolume.eq(t.tradeVolume)).toBe(true);
      expect(k.askBid).toBe(t.askBid);
      expect(k.tradeTimestamp).toBe(t.tradeTimestamp);
      expect(k.accTradeVolume.eq(prev.accTradeVolume.plus(t.tradeVolume))).toBe(true);
      expect(k.accTradePrice.eq(prev.accTradePrice.plus(t.tradePrice.times(t.tradeVolume)))).toBe(true);
      expect(k.accTradeVolume24h.eq(prev.accTradeVolume24h.plus(t.tradeVolume))).toBe(true);
      const side = t.askBid === 'ASK' ? 'accAskVolume' : 'accBidVolume';
      expect(k[side].eq(prev[side].plus(t.tradeVolume))).toBe(true);
      expect(k.highPrice.eq(D.max(prev.highPrice, t.tradePrice))).toBe(true);
      expect(k.lowPrice.eq(D.min(prev.lowPrice, t.tradePrice))).toBe(true);
      expect(k.highest52WeekPrice.gte(k.highPrice)).toBe(true);
      const diff = t.tradePrice.minus(k.prevClosingPrice);
      expect(k.signedChangePrice.eq(diff)).toBe(true);
      expect(k.changePrice.eq(diff.abs())).toBe(true);
      expect(k.change).toBe(diff.isZero() ? 'EVEN' : diff.isPos() ? 'RISE' : 'FALL');
      expect(k.changeRate.eq(diff.abs().div(k.prevClosingPrice).toDecimalPlaces(8))).toBe(true);
      expect(t.changePrice.eq(diff.abs())).toBe(true);
      expect(k.tradeDate).toMatch(/^\d{8}$/);
      expect(k.tradeTime).toMatch(/^\d{6}$/);
      expect(t.tradeDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(t.tradeTime).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      expect(t.sequentialId).toMatch(/^\d{17,}$/);
      prev = k;
    });
    expect(new Set(trades.map((t) => t.sequentialId)).size).toBe(60);
  });

  it('keeps the orderbook on the tick grid around the last price', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'orderbook', codes: ['KRW-SOL', 'KRW-SHIB'] }, { type: 'trade', codes: ['KRW-SOL', 'KRW-SHIB'] }]);
    m.tick(30);
    const all = await drainDecoded(c);
    for (const code of ['KRW-SOL', 'KRW-SHIB']) {
      const books = all.filter((x) => x.type === 'orderbook' && x.code === code) as Orderbook[];
      const trades = all.filter((x) => x.type === 'trade' && x.code === code && x.streamType === 'REALTIME') as Trade[];
      for (const b of books) {
        const u = b.orderbookUnits;
        expect(u.length).toBe(30);
        expect(u[0].askPrice.gt(u[0].bidPrice)).toBe(true);
        for (let i = 0; i < u.length; i++) {
          expect(u[i].askPrice.mod(tickSize('KRW', u[i].askPrice)).isZero()).toBe(true);
          expect(u[i].bidPrice.mod(tickSize('KRW', u[i].bidPrice)).isZero()).toBe(true);
          if (i > 0) {
            expect(u[i].askPrice.minus(u[i - 1].askPrice).eq(tickSize('KRW', u[i - 1].askPrice))).toBe(true);
            expect(u[i - 1].bidPrice.gt(u[i].bidPrice)).toBe(true);
          }
        }
        expect(b.totalAskSize.eq(u.reduce((s, x) => s.plus(x.askSize), new D(0)))).toBe(true);
        expect(b.totalBidSize.eq(u.reduce((s, x) => s.plus(x.bidSize), new D(0)))).toBe(true);
      }
      // Each trade hit the best level of the book published before it.
      for (let i = 1; i < trades.length; i++) {
        const before = books[i]; // books[0] is the snapshot
        const t = trades[i];
        expect(t.bestAskPrice!.eq(before.orderbookUnits[0].askPrice)).toBe(true);
        expect(t.bestBidPrice!.eq(before.orderbookUnits[0].bidPrice)).toBe(true);
        expect(t.bestAskSize!.eq(before.orderbookUnits[0].askSize)).toBe(true);
        expect(t.tradePrice.eq(t.askBid === 'BID' ? t.bestAskPrice! : t.bestBidPrice!)).toBe(true);
      }
    }
  });

  it('aggregates trades into candles per unit', async () => {
    const m = await mock({ candleIntervalMs: 0 });
    const c = await connect(m.url);
    // The trade snapshot is the simulator's opening trade, so `trades` is every trade there was.
    await request(m, c, [
      ticket(),
      { type: 'trade', codes: ['KRW-BTC'] },
      { type: 'candle.1s', codes: ['KRW-BTC'], is_only_realtime: true },
      { type: 'candle.1m', codes: ['KRW-BTC'], is_only_realtime: true },
    ]);
    m.tick(35); // 100 ms steps: 3.5 one-second candles
    const all = await drainDecoded(c);
    const trades = all.filter((x) => x.type === 'trade') as Trade[];
    expect(trades.length).toBe(36);
    for (const [type, ms] of [['candle.1s', 1000], ['candle.1m', 60_000]] as const) {
      const last = new Map<string, Candle>();
      for (const k of realtime<Candle>(all, type)) last.set(k.candleDateTimeUtc, k);
      expect(last.size).toBe(type === 'candle.1s' ? 4 : 1);
      for (const [start, candle] of last) {
        const t0 = Date.parse(`${start}Z`);
        expect(t0 % ms).toBe(0);
        const inside = trades.filter((t) => t.tradeTimestamp >= t0 && t.tradeTimestamp < t0 + ms);
        expect(candle.openingPrice.eq(inside[0].tradePrice)).toBe(true);
        expect(candle.tradePrice.eq(inside.at(-1)!.tradePrice)).toBe(true);
        expect(candle.highPrice.eq(D.max(...inside.map((t) => t.tradePrice)))).toBe(true);
        expect(candle.lowPrice.eq(D.min(...inside.map((t) => t.tradePrice)))).toBe(true);
        expect(candle.candleAccTradeVolume.eq(inside.reduce((s, t) => s.plus(t.tradeVolume), new D(0)))).toBe(true);
        const turnover = inside.reduce((s, t) => s.plus(t.tradePrice.times(t.tradeVolume)), new D(0));
        expect(candle.candleAccTradePrice.eq(turnover)).toBe(true);
        expect(Date.parse(`${candle.candleDateTimeKst}Z`) - t0).toBe(9 * 3600_000);
      }
    }
  });

  it('pushes candles at most once per simulated second by default', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'candle.1m', codes: ['KRW-BTC'], is_only_realtime: true }]);
    m.tick(30); // 30 trades from 12:00:00.100 to 12:00:03.000: four distinct seconds
    const candles = realtime<Candle>(await drainDecoded(c), 'candle.1m');
    expect(candles.map((k) => k.timestamp)).toEqual([100, 1000, 2000, 3000].map((d) => T0 + d));
  });

  it('rolls the day over at 00:00 UTC', async () => {
    const start = Date.UTC(2025, 5, 15, 23, 59, 59, 850);
    const m = await mock({ startTime: start });
    const before = m.ticker('KRW-BTC');
    m.tick(1); // 23:59:59.950
    const lastPrice = m.ticker('KRW-BTC').tradePrice;
    m.tick(1); // 00:00:00.050 next day
    const after = m.ticker('KRW-BTC');
    expect(after.tradeDate).toBe('20250616');
    expect(after.prevClosingPrice.eq(lastPrice)).toBe(true);
    expect(after.openingPrice.eq(after.tradePrice)).toBe(true);
    expect(after.accTradeVolume.eq(after.tradeVolume)).toBe(true);
    expect(after.accTradeVolume24h.gt(before.accTradeVolume24h)).toBe(true);
  });
});

describe('driving modes', () => {
  it('manual mode: nothing realtime without tick()', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'] }]);
    expect((await drainDecoded(c)).map((x) => (x as Ticker).streamType)).toEqual(['SNAPSHOT']);
  });

  it('timer mode: streams at the configured rate without tick()', async () => {
    const m = await mock({ manual: false, rate: 200 });
    const c = await connect(m.url);
    c.send([ticket(), { type: 'trade', codes: ['KRW-BTC'] }]);
    await c.count(6);
    const ids = c.frames.map((f) => f.json().sequential_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(m.simTime()).toBeGreaterThan(c.frames[0].json().trade_timestamp - 1);
  });

  it('stampSendTime adds "_sent" (ns since epoch) and frames still decode', async () => {
    const lo = BigInt(Date.now() - 1000) * 1_000_000n;
    const m = await mock({ stampSendTime: true });
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'] }, { format: 'SIMPLE_LIST' }]);
    m.tick(1);
    const frames = [await c.next(), await c.next()];
    const hi = BigInt(Date.now() + 1000) * 1_000_000n;
    for (const f of frames) {
      const sent = BigInt(/"_sent":(\d+)/.exec(f.text)![1]);
      expect(sent > lo && sent < hi).toBe(true);
      expect(decodeFrame(f.data)[0].type).toBe('ticker');
      expect(f.text.endsWith('}]')).toBe(true);
    }
  });
});
