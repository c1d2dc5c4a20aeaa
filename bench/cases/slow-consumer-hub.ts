/**
 * Slow consumer through the real hub: does a slow subscription cost another one its rate, its
 * latency or its connection? (The sink-level case, slow-consumer.ts, has no socket.)
 *
 * The mock (its own process) runs its market timer over the 10 bench markets at 100 steps/s, so
 * 1,000 ticker frames/s, each stamped with its send time (`stampSendTime`, as in latency.ts). Two
 * phases, one after the other, each against a fresh mock and a fresh hub, every subscription on
 * the same 10 codes (`hub.client(name).subscribeTicker(CODES, cb)`, default policy `coalesce`):
 *   alone       the fast subscription only (the baseline);
 *   neighbours  a 5 ms synchronous subscription and a never-settling async one, subscribed FIRST
 *               (the router offers each frame to them before the fast one), then the fast one.
 * Each phase warms up for a second, then records for a few seconds. For the fast subscription:
 * delivered msg/s, and the delay from the mock's send to its callback (p50, p99): the callback
 * looks its frame's `_sent` stamp up by (code, timestamp), recorded by a `ws` subclass given as
 * the hub's `WebSocket` when the frame arrived (a queued delivery happens after that frame's
 * 'message' event, so the stamp cannot be read off "the frame being dispatched").
 *
 * Also per phase: reconnects (epoch changes of the public connection; the keepalive is shortened
 * to a PING every second with a 1 s pong timeout, so a starved socket shows up in a short run:
 * with the defaults, 30 s and 10 s, it would not) and the connection errors the clients heard;
 * the event loop's longest block (`monitorEventLoopDelay`); the slow subscriptions' stats over the
 * window (delivered, coalesced, dropped, queued: every frame they did not get is counted).
 *
 * Figures are noisy on a shared machine: the neighbours phase keeps the process busy (one 5 ms call
 * per turn, all the time), and the kernel preempts a busy process for tens of ms when other
 * processes compete; compare rows of the same run only.
 *
 * Run alone: npx tsx bench/cases/slow-consumer-hub.ts
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createUpbitHub, type UpbitHub } from '../../src/actors/hub.js';
import type { Subscription } from '../../src/actors/subscription.js';
import type { MockOptions } from '../../src/mock/index.js';
import type { Ticker, UpbitError } from '../../src/io/index.js';
import { CODES, emit, log, percentile, SCALE, sleep, stampBytesToLocalMs, type Row } from '../lib/common.js';
import { startMockProcess, type MockProcess } from '../lib/mock-process.js';

const RATE = 1000;
const SLOW_MS = 5;
const WARM_MS = 1000;
const MEASURE_MS = Math.max(1500, 4000 * SCALE);
const KEEPALIVE = { keepaliveInterval: 1000, pongTimeout: 1000 };

// ─── the send stamps, by (code, timestamp) ──────────────────────────────────────────────────────

const STAMP = Buffer.from('"_sent":');
const CODE = Buffer.from('"cd":"');
const TMS = Buffer.from('"tms":');
/** `code|timestamp` → the mock's send time on our clock (ms). Cleared per phase. */
const sent = new Map<string, number>();
const window = { on: false, frames: 0 };

const digitsEnd = (b: Buffer, i: number) => {
  while (i < b.length && b[i] >= 48 && b[i] <= 57) i++;
  return i;
};

class StampTap extends WebSocket {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') {
      const b = args[0] as Buffer;
      const s = b.lastIndexOf(STAMP);
      const c = b.indexOf(CODE);
      const t = b.indexOf(TMS);
      if (s >= 0 && c >= 0 && t >= 0) {
        const code = b.toString('latin1', c + CODE.length, b.indexOf(34, c + CODE.length));
        const tms = b.toString('latin1', t + TMS.length, digitsEnd(b, t + TMS.length));
        sent.set(`${code}|${tms}`, stampBytesToLocalMs(b, s + STAMP.length, digitsEnd(b, s + STAMP.length)));
        if (window.on) window.frames++;
      }
    }
    return super.emit(event, ...args);
  }
}

