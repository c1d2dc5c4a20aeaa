/**
 * Codec benchmark: what does exact, validated, lazy decoding cost next to `JSON.parse`?
 *
 * How to read this file: `corpus()` builds realistic ticker, trade and orderbook frames (values
 * shaped like live KRW-market data, DEFAULT and SIMPLE keys) as Buffers, the way a `ws` client
 * receives them. Each round times three loops over the same frames:
 *
 *   floor    JSON.parse(buf.toString())                  doubles, no validation of fields
 *   routing  decodeFrame(buf) + read type, code, streamType   what the router touches
 *   full     decodeFrame(buf) + read EVERY field (nested units too) as exact values, each by
 *            its name (`m.tradePrice`) as application code does (readers generated from the table)
 *   keyed    the same reads through one generic `m[row.name]` loop: shown, no target; it adds a
 *            megamorphic keyed getter dispatch per field that named reads do not pay
 *   three    decodeFrame(buf) + read 3 exact decimals (the hub-3 workload's codec part: ticker
 *            tradePrice, accTradePrice24h, signedChangeRate; trade tradePrice, tradeVolume,
 *            prevClosingPrice; orderbook totalAskSize, totalBidSize, best ask price)
 *   three, regexes   three with the templates' WebAssembly matchers off (src/io/wasm.ts): each
 *            template checked by its regex, then its spans found by `indexOf` (the decoder before them)
 *   walk*    routing, three and full through `decodeFrameWalk`, the reference byte walk without
 *            templates (the decoder before issue 12, with the same views): templates vs walk in one run
 *
 * decodeFrame learns key-order templates from the frames it walks (src/io/fast.ts); the warm-up
 * rounds teach it the corpus, as the first frames of a live stream do.
 *
 * Allocation: with --expose-gc (and a young generation large enough that no collection runs in
 * between, --min-semi-space-size=16, Node's default maximum from the start; checked with a 'gc'
 * observer), heap bytes per message of
 * each workload over one pass of the corpus: heapUsed after − before a full GC. The floor's figure
 * is JSON.parse's, string included.
 *
 * Warm-up rounds first, then ROUNDS timed rounds. Reported: the median µs per message of each
 * workload, and the median of the per-round ratios to the floor (each round times the three
 * workloads back to back, so the ratio is paired and robust to load from other processes).
 * Targets: routing ≤ 1.0x, full ≤ 2.0x. Results are also written to bench/results/codec.json.
 *
 * Run: node --expose-gc --min-semi-space-size=16 --import tsx bench/codec.ts
 *      (or npx tsx bench/codec.ts without the allocation figures; env ROUNDS, WARMUP, FRAMES change
 *      the sizes; ONLY=regex picks corpora)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { decodeFrame, decodeFrameWalk } from '../src/io/decode.js';
import { setWasmMatchers } from '../src/io/fast.js';
import { encodeEvent } from '../src/io/encode.js';
import { toDecimal } from '../src/io/decimal.js';
import { tableOf, type Format, type Table, type UpbitMessage } from '../src/io/fields.js';

const ROUNDS = Number(process.env.ROUNDS ?? 21);
const WARMUP = Number(process.env.WARMUP ?? 5);
const FRAMES = Number(process.env.FRAMES ?? 200); // frames per (type, format)
const TARGET = { routing: 1.0, full: 2.0 };

// ─── a deterministic corpus ─────────────────────────────────────────────────────────────────────

let seed = 0x2545f491;
function rand(): number {
  // xorshift32: deterministic, so every run decodes the same bytes
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
/** A price on a KRW tick grid, sometimes with Upbit's `.00000000` tail. */
const price = (base: number, tick: number) => {
  const ticks = Math.round((base * (0.97 + rand() * 0.06)) / tick);
  const p = tick >= 1 ? String(ticks * tick) : (ticks * tick).toFixed(1);
  return toDecimal(rand() < 0.4 ? `${p.split('.')[0]}.${(p.split('.')[1] ?? '').padEnd(8, '0')}` : p);
};
/** A volume with up to 8 fraction digits. */
const volume = (scale: number) => toDecimal((rand() * scale).toFixed(8).replace(/\.?0+$/, '') || '0');
const rate = () => toDecimal((rand() * 0.05).toFixed(10));

