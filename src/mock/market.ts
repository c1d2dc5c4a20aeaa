/**
 * The market simulator: a seeded, deterministic random walk per market that produces consistent
 * trade, ticker, orderbook and candle messages, every value exact.
 *
 * How to read this file: `Market.step()` advances simulated time by one step and, for every
 * market, makes ONE trade (`tradeOnce`) and returns the events it caused, in this order:
 *
 *   trade ─► ticker (day open/high/low, acc volumes, change vs prev close, 52 w) ─► orderbook
 *         ─► candle.<unit> for each unit whose push is due (`candleIntervalMs` cadence)
 *
 * The trade happens at the best ask (BID taker) or best bid (ASK taker); then the best bid moves
 * 0–3 ticks on the grid (market-data.ts) and the book is rebuilt around it. State is integers:
 * prices and volumes in units of 10^-8, turnover in 10^-16 (bigint), so a step costs a few
 * microseconds; a `Tick` records what one trade left behind, and the Decimal messages are built
 * from it only when someone reads them (events carry thunks; each builds once). Book sizes come
 * from a hash of (seed, market, trade, level), so reading a book never changes the random
 * sequence: same seed, same calls, same messages.
 */
import { CANDLE_UNITS } from '../io/index.js';
import type { Candle, CandleType, Orderbook, Ticker, Trade } from '../io/index.js';
import { BOOK_DEPTH, orderbookMessage } from './book.js';
import type { Book, Level } from './book.js';
import { candleMessage, CandleSeries, freeze, PERIODS, UNIT_MS } from './candles.js';
import { DEFAULT_MARKETS, nextDown, nextUp, quoteOf, snapDown, supportedLevels } from './market-data.js';
import type { MarketSpec } from './market-data.js';
import { D, fromSats, SATS, toSats } from './num.js';
import type { Dec } from './num.js';
import { Prng } from './prng.js';
import { tickerMessage, tradeMessage } from './tick.js';
import type { Tick } from './tick.js';
import { DAY_MS, isoDate } from './time.js';

export type MarketEvent =
  | { readonly type: 'ticker'; readonly code: string; readonly message: () => Ticker }
  | { readonly type: 'trade'; readonly code: string; readonly message: () => Trade }
  | { readonly type: 'orderbook'; readonly code: string; readonly book: () => Book; readonly timestamp: number }
  | { readonly type: CandleType; readonly code: string; readonly message: () => Candle };

export interface MarketConfig {
  readonly markets?: readonly (string | MarketSpec)[];
  readonly seed: number;
  readonly startTime: number;
  readonly stepMs: number;
  readonly candleIntervalMs: number;
}

/** An orderbook aggregation level: sats for arithmetic (-1 = not on the 10^-8 grid), Decimal for the message. */
export interface BookLevel {
  readonly sats: bigint;
  readonly value: Dec;
}
export const LEVEL_ZERO: BookLevel = { sats: 0n, value: new D(0) };
export function bookLevel(value: Dec): BookLevel {
  return { sats: value.decimalPlaces() > 8 ? -1n : toSats(value), value };
}

/** Typical trade size in quote currency, in sats, by quote. */
const NOTIONAL: Readonly<Record<string, bigint>> = { KRW: 200_000n * SATS, BTC: 300_000n, USDT: 150n * SATS };
const TRADES_KEPT = 500;
export const DAY_UNIT = 'day';

interface State {
  readonly spec: Required<MarketSpec>;
  /** Position in the market list (part of the book-size hash). */
  readonly index: number;
  readonly quote: string;
  readonly anchor: bigint;
  /** Typical trade volume (sats). */
  readonly unitSats: bigint;
  bid: bigint;
  ask: bigint;
  /** The book after the latest trade, built on first use. */
  book: () => Book;
  prevClose: bigint;
  open: bigint;
  high: bigint;
  low: bigint;
  dayStart: number;
  accVol: bigint;
  accPrice: bigint;
  accAsk: bigint;
  accBid: bigint;
  vol24: bigint;
  price24: bigint;
  /** Per-minute buckets of simulated trades inside the 24 h window (oldest first). */
  readonly window: { minute: number; vol: bigint; price: bigint }[];
  h52: bigint;
  h52Date: string;
  l52: bigint;
  l52Date: string;
  seq: number;
  last: Tick;
  readonly ticks: Tick[];
  readonly series: Map<string, CandleSeries>;
}

