/**
 * Case 4, fan-out: does routing cost grow with the subscribers a message MATCHES, and only them?
 *
 * For N = 1, 10, 100, 500 live components, the same ticker flood over the 10 codes, two layouts:
 *
 *   one  exactly ONE component matches each code. N = 1: that component holds all 10 codes;
 *        N ≥ 10: components 0..9 hold one code each, the other N - 10 hold codes the flood never
 *        sends (IDLE_CODES, round-robin). Cost per message should stay flat as N grows.
 *   all  every component holds all 10 codes: each message is delivered N times. Cost per message
 *        grows with N; cost per message per matching subscriber should stay flat.
 *
 * Each callback counts and reads `tradePrice` (the first reader builds the Decimal, the rest hit
 * the view's cache). Costs are the client process's CPU time (user + system) per flooded message:
 * other processes disturb it far less than the wall clock (wall-clock rates are in the JSON).
 *
 * Paired with a reference: each layout keeps a reference hub alive (`one`: N = 1, `all`: N = 100,
 * the targets' baselines) and measures every other N on its own hub in 5 rounds alternating with
 * the reference's (each flood aimed at one hub's connection). A point's cost is its best round
 * (noise only ever adds CPU time) and its ratio is that over the reference's best round of the
 * same pairing, so drift in machine load between points cancels out.
 *
 * Rows: `one`, ns per message (and per component) and its ratio to N = 1; `all`, ns per message
 * per matching subscriber (and per message, per component) and, at N = 500, its ratio to N = 100.
 * Targets: `one` N = 500 within 1.25x of N = 1 (components a message does not match cost it
 * nothing); `all` N = 500 within 1.5x of N = 100 per matching subscriber (a delivery costs the
 * same however many there are; quadratic growth would show as 5x). The marginal cost of one more
 * matching subscriber, (ns/msg(N) - ns/msg(1)) / (N - 1), is in the JSON: a difference of two
 * figures, too noisy on a shared machine to carry a target.
 *
 * Run alone: npx tsx bench/cases/fanout.ts   (FANOUT=one,all picks layouts)
 */
import { performance } from 'node:perf_hooks';
import { CODES, IDLE_CODES, emit, log, median, scaled, type Row } from '../lib/common.js';
import { Counter } from '../lib/counter.js';
import { openHub, type BenchHub, type ComponentSpec, type TickerCallback } from '../lib/hub-setup.js';
import { startMockProcess, type MockProcess } from '../lib/mock-process.js';
import { MOCK_THROUGHPUT, pairedRounds, throughputRounds, type Consumer } from '../lib/rounds.js';

const SIZES = [1, 10, 100, 500] as const;
type Layout = 'one' | 'all';
const LAYOUTS = (process.env.FANOUT?.split(',') ?? ['one', 'all']) as Layout[];
const REFERENCE: Record<Layout, number> = { one: 1, all: 100 };
/** Deliveries per timed round: enough for a stable figure, small enough for 500-way fan-out. */
const DELIVERIES = scaled(1_500_000, 20_000);
const ROUNDS = 5;

let sink = 0;
const callback = (counter: Counter): TickerCallback => (t) => {
  if (t.tradePrice.isNeg()) sink++;
  counter.hit();
};

function layout(kind: Layout, n: number, cb: TickerCallback): { specs: ComponentSpec[]; matching: number } {
  if (kind === 'all') return { specs: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, codes: CODES, cb })), matching: n };
  if (n === 1) return { specs: [{ id: 'c0', codes: CODES, cb }], matching: 1 };
  const specs = Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    codes: [i < CODES.length ? CODES[i] : IDLE_CODES[(i - CODES.length) % IDLE_CODES.length]],
    cb,
  }));
  return { specs, matching: 1 };
}

interface Live {
  readonly bench: BenchHub;
  readonly consumer: Consumer;
  readonly matching: number;
  readonly setupMs: number;
}

async function open(mock: MockProcess, url: string, kind: Layout, n: number): Promise<Live> {
  const counter = new Counter();
  const { specs, matching } = layout(kind, n, callback(counter));
  const t0 = performance.now();
  const bench = await openHub(mock, url, specs);
  const count = Math.max(2000, Math.min(scaled(150_000, 5000), Math.round(DELIVERIES / matching)));
  return {
    bench,
    consumer: { counter, connectionId: bench.connectionId, count, deliveriesPerFrame: matching, lost: bench.lost },
    matching,
    setupMs: performance.now() - t0,
  };
}

