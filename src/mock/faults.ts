/**
 * Faults on demand: the control calls that make the mock misbehave the way networks and
 * exchanges do, so client recovery paths can be tested without waiting for luck.
 *
 * How to read this file: every WebSocket fault takes an optional `Target` (default: every open
 * connection) and acts on the Connection pipeline (connection.ts): `stall` holds frames in its
 * queue, `delayFrames` gives each frame a due time, `duplicateFrames` writes data frames twice.
 * `delayFrames`/`duplicateFrames` with the default target also apply to connections opened later.
 * `refuseConnections` and `failRest` are consulted by handshake.ts and rest.ts.
 */
import { Buffer } from 'node:buffer';
import { encodeEvent, TICKER } from '../io/index.js';
import type { Format } from '../io/index.js';
import type { Connection } from './connection.js';
import type { ConnectionInfo } from './events.js';
import type { HandshakeState } from './handshake.js';
import type { Market } from './market.js';
import type { Hub } from './public-ws.js';
import type { RestState } from './rest.js';
import { errorText } from './public-ws.js';

/** Which connections a fault applies to: all open ones, one endpoint, one id, or a predicate. */
export type Target = 'all' | 'public' | 'private' | number | ((c: ConnectionInfo) => boolean);

export type MalformedKind = 'truncated-json' | 'invalid-utf8' | 'wrong-field-type' | 'unknown-type' | 'empty' | 'not-json';
export const MALFORMED_KINDS: readonly MalformedKind[] = [
  'truncated-json',
  'invalid-utf8',
  'wrong-field-type',
  'unknown-type',
  'empty',
  'not-json',
];

export interface DisconnectOptions {
  /** Close code of a clean close. @default 1000 */
  readonly code?: number;
  /** @default '' */
  readonly reason?: string;
  /** Drop the TCP connection without a close frame. @default false */
  readonly abrupt?: boolean;
}

export interface RefuseOptions {
  /** Refuse for this long on the `now()` clock. @default until `acceptConnections()` */
  readonly forMs?: number;
  /** Refuse this many handshakes. @default unlimited */
  readonly count?: number;
  /** HTTP status of the refusal. @default 503 */
  readonly status?: number;
}

export interface RestFailureOptions {
  readonly status: number;
  /** @default 1 */
  readonly count?: number;
  /** 418 and 429: the block length (sent as `Retry-After`, seconds rounded up). @default 1000 for 418 */
  readonly retryAfterMs?: number;
}

export function select(hub: Hub, target: Target = 'all'): Connection[] {
  const open = [...hub.open];
  if (target === 'all') return open;
  if (target === 'public' || target === 'private') return open.filter((c) => c.endpoint === target);
  if (typeof target === 'number') return open.filter((c) => c.id === target);
  return open.filter((c) => target(c.info()));
}

const tradePriceRow = TICKER.find((r) => r.name === 'tradePrice')!;
const typeRow = TICKER.find((r) => r.name === 'type')!;

/** The bytes of one malformed frame of `kind`, shaped for a connection in `format`. */
export function malformedFrame(kind: MalformedKind, market: Market, format: Format): Buffer {
  const simple = format === 'SIMPLE' || format === 'SIMPLE_LIST';
  const list = format === 'JSON_LIST' || format === 'SIMPLE_LIST';
  const ticker = encodeEvent(market.ticker(market.codes[0]), format);
  const wrap = (s: string) => (list ? `[${s}]` : s);
  switch (kind) {
    case 'truncated-json':
      return Buffer.from(ticker.slice(0, Math.floor(ticker.length / 2)));
    case 'invalid-utf8':
      // 0xC3 0x28 is an invalid two-byte sequence
      return Buffer.concat([Buffer.from(ticker.slice(0, 20)), Buffer.from([0xc3, 0x28]), Buffer.from(ticker.slice(20))]);
    case 'wrong-field-type': {
      const key = `"${simple ? tradePriceRow.simple : tradePriceRow.wire}":`;
      return Buffer.from(ticker.replace(new RegExp(`${key}[-0-9.eE]+`), `${key}"not a number"`));
    }
    case 'unknown-type':
      return Buffer.from(wrap(`{"${simple ? typeRow.simple : typeRow.wire}":"mysteryType","code":"${market.codes[0]}"}`));
    case 'empty':
      return Buffer.alloc(0);
    case 'not-json':
      return Buffer.from('this is not JSON');
  }
}

