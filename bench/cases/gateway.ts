/**
 * Case gateway: the NATS JetStream gateway against the in-process hub, in the same run.
 *
 *   mock (this process, market timer) ─ws─▶ gateway process ─NATS/JetStream─▶ 1 or 3 consumer processes
 *                                    └──ws─▶ direct process (createUpbitHub: the baseline)
 *
 * For 1 and 3 consumers and two offered rates (ticker frames over 10 markets), every process
 * records each ticker's arrival (wall clock `timeOrigin + now()`, comparable across processes on
 * one machine) and its own CPU time over the same window. Reported: each consumer's msg/s (with
 * the direct hub's as baseline), CPU µs per message in the gateway (per published message), in
 * each consumer and in the direct hub, and the delay the gateway adds: consumer arrival − direct
 * arrival of the same ticker (code, timestamp, stream type), p50 and p99 over all consumers.
 * Then the standby takeover: two gateway processes (lease TTL 3 s), kill -9 the leader, time until
 * a consumer receives a ticker of the new leader's epoch (target ≤ 5 s).
 *
 * Every process shares the same two cores (nats-server and the mock too): read the CPU columns
 * beside the wall rates. Needs nats-server on PATH. Run alone: npx tsx bench/cases/gateway.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CODES, emit, log, percentile, SCALE, sleep, type Row } from '../lib/common.js';
import { startMockUpbit, type MockUpbit } from '../../src/mock/index.js';
import { startNatsServer } from '../../test/gateway/nats-server.js';

const CHILD = fileURLToPath(new URL('../lib/gateway-child.ts', import.meta.url));
const WINDOW_MS = Math.max(1500, 4000 * SCALE);
const RATES = [50, 200]; // market steps/s; ×10 markets = ticker msg/s offered (the in-process mock tops out near 1k/s on a busy machine)
const wall = () => performance.timeOrigin + performance.now();

interface Proc {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  next(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(cmd: string): void;
}

function child(args: Record<string, unknown>): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not ours
      }
    }
  });
  return {
    proc,
    lines,
    async next(pred, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let from = 0;
      for (;;) {
        for (; from < lines.length; from++) if (pred(lines[from])) return lines[from];
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
      }
    },
    send: (cmd) => proc.stdin!.write(`${cmd}\n`),
  };
}

const exited = (p: ChildProcess) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r())));

interface Report {
  cpuUs: number;
  n: number;
  published: number;
  arrivals: [string, number][];
}

async function tier(natsUrl: string, rate: number, consumers: number) {
  const mock: MockUpbit = await startMockUpbit({ markets: [...CODES], rate, seed: 3 });
  const base = { nats: natsUrl, url: mock.url, codes: [...CODES] };
  const gw = child({ ...base, mode: 'gateway', id: `bench-${rate}-${consumers}` });
  await gw.next((l) => l.ev === 'leader', 'gateway leading');
  const direct = child({ ...base, mode: 'direct' });
  const cons = Array.from({ length: consumers }, () => child({ ...base, mode: 'consumer' }));
  const all = [direct, ...cons];
  await Promise.all(all.map((p) => p.next((l) => l.ev === 'epoch', 'receiving')));
  await sleep(300);
  for (const p of [gw, ...all]) p.send('mark');
  await Promise.all([gw, ...all].map((p) => p.next((l) => l.ev === 'marked', 'marked')));
  await sleep(WINDOW_MS);
  for (const p of [gw, ...all]) p.send('report');
  const [g, d, ...cs] = (await Promise.all([gw, ...all].map((p) => p.next((l) => l.ev === 'report', 'report')))) as unknown as Report[];
  gw.proc.kill('SIGTERM');
  for (const p of all) p.proc.kill('SIGKILL');
  await Promise.all([gw, ...all].map((p) => exited(p.proc)));
  await mock.close();

  const directAt = new Map(d.arrivals);
  const delays: number[] = [];
  for (const c of cs) for (const [k, t] of c.arrivals) {
    const t0 = directAt.get(k);
    if (t0 !== undefined) delays.push(t - t0);
  }
  delays.sort((a, b) => a - b);
  const perSec = (n: number) => n / (WINDOW_MS / 1000);
  return {
    offered: rate * CODES.length,
    direct: { msgPerSec: perSec(d.n), cpuUsPerMsg: d.cpuUs / Math.max(1, d.n) },
    gateway: { published: g.published, cpuUsPerMsg: g.cpuUs / Math.max(1, g.published) },
    consumers: cs.map((c) => ({ msgPerSec: perSec(c.n), cpuUsPerMsg: c.cpuUs / Math.max(1, c.n) })),
    delayMs: { n: delays.length, p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? NaN },
  };
}

async function takeover(natsUrl: string) {
  const mock = await startMockUpbit({ markets: [...CODES], rate: 50, seed: 4 });
  const base = { nats: natsUrl, url: mock.url, codes: [...CODES], ttlMs: 3000 };
  const g1 = child({ ...base, mode: 'gateway', id: 'leader' });
  await g1.next((l) => l.ev === 'leader', 'g1 leading');
  const g2 = child({ ...base, mode: 'gateway', id: 'standby' });
  const c = child({ ...base, mode: 'consumer' });
  const first = await c.next((l) => l.ev === 'epoch', 'consumer receiving');
  await sleep(500);
  const t0 = wall();
  g1.proc.kill('SIGKILL');
  const led = await g2.next((l) => l.ev === 'leader', 'g2 leading', 20_000);
  const got = await c.next((l) => l.ev === 'epoch' && Number(l.epoch) > Number(first.epoch) && Number(l.at) > t0, 'data from g2', 20_000);
  g2.proc.kill('SIGTERM');
  c.proc.kill('SIGKILL');
  await Promise.all([g1, g2, c].map((p) => exited(p.proc)));
  await mock.close();
  return { leaseTtlMs: 3000, leaderAfterMs: Number(led.at) - t0, dataAfterMs: Number(got.at) - t0 };
}

const nats = await startNatsServer();
const rows: Row[] = [];
const details: Record<string, unknown> = { windowMs: WINDOW_MS };
try {
  for (const rate of RATES) {
    for (const k of [1, 3]) {
      log(`gateway: ${rate * CODES.length} msg/s offered, ${k} consumer(s)`);
      const r = await tier(nats.url, rate, k);
      details[`${r.offered}/s x${k}`] = r;
      const tag = `${r.offered}/s ${k}c`;
      const avg = (f: (c: (typeof r.consumers)[number]) => number) => r.consumers.reduce((s, c) => s + f(c), 0) / r.consumers.length;
      rows.push({ case: 'gateway', metric: `${tag} consumer msg/s (min)`, value: Math.min(...r.consumers.map((c) => c.msgPerSec)), unit: 'msg/s', baseline: { label: 'direct hub', value: r.direct.msgPerSec }, ratio: Math.min(...r.consumers.map((c) => c.msgPerSec)) / r.direct.msgPerSec });
      rows.push({ case: 'gateway', metric: `${tag} CPU/msg consumer (avg)`, value: avg((c) => c.cpuUsPerMsg), unit: 'µs', baseline: { label: 'direct hub', value: r.direct.cpuUsPerMsg }, ratio: avg((c) => c.cpuUsPerMsg) / r.direct.cpuUsPerMsg });
      rows.push({ case: 'gateway', metric: `${tag} CPU/msg gateway`, value: r.gateway.cpuUsPerMsg, unit: 'µs', baseline: { label: 'direct hub', value: r.direct.cpuUsPerMsg }, ratio: r.gateway.cpuUsPerMsg / r.direct.cpuUsPerMsg });
      rows.push({ case: 'gateway', metric: `${tag} added delay p50`, value: r.delayMs.p50, unit: 'ms' });
      rows.push({ case: 'gateway', metric: `${tag} added delay p99`, value: r.delayMs.p99, unit: 'ms' });
      log(JSON.stringify(r));
    }
  }
  const t = await takeover(nats.url);
  details.takeover = t;
  log(`takeover: ${JSON.stringify(t)}`);
  rows.push({ case: 'gateway', metric: 'standby takeover (kill -9 → data)', value: t.dataAfterMs, unit: 'ms', target: { on: 'value', op: '<=', limit: 5000, label: '≤ 5 s' } });
} finally {
  await nats.stop();
}
for (const r of rows) log(`${r.metric.padEnd(40)} ${r.value.toFixed(2).padStart(10)} ${r.unit}${r.baseline ? `   (${r.baseline.label} ${r.baseline.value.toFixed(2)}, ratio ${r.ratio?.toFixed(2)})` : ''}`);
emit({ case: 'gateway', rows, details });
process.exit(0);