const MARKETS = [
  { code: 'KRW-BTC', base: 137_000_000, tick: 1000 },
  { code: 'KRW-ETH', base: 3_400_000, tick: 1000 },
  { code: 'KRW-XRP', base: 3_100, tick: 1 },
  { code: 'KRW-SOL', base: 210_000, tick: 50 },
  { code: 'KRW-DOGE', base: 260, tick: 0.1 },
];

function ticker(): UpbitMessage {
  const m = pick(MARKETS);
  const ts = 1_746_601_573_000 + int(0, 86_400_000);
  const prev = price(m.base, m.tick);
  const last = price(m.base, m.tick);
  const diff = last.minus(prev);
  return {
    type: 'ticker', code: m.code,
    openingPrice: price(m.base, m.tick), highPrice: price(m.base * 1.02, m.tick), lowPrice: price(m.base * 0.98, m.tick),
    tradePrice: last, prevClosingPrice: prev,
    change: diff.isZero() ? 'EVEN' : diff.isPos() ? 'RISE' : 'FALL',
    changePrice: diff.abs(), signedChangePrice: diff, changeRate: rate(), signedChangeRate: rate().neg(),
    tradeVolume: volume(2), accTradeVolume: volume(3000), accTradeVolume24h: volume(5000),
    accTradePrice: toDecimal('224012345678.98765432'), accTradePrice24h: volume(1e12),
    tradeDate: '20250507', tradeTime: '070613', tradeTimestamp: ts - 200, askBid: pick(['ASK', 'BID'] as const),
    accAskVolume: volume(1500), accBidVolume: volume(1500),
    highest52WeekPrice: price(m.base * 1.3, m.tick), highest52WeekDate: '2025-01-20',
    lowest52WeekPrice: price(m.base * 0.6, m.tick), lowest52WeekDate: '2024-08-05',
    marketState: 'ACTIVE', isTradingSuspended: false, delistingDate: null, marketWarning: 'NONE',
    timestamp: ts, streamType: pick(['SNAPSHOT', 'REALTIME'] as const),
  } as unknown as UpbitMessage;
}

function trade(): UpbitMessage {
  const m = pick(MARKETS);
  const ts = 1_746_601_573_000 + int(0, 86_400_000);
  return {
    type: 'trade', code: m.code, tradePrice: price(m.base, m.tick), tradeVolume: volume(0.5),
    askBid: pick(['ASK', 'BID'] as const), prevClosingPrice: price(m.base, m.tick), change: 'RISE',
    changePrice: price(m.base * 0.01, m.tick), tradeDate: '2025-05-07', tradeTime: '07:06:13',
    tradeTimestamp: ts, timestamp: ts + int(1, 40), sequentialId: `${ts}${String(int(0, 9999)).padStart(4, '0')}`,
    bestAskPrice: price(m.base, m.tick), bestAskSize: volume(1), bestBidPrice: price(m.base, m.tick),
    bestBidSize: volume(1), streamType: 'REALTIME',
  } as unknown as UpbitMessage;
}

function orderbook(): UpbitMessage {
  const m = pick(MARKETS);
  const mid = Math.round(m.base / m.tick);
  const units = Array.from({ length: 30 }, (_, i) => ({
    askPrice: toDecimal(String(+((mid + 1 + i) * m.tick).toFixed(1))),
    bidPrice: toDecimal(String(+((mid - i) * m.tick).toFixed(1))),
    askSize: volume(3),
    bidSize: volume(3),
  }));
  return {
    type: 'orderbook', code: m.code, totalAskSize: volume(50), totalBidSize: volume(50), orderbookUnits: units,
    timestamp: 1_746_601_573_804 + int(0, 86_400_000), level: toDecimal('0'), streamType: 'REALTIME',
  } as unknown as UpbitMessage;
}

