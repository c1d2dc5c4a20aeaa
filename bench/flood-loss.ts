/**
 * Reproduction: a hub consumer "loses" a few frames of a flood, and nothing closes the connection.
 *
 * How to read this file: one mock, one hub, one orderbook subscription (KRW-BTC), one flood; the
 * callback is made slow on a few calls (SLOW=1, default) the way a preempted call on a loaded
 * machine is. Printed at the end: frames the mock sent, frames the callback got, what the hub's
 * sinks coalesced/dropped, the hub's drops and reconnects, the mock's close records.
 *
 * What it shows (bench/cases/kinds.ts before its fix): the sink's default `coalesce` policy sends
 * frames to its queue once a sync call overran `budgetMs` (1 ms), and a newer frame of the same
 * code replaces a queued one; delivered + coalesced = sent, no socket closes. A round counting
 * deliveries only waits for frames that never come, times out, and the case's exit takes the mock
 * process down under the still-running hubs: that is the 1006 seen "in the middle of a flood".
 *
 *   npx tsx bench/flood-loss.ts            (SLOW=0: a fast callback, nothing coalesced; N=3000)
 */
import { performance } from 'node:perf_hooks';
import { createUpbitHub } from '../src/actors/hub.js';
import { startMockUpbit } from '../src/mock/index.js';
import { log, sleep } from './lib/common.js';

const N = Number(process.env.N ?? 3000);
const SLOW = process.env.SLOW !== '0';
const CODE = 'KRW-BTC';

const mock = await startMockUpbit({ host: '127.0.0.1', port: 0, manual: true, limits: false, perMessageDeflate: false, idleTimeoutMs: 600_000 });
const closes: string[] = [];
mock.on('close', (e) => closes.push(`connection ${e.connectionId} closed ${e.code} ${e.reason}`));
const drops: string[] = [];
const hub = createUpbitHub({
  url: mock.url,
  perMessageDeflate: false,
  connection: { stallTimeout: 3_600_000 },
  logger: {
    debug: () => undefined,
    info: () => undefined,
    warn: (o, m) => drops.push(`${m} ${JSON.stringify(o)}`),
    error: (o, m) => drops.push(`${m} ${JSON.stringify(o)}`),
  },
});
let got = 0;
let counting = false;
const c = hub.spawnComponent('c0');
c.on('orderbook', () => {
  if (!counting) return;
  got++;
  // 32 slow calls early in the flood (a preempted callback; the sink's sampled timing catches one).
  if (SLOW && got > 64 && got <= 96) for (const t = performance.now(); performance.now() - t < 3; );
});
c.send({ type: 'SUBSCRIBE', channel: 'orderbook', codes: [CODE] });
try {
  const t0 = performance.now();
  while (!mock.connections().some((m) => m.subscriptions.some((s) => s.type === 'orderbook' && s.codes?.includes(CODE)))) {
    if (performance.now() - t0 > 10_000) throw new Error('the hub never subscribed');
    await sleep(10);
  }
  await sleep(300); // the snapshot and anything else before the flood
  const lost = () => hub.status().delivery.coalesced + hub.status().delivery.dropped;
  const lost0 = lost();
  counting = true;
  const sent = await mock.flood({ type: 'orderbook', count: N });
  const t1 = performance.now();
  while (got + lost() - lost0 < sent.frames && performance.now() - t1 < 5_000) await sleep(5);
  const d = hub.status().delivery;
  const summary = {
    slowCalls: SLOW,
    sent: sent.frames,
    delivered: got,
    coalescedOrDropped: lost() - lost0,
    missingFromCallback: sent.frames - got,
    accounted: got + lost() - lost0 === sent.frames,
    sinkTotals: { coalesced: d.coalesced, dropped: d.dropped, queued: d.queued },
    epochs: hub.status().epochs,
    hubDrops: drops,
    mockCloses: closes,
  };
  log(JSON.stringify(summary, null, 2));
  if (!summary.accounted) process.exitCode = 1;
} finally {
  await hub.stop();
  await mock.close();
}
