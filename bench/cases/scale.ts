/**
 * Scale: 1,000 components holding 10,000 subscriptions between them subscribe, then clean up.
 * Issue 8 point 5: under 2 s in all, with no event-loop block over 100 ms; subscribing and
 * unsubscribing must cost what they change, not the number of live subscriptions.
 *
 * A fresh mock (its own process; manual market, so only the SNAPSHOTs of each request travel) and a
 * fresh hub per round, already connected (a probe component holds one ticker code throughout, so
 * connecting is not timed). A round: 1,000 `hub.client(name)`, each with 10 subscriptions of one code each (ticker,
 * trade and orderbook in turn, over the mock's 18 markets, so the wire union is at most 54 pairs
 * while the router holds 10,000 routes). Each component subscribes in its own macrotask (a
 * `setImmediate` between components, as an application's components start from different events):
 * the longest block is then the library's, not this loop's. Timed:
 *   subscribe  from the first `hub.client` until every subscription's status is `active` (its
 *              request was sent) and the mock has applied a request covering every code;
 *   cleanup    from the first `client.cleanup()` (one per macrotask, awaited) until
 *              `hub.status().components` is back to the probe alone.
 * Also: the event loop's longest block over the round (`monitorEventLoopDelay`, resolution 1 ms)
 * and the requests the hub sent in the round (counted after the wire settled). Two rounds in one
 * process: the first is cold (JIT, as at an application's start), the second warm. Targets:
 * total < 2 s, longest block ≤ 100 ms, read off each round (a MISS is a figure, not a failure).
 *
 * Figures are noisy on a shared machine (preemption shows up as blocks): say so when quoting.
 *
 * Run alone: npx tsx bench/cases/scale.ts   (BENCH_SCALE shrinks the component count)
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createUpbitHub } from '../../src/actors/hub.js';
import type { UpbitClient } from '../../src/actors/client.js';
import type { Subscription } from '../../src/actors/subscription.js';
import { CODES, IDLE_CODES, emit, log, profiled, SCALE, sleep, type Row } from '../lib/common.js';
import { startMockProcess } from '../lib/mock-process.js';
import { MOCK_THROUGHPUT } from '../lib/rounds.js';

const COMPONENTS = Math.max(100, Math.round(1000 * Math.min(1, SCALE)));
const PER_COMPONENT = 10;
const MARKETS = [...CODES, ...IDLE_CODES];
const TYPES = ['ticker', 'trade', 'orderbook'] as const;
const TOTAL_MS = 2000;
const BLOCK_MS = 100;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface RoundResult {
  round: number;
  components: number;
  subscriptions: number;
  subscribeMs: number;
  cleanupMs: number;
  totalMs: number;
  loopMaxMs: number;
  loopP99Ms: number;
  requestsSent: number;
  /** Requests sent while subscribing (until all active) and while cleaning up. */
  requestsSubscribe: number;
  requestsCleanup: number;
  delivered: number;
  componentsLeft: number;
}

