/**
 * The mock exchange in its own process, driven over IPC, so its CPU never shares the measured
 * client's event loop.
 *
 * How to read this file: the bottom half is the child (run when this file is the entry point of a
 * `fork`): it answers one request at a time `{ id, cmd, arg }` with `{ id, ok, result | error }`.
 * The top half is the parent side, `startMockProcess()`, which forks this same file and returns a
 * typed handle. One child can start and close several mocks in turn (`start` / `close`).
 *
 *   case process ──fork──▶ mock process (startMockUpbit on 127.0.0.1:0)
 *        │  start {options} ─────────▶ url
 *        │  waitSubscribed {codes} ──▶ (after the hub's request reached the mock)
 *        │  flood {type, count} ─────▶ FloodResult (after the last byte was handed to the socket)
 *        │  clock ───────────────────▶ sendTimeNs(), for a clock-offset check
 *        │  cpu ─────────────────────▶ the mock process's CPU time (is the mock the bottleneck?)
 *        ▼  exit
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MockOptions, MockStats, MockUpbit, FloodOptions, FloodResult } from '../../src/mock/index.js';

export interface WaitSubscribedArg {
  readonly type: string;
  /** Every one of these codes must be subscribed (realtime) on one open connection. */
  readonly codes: readonly string[];
  /** Connections to ignore. The parent side adds every id an earlier wait returned (since `start`). */
  readonly exclude?: readonly number[];
  /** @default 30000 */
  readonly timeoutMs?: number;
}

interface Commands {
  start: { arg: MockOptions; result: { url: string; port: number } };
  waitSubscribed: { arg: WaitSubscribedArg; result: { connectionId: number } };
  flood: { arg: FloodOptions; result: FloodResult };
  stats: { arg: undefined; result: MockStats };
  clock: { arg: undefined; result: string };
  /** The mock process's own CPU time so far (user + system), µs. */
  cpu: { arg: undefined; result: number };
  close: { arg: undefined; result: null };
}
type Cmd = keyof Commands;
interface Request {
  readonly id: number;
  readonly cmd: Cmd;
  readonly arg: unknown;
}
type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

// ─── parent side ────────────────────────────────────────────────────────────────────────────────

export interface MockProcess {
  readonly pid: number;
  call<C extends Cmd>(cmd: C, ...arg: Commands[C]['arg'] extends undefined ? [] : [Commands[C]['arg']]): Promise<Commands[C]['result']>;
  /** Close the mock (if any) and end the child. */
  exit(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

export async function startMockProcess(): Promise<MockProcess> {
  const child: ChildProcess = fork(SELF, [], {
    execArgv: ['--import', 'tsx'],
    // The mock's stdout goes to stderr: a case's stdout must end with its JSON line.
    stdio: ['ignore', 2, 2, 'ipc'],
    env: { ...process.env, BENCH_MOCK_CHILD: '1' },
  });
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`mock process: ${m.error}`));
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`mock process exited (${code})`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve()); // the child says hello once its imports are loaded
    child.once('error', reject);
  });
  // A connection a wait returned belongs to a client that may since have closed it, with the mock
  // not yet told: never hand it out again (until the next `start`, which restarts the numbering).
  const taken = new Set<number>();
  const send = (cmd: Cmd, arg: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, arg } satisfies Request);
    });
  return {
    pid: child.pid!,
    async call(cmd, ...arg) {
      if (cmd === 'start') taken.clear();
      if (cmd !== 'waitSubscribed') return send(cmd, arg[0]) as never;
      const a = arg[0] as WaitSubscribedArg;
      const r = (await send(cmd, { ...a, exclude: [...(a.exclude ?? []), ...taken] })) as { connectionId: number };
      taken.add(r.connectionId);
      return r as never;
    },
    async exit() {
      if (child.exitCode !== null || !child.connected) return;
      child.disconnect(); // the child closes its mock and exits when the channel closes
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ─── child side ─────────────────────────────────────────────────────────────────────────────────

async function child(): Promise<void> {
  const { startMockUpbit } = await import('../../src/mock/index.js');
  const { sendTimeNs } = await import('../../src/mock/connection.js');
  let mock: MockUpbit | undefined;

  const subscribed = (a: WaitSubscribedArg): number | undefined => {
    for (const c of mock!.connections()) {
      if (c.closed || a.exclude?.includes(c.id)) continue;
      const have = new Set(c.subscriptions.filter((s) => s.type === a.type && !s.isOnlySnapshot).flatMap((s) => s.codes ?? []));
      if (a.codes.every((code) => have.has(code))) return c.id;
    }
    return undefined;
  };

  const handlers: { [C in Cmd]: (arg: Commands[C]['arg']) => Promise<Commands[C]['result']> | Commands[C]['result'] } = {
    async start(options) {
      if (mock) await mock.close();
      mock = await startMockUpbit({ host: '127.0.0.1', port: 0, ...options });
      return { url: mock.url, port: mock.port };
    },
    waitSubscribed(a) {
      return new Promise((resolve, reject) => {
        const now = subscribed(a);
        if (now !== undefined) return resolve({ connectionId: now });
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no connection subscribed to ${a.type} ${a.codes.join(',')} within ${a.timeoutMs ?? 30000} ms`));
        }, a.timeoutMs ?? 30000);
        const off = mock!.on('request', () => {
          const id = subscribed(a);
          if (id === undefined) return;
          clearTimeout(timer);
          off();
          resolve({ connectionId: id });
        });
      });
    },
    flood: (o) => mock!.flood(o),
    stats: () => mock!.stats(),
    clock: () => sendTimeNs(),
    cpu: () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    },
    async close() {
      await mock?.close();
      mock = undefined;
      return null;
    },
  };

  process.on('message', async (m: Request) => {
    let reply: Reply;
    try {
      if (!mock && m.cmd !== 'start' && m.cmd !== 'clock' && m.cmd !== 'cpu' && m.cmd !== 'close') throw new Error(`${m.cmd}: no mock started`);
      const fn = handlers[m.cmd] as (arg: unknown) => unknown;
      reply = { id: m.id, ok: true, result: await fn(m.arg) };
    } catch (err) {
      reply = { id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    process.send!(reply);
  });
  process.on('disconnect', () => {
    void (mock?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  process.send!({ hello: true });
}

if (process.env.BENCH_MOCK_CHILD === '1' && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void child();
}
