/**
 * How much CPU does the mock spend per flood frame?
 *
 *   npx tsx src/mock/flood-cpu.ts [--count 1000000] [--format DEFAULT|SIMPLE|JSON_LIST|SIMPLE_LIST]
 *                                 [--type ticker|trade|orderbook] [--deflate | --deflate-takeover]
 *
 * `--deflate` negotiates permessage-deflate with server_no_context_takeover (pre-compressed frames);
 * `--deflate-takeover` with context takeover (every frame compressed by ws: much slower).
 * `--type trade` includes patching each frame's `sequential_id` (unique per flood frame, flood.ts).
 *
 * How to read this file: the mock runs in a child process (forked with the same loader), so its
 * own `process.cpuUsage()` (user + system, i.e. including the kernel's socket writes) is the mock's
 * cost alone; this parent process is the client: a raw `ws` socket that subscribes to two tickers,
 * counts frames, and tells the child when to flood. A warm-up flood runs first (JIT, ring build).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { Format } from '../io/index.js';
import { startMockUpbit } from './index.js';

interface FloodReport {
  readonly cpu: NodeJS.CpuUsage;
  readonly wallMs: number;
  readonly frames: number;
  readonly bytes: number;
}
type Deflate = 'off' | 'independent' | 'takeover';
type Kind = 'ticker' | 'trade' | 'orderbook';
type ToChild = { cmd: 'flood'; count: number; format: Format; type: Kind } | { cmd: 'close' };
type ToParent = { url: string } | FloodReport;

async function child(deflate: Deflate): Promise<void> {
  const perMessageDeflate =
    deflate === 'off' ? false : deflate === 'independent' ? { serverNoContextTakeover: true, threshold: 0 } : { threshold: 0 };
  const mock = await startMockUpbit({ manual: true, limits: false, perMessageDeflate, idleTimeoutMs: 600_000 });
  const send = (m: ToParent) => process.send!(m);
  process.on('message', (msg: ToChild) => {
    if (msg.cmd === 'close') {
      void mock.close().then(() => process.exit(0));
      return;
    }
    const t0 = performance.now();
    const before = process.cpuUsage();
    void mock.flood({ type: msg.type, count: msg.count, format: msg.format }).then((r) => {
      send({ cpu: process.cpuUsage(before), wallMs: performance.now() - t0, frames: r.frames, bytes: r.bytes });
    });
  });
  send({ url: mock.url });
}

function next<T>(proc: ChildProcess): Promise<T> {
  return new Promise((resolve) => proc.once('message', (m) => resolve(m as T)));
}

async function parent(count: number, format: Format, deflate: Deflate, type: Kind): Promise<void> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child', `--mode=${deflate}`], { execArgv: process.execArgv });
  const { url } = await next<{ url: string }>(proc);
  const ws = new WebSocket(url, { perMessageDeflate: deflate !== 'off' });
  await new Promise((r) => ws.once('open', r));
  let received = 0;
  let target = 2;
  let wake: (() => void) | undefined;
  ws.on('message', () => {
    if (++received >= target) wake?.();
  });
  const until = (n: number) =>
    new Promise<void>((resolve) => {
      target = n;
      if (received >= n) resolve();
      else wake = resolve;
    });
  ws.send(JSON.stringify([{ ticket: 'flood-cpu' }, { type, codes: ['KRW-BTC', 'KRW-ETH'] }, { format }]));
  await until(2); // both snapshots: the subscription is in place

  const run = async (n: number) => {
    const start = received;
    proc.send({ cmd: 'flood', count: n, format, type } satisfies ToChild);
    const [report] = await Promise.all([next<FloodReport>(proc), until(start + n)]);
    return report;
  };
  await run(50_000); // warm-up
  const clientBefore = process.cpuUsage();
  const r = await run(count);
  const client = process.cpuUsage(clientBefore);
  const us = r.cpu.user + r.cpu.system;
  const line = (k: string, v: string) => console.log(`${k.padEnd(24)}${v}`);
  const path = { off: 'raw socket path', independent: 'pre-compressed, no context takeover', takeover: 'ws.send, context takeover' };
  line('frames', `${r.frames} ${type} (${format}, ${path[deflate]})`);
  line('bytes', `${r.bytes} (${(r.bytes / r.frames).toFixed(0)} B/frame)`);
  line('mock CPU', `${(us / 1000).toFixed(1)} ms (user ${(r.cpu.user / 1000).toFixed(1)}, system ${(r.cpu.system / 1000).toFixed(1)})`);
  line('mock CPU per frame', `${(us / r.frames).toFixed(3)} µs`);
  line('wall', `${r.wallMs.toFixed(0)} ms (${((r.frames / r.wallMs) * 1000).toFixed(0)} frames/s, client-bound)`);
  line('client CPU per frame', `${((client.user + client.system) / r.frames).toFixed(3)} µs`);
  proc.send({ cmd: 'close' } satisfies ToChild);
  ws.terminate();
  await new Promise((r2) => proc.once('exit', r2));
}

const { values } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    deflate: { type: 'boolean', default: false },
    'deflate-takeover': { type: 'boolean', default: false },
    mode: { type: 'string', default: 'off' },
    count: { type: 'string', default: '1000000' },
    format: { type: 'string', default: 'DEFAULT' },
    type: { type: 'string', default: 'ticker' },
  },
});
if (values.child) await child(values.mode as Deflate);
else {
  const mode: Deflate = values.deflate ? 'independent' : values['deflate-takeover'] ? 'takeover' : 'off';
  await parent(Number(values.count), values.format as Format, mode, values.type as Kind);
}
