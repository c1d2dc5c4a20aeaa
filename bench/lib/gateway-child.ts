/**
 * One process of the gateway bench (bench/cases/gateway.ts): a `gateway`, a `consumer` reading
 * through it, or a `direct` in-process hub reading the mock itself (the baseline). argv[2] is JSON
 * `{ mode, nats, url, codes, id, ttlMs }`. Prints JSON lines: `ready`, `epoch` (a consumer's first
 * message of each new epoch, with its wall time), and on stdin `mark` / `report`:
 * `{ ev: 'report', cpuUs, n, firstMs, lastMs, published, arrivals: [key, wallMs][] }`.
 * Wall times are `performance.timeOrigin + performance.now()`, comparable across processes.
 */
import { performance } from 'node:perf_hooks';
import { createUpbitHub, type Ticker } from '../../src/index.js';
import { connectGateway, startGateway } from '../../src/gateway/index.js';

interface Args {
  mode: 'gateway' | 'consumer' | 'direct';
  nats: string;
  url: string;
  codes: string[];
  id?: string;
  ttlMs?: number;
}
const args = JSON.parse(process.argv[2]) as Args;
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const wall = () => performance.timeOrigin + performance.now();

let cpu0 = process.cpuUsage();
let n = 0;
let firstMs = 0;
let lastMs = 0;
let keys: string[] = [];
let times: number[] = [];
let lastEpoch = 0;
let published: () => number = () => 0;
let published0 = 0;

const onTicker = (t: Ticker & { epoch: number }) => {
  const now = wall();
  if (t.epoch !== lastEpoch) {
    lastEpoch = t.epoch;
    out({ ev: 'epoch', epoch: t.epoch, at: now });
  }
  if (n === 0) firstMs = now;
  lastMs = now;
  n++;
  if (keys.length < 200_000) {
    keys.push(`${t.code}|${t.timestamp}|${t.streamType}`);
    times.push(now);
  }
};

if (args.mode === 'gateway') {
  const gw = await startGateway({ id: args.id, nats: { servers: args.nats }, hub: { url: args.url, pendingWindow: 10 }, lease: { ttlMs: args.ttlMs ?? 3000 } });
  published = () => gw.metrics.published;
  const iv = setInterval(() => {
    if (gw.isLeader()) {
      out({ ev: 'leader', at: wall() });
      clearInterval(iv);
    }
  }, 5);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void gw.stop().then(() => process.exit(0)));
} else if (args.mode === 'consumer') {
  const gw = await connectGateway({ servers: args.nats });
  await gw.client('bench').subscribeTicker(args.codes, onTicker);
} else {
  const hub = createUpbitHub({ url: args.url, pendingWindow: 10 });
  await hub.client('bench').subscribeTicker(args.codes, onTicker);
}
out({ ev: 'ready' });

process.stdin.setEncoding('utf8');
let buf = '';
process.stdin.on('data', (d: string) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const cmd = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (cmd === 'mark') {
      cpu0 = process.cpuUsage();
      n = 0;
      keys = [];
      times = [];
      published0 = published();
      out({ ev: 'marked' });
    } else if (cmd === 'report') {
      const c = process.cpuUsage(cpu0);
      out({ ev: 'report', cpuUs: c.user + c.system, n, firstMs, lastMs, published: published() - published0, arrivals: keys.map((k, j) => [k, times[j]]) });
    }
  }
});
