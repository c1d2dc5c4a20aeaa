/**
 * Slow consumer: does one slow subscription cost the others their rate? And what does the sink's
 * fast path cost per message? Standalone, no socket (the lead's end-to-end version goes through
 * the hub): `npx tsx bench/cases/slow-consumer.ts` (BENCH_SCALE shrinks the durations).
 *
 * Part 1, one source at 1,000 ticker msg/s over 10 codes for a few seconds, on the real event loop:
 * a `setInterval(1 ms)` producer emits every message due by then (message i is due at
 * t0 + i ms: its "arrival"), pushing each to the subscriptions' sinks (src/actors/sink.ts, default
 * ticker policy `coalesce`, default schedule `setImmediate`, default clock). Three scenarios,
 * one after the other, each against fresh sinks:
 *   alone       the fast subscription only (the baseline);
 *   neighbours  a 5 ms synchronous subscription and a never-settling async one, pushed FIRST, then
 *               the fast one;
 *   naive       the same three callbacks called directly, no sink (what the delivery step did
 *               before subscriptions had sinks), for contrast.
 * For the fast subscription: delivered msg/s, and the p99 delay from arrival (the due time: it
 * includes every event-loop stall, like a frame waiting in the socket) and from push (the source
 * handing the message over) to its callback; the event loop's blocks (`monitorEventLoopDelay`,
 * warm-up included); and the most slow calls that ran between two producer ticks (the stand-in
 * for socket reads: the sink should allow one; this one does not depend on the machine's load).
 * The first 300 ms are warm-up: deliveries then are not counted.
 *
 * On a loaded machine the neighbours' delays are inflated beyond the library's share: that
 * scenario keeps the process 100 % busy (the slow subscription's queue never empties, so one 5 ms
 * call runs every turn), and the kernel preempts a busy process for tens of ms when other processes
 * compete; the alone scenario mostly sleeps and is woken promptly.
 *
 * Part 2, hot path: ns per message for `sink.push` with a fast synchronous callback, beside the same
 * callback called directly (a plain function call),
 * in alternating rounds, median of the rounds.
 *
 * Figures are noisy on a shared machine: compare rows of the same run only.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Sink, keyOf } from '../../src/actors/sink.js';
import type { UpbitError } from '../../src/io/index.js';
import { CODES, emit, log, median, percentile, SCALE, sleep, type Row } from '../lib/common.js';

const RATE = 1000;
const WARM_MS = 300;
const RUN_MS = WARM_MS + Math.max(1000, 3000 * SCALE);
const SLOW_MS = 5;

interface Msg {
  readonly type: 'ticker';
  readonly code: string;
  readonly n: number;
  /** When the message was due (its arrival). */
  readonly at: number;
  /** When the source started handing it to the subscriptions. */
  pushedAt: number;
}

type Scenario = 'alone' | 'neighbours' | 'naive';

interface Outcome {
  scenario: Scenario;
  rate: number;
  p50ArrivalMs: number;
  p99ArrivalMs: number;
  p99PushMs: number;
  maxArrivalMs: number;
  emitted: number;
  loopP99Ms: number;
  loopMaxMs: number;
  maxSlowCallsPerTick: number;
  maxSlowCallsPerTickInWarmUp: number;
  slow?: Record<string, number>;
  hung?: Record<string, number>;
  errors: number;
}

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

