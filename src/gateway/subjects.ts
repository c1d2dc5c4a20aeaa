/**
 * The gateway's wire contract on NATS, as data: subject names, header names, the control
 * messages, and the JetStream stream layout. Gateway (server.ts) and consumer (consumer.ts) both
 * read it from here, so there is one copy of every name.
 *
 * Data subjects (JetStream stream `UPBIT`, payload = the event as Upbit's DEFAULT JSON):
 *
 *   upbit.ticker.<code>                 upbit.trade.<code>
 *   upbit.orderbook.<level>.<code>      upbit.candle.<unit>.<code>
 *   upbit.private.<account>.<type>      (myOrder, myAsset, announcement)
 *
 * `<level>` is the orderbook aggregation unit with `.` written as `_` (NATS splits tokens on `.`):
 * level 0 → `0`, level 0.5 → `0_5`. Control subjects (core NATS, never stored) live under
 * `upbit.gw.`, outside the stream.
 */
import { PRIVATE_TYPES, type DataType, type Wish } from '../io/index.js';

/** Headers every data message carries. */
export const HEADER = {
  /** Payload format version; bump when the JSON shape changes. */
  version: 'Upbit-Payload-Version',
  /** The gateway epoch of the upstream connection the event arrived on (see `gatewayEpoch`). */
  epoch: 'Upbit-Epoch',
  /** JetStream de-duplication id (trades only: `<code>:<sequential_id>`). */
  msgId: 'Nats-Msg-Id',
} as const;
export const PAYLOAD_VERSION = '1';

export const DEFAULT_STREAM = 'UPBIT';
export const DEFAULT_BUCKET = 'upbit_gateway';
export const DEFAULT_ACCOUNT = 'default';

/** Subjects the data stream captures. `upbit.gw.>` (control) is deliberately not among them. */
export const STREAM_SUBJECTS = ['upbit.ticker.>', 'upbit.trade.>', 'upbit.orderbook.>', 'upbit.candle.>', 'upbit.private.>'];

/** Control subjects (core NATS request/reply and broadcasts). */
export const CONTROL = {
  /** request: a consumer's full wish set + lease; answered by the leader only. */
  lease: 'upbit.gw.ctl.lease',
  /** publish: a consumer leaves (its wishes go at once instead of at lease expiry). */
  leave: 'upbit.gw.ctl.leave',
  /** publish by the leader: health and epochs of its upstream connections. */
  status: 'upbit.gw.status',
  /** publish by the leader: errors about one consumer's wishes, `upbit.gw.err.<consumer>`. */
  errors: (consumer: string) => `upbit.gw.err.${consumer}`,
} as const;

export type Conn = 'public' | 'private';
export const connOf = (type: string): Conn => (PRIVATE_TYPES.has(type) ? 'private' : 'public');

/** A NATS token may not contain `.`, `*`, `>` or whitespace. */
const TOKEN = /^[^.*>\s]+$/;
export function assertToken(what: string, s: string): void {
  if (!TOKEN.test(s)) throw new TypeError(`${what} ${JSON.stringify(s)} cannot be a NATS subject token`);
}

export const levelToken = (level: number | string | undefined): string => String(level ?? 0).replace('.', '_');

/** The subject one event is published on. `code` is the plain market code (no depth suffix). */
export function subjectOf(event: { type: string; code?: string; level?: unknown }, account: string): string {
  const { type } = event;
  if (PRIVATE_TYPES.has(type)) return `upbit.private.${account}.${type}`;
  if (type === 'orderbook') {
    const level = event.level === null || event.level === undefined ? 0 : String(event.level);
    return `upbit.orderbook.${levelToken(level)}.${event.code}`;
  }
  if (type.startsWith('candle.')) return `upbit.candle.${type.slice(7)}.${event.code}`;
  return `upbit.${type}.${event.code}`;
}

/** The subjects one (validated) wish reads: one per code, or one for a private type. */
export function subjectsOfWish(wish: Wish, account: string): string[] {
  if (PRIVATE_TYPES.has(wish.type)) return [`upbit.private.${account}.${wish.type}`];
  return (wish.codes ?? []).map((raw) => {
    const code = raw.split('.')[0];
    return subjectOf({ type: wish.type, code, level: wish.type === 'orderbook' ? (wish.level ?? 0) : undefined }, account);
  });
}

/**
 * A gateway epoch: `term * 2^20 + hub epoch`. The term is the leader lease's KV revision, which
 * grows with every takeover, so a new leader's epochs are always above its predecessor's.
 */
export const EPOCH_TERM = 2 ** 20;
export const gatewayEpoch = (term: number, hubEpoch: number) => term * EPOCH_TERM + hubEpoch;

// ─── control messages (JSON) ─────────────────────────────────────────────────────────────────

export interface LeaseRequest {
  readonly v: 1;
  /** Unique per connectGateway() instance. */
  readonly consumer: string;
  /** Every wish of every client of this consumer (the whole state: heartbeats are idempotent). */
  readonly wishes: readonly Wish[];
  /** The gateway drops these wishes if no new heartbeat arrives within this many ms. */
  readonly ttlMs: number;
}

export interface GatewayHealth {
  readonly gateway: string;
  readonly public: string;
  readonly private: string;
  readonly epochs: Record<Conn, number>;
}

export interface LeaseReply extends GatewayHealth {
  readonly ok: true;
  /** Wishes the gateway refused (validation), with the error to hand to the subscriber. */
  readonly rejected: readonly { readonly wish: Wish; readonly code: string; readonly message: string }[];
}

export interface RemoteError {
  readonly type?: DataType;
  /** The gateway-side wish it concerns (the consumer's wish without its stream preference). */
  readonly wish?: Wish;
  /** That subscription failed (a level conflict, a connection that gave up): it receives nothing more. */
  readonly fatal?: boolean;
  readonly name: string;
  readonly code: string;
  readonly message: string;
}