export function resolveSpecs(markets: readonly (string | MarketSpec)[] | undefined): Required<MarketSpec>[] {
  return (markets ?? DEFAULT_MARKETS).map((m) => {
    const spec = typeof m === 'string' ? (DEFAULT_MARKETS.find((d) => d.code === m) ?? { code: m, price: '1000' }) : m;
    const base = spec.code.slice(spec.code.indexOf('-') + 1);
    return { code: spec.code, price: spec.price, koreanName: spec.koreanName ?? base, englishName: spec.englishName ?? base };
  });
}

export class Market {
  readonly codes: readonly string[];
  private readonly states = new Map<string, State>();
  private readonly prng: Prng;
  private steps = 0;
  private time: number;

  constructor(private readonly cfg: MarketConfig) {
    this.prng = new Prng(cfg.seed);
    this.time = cfg.startTime;
    const specs = resolveSpecs(cfg.markets);
    this.codes = specs.map((s) => s.code);
    specs.forEach((spec, i) => this.states.set(spec.code, this.init(spec, i)));
  }

  /** Simulated time of the latest step (Unix ms). */
  now(): number {
    return this.time;
  }
  has(code: string): boolean {
    return this.states.has(code);
  }
  spec(code: string): Required<MarketSpec> {
    return this.state(code).spec;
  }
  lastPrice(code: string): Dec {
    return fromSats(this.state(code).last.price);
  }
  bestAsk(code: string): Dec {
    return fromSats(this.state(code).ask);
  }
  bestBid(code: string): Dec {
    return fromSats(this.state(code).bid);
  }
  levelSupported(code: string, level: BookLevel): boolean {
    return supportedLevels(code, this.state(code).bid).includes(level.sats);
  }
  ticker(code: string): Ticker {
    return tickerMessage(code, this.state(code).last);
  }
  lastTrade(code: string): Trade {
    return tradeMessage(code, this.state(code).last);
  }
  /** The latest `count` trades, newest first; with `cursor` (a sequential_id), those older than it. */
  recentTrades(code: string, count: number, cursor?: string): Trade[] {
    const ticks = this.state(code).ticks;
    let end = ticks.length;
    if (cursor !== undefined) {
      const at = ticks.findIndex((k) => tradeMessage(code, k).sequentialId === cursor);
      end = at < 0 ? 0 : at;
    }
    return ticks
      .slice(Math.max(0, end - count), end)
      .reverse()
      .map((k) => tradeMessage(code, k));
  }
  book(code: string): Book {
    return this.state(code).book();
  }
  series(code: string, unit: string): CandleSeries {
    return this.state(code).series.get(unit)!;
  }

  /** Advance one step: one trade per market; returns every event it caused. */
  step(): MarketEvent[] {
    this.steps++;
    this.time = this.cfg.startTime + Math.round(this.steps * this.cfg.stepMs);
    const out: MarketEvent[] = [];
    for (const s of this.states.values()) this.tradeOnce(s, this.time, out);
    return out;
  }

  /** The current state of one stream as a SNAPSHOT message (undefined: unknown market or unsupported level). */
  snapshot(type: string, code: string, depth = BOOK_DEPTH, level: BookLevel = LEVEL_ZERO) {
    const s = this.states.get(code);
    if (!s) return undefined;
    const t = this.time;
    const snap = { timestamp: t, streamType: 'SNAPSHOT' } as const;
    if (type === 'ticker') return { ...tickerMessage(code, s.last), ...snap };
    if (type === 'trade') return { ...tradeMessage(code, s.last), ...snap };
    if (type === 'orderbook') return this.orderbook(code, depth, level, 'SNAPSHOT');
    const bar = type.startsWith('candle.') ? s.series.get(type.slice(7))?.current : undefined;
    return bar && candleMessage(type as CandleType, code, bar, 'SNAPSHOT', t);
  }

