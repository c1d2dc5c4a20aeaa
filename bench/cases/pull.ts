/**
 * Case "pull": reading the data pool (src/actors/pool.ts), the store behind `client.getTicker`.
 *
 *   1. 10 KRW tickers (decoded by the real codec) are put into a pool with one interest each.
 *   2. Timed, alternating in the same process: READS × `pool.ticker(code)` over the 10 codes, and
 *      the same loop over a bare `Map<string, Ticker>.get(code)` (the baseline: the least any
 *      keyed store can cost). Median of ROUNDS rounds each; ratio = pool ÷ Map.
 *   3. Allocation: with --expose-gc, a full GC, then 1e6 `pool.ticker` reads, then heapUsed again
 *      (no GC in between: a GC observer counts any that ran), and the same for the Map baseline.
 *      One object per read would be >= 16 B/read (16 MB); what shows is a constant of tens of KB
 *      that does not grow with the count (4e6 reads give the same bytes): not a per-read cost.
 *   4. Also timed: `pool.tickers(10 codes)` (allocates its Map), `pool.orderbook(code, { depth: 5 })`
 *      (a cached cut), and `pool.put(ticker)`.
 *
 * Run alone: node --expose-gc --import tsx bench/cases/pull.ts   (or npx tsx bench/cases/pull.ts:
 * no GC control, the allocation row is then only indicative). Figures are noisy on a shared machine.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { DataPool } from '../../src/actors/pool.js';
import { decodeFrame, type Orderbook, type Ticker } from '../../src/io/index.js';
import { CODES, emit, log, median, scaled, type Row } from '../lib/common.js';

const READS = scaled(1_000_000, 100_000);
const ROUNDS = scaled(9, 3);
const ALLOC_READS = 1_000_000;

function tickerOf(code: string, price: number): Ticker {
  return decodeFrame(
    JSON.stringify({
      type: 'ticker', code, opening_price: 1, high_price: 1, low_price: 1, trade_price: price, prev_closing_price: 1,
      change: 'EVEN', change_price: 0, signed_change_price: 0, change_rate: 0, signed_change_rate: 0, trade_volume: 1,
      acc_trade_volume: 1, acc_trade_volume_24h: 1, acc_trade_price: 1, acc_trade_price_24h: 1, trade_date: '20261201',
      trade_time: '000000', trade_timestamp: 1, ask_bid: 'BID', acc_ask_volume: 1, acc_bid_volume: 1,
      highest_52_week_price: 1, highest_52_week_date: '2026-01-01', lowest_52_week_price: 1,
      lowest_52_week_date: '2026-01-01', market_state: 'ACTIVE', timestamp: 1, stream_type: 'REALTIME',
    }),
  )[0] as Ticker;
}

function bookOf(code: string): Orderbook {
  return decodeFrame(
    JSON.stringify({
      type: 'orderbook', code, total_ask_size: 3, total_bid_size: 6, timestamp: 1, level: 0, stream_type: 'REALTIME',
      orderbook_units: Array.from({ length: 30 }, (_, i) => ({ ask_price: 101 + i, bid_price: 100 - i, ask_size: 0.1, bid_size: 0.2 })),
    }),
  )[0] as Orderbook;
}

const codes = [...CODES];
const pool = new DataPool();
const baseline = new Map<string, Ticker>();
const tickers = codes.map((c, i) => tickerOf(c, 100 + i));
for (const t of tickers) {
  pool.retain('ticker', t.code);
  pool.put(t);
  baseline.set(t.code, t);
}
pool.retain('orderbook', 'KRW-BTC', { depth: 5 });
pool.put(bookOf('KRW-BTC'));

let sink = 0;
/** ns per call of `body` over `n` iterations. */
function timed(n: number, body: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) body(i);
  return ((performance.now() - t0) * 1e6) / n;
}
const readPool = (i: number) => {
  if (pool.ticker(codes[i % 10]) !== undefined) sink++;
};
const readMap = (i: number) => {
  if (baseline.get(codes[i % 10]) !== undefined) sink++;
};
const readMany = () => {
  sink += pool.tickers(codes).size;
};
const readBook = () => {
  if (pool.orderbook('KRW-BTC', { depth: 5 }) !== undefined) sink++;
};
const putOne = (i: number) => pool.put(tickers[i % 10]);
const setMap = (i: number) => baseline.set(codes[i % 10], tickers[i % 10]);