export class Faults {
  /** Applied to connections opened later (set by delayFrames / duplicateFrames with the default target). */
  readonly defaults = { delayMs: 0, duplicate: false };

  constructor(
    private readonly hub: Hub,
    private readonly market: Market,
    private readonly handshake: HandshakeState,
    private readonly rest: RestState,
    private readonly now: () => number,
  ) {}

  /** Give a new connection the standing faults. */
  adopt(conn: Connection): void {
    conn.delayMs = this.defaults.delayMs;
    conn.duplicate = this.defaults.duplicate;
  }

  disconnect(target: Target = 'all', opts: DisconnectOptions = {}): number {
    const list = select(this.hub, target);
    for (const c of list) c.disconnect(opts);
    return list.length;
  }

  /** Stop sending (frames queue up, nothing closes); `true` = until `resume()`. */
  stall(ms: number | true, target: Target = 'all'): void {
    for (const c of select(this.hub, target)) {
      c.setStalled(true);
      if (c.stallTimer) clearTimeout(c.stallTimer);
      c.stallTimer = ms === true ? undefined : setTimeout(() => c.setStalled(false), ms);
    }
  }

  resume(target: Target = 'all'): void {
    for (const c of select(this.hub, target)) c.setStalled(false);
  }

  sendMalformed(kind: MalformedKind, target: Target = 'all'): void {
    if (!MALFORMED_KINDS.includes(kind)) throw new RangeError(`unknown malformed kind ${String(kind)}`);
    for (const c of select(this.hub, target)) c.sendRaw(malformedFrame(kind, this.market, c.format));
  }

  sendError(name: string, message: string, target: Target = 'all'): void {
    for (const c of select(this.hub, target)) c.sendControl(errorText(name, message));
  }

  refuseConnections(o: RefuseOptions = {}): void {
    this.handshake.refusal = {
      status: o.status ?? 503,
      until: o.forMs === undefined ? undefined : this.now() + o.forMs,
      remaining: o.count,
    };
  }

  acceptConnections(): void {
    this.handshake.refusal = undefined;
  }

  delayFrames(ms: number, target: Target = 'all'): void {
    if (!(ms >= 0)) throw new RangeError('delay must be >= 0');
    if (target === 'all') this.defaults.delayMs = ms;
    for (const c of select(this.hub, target)) {
      c.delayMs = ms;
      c.flush();
    }
  }

  duplicateFrames(on: boolean, target: Target = 'all'): void {
    if (target === 'all') this.defaults.duplicate = on;
    for (const c of select(this.hub, target)) c.duplicate = on;
  }

  /**
   * The next `count` REST requests fail with `status`: 429 gets Upbit's rate-limit body, 418 the
   * teapot body with `Retry-After` (`retryAfterMs`, default 1000), anything else `{"error":{"name":status}}`.
   */
  failRest(o: RestFailureOptions): void {
    if (!(Number.isInteger(o.status) && o.status >= 400 && o.status <= 599)) throw new RangeError('status must be 400-599');
    const retryAfterMs = o.retryAfterMs ?? (o.status === 418 ? 1000 : undefined);
    this.rest.failures.push({ status: o.status, count: o.count ?? 1, retryAfterMs });
  }

  /** Hold the next `count` REST requests unanswered (a server that hangs) until `releaseRest()`. */
  holdRest(count = Infinity): void {
    this.rest.hold = count;
  }

  /** Answer every held REST request and stop holding. */
  releaseRest(): void {
    this.rest.hold = 0;
    for (const go of this.rest.held.splice(0)) go();
  }
}
