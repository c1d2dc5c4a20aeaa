/**
 * The hub's own cost per message, decoder excluded: what happens after `decodeFrame` returns,
 * from the socket actor's per-message loop to a user callback (issue 12, item 3).
 *
 * How to read: a real hub against the in-process mock (manual market: the mock sends nothing by
 * itself) with 10 components, one code each, each `on(kind)` callback only counting; once every
 * subscription is active, frames of that kind are decoded here and handed to the hub's router
 * exactly as src/actors/socket.ts does after `decodeFrame` (`deliverMessages`, the socket's own
 * per-message code, epoch and meter included), so the router's tap (the data pool), the routes,
 * the sinks, the subscriptions' callbacks and the component listeners all run as they do live.
 *
 * Each round decodes CHUNK fresh frames (untimed: frames never seen by the hub, so the first epoch
 * stamp of every view is counted), then:
 *   bytes/msg  heapUsed after − before around the hub part, after a forced full GC, with no
 *              collection in between (checked with a 'gc' observer; a round with one is discarded)
 *   ns/msg cold  CPU time (user + system) of the hub part over TIMED further fresh messages
 *              (decoded untimed before the loop, so mostly out of the CPU caches), median of the
 *              rounds; the lowest round beside it
 *   ns/msg warm  the hub part over batches of 100 messages each decoded just before (in the
 *              caches, as a live frame's messages are), wall clock per batch, median batch
 * The decoder's own bytes and the floor's (JSON.parse of the same frames) are printed beside it.
 * Trade frames get unique sequential ids (a route drops ids it saw). Orderbooks carry 15 units;
 * `orderbook.15` subscribes with an explicit `.15` depth suffix (nothing to cut: the wire carries
 * 15), `orderbook.5` with `.5` (a real cut per message).
 *
 * Run: node --expose-gc --min-semi-space-size=16 --import tsx bench/hotpath.ts
 *      (env ROUNDS, CHUNK, TIMED; KINDS=ticker,trade,orderbook,orderbook.15,orderbook.5,mixed; FORMAT=SIMPLE|DEFAULT;
 *      NOSAMPLE=1 stamps no frame with its arrival time)
 * Figures are noisy on a shared machine: compare versions back to back, and read the load average.
 */
import { loadavg } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { LATENCY_SAMPLE } from '../src/actors/arrival.js';
import { ConnectionMeter } from '../src/actors/metrics.js';
import { createUpbitHub, hubInternals } from '../src/actors/hub.js';
import { deliverMessages } from '../src/actors/socket.js';
import { decodeFrame } from '../src/io/decode.js';
import { encodeEvent } from '../src/io/encode.js';
import { toDecimal } from '../src/io/decimal.js';
import type { DataType, Format, UpbitMessage } from '../src/io/fields.js';
import { startMockUpbit } from '../src/mock/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const CHUNK = Number(process.env.CHUNK ?? 2000);
const TIMED = Number(process.env.TIMED ?? 20_000);
const BATCH = 100;
const FORMAT = (process.env.FORMAT ?? 'SIMPLE') as Format;
const KINDS = process.env.KINDS?.split(',') ?? ['ticker', 'trade', 'orderbook', 'orderbook.15', 'orderbook.5', 'mixed'];
const SAMPLE = process.env.NOSAMPLE ? 0 : LATENCY_SAMPLE - 1;
const CODES = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE', 'KRW-ADA', 'KRW-TRX', 'KRW-LINK', 'KRW-AVAX', 'KRW-DOT'];
const gc = (globalThis as { gc?: () => void }).gc;

