/**
 * Metrics: what each connection carried and how fast it reached your callbacks, cheaply.
 *
 * How to read: `ConnectionMeter` is the per-connection counter block the socket actor bumps on the
 * hot path (plain field increments, no clock read). One frame in `LATENCY_SAMPLE` is stamped with
 * its arrival time under the `ARRIVED` symbol on each decoded message; when a subscription's sink
 * calls the callback with such a message it reports `now - arrival` to the meter's `Quantiles`
 * (the only clock reads, 1 frame in 64). `snapshot()` turns a meter into plain numbers (uptime,
 * messages/s over the reading interval, p50/p99). `prometheusRegistry()` exposes everything as
 * Prometheus text through one prom-client `Registry` per hub, labels bounded: `connection`
 * (public|private), `component` (your component names) and, only when asked, `subscription`.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ConnectionName } from './router.js';
import type { SubscriptionStats } from './subscription.js';

export { ARRIVED, LATENCY_SAMPLE } from './arrival.js';

/** The last `size` samples; quantiles computed on demand (reads are rare, writes are 1 in 64). */
export class Quantiles {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;
  constructor(size = 1024) {
    this.ring = new Float64Array(size);
  }
  add(ms: number): void {
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
    this.count++;
  }
  /** The q-quantile (0..1) of the kept samples, nearest rank; undefined without samples. */
  quantile(q: number): number | undefined {
    if (this.filled === 0) return undefined;
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  }
}

export interface ConnectionMetrics {
  /** Current connection state (the supervisor's view). */
  state: string;
  /** Seconds since the current socket opened (0 while not open). */
  uptimeSeconds: number;
  frames: number;
  /** Data messages decoded and routed (ticker, trade, ...). */
  messages: number;
  bytes: number;
  /** Data messages per second over the interval since the previous reading (at most 10 s back). */
  messagesPerSecond: number;
  /** Decode errors, Upbit error frames and failed connection attempts. */
  errors: number;
  /** Opens after the first one. */
  reconnects: number;
  epoch: number;
  /** `type|code` pairs on the wire now. */
  subscriptionsOnWire: number;
  /** Delay from frame arrival to callback, ms, over the last 1024 sampled deliveries. */
  delayP50Ms: number | undefined;
  delayP99Ms: number | undefined;
  /** Sampled deliveries so far. */
  delaySamples: number;
}

/** Per-connection counters, bumped by the socket actor and the hub. */
export class ConnectionMeter {
  frames = 0;
  messages = 0;
  bytes = 0;
  errors = 0;
  opens = 0;
  openedAt: number | undefined = undefined;
  readonly delay = new Quantiles();
  private readonly history: Array<{ at: number; messages: number }> = [];

  opened(at: number): void {
    this.opens++;
    this.openedAt = at;
  }
  closed(): void {
    this.openedAt = undefined;
  }
  /** Called with a sampled message at callback time. */
  delivered(arrived: number): void {
    this.delay.add(performance.now() - arrived);
  }

  /** Messages per second since the oldest reading kept (readings older than 10 s are dropped). */
  rate(now: number): number {
    const h = this.history;
    h.push({ at: now, messages: this.messages });
    while (h.length > 2 && now - h[1].at >= 10_000) h.shift();
    if (h.length > 32) h.splice(1, h.length - 32);
    const first = h[0];
    const span = (now - first.at) / 1000;
    return span > 0 ? (this.messages - first.messages) / span : 0;
  }

  snapshot(now: number, extra: { state: string; epoch: number; subscriptionsOnWire: number }): ConnectionMetrics {
    return {
      state: extra.state,
      uptimeSeconds: this.openedAt === undefined ? 0 : Math.max(0, (now - this.openedAt) / 1000),
      frames: this.frames,
      messages: this.messages,
      bytes: this.bytes,
      messagesPerSecond: this.rate(now),
      errors: this.errors,
      reconnects: Math.max(0, this.opens - 1),
      epoch: extra.epoch,
      subscriptionsOnWire: extra.subscriptionsOnWire,
      delayP50Ms: this.delay.quantile(0.5),
      delayP99Ms: this.delay.quantile(0.99),
      delaySamples: this.delay.count,
    };
  }
}

export interface ComponentMetrics {
  delivery: SubscriptionStats;
  subscriptions: Record<string, SubscriptionStats & { type: string; status: string }>;
}

