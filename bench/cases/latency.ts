/**
 * Case 5, latency: mock send → user callback, at fixed rates of 1k, 5k and 20k messages/s.
 *
 * The mock runs its market timer (`rate` steps/s over exactly the 10 flooded markets, so 10 ticker
 * frames per step) with `stampSendTime`: each frame carries `"_sent": <ns since the epoch>`,
 * written by src/mock/connection.ts `sendTimeNs()` (performance.timeOrigin + performance.now())
 * just before `ws.send`. The hub runs the case-2 workload (10 components, 3 Decimals read); each
 * callback takes `performance.now()` FIRST, then finds its own frame's stamp: the decoder ignores
 * `_sent` and a view keeps its source text in a true private field (`#s`, unreachable from
 * outside), so the stamp is read from the raw frame the hub is dispatching, recorded by the
 * `TapWebSocket` the hub is given (bench/lib/hub-setup.ts). Both processes use the same clock
 * formula; the case also measures the clock offset between them over IPC (min-RTT sample) and
 * reports it, without correcting for it.
 *
 * Each rate is measured twice, against a fresh mock each time: first a bare `ws` client that
 * `JSON.parse`s each frame (the floor: mock, kernel and scheduler latency with no library), then
 * the hub. Reported per rate: the hub's p50 and p99 in ms, with the floor's as the baseline (p90,
 * p99.9, max and achieved rates are in the JSON). Target: hub p99 ≤ 1 ms at 5k/s. When the
 * achieved rate is under 90 % of the asked one, the mock's market simulation could not keep up;
 * the row says so. To tell the library's stalls from the machine's, each window also records this
 * process's GC pauses and how often it was preempted (involuntary context switches).
 *
 * Run alone: node --expose-gc --import tsx bench/cases/latency.ts
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import { CODES, emit, log, nowNs, percentile, profiled, SCALE, sleep, stampBytesToLocalMs, stampToLocalMs, type Row } from '../lib/common.js';
import { openHub, tap, type TickerCallback } from '../lib/hub-setup.js';
import { startMockProcess, type MockProcess } from '../lib/mock-process.js';
import type { MockOptions } from '../../src/mock/index.js';

const RATES = [1000, 5000, 20000] as const;
const WARMUP_MS = Math.max(300, 1000 * Math.min(1, SCALE));
const MEASURE_MS = Math.max(500, 3000 * SCALE);
const STAMP = Buffer.from('"_sent":');

/** Receive times and `_sent` stamps (both as local ms) of the frames seen while `on`; allocates nothing per frame. */
class Recorder {
  on = false;
  n = 0;
  missing = 0;
  private recvMs = new Float64Array(0);
  private sentMs = new Float64Array(0);

  reset(capacity: number): void {
    this.recvMs = new Float64Array(capacity);
    this.sentMs = new Float64Array(capacity);
    this.n = this.missing = 0;
  }

  /** `now` was taken first thing in the callback; `frame` is the raw frame being delivered. */
  record(now: number, frame: Buffer | undefined): void {
    if (!this.on) return;
    const at = frame === undefined ? -1 : frame.lastIndexOf(STAMP);
    if (at < 0 || this.n >= this.recvMs.length) {
      this.missing++;
      return;
    }
    let end = at + STAMP.length;
    while (end < frame!.length && frame![end] >= 48 && frame![end] <= 57) end++;
    this.recvMs[this.n] = now;
    this.sentMs[this.n] = stampBytesToLocalMs(frame!, at + STAMP.length, end);
    this.n++;
  }

  /** Samples over `ms` in arrival order, grouped into episodes (runs of consecutive slow frames). */
  stalls(ms: number): { samples: number; episodes: number } {
    let samples = 0;
    let episodes = 0;
    let inRun = false;
    for (let i = 0; i < this.n; i++) {
      const slow = this.recvMs[i] - this.sentMs[i] > ms;
      if (slow) samples++;
      if (slow && !inRun) episodes++;
      inRun = slow;
    }
    return { samples, episodes };
  }

  /** Latencies in ms, ascending. */
  latencies(): Float64Array {
    const lat = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) lat[i] = this.recvMs[i] - this.sentMs[i];
    return lat.sort();
  }
}

const rec = new Recorder();
let sink = 0;

const cb: TickerCallback = (t) => {
  const now = performance.now();
  sink += t.tradePrice.d.length + t.accTradePrice24h.d.length + (t.signedChangeRate.isNeg() ? 1 : 0);
  rec.record(now, tap.frame);
};

