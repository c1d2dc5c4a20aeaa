/**
 * The hub's public shapes: its options (every one with its default), its status and metrics, the
 * `UpbitHub` interface, and `HubInternals` (what tests and the inspector reach; not exported from
 * src/index.ts). hub.ts implements them.
 */
import type { ActorOptions, AnyActorLogic, InspectionEvent, Observer, Actor } from 'xstate';
import type WebSocket from 'ws';
import type { ConnectionInput } from '../machines/connection.machine.js';
import type { TokenResult } from '../machines/jwt.machine.js';
import type { RecoveryInput } from '../machines/recovery.machine.js';
import type { Health, supervisorMachine } from '../machines/supervisor.machine.js';
import type {
  CredentialsInput,
  Format,
  JwtAlgorithm,
  LimiterOptions,
  UpbitError,
} from '../io/index.js';
import type { Blame } from './blame.js';
import type { UpbitClient } from './client.js';
import type { Component, ComponentRef } from './component.js';
import type { HealthThresholds, HubHealth } from './health.js';
import type { Logger } from './logging.js';
import type { HubStats } from './observe.js';
import type { DataPoolOptions } from './pool.js';
import type { MarketsOptions, ReconcileOptions, RestSide } from './rest-side.js';
import type { ConnectionName, Router, RouterMetrics } from './router.js';
import type { HandleOptions, SubscriptionStats } from './subscription.js';
import type { Wire } from './wire.js';

export interface UpbitHubOptions {
  /** Public WebSocket. @default 'wss://api.upbit.com/websocket/v1' */
  url?: string;
  /** Private WebSocket (myOrder, myAsset, announcement). @default 'wss://api.upbit.com/websocket/v1/private' */
  privateUrl?: string;
  /**
   * REST origin (snapshots, the market list, private reconciliation). @default derived from `url`:
   * `wss://api.upbit.com/...` → `https://api.upbit.com`, `ws://127.0.0.1:P/...` → `http://127.0.0.1:P`
   */
  restUrl?: string;
  /**
   * The hub's ONE rate limiter (REST groups, WebSocket connects and messages): Upbit's numbers
   * (`UPBIT_LIMITS`) unless overridden, e.g. `{ limits: { ticker: 5 } }`. `marginMs` @default 100
   */
  limits?: Omit<LimiterOptions, 'clock'>;
  /** Known markets: unlisted codes are refused (UNKNOWN_MARKET). `false` turns the check off. */
  markets?: false | MarketsOptions;
  /** The pull model's data pool (history per key). */
  pull?: DataPoolOptions;
  /** Private reconciliation through REST (needs `credentials`; off with `getToken()` only). `false` turns it off. */
  reconcile?: false | ReconcileOptions;
  /** The `fetch` every REST call uses (a proxy, or tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** API keys: a fresh JWT (HS512 unless `jwtAlgorithm`) is signed for every private connect. */
  credentials?: CredentialsInput;
  /**
   * Or your own token source, asked once per private connect (see `tokenReuse`). Reject with
   * `UnauthorizedError` for a fatal refusal; any other rejection (its message reaches the private
   * subscribers) is retried with backoff. A token the server refuses asks again, twice, before the
   * private connection fails.
   */
  getToken?: () => Promise<string | TokenResult>;
  /** `getToken()` must settle within this many ms. @default 10_000 */
  tokenTimeout?: number;
  /**
   * Whether a `getToken()` token may serve several connects. Upbit tokens carry a one-time nonce,
   * so by default every private connect asks `getToken()` again. Set true only for tokens your
   * gateway accepts repeatedly; they are then cached and renewed at 80 % of their lifetime.
   * @default false
   */
  tokenReuse?: boolean;
  /** @default 'HS512' */
  jwtAlgorithm?: JwtAlgorithm;
  /** Wire format. SIMPLE frames are about 40 % smaller. @default 'SIMPLE' */
  format?: Format;
  /** Timers for every machine (pass a `SimulatedClock` in tests). @default real timers */
  clock?: ActorOptions<AnyActorLogic>['clock'];
  /** Wall clock in ms, for token expiry and outage gaps. @default Date.now */
  now?: () => number;
  /** Inspection observer: `createOfflineInspector().inspect`, or @statelyai/inspect's `inspector.inspect`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Offer permessage-deflate. @default true */
  perMessageDeflate?: boolean;
  /** WebSocket class. @default the `ws` package */
  WebSocket?: typeof WebSocket;
  /** Connection timers (keepaliveInterval, pongTimeout, stallTimeout, ...) and backoff. `stallTimeout` applies to the public connection only (private streams are legitimately quiet). */
  connection?: Omit<ConnectionInput, 'url' | 'name' | 'notifyParent' | 'initialEpoch' | 'recovery'>;
  recovery?: RecoveryInput;
  /** Coalescing window for subscription changes (0..100 ms). @default 100 */
  pendingWindow?: number;
  /** Delivery: the slow-callback budget (ms) and, for tests, the scheduler and clock of every sink. */
  delivery?: HandleOptions['sink'];
  /** Lifecycle logs (pino-compatible: `debug/info/warn/error(object, message)`); secrets redacted. @default silent */
  logger?: Logger;
  /** Health thresholds (see HealthThresholds). @default { downUnhealthyMs: 30_000, shedDegraded: 0.01, shedWindowMs: 60_000, intervalMs: 1_000 } */
  health?: HealthThresholds;
  /** Prometheus: add a `subscription` label to the delivery metrics (more series). @default false */
  metricsPerSubscription?: boolean;
}