// ─── the consumers ──────────────────────────────────────────────────────────────────────────────

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

class FastRecorder {
  delays: number[] = [];
  missing = 0;
  n = 0;
  sink = 0;
  readonly cb = (t: Ticker) => {
    const now = performance.now();
    this.sink += t.tradePrice.d.length;
    if (!window.on) return;
    this.n++;
    const at = sent.get(`${t.code}|${t.timestamp}`);
    if (at === undefined) this.missing++;
    else this.delays.push(now - at);
  };
}

type Pick5 = { delivered: number; coalesced: number; dropped: number; queued: number; callbackErrors: number };
const diff = (a: Pick5, b: Pick5): Pick5 => ({
  delivered: b.delivered - a.delivered,
  coalesced: b.coalesced - a.coalesced,
  dropped: b.dropped - a.dropped,
  queued: b.queued,
  callbackErrors: b.callbackErrors - a.callbackErrors,
});

interface PhaseResult {
  phase: 'alone' | 'neighbours';
  seconds: number;
  /** Frames the socket received per second in the window (the mock's achieved rate). */
  arrived: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  missing: number;
  reconnects: number;
  connectionErrors: string[];
  loopMaxMs: number;
  loopP99Ms: number;
  fast: Pick5;
  slow?: Pick5;
  hung?: Pick5;
  requestsSent: number;
}

async function phase(mock: MockProcess, kind: PhaseResult['phase']): Promise<PhaseResult> {
  const options: MockOptions = { markets: [...CODES], rate: RATE / CODES.length, stampSendTime: true, perMessageDeflate: false, limits: false, seed: 1 };
  const { url } = await mock.call('start', options);
  sent.clear();
  const hub: UpbitHub = createUpbitHub({
    url,
    perMessageDeflate: false,
    WebSocket: StampTap as unknown as typeof WebSocket,
    pendingWindow: 10,
    connection: KEEPALIVE,
  });
  const connectionErrors: string[] = [];
  const heard = (e: UpbitError) => {
    if (e.code === 'CONNECTION') connectionErrors.push(e.message);
    else if (e.code !== 'BACKPRESSURE') log(`slow-consumer-hub: ${e.name} ${e.message}`);
  };
  hub.onError(heard);
  try {
    const subs: Subscription<Ticker>[] = [];
    let slow: Subscription<Ticker> | undefined;
    let hung: Subscription<Ticker> | undefined;
    if (kind === 'neighbours') {
      slow = await hub.client('slow').subscribeTicker(CODES, () => spin(SLOW_MS), { onError: heard });
      hung = await hub.client('hung').subscribeTicker(CODES, () => new Promise<never>(() => {}), { onError: heard });
      subs.push(slow, hung);
    }
    const rec = new FastRecorder();
    const fast = await hub.client('fast').subscribeTicker(CODES, rec.cb, { onError: heard });
    subs.push(fast);
    await mock.call('waitSubscribed', { type: 'ticker', codes: CODES });
    for (let i = 0; i < 500 && subs.some((s) => s.status !== 'active'); i++) await sleep(10);
    await sleep(WARM_MS);

    const stats0 = subs.map((s) => s.stats());
    const epoch0 = hub.status().epochs.public;
    const errors0 = connectionErrors.length;
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    window.frames = 0;
    window.on = true;
    const t0 = performance.now();
    await sleep(MEASURE_MS);
    window.on = false;
    const seconds = (performance.now() - t0) / 1000;
    loop.disable();
    const stats1 = subs.map((s) => s.stats());
    const status = hub.status();
    const d = rec.delays.sort((a, b) => a - b);
    const at = (s: Subscription<Ticker> | undefined) => (s ? diff(stats0[subs.indexOf(s)], stats1[subs.indexOf(s)]) : undefined);
    return {
      phase: kind,
      seconds,
      arrived: window.frames / seconds,
      rate: rec.n / seconds,
      p50Ms: percentile(d, 50),
      p99Ms: percentile(d, 99),
      maxMs: d[d.length - 1] ?? NaN,
      missing: rec.missing,
      reconnects: status.epochs.public - epoch0,
      connectionErrors: connectionErrors.slice(errors0),
      loopMaxMs: loop.max / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      fast: at(fast)!,
      ...(slow ? { slow: at(slow), hung: at(hung) } : {}),
      requestsSent: status.metrics.requestsSent.public,
    };
  } finally {
    await hub.stop();
  }
}

