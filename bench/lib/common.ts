/**
 * What every bench case shares: the result format the runner reads, sizing (`BENCH_SCALE`), the
 * codes the floods use, small statistics, and the wall clock the mock stamps frames with.
 *
 * A case prints progress to stderr and exactly one JSON `CaseResult` as the LAST line of stdout.
 */
import { performance } from 'node:perf_hooks';

/** One line of the final table. */
export interface Row {
  readonly case: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** What `value` is compared with (a floor measured in this run, or a baseline row). */
  readonly baseline?: { readonly label: string; readonly value: number; readonly unit?: string };
  /** `value / baseline.value` (or the runner fills it in when `ratioTo` names a floor metric). */
  readonly ratio?: number;
  /** Ask the runner to fill `baseline` and `ratio` from this metric of another case (e.g. `floor`). */
  readonly ratioTo?: { readonly case: string; readonly metric: string };
  /** The figure the target is read off: the ratio or the value itself. */
  readonly target?: { readonly on: 'ratio' | 'value'; readonly op: '>=' | '<='; readonly limit: number; readonly label: string };
}

export interface CaseResult {
  readonly case: string;
  readonly rows: Row[];
  /** Everything else worth keeping (per-round figures, hub metrics, settings). */
  readonly details: Record<string, unknown>;
}

/** Multiplies message counts and durations; `BENCH_SCALE=0.1` for a CI smoke run. */
export const SCALE = (() => {
  const s = Number(process.env.BENCH_SCALE ?? 1);
  return Number.isFinite(s) && s > 0 ? s : 1;
})();

/** `n` scaled, at least `min`, rounded. */
export const scaled = (n: number, min = 1): number => Math.max(min, Math.round(n * SCALE));

/** The ten markets a "ticker flood across 10 codes" uses (the mock's first ten KRW markets). */
export const CODES = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE', 'KRW-ADA', 'KRW-TRX', 'KRW-LINK', 'KRW-AVAX', 'KRW-DOT'] as const;
/** Markets no flood touches: subscribers to these are present but never match. */
export const IDLE_CODES = ['KRW-SHIB', 'KRW-USDT', 'BTC-ETH', 'BTC-XRP', 'BTC-SOL', 'USDT-BTC', 'USDT-ETH', 'USDT-XRP'] as const;

export function emit(result: CaseResult): void {
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

export function log(...parts: unknown[]): void {
  process.stderr.write(`${parts.map(String).join(' ')}\n`);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile of an ascending-sorted array, `p` in 0..100. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The mock's wall clock, reproduced: src/mock/connection.ts `sendTimeNs()` stamps
 * `performance.timeOrigin + performance.now()` in ns as a BigInt string. `ORIGIN_NS` is this
 * process's `timeOrigin` in ns, built the same way, so `stampToLocalMs(stamp)` turns a stamp into
 * this process's `performance.now()` scale and a latency is one subtraction of two doubles.
 */
const ORIGIN_MS = Math.floor(performance.timeOrigin);
export const ORIGIN_NS = BigInt(ORIGIN_MS) * 1_000_000n + BigInt(Math.round((performance.timeOrigin - ORIGIN_MS) * 1e6));

/** Now, in ns since the epoch (digits), exactly like the mock's `sendTimeNs()`. */
export function nowNs(): string {
  return String(ORIGIN_NS + BigInt(Math.round(performance.now() * 1e6)));
}

/** A `_sent` stamp (ns since the epoch, digits) on this process's `performance.now()` scale, in ms. */
export function stampToLocalMs(stamp: string): number {
  return Number(BigInt(stamp) - ORIGIN_NS) / 1e6;
}

const ORIGIN_S = Number(ORIGIN_NS / 1_000_000_000n);
const ORIGIN_SUB_NS = Number(ORIGIN_NS % 1_000_000_000n);

/**
 * The same for the ASCII digits `bytes[start, end)`, without allocating: the stamp is split into
 * seconds and nanoseconds, each exact in a double, and subtracted from `ORIGIN_NS` split the same way.
 */
export function stampBytesToLocalMs(bytes: Uint8Array, start: number, end: number): number {
  const split = end - 9;
  let s = 0;
  for (let i = start; i < split; i++) s = s * 10 + (bytes[i] - 48);
  let ns = 0;
  for (let i = Math.max(start, split); i < end; i++) ns = ns * 10 + (bytes[i] - 48);
  return ((s - ORIGIN_S) * 1e9 + (ns - ORIGIN_SUB_NS)) / 1e6;
}

/** Force full collections until the heap stops shrinking; needs `--expose-gc`. */
export async function fullGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
    const used = process.memoryUsage().heapUsed;
    if (used >= last * 0.999) return used;
    last = used;
  }
  return last;
}

/**
 * With `BENCH_PROFILE=<dir>` (set by `npm run bench -- --profile`), record a V8 CPU profile of
 * just `fn` (the timed part of a case, not its setup) to `<dir>/<name>.cpuprofile`; summarise it
 * with bench/profile-summary.ts. Without it, just run `fn`.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return fn();
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}