/** Mock clock minus ours, in ms, from the IPC round trip with the smallest RTT. */
async function clockOffset(mock: MockProcess): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: NaN, rttMs: Infinity };
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const theirs = stampToLocalMs(await mock.call('clock'));
    const t1 = performance.now();
    if (t1 - t0 < best.rttMs) best = { offsetMs: theirs - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

interface Stats {
  achieved: number;
  /** CPU share the mock process used while recording (1 = a whole core: the mock is the limit). */
  mockCpu: number;
  /** GC pauses in this process while recording: count, total and longest, ms. */
  gc: { count: number; totalMs: number; maxMs: number };
  /** Times this process was preempted while recording (other processes wanted the CPU). */
  involuntaryContextSwitches: number;
  /** Frames slower than 1 ms, and in how many separate episodes (a stall delays a run of frames). */
  over1ms: { samples: number; episodes: number };
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  missing: number;
}
interface Point {
  rate: number;
  hub: Stats;
  floor: Stats;
}

/** Warm up, record for MEASURE_MS, and summarise. */
async function measure(mock: MockProcess, rate: number, name: string): Promise<Stats> {
  rec.reset(Math.ceil(((rate * MEASURE_MS) / 1000) * 1.5) + 1000);
  await sleep(WARMUP_MS);
  // Collect the harness's garbage (the previous phase's hub, buffers) before the window, when
  // run with --expose-gc as the runner does: GC pauses inside it are then the workload's own.
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = await mock.call('cpu');
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const ctx0 = process.resourceUsage().involuntaryContextSwitches;
  const t0 = performance.now();
  rec.on = true;
  await profiled(name, () => sleep(MEASURE_MS));
  rec.on = false;
  const elapsed = performance.now() - t0;
  const involuntaryContextSwitches = process.resourceUsage().involuntaryContextSwitches - ctx0;
  obs.disconnect();
  const mockCpu = (await mock.call('cpu')) - cpu0;
  const lat = rec.latencies();
  return {
    achieved: (rec.n * 1000) / elapsed,
    mockCpu: mockCpu / 1000 / elapsed,
    gc,
    involuntaryContextSwitches,
    over1ms: rec.stalls(1),
    samples: rec.n,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    p999: percentile(lat, 99.9),
    max: lat[lat.length - 1],
    missing: rec.missing,
  };
}

const show = (s: Stats) =>
  `achieved ${Math.round(s.achieved)}/s (mock CPU ${Math.round(s.mockCpu * 100)} %), p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms, ` +
  `p99.9 ${s.p999.toFixed(3)} ms, max ${s.max.toFixed(3)} ms; ${s.over1ms.samples} frames > 1 ms in ${s.over1ms.episodes} episodes; ` +
  `GC ${s.gc.count}× max ${s.gc.maxMs.toFixed(2)} ms; preempted ${s.involuntaryContextSwitches}×`;

const mock = await startMockProcess();
const points: Point[] = [];
let clock = { offsetMs: NaN, rttMs: NaN };
let clockCheck = NaN;
try {
  // Our formula against itself: stamp → local ms → now should be ~0 (a few µs of call time).
  const probe = nowNs();
  clockCheck = stampToLocalMs(probe) - performance.now();
  const viaBytes = stampBytesToLocalMs(Buffer.from(probe), 0, probe.length) - stampToLocalMs(probe);
  if (Math.abs(viaBytes) > 1e-6) throw new Error(`stamp parsing disagrees by ${viaBytes} ms`);
  for (const rate of RATES) {
    const mockOptions: MockOptions = {
      markets: [...CODES],
      rate: rate / CODES.length,
      stampSendTime: true,
      perMessageDeflate: false,
      limits: false,
      seed: 1,
    };

    // The floor: a bare ws client parsing each frame, same mock settings.
    const { url: floorUrl } = await mock.call('start', mockOptions);
    if (Number.isNaN(clock.offsetMs)) clock = await clockOffset(mock);
    const ws = new WebSocket(floorUrl, { perMessageDeflate: false });
    ws.on('message', (data: Buffer) => {
      const now = performance.now();
      if ((JSON.parse(data.toString()) as { tp?: number }).tp !== undefined) sink++;
      rec.record(now, data);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify([{ ticket: 'bench-latency' }, { type: 'ticker', codes: CODES }, { format: 'SIMPLE' }]));
    await mock.call('waitSubscribed', { type: 'ticker', codes: CODES });
    const floor = await measure(mock, rate, `latency-floor-${rate}`);
    ws.terminate();

    // The hub: a fresh mock (same seed and rate), 10 components, the case-2 workload.
    const { url } = await mock.call('start', mockOptions);
    const bench = await openHub(
      mock,
      url,
      CODES.map((code, i) => ({ id: `c${i}`, codes: [code], cb })),
      {},
      false,
    );
    const hub = await measure(mock, rate, `latency-hub-${rate}`);
    await bench.stop();
    points.push({ rate, hub, floor });
    log(`latency ${rate}/s floor: ${show(floor)}`);
    log(`latency ${rate}/s hub:   ${show(hub)}`);
  }
} finally {
  await mock.exit();
}

const rows: Row[] = [];
for (const p of points) {
  const k = `${p.rate / 1000}k/s`;
  const short =
    p.hub.achieved < 0.9 * p.rate ? ` — mock reached ${Math.round(p.hub.achieved)}/s at ${Math.round(p.hub.mockCpu * 100)} % CPU` : '';
  rows.push({
    case: 'latency',
    metric: `${k} p50${short}`,
    value: p.hub.p50,
    unit: 'ms',
    baseline: { label: 'ws floor', value: p.floor.p50 },
  });
  rows.push({
    case: 'latency',
    metric: `${k} p99 [GC max ${p.hub.gc.maxMs.toFixed(1)} ms, preempted ${p.hub.involuntaryContextSwitches}×]`,
    value: p.hub.p99,
    unit: 'ms',
    baseline: { label: 'ws floor', value: p.floor.p99 },
    ...(p.rate === 5000 ? { target: { on: 'value' as const, op: '<=' as const, limit: 1, label: '≤ 1 ms' } } : {}),
  });
}
emit({
  case: 'latency',
  rows,
  details: { points, clockOffsetMs: clock.offsetMs, clockRttMs: clock.rttMs, formulaCheckMs: clockCheck, warmupMs: WARMUP_MS, measureMs: MEASURE_MS, sink },
});
