/**
 * What one simulated trade left behind (`Tick`, integers) and the trade and ticker messages built
 * from it. Messages are built on first read and cached on the tick, so a step nobody reads costs no
 * Decimal at all and a step many connections read builds each message once.
 *
 * Units: prices and volumes in 10^-8 ("sats"), turnover (price × volume) in 10^-16.
 */
import type { Ticker, Trade } from '../io/index.js';
import { fromSats, fromSats2, SATS } from './num.js';
import { compactDate, compactTime, isoDate, isoTime } from './time.js';

/** What one trade left behind: enough to build its trade and ticker messages later. */
export interface Tick {
  readonly t: number;
  readonly side: 'ASK' | 'BID';
  readonly price: bigint;
  readonly volume: bigint;
  readonly prevClose: bigint;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly accVol: bigint;
  readonly accPrice: bigint;
  readonly accAsk: bigint;
  readonly accBid: bigint;
  readonly vol24: bigint;
  readonly price24: bigint;
  readonly h52: bigint;
  readonly h52Date: string;
  readonly l52: bigint;
  readonly l52Date: string;
  readonly seq: number;
  readonly bestAsk: bigint;
  readonly bestBid: bigint;
  readonly bestAskSize: bigint;
  readonly bestBidSize: bigint;
  trade?: Trade;
  ticker?: Ticker;
}

export function tradeMessage(code: string, k: Tick): Trade {
  return (k.trade ??= {
    type: 'trade',
    code,
    tradePrice: fromSats(k.price),
    tradeVolume: fromSats(k.volume),
    askBid: k.side,
    prevClosingPrice: fromSats(k.prevClose),
    change: k.price === k.prevClose ? 'EVEN' : k.price > k.prevClose ? 'RISE' : 'FALL',
    changePrice: fromSats(k.price > k.prevClose ? k.price - k.prevClose : k.prevClose - k.price),
    tradeDate: isoDate(k.t),
    tradeTime: isoTime(k.t),
    tradeTimestamp: k.t,
    timestamp: k.t,
    // Looks like Upbit's (trade_timestamp × 10000 + n): unique, beyond 2^53, kept as digits.
    sequentialId: String(BigInt(k.t) * 10000n + BigInt(k.seq % 10000)),
    bestAskPrice: fromSats(k.bestAsk),
    bestAskSize: fromSats(k.bestAskSize),
    bestBidPrice: fromSats(k.bestBid),
    bestBidSize: fromSats(k.bestBidSize),
    streamType: 'REALTIME',
  });
}

export function tickerMessage(code: string, k: Tick): Ticker {
  if (k.ticker) return k.ticker;
  const diff = k.price - k.prevClose;
  const abs = diff < 0n ? -diff : diff;
  const rate = (2n * abs * SATS + k.prevClose) / (2n * k.prevClose); // |diff| / prevClose, 8 decimals, half-up
  const changeRate = fromSats(rate);
  return (k.ticker = {
    type: 'ticker',
    code,
    openingPrice: fromSats(k.open),
    highPrice: fromSats(k.high),
    lowPrice: fromSats(k.low),
    tradePrice: fromSats(k.price),
    prevClosingPrice: fromSats(k.prevClose),
    change: diff === 0n ? 'EVEN' : diff > 0n ? 'RISE' : 'FALL',
    changePrice: fromSats(abs),
    signedChangePrice: fromSats(diff),
    changeRate,
    signedChangeRate: diff < 0n ? fromSats(-rate) : changeRate,
    tradeVolume: fromSats(k.volume),
    accTradeVolume: fromSats(k.accVol),
    accTradeVolume24h: fromSats(k.vol24),
    accTradePrice: fromSats2(k.accPrice),
    accTradePrice24h: fromSats2(k.price24),
    tradeDate: compactDate(k.t),
    tradeTime: compactTime(k.t),
    tradeTimestamp: k.t,
    askBid: k.side,
    accAskVolume: fromSats(k.accAsk),
    accBidVolume: fromSats(k.accBid),
    highest52WeekPrice: fromSats(k.h52),
    highest52WeekDate: k.h52Date,
    lowest52WeekPrice: fromSats(k.l52),
    lowest52WeekDate: k.l52Date,
    marketState: 'ACTIVE',
    isTradingSuspended: false,
    delistingDate: null,
    marketWarning: 'NONE',
    timestamp: k.t,
    streamType: 'REALTIME',
  });
}