const KINDS = { ticker, trade, orderbook } as const;
type KindName = keyof typeof KINDS;
const BENCH_FORMATS: Format[] = ['DEFAULT', 'SIMPLE'];

function corpus(kind: KindName, format: Format): Buffer[] {
  return Array.from({ length: FRAMES }, () => {
    const text = encodeEvent(KINDS[kind](), format);
    // Sanity: the decoder reads back exactly what was written, byte for byte, before anything is timed.
    if (encodeEvent(decodeFrame(Buffer.from(text))[0], format) !== text) throw new Error(`round trip differs: ${text}`);
    return Buffer.from(text);
  });
}

// ─── the three workloads ────────────────────────────────────────────────────────────────────────

let sink = 0; // results flow here so no loop can be optimised away

function floor(frames: readonly Buffer[]): void {
  for (let i = 0; i < frames.length; i++) {
    const o = JSON.parse(frames[i].toString());
    sink += o === null ? 0 : 1;
  }
}

type Decode = (frame: Buffer) => UpbitMessage[];

function routing(frames: readonly Buffer[], decode: Decode = decodeFrame): void {
  for (let i = 0; i < frames.length; i++) {
    const msgs = decode(frames[i]);
    for (let j = 0; j < msgs.length; j++) {
      const m = msgs[j] as { type: string; code?: string; streamType?: string };
      sink += m.type.length + (m.code?.length ?? 0) + (m.streamType?.length ?? 0);
    }
  }
}

/**
 * A reader for every row of `table`, generated from the table with each field read by its name
 * (`m.tradePrice`), as application code reads them; nested lists are walked element by element.
 * Every value is the exact one (a Decimal, not a string or a double).
 */
type Reader = (m: unknown) => number;
const readers = new Map<Table, Reader>();
function readerOf(table: Table): Reader {
  let r = readers.get(table);
  if (!r) {
    const children: Reader[] = [];
    const lines = table.map((row) => {
      if (row.kind.t !== 'list') return `if (m.${row.name} !== null) n++;`;
      children.push(readerOf(row.kind.of));
      return `for (const e of m.${row.name}) n += children[${children.length - 1}](e);`;
    });
    r = new Function('children', `return function read(m) { let n = 0; ${lines.join(' ')} return n; }`)(children) as Reader;
    readers.set(table, r);
  }
  return r;
}

function full(frames: readonly Buffer[], decode: Decode = decodeFrame): void {
  for (let i = 0; i < frames.length; i++) {
    const msgs = decode(frames[i]);
    for (let j = 0; j < msgs.length; j++) sink += readerOf(tableOf(msgs[j].type)!)(msgs[j]);
  }
}

type Any = Record<string, unknown>;
const touch = (d: unknown) => (d as { d: number[] }).d.length;
/** The 3 decimals the hub-3 bench case reads, per type. */
function readThree(m: Any): number {
  switch (m.type) {
    case 'ticker':
      return touch(m.tradePrice) + touch(m.accTradePrice24h) + touch(m.signedChangeRate);
    case 'trade':
      return touch(m.tradePrice) + touch(m.tradeVolume) + touch(m.prevClosingPrice);
    default:
      return touch(m.totalAskSize) + touch(m.totalBidSize) + touch((m.orderbookUnits as Any[])[0].askPrice);
  }
}

function three(frames: readonly Buffer[], decode: Decode = decodeFrame): void {
  for (let i = 0; i < frames.length; i++) {
    const msgs = decode(frames[i]);
    for (let j = 0; j < msgs.length; j++) sink += readThree(msgs[j] as unknown as Any);
  }
}