async function scenario(kind: Scenario): Promise<Outcome> {
  const cap = Math.ceil((RATE * RUN_MS) / 1000) + 10;
  const arrival = new Float64Array(cap);
  const push = new Float64Array(cap);
  let k = 0;
  let t0 = 0;
  let windowEnd = Infinity;
  const fast = (m: Msg) => {
    const t = performance.now();
    if (t < t0 + WARM_MS || t > windowEnd) return; // delivered within the window
    arrival[k] = t - m.at;
    push[k] = t - m.pushedAt;
    k++;
  };
  // Slow calls between two producer ticks (the I/O stand-in): the sink should allow one.
  // The very first message reaches the slow callback directly (nothing knows it is slow yet),
  // so the warm-up is kept apart.
  let slowSinceTick = 0;
  let maxSlowPerTick = 0;
  let maxSlowPerTickWarm = 0;
  const slow = () => {
    spin(SLOW_MS);
    slowSinceTick++;
    if (performance.now() < t0 + WARM_MS) maxSlowPerTickWarm = Math.max(maxSlowPerTickWarm, slowSinceTick);
    else maxSlowPerTick = Math.max(maxSlowPerTick, slowSinceTick);
  };
  const hang = () => new Promise<never>(() => {});
  const errors: UpbitError[] = [];
  const sink = (label: string, callback: (m: Msg) => unknown) =>
    new Sink<Msg>({ kind: 'coalesce' }, { callback, onError: (e) => errors.push(e), keyOf, label });
  const sinks = kind === 'naive' ? [] : kind === 'alone' ? [sink('fast#1', fast)] : [sink('slow#1', slow), sink('hung#2', hang), sink('fast#3', fast)];
  const targets: Array<(m: Msg) => unknown> = kind === 'naive' ? [slow, hang, fast] : sinks.map((s) => (m: Msg) => s.push(m));

  const loop = monitorEventLoopDelay({ resolution: 1 });
  let emitted = 0;
  await new Promise<void>((resolve) => {
    t0 = performance.now();
    const end = t0 + RUN_MS;
    loop.enable();
    const timer = setInterval(() => {
      const now = performance.now();
      slowSinceTick = 0;
      const due = Math.min(Math.floor(((now - t0) * RATE) / 1000), cap - 1);
      while (emitted < due && performance.now() < end) {
        const m: Msg = { type: 'ticker', code: CODES[emitted % CODES.length], n: emitted, at: t0 + (emitted * 1000) / RATE, pushedAt: 0 };
        m.pushedAt = performance.now();
        for (let i = 0; i < targets.length; i++) targets[i](m);
        emitted++;
      }
      if (performance.now() >= end) {
        windowEnd = performance.now();
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  loop.disable();
  const stats = sinks.map((s) => s.stats());
  for (const s of sinks) s.close();
  await sleep(50);

  const a = Array.from(arrival.subarray(0, k)).sort((x, y) => x - y);
  const p = Array.from(push.subarray(0, k)).sort((x, y) => x - y);
  const seconds = (windowEnd - (t0 + WARM_MS)) / 1000;
  const pick = (s: (typeof stats)[number] | undefined) => (s ? { delivered: s.delivered, coalesced: s.coalesced, dropped: s.dropped, queued: s.queued } : undefined);
  return {
    scenario: kind,
    rate: k / seconds,
    p50ArrivalMs: percentile(a, 50),
    p99ArrivalMs: percentile(a, 99),
    maxArrivalMs: a[a.length - 1] ?? NaN,
    p99PushMs: percentile(p, 99),
    emitted,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    maxSlowCallsPerTick: maxSlowPerTick,
    maxSlowCallsPerTickInWarmUp: maxSlowPerTickWarm,
    ...(kind === 'neighbours' ? { slow: pick(stats[0]), hung: pick(stats[1]) } : {}),
    errors: errors.length,
  };
}

// ---- part 2: hot path ----------------------------------------------------------------------

let sum = 0;
const onTick = (m: { n: number }) => {
  sum += m.n;
};
const MSGS = Array.from({ length: 1024 }, (_, n) => ({ type: 'ticker', code: CODES[n % CODES.length], n }));

function plainLoop(n: number): void {
  for (let i = 0; i < n; i++) onTick(MSGS[i & 1023]);
}
function sinkLoop(n: number, s: Sink<{ n: number }>): void {
  for (let i = 0; i < n; i++) s.push(MSGS[i & 1023]);
}

/**
 * Timed in chunks with a turn of the event loop between them (untimed): preemption on a loaded
 * machine can make one call look slower than the budget, and the sink then rightly takes the
 * queued path until a drain turn runs. How often that happened is in the JSON.
 */
async function hotPath() {
  const CHUNK = 20_000;
  const chunks = Math.max(10, Math.round(100 * SCALE));
  const sink = new Sink<{ n: number }>({ kind: 'coalesce' }, { callback: onTick, onError: () => {}, keyOf: () => 'k', label: 'hot#1' });
  const untimed = new Sink<{ n: number }>({ kind: 'coalesce' }, { callback: onTick, onError: () => {}, keyOf: () => 'k', label: 'hot#2', budgetMs: Infinity });
  const ns = { plain: [] as number[], sink: [] as number[], untimed: [] as number[] };
  const time = async (fn: () => void) => {
    let total = 0n;
    for (let c = 0; c < chunks; c++) {
      const t = process.hrtime.bigint();
      fn();
      total += process.hrtime.bigint() - t;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return Number(total) / (chunks * CHUNK);
  };
  for (let round = 0; round < 9; round++) {
    ns.plain.push(await time(() => plainLoop(CHUNK)));
    ns.sink.push(await time(() => sinkLoop(CHUNK, sink)));
    ns.untimed.push(await time(() => sinkLoop(CHUNK, untimed)));
  }
  const s = sink.stats();
  // The first rounds warm the JIT up.
  const med = (xs: number[]) => median(xs.slice(2));
  return { perRound: chunks * CHUNK, plain: med(ns.plain), sink: med(ns.sink), untimed: med(ns.untimed), rounds: ns, sinkStats: s, sum };
}

// ---- run ---------------------------------------------------------------------------------------

const load0 = (await import('node:os')).loadavg()[0];
const results: Outcome[] = [];
for (const kind of ['alone', 'neighbours', 'naive'] as const) {
  const r = await scenario(kind);
  results.push(r);
  log(
    `${kind.padEnd(10)} fast sub ${Math.round(r.rate)} msg/s, delay from arrival p50 ${r.p50ArrivalMs.toFixed(2)} ms, p99 ${r.p99ArrivalMs.toFixed(2)} ms, ` +
      `max ${r.maxArrivalMs.toFixed(1)} ms; from push p99 ${r.p99PushMs.toFixed(3)} ms; loop block p99 ${r.loopP99Ms.toFixed(1)} ms, max ${r.loopMaxMs.toFixed(1)} ms; ` +
      `slow calls between two producer ticks: max ${r.maxSlowCallsPerTick} (warm-up ${r.maxSlowCallsPerTickInWarmUp})` +
      (r.slow ? `; slow sub ${JSON.stringify(r.slow)}; hung sub ${JSON.stringify(r.hung)}` : ''),
  );
}
const hot = await hotPath();
log(`hot path: plain call ${hot.plain.toFixed(1)} ns, sink.push ${hot.sink.toFixed(1)} ns (budgetMs Infinity: ${hot.untimed.toFixed(1)} ns) per message (sink: ${hot.sinkStats.coalesced} of ${hot.sinkStats.delivered + hot.sinkStats.coalesced} coalesced after a preempted call)`);
const load1 = (await import('node:os')).loadavg()[0];

const [alone, neighbours, naive] = results;
const C = 'slow-consumer';
const rows: Row[] = [
  {
    case: C,
    metric: 'fast sub rate, beside 5 ms sync + hung async',
    value: neighbours.rate,
    unit: 'msg/s',
    baseline: { label: 'fast sub alone', value: alone.rate },
    ratio: neighbours.rate / alone.rate,
    target: { on: 'ratio', op: '>=', limit: 0.95, label: '≥ 0.95x alone' },
  },
  {
    case: C,
    metric: 'fast sub p99 delay from arrival, beside them',
    value: neighbours.p99ArrivalMs,
    unit: 'ms',
    baseline: { label: 'fast sub alone', value: alone.p99ArrivalMs },
    ratio: neighbours.p99ArrivalMs / alone.p99ArrivalMs,
    target: { on: 'value', op: '<=', limit: 2 * SLOW_MS, label: '≤ 10 ms (one slow call + a turn)' },
  },
  {
    case: C,
    metric: 'slow calls between two producer ticks, max',
    value: neighbours.maxSlowCallsPerTick,
    unit: 'calls',
    baseline: { label: 'naive (no sink)', value: naive.maxSlowCallsPerTick },
    ratio: neighbours.maxSlowCallsPerTick / naive.maxSlowCallsPerTick,
    target: { on: 'value', op: '<=', limit: 1, label: '≤ 1' },
  },
  {
    case: C,
    metric: 'fast sub p99 delay from push, beside them',
    value: neighbours.p99PushMs,
    unit: 'ms',
    baseline: { label: 'fast sub alone', value: alone.p99PushMs },
    ratio: neighbours.p99PushMs / alone.p99PushMs,
  },
  {
    case: C,
    metric: 'naive (no sink): fast sub rate',
    value: naive.rate,
    unit: 'msg/s',
    baseline: { label: 'fast sub alone', value: alone.rate },
    ratio: naive.rate / alone.rate,
  },
  {
    case: C,
    metric: 'naive (no sink): fast sub p99 delay from arrival',
    value: naive.p99ArrivalMs,
    unit: 'ms',
    baseline: { label: 'fast sub alone', value: alone.p99ArrivalMs },
    ratio: naive.p99ArrivalMs / alone.p99ArrivalMs,
  },
  {
    case: C,
    metric: 'hot path: sink.push, fast sync callback',
    value: hot.sink,
    unit: 'ns',
    baseline: { label: 'plain function call', value: hot.plain },
    ratio: hot.sink / hot.plain,
  },
  {
    case: C,
    metric: 'hot path: sink.push, budgetMs: Infinity (no clock)',
    value: hot.untimed,
    unit: 'ns',
    baseline: { label: 'plain function call', value: hot.plain },
    ratio: hot.untimed / hot.plain,
  },
];
emit({ case: C, rows, details: { rate: RATE, runMs: RUN_MS, warmMs: WARM_MS, slowMs: SLOW_MS, scenarios: results, hot, loadavg: [load0, load1] } });
