/**
 * Candle aggregation: one `CandleSeries` per market and unit folds trades into bars.
 *
 * Bars start on UTC multiples of the unit (so 240m bars start at 01:00, 05:00, ... KST, as on
 * Upbit). A bar exists only once a trade falls in it (protocol §9.5: gaps are omitted). Values are
 * integers: prices and volumes in units of 10^-8, turnover in 10^-16 (bigint), so folding a trade
 * costs a few integer operations; `candleMessage` makes the Decimals. Closed bars are kept (200
 * per series) for the REST candle endpoints.
 */
import type { Candle, CandleType, CandleUnit } from '../io/index.js';
import { fromSats, fromSats2 } from './num.js';
import { candleTime, candleTimeKst } from './time.js';

export const UNIT_MS: Readonly<Record<CandleUnit, number>> = {
  '1s': 1000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '10m': 600_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '60m': 3_600_000,
  '240m': 14_400_000,
};

export interface Bar {
  readonly start: number;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  volume: bigint;
  turnover: bigint;
  /** Timestamp of the last trade in the bar. */
  lastTs: number;
  /** Close of the previous bar (day candles report change against it). */
  readonly prevClose: bigint | undefined;
}

export const HISTORY = 200;

export class CandleSeries {
  current: Bar | undefined;
  readonly history: Bar[] = [];
  /** The current bar changed since it was last pushed. */
  dirty = false;
  lastPushSlot = -1;
  /** `startOf` gives the bar start of a time: a multiple of `unitMs` by default; calendar periods pass their own. */
  constructor(
    readonly unitMs: number,
    private readonly startOf: (ts: number) => number = (ts) => ts - (ts % unitMs),
  ) {}

  /** Fold one trade in; returns the bar it closed, if the trade opened a new one. */
  add(ts: number, price: bigint, volume: bigint, turnover: bigint): Bar | undefined {
    const start = this.startOf(ts);
    const cur = this.current;
    if (cur && cur.start === start) {
      if (price > cur.high) cur.high = price;
      if (price < cur.low) cur.low = price;
      cur.close = price;
      cur.volume += volume;
      cur.turnover += turnover;
      cur.lastTs = ts;
      return undefined;
    }
    if (cur) {
      this.history.push(cur);
      if (this.history.length > HISTORY) this.history.shift();
    }
    this.current = { start, open: price, high: price, low: price, close: price, volume, turnover, lastTs: ts, prevClose: cur?.close };
    return cur;
  }

  /** Newest first, current bar included: what REST candle endpoints list; `before` (exclusive bar start) pages back. */
  latest(count: number, before = Infinity): Bar[] {
    const all = this.current ? [...this.history, this.current] : [...this.history];
    return all.filter((b) => b.start < before).slice(-count).reverse();
  }
}

/** A copy of the bar's values now (bars are mutable; pushed messages must not change later). */
export function freeze(bar: Bar): Bar {
  return { ...bar };
}

export function candleMessage(
  type: CandleType,
  code: string,
  bar: Bar,
  streamType: 'SNAPSHOT' | 'REALTIME',
  timestamp: number,
): Candle {
  return {
    type,
    code,
    candleDateTimeUtc: candleTime(bar.start),
    candleDateTimeKst: candleTimeKst(bar.start),
    openingPrice: fromSats(bar.open),
    highPrice: fromSats(bar.high),
    lowPrice: fromSats(bar.low),
    tradePrice: fromSats(bar.close),
    candleAccTradeVolume: fromSats(bar.volume),
    candleAccTradePrice: fromSats2(bar.turnover),
    timestamp,
    streamType,
  };
}

// ─── calendar periods (REST only: /v1/candles/weeks, months, years) ─────────────────────────────

const DAY = 86_400_000;
/** Weeks start on Monday 00:00 UTC (1970-01-01 was a Thursday). */
export const startOfWeek = (ts: number): number => {
  const day = Math.floor(ts / DAY);
  return (day - ((day + 3) % 7)) * DAY;
};
export const startOfMonth = (ts: number): number => {
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
export const startOfYear = (ts: number): number => Date.UTC(new Date(ts).getUTCFullYear(), 0, 1);

/** The REST-only series beside the socket units: unit name → bar start. */
export const PERIODS: Readonly<Record<'day' | 'week' | 'month' | 'year', (ts: number) => number>> = {
  day: (ts) => ts - (ts % DAY),
  week: startOfWeek,
  month: startOfMonth,
  year: startOfYear,
};
