/**
 * Integration helpers: a real mock exchange on 127.0.0.1 port 0 and a real hub (real `ws` client)
 * pointed at it, both torn down when the test ends; `waitFor`, which polls a condition (and may
 * drive the manual-mode market on every poll) instead of sleeping; and the request bookkeeping
 * every test needs: what the mock received, parsed into a canonical union.
 *
 * How to read: `waitFor` first, then `startSystem` (mock + hub with small timers), then the
 * request helpers (`unionOf`, `requestsOf`, `liveUnion`), then `Recorder`, which keeps every
 * event a component received together with the epoch it was stamped with.
 */
import { onTestFinished } from 'vitest';
import { createUpbitHub, type UpbitHub, type UpbitHubOptions } from '../../src/actors/hub.js';
import type { ComponentRef } from '../../src/actors/component.js';
import type { DataMessage, UpbitError } from '../../src/io/index.js';
import { startMockUpbit, type ConnectionInfo, type MockOptions, type MockUpbit } from '../../src/mock/index.js';

// ─── waiting on conditions ─────────────────────────────────────────────────────────────────────

export interface WaitOptions {
  /** Give up after this long (a hard failure with `message`). @default 5000 */
  timeoutMs?: number;
  /** Run on every poll, before the predicate (e.g. `() => mock.tick()` to move the market). */
  step?: () => void;
  /** Poll interval; 0 = every `setImmediate`. @default 2 */
  intervalMs?: number;
  /** What the test was waiting for (in the failure message). */
  message?: string;
}

const pause = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));

/**
 * Poll until `predicate()` is truthy; returns its value. Never a fixed sleep: it returns on the
 * first poll where the condition holds and fails loudly (with `describe()` when given) on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false,
  options: WaitOptions & { describe?: () => unknown } = {},
): Promise<T> {
  const { timeoutMs = 5_000, step, intervalMs = 2, message = predicate.toString() } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    step?.();
    const v = predicate();
    if (v) return v;
    if (Date.now() > deadline) {
      const extra = options.describe ? `\n  state: ${JSON.stringify(options.describe())}` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${message}${extra}`);
    }
    await pause(intervalMs);
  }
}

// ─── mock + hub ────────────────────────────────────────────────────────────────────────────────

export const MARKETS = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE', 'KRW-ADA', 'BTC-ETH', 'USDT-BTC'] as const;

/** Small timers everywhere so the suite is fast; none of them is asserted on. */
export const FAST: UpbitHubOptions = {
  pendingWindow: 10,
  connection: {
    keepaliveInterval: 200,
    pongTimeout: 2_000,
    // Quiet links are normal in manual mode: only tests that fake a stall make this small.
    stallCheckInterval: 1_000,
    stallTimeout: 60_000,
    connectTimeout: 2_000,
    closeTimeout: 500,
  },
  // connectGap 200 ms: one connection never exceeds the mock's 5 connects/s.
  recovery: { baseDelay: 10, maxDelay: 50, factor: 2, jitter: 0, connectGap: 200, stableUptime: 60_000 },
};

export interface System {
  mock: MockUpbit;
  hub: UpbitHub;
  /** Every error the hub's `onError` saw, with the component it was meant for. */
  hubErrors: { error: UpbitError; componentId?: string }[];
  /** One market step (one trade per market): data for whoever subscribed. */
  tick(): void;
  /** Run `mock.tick()` every `everyMs` until the returned function is called or the test ends. */
  pump(everyMs?: number): () => void;
}

/** A manual-mode mock and a hub connected to it; both stop when the test ends. */
export async function startSystem(
  hubOptions: UpbitHubOptions = {},
  mockOptions: MockOptions = {},
): Promise<System> {
  const mock = await startMockUpbit({ manual: true, seed: 7, markets: [...MARKETS], ...mockOptions });
  const hub = createUpbitHub({
    url: mock.url,
    privateUrl: mock.privateUrl,
    restUrl: mock.restUrl,
    ...FAST,
    ...hubOptions,
    connection: { ...FAST.connection, ...hubOptions.connection },
    recovery: { ...FAST.recovery, ...hubOptions.recovery },
  });
  const hubErrors: System['hubErrors'] = [];
  hub.onError((error, componentId) => hubErrors.push({ error, componentId }));
  const pumps = new Set<NodeJS.Timeout>();
  onTestFinished(async () => {
    for (const t of pumps) clearInterval(t);
    await hub.stop();
    await mock.close();
  });
  const pump = (everyMs = 5) => {
    const t = setInterval(() => mock.tick(), everyMs);
    pumps.add(t);
    return () => {
      clearInterval(t);
      pumps.delete(t);
    };
  };
  return { mock, hub, hubErrors, tick: () => mock.tick(), pump };
}