// ─── run ────────────────────────────────────────────────────────────────────────────────────────

const C = 'slow-consumer-hub';
const mock = await startMockProcess();
const results: PhaseResult[] = [];
try {
  for (const kind of ['alone', 'neighbours'] as const) {
    const r = await phase(mock, kind);
    results.push(r);
    log(
      `${C} ${kind.padEnd(10)} arrived ${Math.round(r.arrived)}/s; fast sub ${Math.round(r.rate)} msg/s, delay from send p50 ${r.p50Ms.toFixed(2)} ms, ` +
        `p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms (${r.missing} unstamped); reconnects ${r.reconnects}, connection errors ${r.connectionErrors.length}; ` +
        `loop block max ${r.loopMaxMs.toFixed(1)} ms, p99 ${r.loopP99Ms.toFixed(1)} ms` +
        (r.slow ? `; slow sub ${JSON.stringify(r.slow)}; hung sub ${JSON.stringify(r.hung)}` : ''),
    );
  }
} finally {
  await mock.exit();
}

const [alone, nb] = results;
const counts = (s: Pick5) => `coalesced ${s.coalesced.toLocaleString('en-US')}, dropped ${s.dropped}, queued ${s.queued}`;
const short = nb.arrived < 0.9 * RATE ? ` — mock reached ${Math.round(nb.arrived)}/s` : '';
const rows: Row[] = [
  {
    case: C,
    metric: `fast sub rate, beside 5 ms sync + hung async${short}`,
    value: nb.rate,
    unit: 'msg/s',
    baseline: { label: 'fast sub alone', value: alone.rate },
    ratio: nb.rate / alone.rate,
    target: { on: 'ratio', op: '>=', limit: 0.95, label: '≥ 0.95x alone' },
  },
  {
    case: C,
    metric: 'fast sub p99 delay from mock send, beside them',
    value: nb.p99Ms,
    unit: 'ms',
    baseline: { label: 'fast sub alone', value: alone.p99Ms },
    ratio: nb.p99Ms / alone.p99Ms,
    target: { on: 'value', op: '<=', limit: 2 * SLOW_MS, label: '≤ 10 ms (one slow call + a turn)' },
  },
  {
    case: C,
    metric: 'reconnects (false pong timeouts), beside them',
    value: nb.reconnects,
    unit: 'reconnects',
    baseline: { label: 'alone', value: alone.reconnects },
    target: { on: 'value', op: '<=', limit: 0, label: '0' },
  },
  {
    case: C,
    metric: 'event loop, longest block beside them',
    value: nb.loopMaxMs,
    unit: 'ms',
    baseline: { label: 'alone', value: alone.loopMaxMs },
    ratio: nb.loopMaxMs / alone.loopMaxMs,
  },
  {
    case: C,
    metric: `5 ms sync sub: delivered [${counts(nb.slow!)}]`,
    value: nb.slow!.delivered / nb.seconds,
    unit: 'msg/s',
  },
  {
    case: C,
    metric: `never-settling async sub: delivered [${counts(nb.hung!)}]`,
    value: nb.hung!.delivered,
    unit: 'calls',
  },
];
emit({ case: C, rows, details: { rate: RATE, slowMs: SLOW_MS, warmMs: WARM_MS, measureMs: MEASURE_MS, keepalive: KEEPALIVE, phases: results } });