/** What the Prometheus registry reads at scrape time. */
export interface MetricsSource {
  connections(): Record<ConnectionName, ConnectionMetrics>;
  components(): Record<string, ComponentMetrics>;
  health(): { status: 'healthy' | 'degraded' | 'unhealthy' };
}

const SIDES: readonly ConnectionName[] = ['public', 'private'];
const DELIVERY: readonly (keyof SubscriptionStats)[] = ['delivered', 'dropped', 'coalesced', 'callbackErrors'];

/**
 * One prom-client Registry for one hub. Metric names start with `upbit_ws_`; every value is read
 * from `source` when scraped (nothing is counted twice). `perSubscription` adds a `subscription`
 * label to the delivery metrics (off by default: labels stay bounded by your component count).
 */
export function prometheusRegistry(source: MetricsSource, options: { perSubscription?: boolean } = {}): Registry {
  const registry = new Registry();
  const conn = (name: string, help: string, kind: 'counter' | 'gauge', read: (m: ConnectionMetrics) => number | undefined) => {
    const collect = function (this: Counter | Gauge) {
      const all = source.connections();
      this.reset();
      for (const side of SIDES) {
        const v = read(all[side]);
        if (v === undefined) continue;
        if (this instanceof Counter) this.inc({ connection: side }, v);
        else (this as Gauge).set({ connection: side }, v);
      }
    };
    const config = { name, help, labelNames: ['connection'] as const, registers: [registry], collect };
    return kind === 'counter' ? new Counter(config) : new Gauge(config);
  };
  conn('upbit_ws_connection_up', '1 while the connection is open', 'gauge', (m) => (m.state === 'open' ? 1 : 0));
  conn('upbit_ws_connection_uptime_seconds', 'Seconds since the current socket opened', 'gauge', (m) => m.uptimeSeconds);
  conn('upbit_ws_frames_received_total', 'WebSocket frames received', 'counter', (m) => m.frames);
  conn('upbit_ws_messages_received_total', 'Data messages received', 'counter', (m) => m.messages);
  conn('upbit_ws_bytes_received_total', 'Bytes received (frame payloads)', 'counter', (m) => m.bytes);
  conn('upbit_ws_messages_per_second', 'Data messages per second over the last reading interval', 'gauge', (m) => m.messagesPerSecond);
  conn('upbit_ws_errors_total', 'Decode errors, Upbit error frames and failed connection attempts', 'counter', (m) => m.errors);
  conn('upbit_ws_reconnects_total', 'Opens after the first one', 'counter', (m) => m.reconnects);
  conn('upbit_ws_epoch', 'Current socket epoch', 'gauge', (m) => m.epoch);
  conn('upbit_ws_wire_subscriptions', 'type|code pairs on the wire', 'gauge', (m) => m.subscriptionsOnWire);
  conn('upbit_ws_delivery_delay_p50_seconds', 'Median delay from frame arrival to callback (sampled 1 in 64)', 'gauge', (m) =>
    m.delayP50Ms === undefined ? undefined : m.delayP50Ms / 1000,
  );
  conn('upbit_ws_delivery_delay_p99_seconds', '99th percentile delay from frame arrival to callback (sampled 1 in 64)', 'gauge', (m) =>
    m.delayP99Ms === undefined ? undefined : m.delayP99Ms / 1000,
  );

  const labelNames = options.perSubscription ? (['component', 'subscription'] as const) : (['component'] as const);
  for (const key of DELIVERY) {
    const name = `upbit_ws_delivery_${key === 'callbackErrors' ? 'callback_errors' : key}_total`;
    new Counter({
      name,
      help: `Messages ${key} by subscriptions (see SubscriptionStats)`,
      labelNames: labelNames as unknown as string[],
      registers: [registry],
      collect() {
        this.reset();
        for (const [component, c] of Object.entries(source.components())) {
          if (!options.perSubscription) this.inc({ component }, c.delivery[key]);
          else for (const [subscription, s] of Object.entries(c.subscriptions)) this.inc({ component, subscription }, s[key]);
        }
      },
    });
  }
  new Gauge({
    name: 'upbit_ws_delivery_queued',
    help: 'Messages waiting in subscription queues',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [component, c] of Object.entries(source.components())) this.set({ component }, c.delivery.queued);
    },
  });
  new Gauge({
    name: 'upbit_ws_health',
    help: '0 healthy, 1 degraded, 2 unhealthy',
    registers: [registry],
    collect() {
      const s = source.health().status;
      this.set(s === 'healthy' ? 0 : s === 'degraded' ? 1 : 2);
    },
  });
  return registry;
}