export interface HubStatus {
  /** `stopped` after `hub.stop()`. */
  state: 'running' | 'stopped';
  public: Health;
  private: Health;
  epochs: Record<ConnectionName, number>;
  components: number;
  /** Delivery totals of every subscription. */
  delivery: SubscriptionStats;
  metrics: HubMetrics;
}

export interface HubMetrics extends RouterMetrics {
  frames: number;
  bytes: number;
  decodeErrors: number;
  serverErrors: number;
  requestsSent: Record<ConnectionName, number>;
}

export interface UpbitHub extends AsyncDisposable {
  /** A new component actor in the hub's tree (names are unique among live components). */
  spawnComponent(id: string): ComponentRef;
  /** A friendly facade over a new component actor. */
  client(id: string): UpbitClient;
  status(): HubStatus;
  /**
   * Errors nobody else listens to: decode errors, error frames nobody's wish explains, and errors of
   * components without error listeners (with the component and subscription they concern).
   */
  onError(fn: (error: UpbitError, componentId?: string, subscriptionId?: string) => void): () => void;
  /** Leave `failed`: failed connections try again, and their subscriptions go back to pending. */
  retry(): void;
  /** The last request sent on each connection (for debugging and tests). */
  lastRequest(conn: ConnectionName): string | undefined;
  /** Stop everything: components, connections, timers. Idempotent. */
  stop(): Promise<void>;
  /** The verdict: healthy, degraded or unhealthy, with reasons a person can act on. */
  health(): HubHealth;
  /** Health changes (status or reasons); returns the unsubscribe function. */
  on(event: 'health', fn: (health: HubHealth) => void): () => void;
  /** Per connection (uptime, messages, bytes, rates, delay p50/p99, ...) and per component/subscription delivery. */
  stats(): HubStats;
  /** Everything as Prometheus text exposition (one prom-client registry per hub). */
  prometheus(): Promise<string>;
}

/** What tests and the inspector reach; never part of the public API (src/index.ts does not export it). */
export interface HubInternals {
  supervisor: Actor<typeof supervisorMachine>;
  router: Router;
  blame: Record<ConnectionName, Blame>;
  wire: Record<ConnectionName, Wire>;
  /** The live components (the inspector shows each one's wishes beside the wire set). */
  components: () => Iterable<Component>;
  rest: RestSide;
}