interface Point {
  layout: Layout;
  components: number;
  matching: number;
  frames: number;
  /** CPU ns of the client process per flooded message (best of the rounds). */
  nsPerMsg: number;
  nsPerMatching: number;
  nsPerComponent: number;
  /** Best-round CPU per message over the reference's best round in the same pairing (1 for the reference). */
  ratioToReference: number;
  /** Wall clock, for reference. */
  msgPerSec: number;
  cpuNsPerRound: number[];
  setupMs: number;
}

function point(kind: Layout, n: number, live: Live, cpu: number[], rates: number[], ratio: number): Point {
  const nsPerMsg = Math.min(...cpu);
  return {
    layout: kind,
    components: n,
    matching: live.matching,
    frames: live.consumer.count!,
    nsPerMsg,
    nsPerMatching: nsPerMsg / live.matching,
    nsPerComponent: nsPerMsg / n,
    ratioToReference: ratio,
    msgPerSec: median(rates),
    cpuNsPerRound: cpu,
    setupMs: live.setupMs,
  };
}

const mock = await startMockProcess();
const points: Point[] = [];
try {
  const { url } = await mock.call('start', MOCK_THROUGHPUT);
  // An untimed hub first: the first measured point should not also pay for the process's JIT warm-up.
  {
    const warm = await open(mock, url, 'one', 10);
    await throughputRounds(mock, warm.consumer, { rounds: 1, codes: CODES });
    await warm.bench.stop();
  }
  for (const kind of LAYOUTS) {
    const refN = REFERENCE[kind];
    const ref = await open(mock, url, kind, refN);
    const refCpu: number[] = [];
    const refRates: number[] = [];
    for (const n of SIZES) {
      if (n === refN) continue;
      const live = await open(mock, url, kind, n);
      const r = await pairedRounds(mock, live.consumer, ref.consumer, { rounds: ROUNDS, codes: CODES, profileName: `fanout-${kind}-${n}` });
      await live.bench.stop();
      refCpu.push(...r.b.cpuNsPerRound);
      refRates.push(...r.b.rates);
      const p = point(kind, n, live, r.a.cpuNsPerRound, r.a.rates, r.a.cpuNsMin / r.b.cpuNsMin);
      points.push(p);
      log(
        `fanout ${kind} N=${n}: CPU ${Math.round(p.nsPerMsg)} ns/msg, ${Math.round(p.nsPerMatching)} ns/msg/match, ` +
          `${p.nsPerComponent.toFixed(1)} ns/msg/comp; ${p.ratioToReference.toFixed(3)}x N=${refN} (paired) ` +
          `(setup ${Math.round(p.setupMs)} ms)`,
      );
    }
    points.push(point(kind, refN, ref, refCpu, refRates, 1));
    await ref.bench.stop();
  }
} finally {
  await mock.exit();
}

points.sort((a, b) => (a.layout === b.layout ? a.components - b.components : a.layout === 'one' ? -1 : 1));
const at = (kind: Layout, n: number) => points.find((p) => p.layout === kind && p.components === n);
const rows: Row[] = [];
for (const p of points) {
  if (p.layout === 'one') {
    rows.push({
      case: 'fanout',
      metric: `1 match/code, N=${p.components}: CPU ns/msg [${p.nsPerComponent.toFixed(1)} ns/msg/comp]`,
      value: p.nsPerMsg,
      unit: 'ns',
      ...(p.components !== 1 ? { baseline: { label: 'N=1, paired', value: at('one', 1)!.nsPerMsg }, ratio: p.ratioToReference } : {}),
      ...(p.components === 500 ? { target: { on: 'ratio' as const, op: '<=' as const, limit: 1.25, label: '≤ 1.25x (flat)' } } : {}),
    });
  } else {
    rows.push({
      case: 'fanout',
      metric: `all match, N=${p.components}: CPU ns/msg/match [${Math.round(p.nsPerMsg)} ns/msg, ${p.nsPerComponent.toFixed(1)}/comp]`,
      value: p.nsPerMatching,
      unit: 'ns',
      ...(p.components === 500
        ? {
            baseline: { label: 'N=100, paired', value: at('all', 100)!.nsPerMatching },
            // The paired ratio is per message; per matching subscriber it scales by 100 / 500.
            ratio: (p.ratioToReference * 100) / 500,
            target: { on: 'ratio' as const, op: '<=' as const, limit: 1.5, label: '≤ 1.5x (linear)' },
          }
        : {}),
    });
  }
}
const allAt = (n: number) => at('all', n)?.nsPerMsg ?? NaN;
const marginal = (n: number) => (allAt(n) - allAt(1)) / (n - 1);
emit({
  case: 'fanout',
  rows,
  details: { points, marginalNs: { to10: marginal(10), to100: marginal(100), to500: marginal(500) }, deliveriesPerRound: DELIVERIES, sink },
});
