/**
 * The handle `startMockUpbit` resolves to: URLs, `close()`, and every control and observation
 * call, grouped as market / account / faults / observation. Types only; server.ts implements it.
 */
import type { Announcement, Decimal, Orderbook, Ticker, Trade } from '../io/index.js';
import type { Balance, MockOrder, PlaceOrder } from './account.js';
import type { AuthRecord } from './auth.js';
import type { ConnectionInfo, MockEventName, MockEvents, ReceivedMessage, RestRecord } from './events.js';
import type { DisconnectOptions, MalformedKind, RefuseOptions, RestFailureOptions, Target } from './faults.js';
import type { FloodOptions, FloodResult } from './flood.js';
import type { MockKey } from './options.js';
import type { AnnouncementInput } from './private-ws.js';

export interface ConnectionStats {
  readonly id: number;
  readonly path: string;
  readonly messages: number;
  readonly messageBreaches: number;
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly closed: boolean;
}

export interface MockStats {
  /** WebSocket handshake attempts (accepted or not). */
  readonly connects: number;
  readonly accepted: number;
  /** Handshakes answered with an HTTP status (404, 429, 401, refuseConnections). */
  readonly refused: number;
  /** Connects over the connect limit. */
  readonly connectBreaches: number;
  /** Client messages over the message limit. */
  readonly messageBreaches: number;
  readonly authFailures: number;
  /** Requests answered with an error frame. */
  readonly requestErrors: number;
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly rest: { readonly requests: number; readonly breaches: number; readonly teapots: number };
  readonly perConnection: readonly ConnectionStats[];
}

export interface MockUpbit extends AsyncDisposable {
  /** Public WebSocket URL, `ws://127.0.0.1:<port>/websocket/v1`. */
  readonly url: string;
  /** Private WebSocket URL, `ws://127.0.0.1:<port>/websocket/v1/private`. */
  readonly privateUrl: string;
  /** REST origin, `http://127.0.0.1:<port>` (append `/v1/ticker` etc., as with `https://api.upbit.com`). */
  readonly restUrl: string;
  readonly port: number;
  /** The key pairs the private endpoint and exchange REST accept. */
  readonly keys: readonly MockKey[];
  /** Simulated market codes. */
  readonly markets: readonly string[];
  /** Terminate every socket, stop every timer, close the server. Idempotent. */
  close(): Promise<void>;

  // ── market ──
  /** Run `n` simulation steps now (one trade per market each); synchronous. @default n = 1 */
  tick(n?: number): void;
  /** Simulated time of the latest step (Unix ms). */
  simTime(): number;
  ticker(code: string): Ticker;
  lastTrade(code: string): Trade;
  orderbook(code: string, depth?: number, level?: string | number): Orderbook | undefined;
  /** Send `count` frames of one type to every matching subscriber as fast as the sockets drain. */
  flood(options: FloodOptions): Promise<FloodResult>;

  // ── account (private streams) ──
  placeOrder(order: PlaceOrder): MockOrder;
  fillOrder(uuid: string, fill?: { volume?: string | number | Decimal; price?: string | number | Decimal }): MockOrder;
  cancelOrder(uuid: string): MockOrder;
  balances(accessKey?: string): Readonly<Record<string, Readonly<Balance>>>;
  publishAnnouncement(announcement: AnnouncementInput): Announcement;

  // ── faults ──
  disconnectAll(options?: DisconnectOptions): number;
  disconnect(target: Target, options?: DisconnectOptions): number;
  stall(ms: number | true, target?: Target): void;
  resume(target?: Target): void;
  sendMalformed(kind: MalformedKind, target?: Target): void;
  sendError(name: string, message: string, target?: Target): void;
  refuseConnections(options?: RefuseOptions): void;
  acceptConnections(): void;
  delayFrames(ms: number, target?: Target): void;
  duplicateFrames(on: boolean, target?: Target): void;
  /** The next `count` REST requests get `status` (429: Upbit's body; 418: teapot body and `Retry-After`). */
  failRest(options: RestFailureOptions): void;
  /** Hold the next `count` REST requests unanswered (default: all) until `releaseRest()`. */
  holdRest(count?: number): void;
  releaseRest(): void;
  /** Forget every rate-limit counter and block. */
  resetLimits(): void;

  // ── observation ──
  connections(): ConnectionInfo[];
  connection(id: number): ConnectionInfo | undefined;
  stats(): MockStats;
  /** Every client → server WS message (newest last, up to `logLimit`). */
  readonly received: readonly ReceivedMessage[];
  /** Every REST request answered (newest last, up to `logLimit`). */
  readonly restLog: readonly RestRecord[];
  /** Every JWT check (private WS handshake or exchange REST) with the raw token and the verdict (newest last, up to `logLimit`). */
  readonly authLog: readonly AuthRecord[];
  on<K extends MockEventName>(event: K, listener: (e: MockEvents[K]) => void): () => void;
  /** The next `event` satisfying `predicate`. */
  next<K extends MockEventName>(event: K, predicate?: (e: MockEvents[K]) => boolean): Promise<MockEvents[K]>;
}
