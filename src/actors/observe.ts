/**
 * Observability for one hub: metrics (metrics.ts), health (health.ts), logging (logging.ts) and the
 * Prometheus registry, behind one object, so that hub.ts only reports facts to it.
 *
 * How to read: the hub creates `Observability` with a `HubView` (read-only questions about the
 * hub: connection state, epoch, wire pairs, components) and calls the fact methods as things
 * happen (`opened`, `closed`, `retrying`, `failed`, `state`, `refused`, `request`, `error`). The
 * socket actors bump `meters[side]` directly. Reading is `stats()`, `health()`, `prometheus()`.
 * While `onHealth` has listeners, a timer on the hub's clock re-evaluates health every
 * `intervalMs` and on every connection fact, and calls them only when status or reasons change.
 */
import { Buffer } from 'node:buffer';
import { UpbitBackpressureError, type UpbitError, type UpbitServerError } from '../io/index.js';
import type { FailureInfo } from '../machines/types.js';
import type { Component } from './component.js';
import { describeFailure } from './failures.js';
import { HealthMonitor, type HealthThresholds, type HubHealth } from './health.js';
import { hubLog, type Logger } from './logging.js';
import { ConnectionMeter, prometheusRegistry, type ComponentMetrics, type ConnectionMetrics } from './metrics.js';
import type { ConnectionName } from './router.js';
import type { SubscriptionHandle } from './subscription.js';

export interface HubView {
  state(side: ConnectionName): string;
  epoch(side: ConnectionName): number;
  wirePairs(side: ConnectionName): number;
  components(): Iterable<Component>;
}

export interface ObserveOptions {
  now: () => number;
  clock: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void };
  logger?: Logger;
  health?: HealthThresholds;
  perSubscription?: boolean;
}

export interface HubStats {
  connections: Record<ConnectionName, ConnectionMetrics>;
  /** Per component: its delivery totals and each subscription's. */
  components: Record<string, ComponentMetrics>;
}

const SIDES: readonly ConnectionName[] = ['public', 'private'];

export class Observability {
  readonly meters: Record<ConnectionName, ConnectionMeter> = { public: new ConnectionMeter(), private: new ConnectionMeter() };
  readonly log;
  private readonly monitor: HealthMonitor;
  private readonly listeners = new Set<(health: HubHealth) => void>();
  private last: HubHealth = { status: 'healthy', reasons: [] };
  private lastKey = 'healthy|';
  private timer: unknown;
  private stopped = false;
  private registry: ReturnType<typeof prometheusRegistry> | undefined;
  /** One reading per scrape: every metric of a scrape reads the same numbers. */
  private scrape: { stats: HubStats; health: HubHealth } | undefined;

  constructor(
    private readonly view: HubView,
    private readonly options: ObserveOptions,
  ) {
    this.log = hubLog(options.logger);
    this.monitor = new HealthMonitor(options.health, options.now());
  }

