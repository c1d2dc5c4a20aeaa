/**
 * Gateway test helpers: child processes (consumer and gateway fixtures run with tsx) whose JSON
 * stdout lines are collected and awaited; a mock + nats-server + in-process gateway system torn
 * down at the end of each test; the mock's view of open public connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { startMockUpbit, type MockUpbit } from '../../src/mock/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { waitFor } from '../integration/helpers.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

export { waitFor };

export interface Child {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  next(pred: (l: Record<string, unknown>) => boolean, message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(cmd: string): void;
  exited(): Promise<number | null>;
}

export function spawnFixture(name: 'consumer' | 'gateway', args: unknown): Child {
  const file = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', file, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ ev: 'text', line });
      }
    }
  });
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exit;
    }
  });
  return {
    proc,
    lines,
    async next(pred, message, timeoutMs = 15_000) {
      let from = 0;
      return waitFor(
        () => {
          for (; from < lines.length; from++) if (pred(lines[from])) return lines[from];
          return undefined;
        },
        { message, timeoutMs, intervalMs: 5, describe: () => lines.slice(-5) },
      );
    },
    send: (cmd) => proc.stdin!.write(`${cmd}\n`),
    exited: () => exit,
  };
}

export interface GatewaySystem {
  nats: NatsServer;
  mock: MockUpbit;
  /** Tick the market every few ms until the test ends. */
  pump(everyMs?: number): () => void;
}

export async function startBackends(): Promise<GatewaySystem> {
  const [nats, mock] = await Promise.all([startNatsServer(), startMockUpbit({ manual: true, seed: 7 })]);
  const timers = new Set<NodeJS.Timeout>();
  onTestFinished(async () => {
    for (const t of timers) clearInterval(t);
    await mock.close();
    await nats.stop();
  });
  return {
    nats,
    mock,
    pump(everyMs = 10) {
      const t = setInterval(() => mock.tick(), everyMs);
      timers.add(t);
      return () => {
        clearInterval(t);
        timers.delete(t);
      };
    },
  };
}

export const FAST_LEASE = { ttlMs: 1500 } as const;

export async function startTestGateway(sys: GatewaySystem, extra: Partial<GatewayOptions> = {}, lead = true): Promise<Gateway> {
  const gw = await startGateway({
    nats: { servers: sys.nats.url },
    hub: { url: sys.mock.url, privateUrl: sys.mock.privateUrl, pendingWindow: 10, recovery: { baseDelay: 10, maxDelay: 50, factor: 2, jitter: 0, connectGap: 200, stableUptime: 60_000 } },
    lease: FAST_LEASE,
    ...extra,
  });
  onTestFinished(() => gw.stop());
  if (lead) await waitFor(() => gw.isLeader(), { message: 'the gateway taking the lease' });
  return gw;
}

/** The codes each open public mock connection carries, per type: `ticker|KRW-BTC`. */
export function openPublic(mock: MockUpbit): string[][] {
  return mock
    .connections()
    .filter((c) => c.endpoint === 'public' && !c.closed)
    .map((c) => c.subscriptions.flatMap((s) => ((s as { codes?: string[] }).codes ?? ['*']).map((code) => `${(s as { type: string }).type}|${code}`)).sort());
}

/** Track the most public connections the mock ever had open at once. */
export function watchOverlap(mock: MockUpbit): () => number {
  let open = 0;
  let max = 0;
  const ids = new Set<number>();
  const offs = [
    mock.on('connection', (c) => {
      if (c.endpoint !== 'public') return;
      ids.add(c.id);
      max = Math.max(max, ++open);
    }),
    mock.on('close', (c) => {
      if (ids.delete(c.connectionId)) open--;
    }),
  ];
  onTestFinished(() => offs.forEach((off) => off()));
  return () => max;
}

/** A TCP relay in front of nats-server whose `cut()` partitions everyone connected through it. */
export async function startRelay(target: number): Promise<{ url: string; cut(): void }> {
  const { createServer, connect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((down) => {
    const up = connect(target, '127.0.0.1');
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const cut = () => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  onTestFinished(cut);
  return { url: `nats://127.0.0.1:${port}`, cut };
}
