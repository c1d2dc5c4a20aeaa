/**
 * Case 6, memory (run with --expose-gc): does the hub hold on to anything it should not?
 *
 *   1. warm-up: hub + 10 components (one ticker code each, 3 Decimals read), 100k messages and
 *      3,000 spawn/cleanup cycles (JIT warm-up of both paths), then full GC → heap W (the baseline).
 *   2. 1,000,000 messages through the hub (floods of 100k), full GC → heap A.
 *   3. 10,000 cycles of `hub.client(id)` → `subscribeTicker([one of the 10 codes])` →
 *      `cleanup()`, each with a fresh id (the wire union never changes, so no requests are
 *      sent), then a pause for the registry's pending window, full GC → heap B.
 *
 * Reported: heapUsed at each point and the growth of A and B over W. Target ≤ 5 % each.
 * "Full GC" = `gc()` until heapUsed stops shrinking (see `fullGc`).
 *
 * Run alone: node --expose-gc --import tsx bench/cases/memory.ts
 */
import { CODES, emit, fullGc, log, profiled, scaled, sleep, type Row } from '../lib/common.js';
import { Counter } from '../lib/counter.js';
import { openHub, quiet, type TickerCallback } from '../lib/hub-setup.js';
import { startMockProcess } from '../lib/mock-process.js';
import { MOCK_THROUGHPUT } from '../lib/rounds.js';

const MESSAGES = scaled(1_000_000, 10_000);
const CYCLES = scaled(10_000, 200);
const WARMUP = scaled(100_000, 5000);
const CHURN_WARMUP = scaled(3000, 300);
const CHUNK = 100_000;

const counter = new Counter();
let sink = 0;
const cb: TickerCallback = (t) => {
  sink += t.tradePrice.d.length + t.accTradePrice24h.d.length + (t.signedChangeRate.isNeg() ? 1 : 0);
  counter.hit();
};

const mb = (b: number) => `${(b / 1048576).toFixed(2)} MB`;

const mock = await startMockProcess();
let details: Record<string, unknown> = {};
const rows: Row[] = [];
try {
  const { url } = await mock.call('start', MOCK_THROUGHPUT);
  const bench = await openHub(
    mock,
    url,
    CODES.map((code, i) => ({ id: `c${i}`, codes: [code], cb })),
  );
  const flood = async (total: number) => {
    for (let left = total; left > 0; left -= CHUNK) {
      const n = Math.min(CHUNK, left);
      counter.reset();
      const lost0 = bench.lost(); // coalesced by a sink after a preempted call: see bench/lib/counter.ts
      const f = mock.call('flood', { type: 'ticker', count: n });
      await counter.until(n, undefined, () => bench.lost() - lost0);
      await f;
    }
  };

  await flood(WARMUP);
  // Warm the churn path too: its first few thousand cycles grow V8's code space (optimised code,
  // feedback vectors; about 1 MB, then flat), which is JIT warm-up, not a leak.
  for (let i = 0; i < CHURN_WARMUP; i++) {
    const client = bench.hub.client(`warm-${i}`);
    await client.subscribeTicker([CODES[i % CODES.length]], cb);
    await client.cleanup();
  }
  await sleep(300);
  const w = await fullGc();
  log(`memory: warm-up heap ${mb(w)}`);

  const t0 = performance.now();
  await profiled('memory-messages', () => flood(MESSAGES));
  const messagesMs = performance.now() - t0;
  const a = await fullGc();
  log(`memory: after ${MESSAGES.toLocaleString()} messages ${mb(a)} (${(((a - w) / w) * 100).toFixed(2)} %)`);

  const t1 = performance.now();
  await profiled('memory-churn', async () => {
    for (let i = 0; i < CYCLES; i++) {
      const client = bench.hub.client(`churn-${i}`);
      await client.subscribeTicker([CODES[i % CODES.length]], cb);
      await client.cleanup();
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
  });
  const churnMs = performance.now() - t1;
  await sleep(300); // past the registry's pending window: its coalesced changes are applied
  await quiet(bench.hub);
  const b = await fullGc();
  const status = bench.hub.status();
  log(`memory: after ${CYCLES.toLocaleString()} spawn/cleanup cycles ${mb(b)} (${(((b - w) / w) * 100).toFixed(2)} %), ${status.components} components live`);
  await bench.stop();

  const target = { on: 'value' as const, op: '<=' as const, limit: 5, label: '≤ 5 %' };
  rows.push(
    { case: 'memory', metric: 'heap after warm-up (gc)', value: w / 1048576, unit: 'MB' },
    {
      case: 'memory',
      metric: `heap growth after ${MESSAGES.toLocaleString()} msgs (gc)`,
      value: ((a - w) / w) * 100,
      unit: '%',
      baseline: { label: 'warm-up', value: w / 1048576, unit: 'MB' },
      target,
    },
    {
      case: 'memory',
      metric: `heap growth after ${CYCLES.toLocaleString()} spawn+cleanup (gc)`,
      value: ((b - w) / w) * 100,
      unit: '%',
      baseline: { label: 'warm-up', value: w / 1048576, unit: 'MB' },
      target,
    },
  );
  details = {
    heapUsed: { warmup: w, afterMessages: a, afterChurn: b },
    bytesPerCycle: (b - a) / CYCLES,
    messages: MESSAGES,
    cycles: CYCLES,
    messagesMs,
    churnMs,
    cyclesPerSec: (CYCLES * 1000) / churnMs,
    componentsLive: status.components,
    metrics: status.metrics,
    rss: process.memoryUsage().rss,
    sink,
  };
} finally {
  await mock.exit();
}
emit({ case: 'memory', rows, details });