  // ── facts ────────────────────────────────────────────────────────────────────────────────────
  opened(side: ConnectionName, epoch: number): void {
    this.meters[side].opened(this.options.now());
    this.log.log('info', { connection: side, epoch, reconnects: this.meters[side].opens - 1 }, `${side} connection open`);
  }
  closed(side: ConnectionName, code: number, reason: string, epoch: number, byUs: boolean): void {
    this.meters[side].closed();
    const text = `${side} connection ${byUs ? 'closed' : 'dropped'} ${code}${reason ? ` (${reason})` : ''}`;
    this.log.log(byUs ? 'info' : 'warn', { connection: side, epoch, code, reason, byUs }, text);
  }
  state(side: ConnectionName, state: string): void {
    this.monitor.state(side, state, this.options.now());
    if (state !== 'open') this.meters[side].closed();
    this.changed();
  }
  retrying(side: ConnectionName, info: FailureInfo | undefined, attempt: number): void {
    this.meters[side].errors++;
    this.monitor.retrying(side, info, this.options.now());
    this.log.log('warn', { connection: side, attempt, cause: describeFailure(info) }, `${side} connection retrying`);
    this.changed();
  }
  failed(side: ConnectionName, info: FailureInfo | undefined): void {
    this.meters[side].errors++;
    this.monitor.failed(side, info);
    this.log.log('error', { connection: side, cause: describeFailure(info) }, `${side} connection failed`);
    this.changed();
  }
  refused(side: ConnectionName, error: UpbitServerError): void {
    this.meters[side].errors++;
    this.log.log('warn', { connection: side, code: error.code, name: error.serverName, message: error.message }, `Upbit refused on ${side}`);
  }
  decodeError(side: ConnectionName, error: UpbitError): void {
    this.meters[side].errors++;
    this.log.log('warn', { connection: side, code: error.code, message: error.message }, 'undecodable frame');
  }
  request(side: ConnectionName, data: string, pairs: number): void {
    this.log.log('debug', { connection: side, bytes: Buffer.byteLength(data), pairs }, `request sent on ${side}`);
  }
  /**
   * An error the hub or a component reported. Connection trouble is logged once per connection
   * (retrying, failed), not once per subscription that hears it.
   */
  error(error: UpbitError, componentId?: string, subscriptionId?: string): void {
    if (!this.log.enabled) return;
    if (componentId !== undefined && (error.code === 'CONNECTION' || error.code === 'UNAUTHORIZED')) return;
    const what = error instanceof UpbitBackpressureError ? 'shedding' : componentId === undefined ? 'hub error' : 'subscription error';
    this.log.log('warn', { code: error.code, component: componentId, subscription: subscriptionId, message: error.message }, what);
  }
  /** A sampled delivery reached a callback. */
  delivered(side: ConnectionName, arrived: number): void {
    this.meters[side].delivered(arrived);
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────
  stats(): HubStats {
    const now = this.options.now();
    const connections = {} as Record<ConnectionName, ConnectionMetrics>;
    for (const side of SIDES) {
      connections[side] = this.meters[side].snapshot(now, { state: this.view.state(side), epoch: this.view.epoch(side), subscriptionsOnWire: this.view.wirePairs(side) });
    }
    const components: Record<string, ComponentMetrics> = {};
    for (const c of this.view.components()) {
      const subscriptions: ComponentMetrics['subscriptions'] = {};
      for (const s of c.subscriptions() as SubscriptionHandle[]) subscriptions[s.id] = { ...s.stats(), type: s.wish.type, status: s.status };
      components[c.id] = { delivery: c.stats(), subscriptions };
    }
    return { connections, components };
  }

  health(): HubHealth {
    const needed: Record<ConnectionName, boolean> = { public: false, private: false };
    const subscriptions = [];
    for (const c of this.view.components()) {
      for (const s of c.subscriptions() as SubscriptionHandle[]) {
        if (s.status === 'ended') continue;
        needed[s.side] = true; // a failed subscription still needs its connection back
        const st = s.stats();
        subscriptions.push({ name: `${c.id}/${s.id}`, type: s.wish.type, delivered: st.delivered, dropped: st.dropped, coalesced: st.coalesced });
      }
    }
    const h = this.monitor.evaluate({ now: this.options.now(), needed, subscriptions });
    this.remember(h);
    return h;
  }

  onHealth(fn: (health: HubHealth) => void): () => void {
    this.listeners.add(fn);
    this.arm();
    return () => {
      this.listeners.delete(fn);
    };
  }

  async prometheus(): Promise<string> {
    const read = () => (this.scrape ??= { stats: this.stats(), health: this.health() });
    this.registry ??= prometheusRegistry(
      { connections: () => read().stats.connections, components: () => read().stats.components, health: () => read().health },
      { perSubscription: this.options.perSubscription },
    );
    this.scrape = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.scrape = undefined;
    }
  }
  get contentType(): string {
    return 'text/plain; version=0.0.4; charset=utf-8';
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.log.log('info', {}, 'hub stopped');
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────
  private changed(): void {
    if (this.listeners.size > 0 && !this.stopped) this.health();
  }

  private remember(h: HubHealth): void {
    const key = `${h.status}|${h.reasons.join('|')}`;
    if (key === this.lastKey) return;
    const was = this.last.status;
    this.last = h;
    this.lastKey = key;
    if (h.status !== was) {
      this.log.log(h.status === 'unhealthy' ? 'error' : h.status === 'degraded' ? 'warn' : 'info', { status: h.status, reasons: h.reasons }, `health ${h.status}`);
    }
    for (const fn of [...this.listeners]) {
      try {
        fn(h);
      } catch {
        // a throwing health listener must not break the hub
      }
    }
  }

  private arm(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.listeners.size === 0) return;
      this.health();
      this.arm();
    }, this.monitor.thresholds.intervalMs);
  }
}
