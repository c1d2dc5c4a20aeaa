/**
 * Health: one verdict for the whole hub, with reasons a person can act on.
 *
 * How to read: `HealthThresholds` (every knob and its default), then `HealthMonitor`. The hub
 * tells the monitor what happened to each connection (`state`, `retrying` with its cause) and,
 * whenever health is read or the hub's health timer ticks, hands it a `HealthInput` (which
 * connections are needed, every subscription's delivery counters); `evaluate()` returns
 *
 *   healthy    nothing below
 *   degraded   a needed connection is retrying, or a subscription shed (dropped + coalesced) more
 *              than `shedDegraded` of its messages in the last `shedWindowMs`
 *   unhealthy  a needed connection has been down for `downUnhealthyMs`, or has failed
 *
 * "Needed" means some live subscription uses that connection. Shedding is measured on deltas
 * between readings, so a subscription that shed an hour ago is healthy again a minute later.
 */
import { describeFailure } from './failures.js';
import type { FailureInfo } from '../machines/types.js';
import type { ConnectionName } from './router.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HubHealth {
  status: HealthStatus;
  /** Why, in words a person can act on; empty when healthy. */
  reasons: string[];
}

export interface HealthThresholds {
  /** A needed connection down this long (ms) makes the hub unhealthy. @default 30_000 */
  downUnhealthyMs?: number;
  /** A subscription shedding more than this fraction (0..1) of its messages makes the hub degraded. @default 0.01 */
  shedDegraded?: number;
  /** The window (ms) over which shedding is measured. @default 60_000 */
  shedWindowMs?: number;
  /** How often (ms) health is re-evaluated while `hub.on('health')` has listeners. @default 1_000 */
  intervalMs?: number;
}

export const DEFAULT_THRESHOLDS: Required<HealthThresholds> = {
  downUnhealthyMs: 30_000,
  shedDegraded: 0.01,
  shedWindowMs: 60_000,
  intervalMs: 1_000,
};

export interface SubscriptionSample {
  /** `component/subscription`. */
  name: string;
  type: string;
  delivered: number;
  dropped: number;
  coalesced: number;
}

export interface HealthInput {
  now: number;
  needed: Record<ConnectionName, boolean>;
  subscriptions: readonly SubscriptionSample[];
}

interface Side {
  state: string;
  /** When the connection was last seen not open (undefined while open). */
  downSince: number | undefined;
  /** The cause of the current outage's latest failed attempt. */
  cause: string | undefined;
  retrying: boolean;
}

const SIDES: readonly ConnectionName[] = ['public', 'private'];
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export class HealthMonitor {
  readonly thresholds: Required<HealthThresholds>;
  private readonly sides: Record<ConnectionName, Side>;
  /** Per subscription: readings within the window, oldest first (the first one is the baseline). */
  private readonly history = new Map<string, Array<{ at: number; shed: number; total: number }>>();

  constructor(thresholds: HealthThresholds = {}, now = 0) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...stripUndefined(thresholds) };
    const side = (): Side => ({ state: 'idle', downSince: now, cause: undefined, retrying: false });
    this.sides = { public: side(), private: side() };
  }

  /** The supervisor's view of a connection changed. */
  state(side: ConnectionName, state: string, now: number): void {
    const s = this.sides[side];
    s.state = state;
    if (state === 'open') {
      s.downSince = undefined;
      s.cause = undefined;
      s.retrying = false;
    } else if (s.downSince === undefined) s.downSince = now;
  }

  /** A connect attempt failed and will be retried. */
  retrying(side: ConnectionName, info: FailureInfo | undefined, now: number): void {
    const s = this.sides[side];
    s.retrying = true;
    s.cause = describeFailure(info);
    s.downSince ??= now;
  }

  /** Retries exhausted or a fatal refusal. */
  failed(side: ConnectionName, info: FailureInfo | undefined): void {
    const s = this.sides[side];
    s.state = 'failed';
    s.cause = describeFailure(info);
  }

  evaluate(input: HealthInput): HubHealth {
    const t = this.thresholds;
    const unhealthy: string[] = [];
    const degraded: string[] = [];
    for (const name of SIDES) {
      const s = this.sides[name];
      if (!input.needed[name] || s.state === 'open') continue;
      const cause = s.cause ? ` (${s.cause})` : '';
      const down = s.downSince === undefined ? 0 : input.now - s.downSince;
      if (s.state === 'failed' || s.state === 'crashed') {
        unhealthy.push(`${name} connection failed${cause}: fix the cause, then call hub.retry()`);
      } else if (down >= t.downUnhealthyMs) {
        unhealthy.push(`${name} connection down${cause} for ${seconds(down)}`);
      } else if (s.retrying) {
        degraded.push(`${name} connection retrying${cause} for ${seconds(down)}`);
      }
    }
    const live = new Set<string>();
    for (const sub of input.subscriptions) {
      live.add(sub.name);
      const shed = sub.dropped + sub.coalesced;
      const total = shed + sub.delivered;
      const h = this.history.get(sub.name) ?? [{ at: input.now, shed: 0, total: 0 }];
      this.history.set(sub.name, h);
      h.push({ at: input.now, shed, total });
      // Keep one reading at or before the window's start as the baseline.
      while (h.length > 2 && h[1].at <= input.now - t.shedWindowMs) h.shift();
      if (h.length > 64) h.splice(1, h.length - 64);
      const base = h[0];
      const dTotal = total - base.total;
      const fraction = dTotal > 0 ? (shed - base.shed) / dTotal : 0;
      if (fraction > t.shedDegraded) {
        const verb = sub.dropped > 0 ? 'dropping' : 'coalescing away';
        degraded.push(`subscription ${sub.name} (${sub.type}) ${verb} ${Math.round(fraction * 100)} % of its messages: its callback is too slow or its policy too tight`);
      }
    }
    for (const name of this.history.keys()) if (!live.has(name)) this.history.delete(name);
    const reasons = [...unhealthy, ...degraded];
    return { status: unhealthy.length > 0 ? 'unhealthy' : degraded.length > 0 ? 'degraded' : 'healthy', reasons };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