  orderbook(code: string, depth: number, level: BookLevel, streamType: 'SNAPSHOT' | 'REALTIME'): Orderbook | undefined {
    if (!this.levelSupported(code, level)) return undefined;
    return orderbookMessage(this.state(code).book(), depth, level, streamType, this.time);
  }

  private state(code: string): State {
    const s = this.states.get(code);
    if (!s) throw new RangeError(`unknown market ${code}`);
    return s;
  }

  private init(spec: Required<MarketSpec>, index: number): State {
    const quote = quoteOf(spec.code);
    const p = this.prng;
    const price = snapDown(quote, toSats(new D(spec.price)));
    const t0 = this.time;
    const notional = NOTIONAL[quote] ?? NOTIONAL.USDT;
    const accPrice = notional * BigInt(p.int(20_000, 200_000)) * SATS;
    const accVol = accPrice / price;
    const prevClose = snapDown(quote, (price * BigInt(p.int(9700, 10300))) / 10_000n);
    const s: State = {
      spec,
      index,
      quote,
      anchor: price,
      unitSats: (notional * SATS) / price,
      bid: price,
      ask: nextUp(quote, price),
      book: () => ({ code: spec.code, asks: [], bids: [] }),
      prevClose,
      open: prevClose,
      high: price > prevClose ? price : prevClose,
      low: price < prevClose ? price : prevClose,
      dayStart: t0 - (t0 % DAY_MS),
      accVol,
      accPrice,
      accAsk: accVol / 2n,
      accBid: accVol - accVol / 2n,
      vol24: (accVol * 3n) / 2n,
      price24: (accPrice * 3n) / 2n,
      window: [],
      h52: snapDown(quote, (price * 145n) / 100n),
      h52Date: isoDate(t0 - p.int(30, 300) * DAY_MS),
      l52: snapDown(quote, (price * 55n) / 100n),
      l52Date: isoDate(t0 - p.int(30, 300) * DAY_MS),
      seq: 0,
      last: undefined as unknown as Tick,
      ticks: [],
      series: new Map([
        ...CANDLE_UNITS.map((u) => [u, new CandleSeries(UNIT_MS[u])] as const),
        ...Object.entries(PERIODS).map(([u, startOf]) => [u, new CandleSeries(DAY_MS, startOf)] as const),
      ]),
    };
    this.tradeOnce(s, t0, undefined); // a first trade, so every stream has a snapshot from the start
    return s;
  }

  private tradeOnce(s: State, t: number, out: MarketEvent[] | undefined): void {
    const p = this.prng;
    const code = s.spec.code;
    const side = p.next() < 0.5 ? 'BID' : 'ASK';
    const price = side === 'BID' ? s.ask : s.bid;
    const drawn = (s.unitSats * BigInt(p.int(2, 200))) / 100n;
    const volume = drawn > 0n ? drawn : 1n;
    const turnover = price * volume;
    if (t >= s.dayStart + DAY_MS) {
      // UTC 00:00 rollover: yesterday's last price becomes the previous close (protocol §9.2).
      s.prevClose = s.last.price;
      s.dayStart = t - (t % DAY_MS);
      s.open = s.high = s.low = price;
      s.accVol = s.accPrice = s.accAsk = s.accBid = 0n;
    }
    if (price > s.high) s.high = price;
    if (price < s.low) s.low = price;
    s.accVol += volume;
    s.accPrice += turnover;
    if (side === 'ASK') s.accAsk += volume;
    else s.accBid += volume;
    this.roll24h(s, t, volume, turnover);
    if (price > s.h52) [s.h52, s.h52Date] = [price, isoDate(t)];
    if (price < s.l52) [s.l52, s.l52Date] = [price, isoDate(t)];
    const prevSeq = s.seq++;
    const k: Tick = {
      t,
      side,
      price,
      volume,
      prevClose: s.prevClose,
      open: s.open,
      high: s.high,
      low: s.low,
      accVol: s.accVol,
      accPrice: s.accPrice,
      accAsk: s.accAsk,
      accBid: s.accBid,
      vol24: s.vol24,
      price24: s.price24,
      h52: s.h52,
      h52Date: s.h52Date,
      l52: s.l52,
      l52Date: s.l52Date,
      seq: s.seq,
      bestAsk: s.ask,
      bestBid: s.bid,
      bestAskSize: this.levelSize(s, prevSeq, 0, 0),
      bestBidSize: this.levelSize(s, prevSeq, 1, 0),
    };
    s.last = k;
    s.ticks.push(k);
    if (s.ticks.length > TRADES_KEPT) s.ticks.shift();
    this.move(s);
    s.book = this.lazyBook(s);
    out?.push(
      { type: 'trade', code, message: () => tradeMessage(code, k) },
      { type: 'ticker', code, message: () => tickerMessage(code, k) },
      { type: 'orderbook', code, book: s.book, timestamp: t },
    );
    for (const [unit, series] of s.series) {
      const closed = series.add(t, price, volume, turnover);
      if (!(unit in UNIT_MS) || !out) continue; // day, week, month, year: REST only
      const type = `candle.${unit}` as CandleType;
      // A bar that closes with unpushed changes is pushed once more, so its last state is seen.
      if (closed && series.dirty) out.push({ type, code, message: () => candleMessage(type, code, closed, 'REALTIME', t) });
      series.dirty = true;
      const every = this.cfg.candleIntervalMs;
      const slot = every > 0 ? Math.floor(t / every) : s.seq;
      if (slot > series.lastPushSlot) {
        series.lastPushSlot = slot;
        series.dirty = false;
        const bar = freeze(series.current!);
        let m: Candle | undefined;
        out.push({ type, code, message: () => (m ??= candleMessage(type, code, bar, 'REALTIME', t)) });
      }
    }
  }