// ─── requests as the mock saw them ─────────────────────────────────────────────────────────────

/** One subscribed stream as a canonical string: `type|code|flags` (`flags`: S = snapshot only, R = realtime only). */
export type StreamKey = string;

/** The canonical union one raw request asks for (throws on a non-subscribe request). */
export function unionOf(raw: string): Set<StreamKey> {
  const arr = JSON.parse(raw) as Record<string, unknown>[];
  if (!Array.isArray(arr) || typeof arr[0]?.ticket !== 'string') throw new Error(`not a subscription request: ${raw}`);
  const out = new Set<StreamKey>();
  for (const o of arr) {
    if (typeof o.type !== 'string') continue;
    const flags = `${o.is_only_snapshot ? 'S' : ''}${o.is_only_realtime ? 'R' : ''}`;
    const codes = Array.isArray(o.codes) ? (o.codes as string[]) : ['*'];
    for (const c of codes) out.add(`${o.type}|${c}|${flags}`);
  }
  return out;
}

/** The canonical union of a list of wishes as the test models them. */
export function expected(...wishes: { type: string; codes?: readonly string[]; flags?: string }[]): Set<StreamKey> {
  const out = new Set<StreamKey>();
  for (const w of wishes) for (const c of w.codes && w.codes.length > 0 ? w.codes : ['*']) out.add(`${w.type}|${c}|${w.flags ?? ''}`);
  return out;
}

export const sorted = (s: Iterable<StreamKey>) => [...s].sort();
export const sameSet = (a: Iterable<StreamKey>, b: Iterable<StreamKey>) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/** Open (not closed) mock connections of one endpoint, oldest first. */
export function liveConnections(mock: MockUpbit, endpoint: 'public' | 'private' = 'public'): ConnectionInfo[] {
  return mock.connections().filter((c) => c.endpoint === endpoint && !c.closed);
}

/** The one live connection of an endpoint, or undefined (also when there are several). */
export function liveConnection(mock: MockUpbit, endpoint: 'public' | 'private' = 'public'): ConnectionInfo | undefined {
  const live = liveConnections(mock, endpoint);
  return live.length === 1 ? live[0] : undefined;
}

/** Raw subscription requests (no PINGs, no LIST_SUBSCRIPTIONS) a connection received, in order. */
export function requestsOf(conn: ConnectionInfo): string[] {
  return conn.requests.filter((r) => (r.parsed as { kind: string }).kind === 'subscribe').map((r) => r.raw);
}

/** The newest open connection of an endpoint (an old one may still be closing). */
export function newestConnection(mock: MockUpbit, endpoint: 'public' | 'private' = 'public'): ConnectionInfo | undefined {
  return liveConnections(mock, endpoint).reduce<ConnectionInfo | undefined>((a, c) => (!a || c.id > a.id ? c : a), undefined);
}

/** The union the newest open connection of `endpoint` was last asked for, if any. */
export function liveUnion(mock: MockUpbit, endpoint: 'public' | 'private' = 'public'): Set<StreamKey> | undefined {
  const c = newestConnection(mock, endpoint);
  const reqs = c ? requestsOf(c) : [];
  return reqs.length ? unionOf(reqs[reqs.length - 1]) : undefined;
}

// ─── what components received ──────────────────────────────────────────────────────────────────

export interface Received {
  type: string;
  code: string | undefined;
  streamType: string;
  epoch: number;
  /** The hub's current public/private epoch when the event was delivered. */
  currentEpoch: number;
}

/**
 * Everything the router delivered to one component (its `message` channel: before any client-side
 * filtering), plus its errors.
 */
export class Recorder {
  readonly events: Received[] = [];
  readonly errors: UpbitError[] = [];
  constructor(
    readonly ref: Pick<ComponentRef, 'id' | 'on' | 'onError'>,
    hub: UpbitHub,
  ) {
    ref.on('message', (m: DataMessage & { epoch: number }) => {
      const conn = m.type === 'myOrder' || m.type === 'myAsset' || m.type === 'announcement' ? 'private' : 'public';
      this.events.push({
        type: m.type,
        code: (m as { code?: string }).code,
        streamType: m.streamType,
        epoch: m.epoch,
        currentEpoch: hub.status().epochs[conn],
      });
    });
    ref.onError((e) => this.errors.push(e));
  }
  count(pred: (e: Received) => boolean = () => true): number {
    let n = 0;
    for (const e of this.events) if (pred(e)) n++;
    return n;
  }
  keys(): Set<string> {
    return new Set(this.events.map((e) => `${e.type}|${e.code ?? '*'}`));
  }
}
