/**
 * The throughput measurement the floor and hub cases share: flood, count, repeat, take the median.
 *
 * One round = the mock floods `count` ticker frames (round-robin over the subscribed codes) as
 * fast as the client's socket drains; the rate is `(count - 1) / (last arrival - first arrival)`,
 * so ring building and IPC latency before the first frame are not counted. The client is the
 * bottleneck (the mock writes pre-framed 1 MiB buffers from its own process), so the rate is how
 * fast the client consumes.
 *
 * Each round also records the CPU time (user + system) the process spent per frame: unlike the
 * wall-clock rate, it does not count time spent waiting for a CPU that other processes hold, so
 * it is the steadier figure on a busy machine.
 *
 * `pairedRounds` alternates two consumers in one process (each flood aimed at one connection),
 * round by round, and also reports the median of the per-round ratios: on a busy machine that
 * ratio is far steadier than two medians taken a minute apart.
 */
import type { MockOptions } from '../../src/mock/index.js';
import { median, profiled, scaled } from './common.js';
import type { Counter } from './counter.js';
import type { MockProcess } from './mock-process.js';

/** The mock for throughput cases: no market timers, no limits, no permessage-deflate. */
export const MOCK_THROUGHPUT: MockOptions = { manual: true, limits: false, perMessageDeflate: false, seed: 1 };

export interface RoundsOptions {
  /** Frames per round. @default scaled(200_000) */
  readonly count?: number;
  /** @default 5 */
  readonly rounds?: number;
  /** Frames flooded once before the timed rounds (JIT warm-up). @default count */
  readonly warmup?: number;
  /** Restrict the flood to these codes. */
  readonly codes?: readonly string[];
  /** Deliveries the counter sees per flooded frame (fan-out). @default 1 */
  readonly deliveriesPerFrame?: number;
  /** Profile the timed rounds under this name when `BENCH_PROFILE` is set (see `profiled`). */
  readonly profileName?: string;
}

export interface RoundsResult {
  /** Median frames per second (wall clock, first to last arrival). */
  readonly rate: number;
  readonly rates: number[];
  /** Median CPU time (user + system) this process spent per frame, in ns. */
  readonly cpuNs: number;
  /** The lowest round's CPU time per frame: noise from other processes only ever adds to it. */
  readonly cpuNsMin: number;
  readonly cpuNsPerRound: number[];
  readonly count: number;
  readonly bytesPerFrame: number;
}

/** A consumer to flood: its delivery counter and, when several are connected, its mock connection id. */
export interface Consumer {
  readonly counter: Counter;
  readonly connectionId?: number;
  /** Frames per round for this consumer (overrides the options' `count`). */
  readonly count?: number;
  /** Deliveries per frame for this consumer (overrides the options'). */
  readonly deliveriesPerFrame?: number;
  /** Deliveries that will never reach the counter, so far (a hub's coalesced + dropped; see Counter.until). */
  readonly lost?: () => number;
}

async function round(mock: MockProcess, c: Consumer, count: number, o: RoundsOptions) {
  const n = c.count ?? count;
  c.counter.reset();
  const lost = c.lost;
  const lost0 = lost?.() ?? 0;
  const cpu0 = process.cpuUsage();
  const flooded = mock.call('flood', { type: 'ticker', count: n, codes: o.codes, target: c.connectionId ?? 'all' });
  await c.counter.until(n * (c.deliveriesPerFrame ?? o.deliveriesPerFrame ?? 1), undefined, lost && (() => lost() - lost0));
  const cpu = process.cpuUsage(cpu0);
  const r = await flooded;
  return {
    rate: ((n - 1) * 1000) / (c.counter.last - c.counter.first),
    cpuNs: ((cpu.user + cpu.system) * 1000) / n,
    bytes: r.bytes / Math.max(1, r.frames),
  };
}

export async function throughputRounds(mock: MockProcess, counter: Counter | Consumer, o: RoundsOptions = {}): Promise<RoundsResult> {
  const c: Consumer = 'counter' in counter ? counter : { counter };
  const count = o.count ?? scaled(200_000, 5000);
  await round(mock, c, o.warmup ?? count, o);
  const rates: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  await profiled(o.profileName ?? 'rounds', async () => {
    for (let i = 0; i < (o.rounds ?? 5); i++) {
      const r = await round(mock, c, count, o);
      rates.push(r.rate);
      cpu.push(r.cpuNs);
      bytes = r.bytes;
    }
  });
  return { rate: median(rates), rates, cpuNs: median(cpu), cpuNsMin: Math.min(...cpu), cpuNsPerRound: cpu, count: c.count ?? count, bytesPerFrame: bytes };
}

export interface PairedResult {
  readonly a: RoundsResult;
  readonly b: RoundsResult;
  /** Median of the per-round throughput ratios a / b (wall clock). */
  readonly ratio: number;
  readonly ratios: number[];
  /** Median of the per-round CPU-time ratios b / a (as a throughput ratio: > 1 means a is cheaper). */
  readonly cpuRatio: number;
}

/** Alternate `a` and `b` round by round (b first); only `a`'s last round is profiled. */
export async function pairedRounds(mock: MockProcess, a: Consumer, b: Consumer, o: RoundsOptions = {}): Promise<PairedResult> {
  const count = o.count ?? scaled(200_000, 5000);
  await round(mock, b, o.warmup ?? count, o);
  await round(mock, a, o.warmup ?? count, o);
  const ra: number[] = [];
  const rb: number[] = [];
  const ca: number[] = [];
  const cb: number[] = [];
  let bytes = 0;
  for (let i = 0; i < (o.rounds ?? 5); i++) {
    const rf = await round(mock, b, count, o);
    rb.push(rf.rate);
    cb.push(rf.cpuNs);
    const last = i === (o.rounds ?? 5) - 1;
    const r = last ? await profiled(o.profileName ?? 'rounds', () => round(mock, a, count, o)) : await round(mock, a, count, o);
    ra.push(r.rate);
    ca.push(r.cpuNs);
    bytes = r.bytes;
  }
  const ratios = ra.map((x, i) => x / rb[i]);
  return {
    a: { rate: median(ra), rates: ra, cpuNs: median(ca), cpuNsMin: Math.min(...ca), cpuNsPerRound: ca, count: a.count ?? count, bytesPerFrame: bytes },
    b: { rate: median(rb), rates: rb, cpuNs: median(cb), cpuNsMin: Math.min(...cb), cpuNsPerRound: cb, count: b.count ?? count, bytesPerFrame: bytes },
    ratio: median(ratios),
    ratios,
    cpuRatio: median(cb.map((x, i) => x / ca[i])),
  };
}