/** The same reads through one generic loop (`m[row.name]`): a megamorphic keyed access per field. */
function readKeyed(m: Record<string, unknown>, table: Table): number {
  let n = 0;
  for (let r = 0; r < table.length; r++) {
    const row = table[r];
    const x = m[row.name];
    if (row.kind.t === 'list') for (const e of x as Record<string, unknown>[]) n += readKeyed(e, row.kind.of);
    else if (x !== null) n++;
  }
  return n;
}

function fullKeyed(frames: readonly Buffer[]): void {
  for (let i = 0; i < frames.length; i++) {
    const msgs = decodeFrame(frames[i]);
    for (let j = 0; j < msgs.length; j++) sink += readKeyed(msgs[j] as never, tableOf(msgs[j].type)!);
  }
}

// ─── timing ─────────────────────────────────────────────────────────────────────────────────────

const WORKLOADS = {
  floor,
  routing,
  three,
  full,
  fullKeyed,
  regexThree: (f: readonly Buffer[]) => {
    setWasmMatchers(false);
    try {
      three(f);
    } finally {
      setWasmMatchers(true);
    }
  },
  walkRouting: (f: readonly Buffer[]) => routing(f, decodeFrameWalk),
  walkThree: (f: readonly Buffer[]) => three(f, decodeFrameWalk),
  walkFull: (f: readonly Buffer[]) => full(f, decodeFrameWalk),
} as const;
type Workload = keyof typeof WORKLOADS;
const NAMES = Object.keys(WORKLOADS) as Workload[];

/**
 * µs per message: this process's CPU time (user + system), not the wall clock, which on a machine
 * shared with other processes counts the time spent waiting for a core (CLOCK=wall to compare).
 */
function timeUs(fn: (f: readonly Buffer[]) => void, frames: readonly Buffer[], reps: number): number {
  if (process.env.CLOCK === 'wall') {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) fn(frames);
    return Number(process.hrtime.bigint() - t0) / 1000 / (reps * frames.length);
  }
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) fn(frames);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (reps * frames.length);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Row {
  corpus: string;
  bytesPerFrame: number;
  /** Median µs per message of each workload. */
  us: Record<Workload, number>;
  /** Median of the per-round ratios to the floor. */
  ratio: Record<Workload, number>;
  /** Heap bytes allocated per message (NaN without --expose-gc or when a collection always intervened). */
  alloc: Record<Workload, number>;
}

const gcFn = (globalThis as { gc?: () => void }).gc;
let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const tick = () => new Promise((r) => setTimeout(r, 10));

/** Heap bytes per message of `fn` over one pass of `frames`: the least of three passes with no collection inside. */
async function allocation(fn: (f: readonly Buffer[]) => void, frames: readonly Buffer[]): Promise<number> {
  if (!gcFn) return NaN;
  let best = NaN;
  for (let k = 0; k < 3; k++) {
    gcFn();
    await tick(); // the observer reports the forced collection
    const before = gcs;
    const h0 = process.memoryUsage().heapUsed;
    fn(frames);
    const h1 = process.memoryUsage().heapUsed;
    await tick();
    if (gcs === before && !(best <= (h1 - h0) / frames.length)) best = (h1 - h0) / frames.length;
  }
  return best;
}

async function measure(name: string, frames: Buffer[]): Promise<Row> {
  // Repeat the corpus so that one sample takes a few milliseconds.
  const bytes = frames.reduce((n, f) => n + f.length, 0);
  const reps = Math.max(1, Math.round(4_000_000 / bytes)); // ms-long samples: CPU time ticks coarsely
  const samples = Object.fromEntries(NAMES.map((w) => [w, [] as number[]])) as Record<Workload, number[]>;
  const ratios = Object.fromEntries(NAMES.map((w) => [w, [] as number[]])) as Record<Workload, number[]>;
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // The workloads run back to back, in a rotating order, and each round's ratios are paired:
    // load from other processes shifts the floor and the decoder alike.
    const us = {} as Record<Workload, number>;
    for (let k = 0; k < NAMES.length; k++) {
      const w = NAMES[(round + k) % NAMES.length];
      us[w] = timeUs(WORKLOADS[w], frames, reps);
    }
    if (round < WARMUP) continue;
    for (const w of NAMES) {
      samples[w].push(us[w]);
      ratios[w].push(us[w] / us.floor);
    }
  }
  const med = (xs: Record<Workload, number[]>) =>
    Object.fromEntries(NAMES.map((w) => [w, median(xs[w])])) as Record<Workload, number>;
  const alloc = {} as Record<Workload, number>;
  for (const w of NAMES) alloc[w] = await allocation(WORKLOADS[w], frames);
  return { corpus: name, bytesPerFrame: Math.round(bytes / frames.length), us: med(samples), ratio: med(ratios), alloc };
}