  /** Random walk of the best bid by 0–3 ticks, pulled gently back toward the starting price. */
  private move(s: State): void {
    const r = this.prng.next();
    const bias = s.bid > s.anchor ? 0.05 : s.bid < s.anchor ? -0.05 : 0;
    const ticks = this.prng.int(1, 3);
    if (r < 0.3 - bias) for (let i = 0; i < ticks; i++) s.bid = nextUp(s.quote, s.bid);
    else if (r < 0.6) for (let i = 0; i < ticks; i++) s.bid = nextDown(s.quote, s.bid);
    s.ask = nextUp(s.quote, s.bid);
  }

  /** Size (sats) of level `i` (side 0 = ask, 1 = bid) of the book after trade `seq`: a hash, not a PRNG draw. */
  private levelSize(s: State, seq: number, side: number, i: number): bigint {
    let h = Math.imul(this.cfg.seed ^ 0x9e3779b9, 0x85ebca6b) ^ s.index;
    h = Math.imul(h ^ (h >>> 13) ^ seq, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ (side * 64 + i), 0x27d4eb2f);
    h ^= h >>> 15;
    const sats = (s.unitSats * BigInt(10 + ((h >>> 0) % 491))) / 100n;
    return sats > 0n ? sats : 1n;
  }

  /** The book around the current best bid/ask, built (once) when first read. */
  private lazyBook(s: State): () => Book {
    const { bid, ask, seq } = s;
    let book: Book | undefined;
    return () => {
      if (book) return book;
      const asks: Level[] = [];
      const bids: Level[] = [];
      for (let i = 0, a = ask; i < BOOK_DEPTH; i++, a = nextUp(s.quote, a)) asks.push({ price: a, size: this.levelSize(s, seq, 0, i) });
      for (let i = 0, b = bid; i < BOOK_DEPTH; i++) {
        bids.push({ price: b, size: this.levelSize(s, seq, 1, i) });
        const down = nextDown(s.quote, b);
        if (down === b) break;
        b = down;
      }
      return (book = { code: s.spec.code, asks, bids });
    };
  }

  /** Keep the 24 h totals = a synthetic base + the simulated trades of the last 24 h. */
  private roll24h(s: State, t: number, vol: bigint, price: bigint): void {
    const minute = Math.floor(t / 60_000);
    const last = s.window[s.window.length - 1];
    if (last && last.minute === minute) {
      last.vol += vol;
      last.price += price;
    } else s.window.push({ minute, vol, price });
    s.vol24 += vol;
    s.price24 += price;
    while (s.window.length && s.window[0].minute <= minute - 1440) {
      const old = s.window.shift()!;
      s.vol24 -= old.vol;
      s.price24 -= old.price;
    }
  }
}