let gcs = 0;
new PerformanceObserver((list) => void (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
/** Long enough for the observer to hear of a collection (kinds.ts waits as long). */
const tick = () => new Promise<void>((r) => setTimeout(r, 20));

const d = (s: string) => toDecimal(s);
function message(kind: string, code: string, i: number): UpbitMessage {
  const ts = 1_746_601_573_000 + i;
  if (kind === 'ticker') {
    return {
      type: 'ticker', code, openingPrice: d('137000000'), highPrice: d('139000000.00000000'), lowPrice: d('136000000'),
      tradePrice: d(String(137_000_000 + (i % 500) * 1000)), prevClosingPrice: d('137500000'), change: 'FALL',
      changePrice: d('500000'), signedChangePrice: d('-500000'), changeRate: d('0.0036363636'), signedChangeRate: d('-0.0036363636'),
      tradeVolume: d('0.0012'), accTradeVolume: d('1234.56789012'), accTradeVolume24h: d('2345.67890123'),
      accTradePrice: d('224012345678.98765432'), accTradePrice24h: d('321012345678.12345678'),
      tradeDate: '20250507', tradeTime: '070613', tradeTimestamp: ts - 200, askBid: 'BID',
      accAskVolume: d('600.1'), accBidVolume: d('634.46789012'), highest52WeekPrice: d('163325000'), highest52WeekDate: '2025-01-20',
      lowest52WeekPrice: d('72100000'), lowest52WeekDate: '2024-08-05', marketState: 'ACTIVE', isTradingSuspended: false,
      delistingDate: null, marketWarning: 'NONE', timestamp: ts, streamType: 'REALTIME',
    } as unknown as UpbitMessage;
  }
  if (kind === 'trade') {
    return {
      type: 'trade', code, tradePrice: d(String(137_000_000 + (i % 500) * 1000)), tradeVolume: d('0.00123'), askBid: 'ASK',
      prevClosingPrice: d('137500000'), change: 'RISE', changePrice: d('1000'), tradeDate: '2025-05-07', tradeTime: '07:06:13',
      tradeTimestamp: ts, timestamp: ts + 3, sequentialId: `${ts}0000`, bestAskPrice: d('137001000'), bestAskSize: d('0.5'),
      bestBidPrice: d('137000000'), bestBidSize: d('0.25'), streamType: 'REALTIME',
    } as unknown as UpbitMessage;
  }
  const units = Array.from({ length: 15 }, (_, k) => ({
    askPrice: d(String(137_001_000 + k * 1000)), bidPrice: d(String(137_000_000 - k * 1000)), askSize: d('0.123'), bidSize: d('1.5'),
  }));
  return {
    type: 'orderbook', code, totalAskSize: d('1.845'), totalBidSize: d('22.5'), orderbookUnits: units,
    timestamp: ts, level: d('0'), streamType: 'REALTIME',
  } as unknown as UpbitMessage;
}

/** CHUNK fresh frames of `kind`, round-robin over the codes (trades: unique ids from `start`). */
function frames(kind: string, start: number, n = CHUNK): Buffer[] {
  const base = CODES.map((code, i) => encodeEvent(message(typeOf(kind, i), code, 0), FORMAT));
  const id = '17466015730000000';
  return Array.from({ length: n }, (_, i) => {
    const text = base[i % CODES.length];
    return Buffer.from(text.includes(id) ? text.replace(id, String(BigInt(id) + BigInt(start + i))) : text);
  });
}

/** The type component `i` subscribes to: `mixed` gives ticker, trade and orderbook codes in turn (one process, three view classes). */
const typeOf = (kind: string, i: number): DataType => (kind === 'mixed' ? (['ticker', 'trade', 'orderbook'] as const)[i % 3] : (kind.split('.')[0] as DataType));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const mock = await startMockUpbit({ manual: true, perMessageDeflate: false, limits: false } as never);
const load0 = loadavg()[0];
const results: string[] = [];
const delivery = process.env.BUDGET === 'inf' ? { delivery: { budgetMs: Infinity } } : {};
for (const kind of KINDS) {
  const suffix = kind.includes('.') ? `.${kind.split('.')[1]}` : '';
  const hub = createUpbitHub({ url: mock.url, perMessageDeflate: false, format: FORMAT, pendingWindow: 10, ...delivery });
  hub.onError((e) => process.stderr.write(`hub error: ${e.code} ${e.message}\n`));
  let hits = 0;
  const count = () => void hits++;
  const subs = CODES.map((code, i) => {
    const c = hub.spawnComponent(`c${i}`);
    c.on(typeOf(kind, i) as 'ticker', count);
    const id = c.send({ type: 'SUBSCRIBE', channel: typeOf(kind, i), codes: [code + suffix] })!;
    return () => c.subscription(id)!.status;
  });
  while (subs.some((s) => s() !== 'active')) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100)); // the snapshots pass
  const { router } = hubInternals(hub);
  const epoch = router.epoch('public');
  // The socket's meter: one frame in LATENCY_SAMPLE stamped (the hub's own meter is not reachable; this one is the same class).
  const meter = new ConnectionMeter();
  const hub0 = hits;

  const hubNs: number[] = [];
  const warmNs: number[] = [];
  const batch: UpbitMessage[][] = new Array(BATCH);
  const hubB: number[] = [];
  const decB: number[] = [];
  const floorB: number[] = [];
  let dropped = 0;
  for (let r = 0; r < ROUNDS + 3; r++) {
    const bufs = frames(kind, r * CHUNK);
    const texts = bufs.map((b) => b.toString());
    // the floor: JSON.parse of the same frames
    gc?.();
    await tick();
    let g = gcs;
    let h0 = process.memoryUsage().heapUsed;
    const parsed = texts.map((t) => JSON.parse(t) as unknown);
    let h1 = process.memoryUsage().heapUsed;
    await tick();
    if (gcs === g && r >= 3) floorB.push((h1 - h0 - 8 * CHUNK - 16) / CHUNK); // minus the array holding them
    void parsed;
    // the decoder alone (kept: the hub part runs on these)
    gc?.();
    await tick();
    g = gcs;
    h0 = process.memoryUsage().heapUsed;
    const msgs: UpbitMessage[][] = new Array(CHUNK);
    for (let i = 0; i < CHUNK; i++) msgs[i] = decodeFrame(bufs[i]);
    h1 = process.memoryUsage().heapUsed;
    await tick();
    if (gcs === g && r >= 3) decB.push((h1 - h0 - 8 * CHUNK - 16) / CHUNK);
    // the hub part: bytes over these CHUNK messages, right after a full GC
    gc?.();
    await tick();
    g = gcs;
    const before = hits;
    h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < CHUNK; i++) deliverMessages(msgs[i], 'public', epoch, router, meter, (++meter.frames & SAMPLE) === 0 && SAMPLE !== 0 ? performance.now() : undefined);
    h1 = process.memoryUsage().heapUsed;
    await tick();
    const noGc = gcs === g;
    // time: TIMED more fresh messages (decoded untimed), CPU time of the process
    const more = frames(kind, 1e6 + r * TIMED, TIMED).map((b) => decodeFrame(b));
    await tick();
    const c0 = process.cpuUsage();
    for (let i = 0; i < TIMED; i++) deliverMessages(more[i], 'public', epoch, router, meter, (++meter.frames & SAMPLE) === 0 && SAMPLE !== 0 ? performance.now() : undefined);
    const c1 = process.cpuUsage(c0);
    await tick();
    // warm: batches of BATCH frames decoded just before (in the cache, as a live frame's messages
    // are), each batch timed on the wall clock; the median batch leaves out the preempted ones
    const warmFrames = frames(kind, 2e6 + r * TIMED, TIMED);
    for (let b = 0; b + BATCH <= TIMED; b += BATCH) {
      for (let i = 0; i < BATCH; i++) batch[i] = decodeFrame(warmFrames[b + i]);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) deliverMessages(batch[i], 'public', epoch, router, meter, (++meter.frames & SAMPLE) === 0 && SAMPLE !== 0 ? performance.now() : undefined);
      const t1 = process.hrtime.bigint();
      if (r >= 3) warmNs.push(Number(t1 - t0) / BATCH);
    }
    await tick();
    if (hits - before !== CHUNK + 2 * Math.floor(TIMED / BATCH) * BATCH) dropped++;
    if (r < 3) continue; // warm-up
    hubNs.push(((c1.user + c1.system) * 1000) / TIMED);
    if (noGc) hubB.push((h1 - h0) / CHUNK);
  }
  await hub.stop();
  const f = (xs: number[], digits = 0) => (xs.length === 0 ? 'n/a' : median(xs).toFixed(digits));
  results.push(
    `${(kind + ' ' + FORMAT).padEnd(22)} hub ${f(hubB).padStart(5)} B/msg ${f(hubNs, 1).padStart(7)} ns/msg cold (min ${Math.min(...hubNs).toFixed(1)}), ${f(warmNs, 1).padStart(6)} ns/msg warm` +
      ` | decoder ${f(decB).padStart(5)} B/msg | JSON.parse ${f(floorB).padStart(5)} B/msg` +
      ` | rounds ${hubB.length}/${hubNs.length} without gc${dropped ? `, ${dropped} rounds short of callbacks` : ''} (${hits - hub0} callbacks)`,
  );
  process.stdout.write(results.at(-1) + '\n');
}
await mock.close();
process.stdout.write(`load average ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)} (2 cores); gc ${gc ? 'exposed' : 'NOT exposed: run with --expose-gc'}\n`);
process.exit(0);