async function main(): Promise<void> {
  const sets: [string, Buffer[]][] = [];
  for (const format of BENCH_FORMATS) {
    for (const kind of Object.keys(KINDS) as KindName[]) sets.push([`${kind} ${format}`, corpus(kind, format)]);
  }
  // A mixed stream, as one public socket carries it.
  const mixed: Buffer[] = [];
  for (let i = 0; i < FRAMES * 2; i++) {
    const [, frames] = sets[Math.floor(rand() * sets.length)];
    mixed.push(frames[i % frames.length]);
  }
  sets.push(['mixed', mixed]);
  const only = process.env.ONLY ? new RegExp(process.env.ONLY) : undefined; // e.g. ONLY='ticker DEFAULT'
  if (only) sets.splice(0, sets.length, ...sets.filter(([name]) => only.test(name)));

  const rows: Row[] = [];
  for (const [name, frames] of sets) rows.push(await measure(name, frames));
  const fmt = (x: number) => x.toFixed(3);
  const x = (r: number) => `${r.toFixed(2)}x`;
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(`codec benchmark: node ${process.version}, ${ROUNDS} rounds (median) after ${WARMUP} warm-up, ${FRAMES} frames per corpus`);
  const cell = (r: Row, w: Workload) => `${fmt(r.us[w])} (${x(r.ratio[w])})`;
  const b = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : '–');
  console.log('µs per message (ratio to JSON.parse, lower is better); walk = the reference walk, no templates (the decoder before)');
  console.log(line(['corpus', 'bytes', 'floor µs', 'routing', 'three', 'full', 'keyed loop', 'three, regexes', 'walk routing', 'walk three', 'walk full']));
  console.log(line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const r of rows) {
    console.log(line([r.corpus, String(r.bytesPerFrame), fmt(r.us.floor), ...(['routing', 'three', 'full', 'fullKeyed', 'regexThree', 'walkRouting', 'walkThree', 'walkFull'] as const).map((w) => cell(r, w))]));
  }
  console.log('\nheap bytes allocated per message');
  console.log(line(['corpus', 'floor', 'routing', 'three', 'full', 'three, regexes', 'walk routing', 'walk three', 'walk full']));
  console.log(line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const r of rows) {
    const a = r.alloc;
    console.log(line([r.corpus, b(a.floor), b(a.routing), b(a.three), b(a.full), b(a.regexThree), b(a.walkRouting), b(a.walkThree), b(a.walkFull)]));
  }
  const missed = rows.filter((r) => r.ratio.routing > TARGET.routing || r.ratio.full > TARGET.full);
  console.log(
    missed.length === 0
      ? `targets met: routing ≤ ${TARGET.routing}x, full ≤ ${TARGET.full}x on every corpus`
      : `TARGET MISSED on: ${missed.map((r) => r.corpus).join(', ')}`,
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'codec.json');
  mkdirSync(dirname(out), { recursive: true });
  const meta = { node: process.version, date: new Date().toISOString(), rounds: ROUNDS, warmup: WARMUP, frames: FRAMES };
  writeFileSync(out, `${JSON.stringify({ ...meta, targets: TARGET, rows, sink: sink > 0 }, null, 2)}\n`);
  console.log(`results written to ${out}`);
}

await main();