const mock = await startMockProcess();
const rounds: RoundResult[] = [];
try {
  let delivered = 0;
  const cb = () => {
    delivered++;
  };
  for (let round = 1; round <= 2; round++) {
    const { url } = await mock.call('start', MOCK_THROUGHPUT);
    const hub = createUpbitHub({ url, perMessageDeflate: false });
    hub.onError((e) => log(`scale: hub error ${e.name} ${e.message}`));
    const sent = () => hub.status().metrics.requestsSent.public;
    /** Until the request count stopped moving for `ms` (the registry's windows are done). */
    const settle = async (ms = 400) => {
      let before = -1;
      for (let i = 0; i < 100 && sent() !== before; i++) {
        before = sent();
        await sleep(ms);
      }
    };
    const probe = await hub.client('probe').subscribeTicker([CODES[0]], cb);
    // (No waitSubscribed here: the mock process hands each connection out once per `start`.)
    while (probe.status !== 'active') await sleep(5);
    await settle();
    const req0 = sent();
    delivered = 0;
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    // `npm run bench -- --profile scale` profiles each round (bench/lib/common.ts `profiled`).
    const { t0, t1, t2, all, reqSubscribe } = await profiled(`scale-round-${round}`, async () => {
      const t0 = performance.now();
      const clients: UpbitClient[] = [];
      const subs: Promise<Subscription<unknown>>[] = [];
      for (let i = 0; i < COMPONENTS; i++) {
        const client = hub.client(`r${round}-c${i}`);
        clients.push(client);
        for (let j = 0; j < PER_COMPONENT; j++) {
          const code = MARKETS[(i * 7 + j) % MARKETS.length];
          const type = TYPES[j % TYPES.length];
          subs.push(
            (type === 'ticker'
              ? client.subscribeTicker([code], cb)
              : type === 'trade'
                ? client.subscribeTrade([code], cb)
                : client.subscribeOrderbook([code], cb)) as Promise<Subscription<unknown>>,
          );
        }
        await turn();
      }
      const all = await Promise.all(subs);
      const wanted = [...new Set(all.filter((s) => s.wish.type === 'ticker').flatMap((s) => s.wish.codes ?? []))];
      await mock.call('waitSubscribed', { type: 'ticker', codes: wanted });
      while (all.some((s) => s.status !== 'active')) await sleep(5);
      const t1 = performance.now();
      const reqSubscribe = sent() - req0;

      for (const c of clients) {
        await c.cleanup();
        await turn();
      }
      while (hub.status().components !== 1) await sleep(5);
      const t2 = performance.now();
      return { t0, t1, t2, all, reqSubscribe };
    });
    loop.disable();
    const reqCleanupNow = sent() - req0 - reqSubscribe;
    await settle();
    const r: RoundResult = {
      round,
      components: COMPONENTS,
      subscriptions: all.length,
      subscribeMs: t1 - t0,
      cleanupMs: t2 - t1,
      totalMs: t2 - t0,
      loopMaxMs: loop.max / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      requestsSent: sent() - req0,
      requestsSubscribe: reqSubscribe,
      requestsCleanup: reqCleanupNow,
      delivered,
      componentsLeft: hub.status().components - 1,
    };
    rounds.push(r);
    log(
      `scale round ${round}: ${r.components} components, ${r.subscriptions} subscriptions: subscribe ${r.subscribeMs.toFixed(0)} ms, ` +
        `cleanup ${r.cleanupMs.toFixed(0)} ms, total ${r.totalMs.toFixed(0)} ms; loop block max ${r.loopMaxMs.toFixed(1)} ms, p99 ${r.loopP99Ms.toFixed(1)} ms; ` +
        `requests ${r.requestsSent} (${r.requestsSubscribe} subscribing, ${r.requestsCleanup} cleaning up by then); ${r.delivered} snapshot deliveries`,
    );
    await hub.stop();
  }
} finally {
  await mock.exit();
}

const rows: Row[] = [];
for (const r of rounds) {
  const label = `${r.components.toLocaleString('en-US')} components × ${PER_COMPONENT}, round ${r.round}${r.round === 1 ? ' (cold)' : ' (warm)'}`;
  rows.push(
    {
      case: 'scale',
      metric: `${label}: subscribe + cleanup [${r.subscribeMs.toFixed(0)} + ${r.cleanupMs.toFixed(0)} ms]`,
      value: r.totalMs,
      unit: 'ms',
      target: { on: 'value', op: '<=', limit: TOTAL_MS, label: '< 2 s' },
    },
    {
      case: 'scale',
      metric: `  longest event-loop block [requests sent ${r.requestsSent}]`,
      value: r.loopMaxMs,
      unit: 'ms',
      target: { on: 'value', op: '<=', limit: BLOCK_MS, label: '≤ 100 ms' },
    },
  );
}
emit({ case: 'scale', rows, details: { components: COMPONENTS, perComponent: PER_COMPONENT, markets: MARKETS.length, rounds } });