// warm-up (JIT) of every loop
for (let r = 0; r < 3; r++) {
  timed(READS, readPool);
  timed(READS, readMap);
  timed(READS / 10, readMany);
  timed(READS, readBook);
  timed(READS, putOne);
  timed(READS, setMap);
}

const pooled: number[] = [];
const mapped: number[] = [];
const many: number[] = [];
const books: number[] = [];
const puts: number[] = [];
const sets: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  pooled.push(timed(READS, readPool));
  mapped.push(timed(READS, readMap));
  many.push(timed(READS / 10, readMany));
  books.push(timed(READS, readBook));
  puts.push(timed(READS, putOne));
  sets.push(timed(READS, setMap));
}

// allocation per read: heapUsed across 1e6 reads with no GC in between (a GC observer counts any
// that ran), measured for the pool and, the same way, for the Map baseline (which allocates nothing:
// what it shows is the measurement's own noise, e.g. optimised code for the loop).
const gc = (globalThis as { gc?: () => void }).gc;
let gcs = 0;
const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
obs.observe({ entryTypes: ['gc'] });
const settle = async () => {
  gc?.();
  gc?.();
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  gcs = 0;
};
async function allocation(read: (i: number) => void): Promise<{ bytes: number; gcs: number }> {
  for (let i = 0; i < ALLOC_READS; i++) read(i); // the loop's code, optimised before measuring
  await settle();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < ALLOC_READS; i++) read(i);
  const after = process.memoryUsage().heapUsed;
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); // let the observer report
  return { bytes: Math.max(0, after - before), gcs };
}
const allocPool = await allocation(readPool);
const allocMap = await allocation(readMap);
obs.disconnect();
const bytesPerRead = allocPool.bytes / ALLOC_READS;

const ns = (xs: number[]) => Number(median(xs).toFixed(2));
log(`pull: getTicker ${ns(pooled)} ns, Map.get ${ns(mapped)} ns, getMultipleTickers(10) ${ns(many)} ns,`);
log(`pull: orderbook depth 5 ${ns(books)} ns, put ${ns(puts)} ns (Map.set ${ns(sets)} ns)`);
log(
  `pull: ${ALLOC_READS.toLocaleString()} reads: getTicker +${allocPool.bytes} B heap (${bytesPerRead} B/read), ${allocPool.gcs} GCs;` +
    ` Map.get +${allocMap.bytes} B, ${allocMap.gcs} GCs${gc ? '' : ' (no --expose-gc: indicative only)'}`,
);

const rows: Row[] = [
  {
    case: 'pull',
    metric: 'getTicker',
    value: ns(pooled),
    unit: 'ns',
    baseline: { label: 'Map.get', value: ns(mapped), unit: 'ns' },
    ratio: median(pooled) / median(mapped),
  },
  {
    case: 'pull',
    metric: 'getTicker allocation',
    value: bytesPerRead,
    unit: 'B/read',
    baseline: { label: 'Map.get', value: allocMap.bytes / ALLOC_READS, unit: 'B/read' },
    target: { on: 'value', op: '<=', limit: 0.5, label: '<= 0.5 B (one object per read is >= 16 B)' },
  },
  { case: 'pull', metric: 'getMultipleTickers(10)', value: ns(many), unit: 'ns' },
  { case: 'pull', metric: 'getOrderbook depth 5', value: ns(books), unit: 'ns' },
  {
    case: 'pull',
    metric: 'put',
    value: ns(puts),
    unit: 'ns',
    baseline: { label: 'Map.set', value: ns(sets), unit: 'ns' },
    ratio: median(puts) / median(sets),
  },
];
emit({
  case: 'pull',
  rows,
  details: { reads: READS, rounds: ROUNDS, pooled, mapped, many, books, puts, sets, allocPool, allocMap, exposeGc: !!gc, sink },
});
