/**
 * The WebSocket request side and the market fan-out: what happens to every client message, and
 * how simulated market events reach subscribers. Used by both endpoints (the private endpoint
 * adds auth at the handshake and its own types, private-ws.ts).
 *
 * How to read this file: `Hub.onMessage` is the per-message pipeline,
 *
 *   touch idle clock ─► log ─► message budget (5/s, 100/min; text PING counts, [U])
 *     ─► "PING" → {"status":"UP"}
 *     ─► parseRequest ─► error frame            (requests.ts)
 *                     ─► LIST_SUBSCRIPTIONS     → answer in the (possibly new) format
 *                     ─► subscribe → REPLACE the set, switch format, send SNAPSHOTs
 *
 * and `Hub.publish` sends each market event to the connections indexed under `type|code`,
 * encoding it once per (format, orderbook depth/level) per event.
 */
import { Buffer } from 'node:buffer';
import type { RawData } from 'ws';
import { encodeEvent } from '../io/index.js';
import type { Format, UpbitMessage } from '../io/index.js';
import { orderbookMessage } from './book.js';
import type { Connection } from './connection.js';
import type { Emitter, ReceivedMessage, RequestRecord } from './events.js';
import { MessageBudget } from './limits.js';
import type { Market, MarketEvent } from './market.js';
import type { Resolved } from './options.js';
import { parseRequest } from './requests.js';
import type { ParsedRequest } from './requests.js';
import { SubscriptionSet } from './subscriptions.js';

export interface WsStats {
  messageBreaches: number;
  requestErrors: number;
}

export interface HubDeps {
  readonly opts: Resolved;
  readonly market: Market;
  readonly emitter: Emitter;
  readonly stats: WsStats;
  readonly received: ReceivedMessage[];
}

/** One message as the bytes of one frame. */
export function frame(message: UpbitMessage, format: Format): Buffer {
  return Buffer.from(encodeEvent(message, format));
}

export function errorText(name: string, message: string): string {
  return encodeEvent({ type: 'error', name, message }, 'DEFAULT');
}

const STATUS_UP = encodeEvent({ type: 'status', status: 'UP' }, 'DEFAULT');

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export class Hub {
  /** Every connection ever accepted (closed ones stay for observation, up to `logLimit`). */
  readonly all = new Map<number, Connection>();
  readonly open = new Set<Connection>();
  private readonly index = new Map<string, Set<Connection>>();
  private readonly budgets = new WeakMap<Connection, MessageBudget>();

  constructor(private readonly deps: HubDeps) {}

  /** Start serving a connection; `rejected` ones are kept for observation but never served. */
  attach(conn: Connection, rejected: boolean): void {
    this.all.set(conn.id, conn);
    if (this.all.size > this.deps.opts.logLimit) {
      for (const [id, c] of this.all) if (c.closed && this.all.size > this.deps.opts.logLimit) this.all.delete(id);
    }
    conn.ws.on('close', () => this.detach(conn));
    if (rejected) return;
    this.open.add(conn);
    this.budgets.set(conn, new MessageBudget(this.deps.opts));
    conn.ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
  }

  private detach(conn: Connection): void {
    this.open.delete(conn);
    this.reindex(conn, conn.subs, SubscriptionSet.empty());
  }

  sendError(conn: Connection, name: string, message: string): void {
    conn.sendControl(errorText(name, message));
  }

  onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    const { opts, emitter } = this.deps;
    conn.touch();
    conn.messagesReceived++;
    const text = textOf(data);
    const at = opts.now();
    const rec: ReceivedMessage = { connectionId: conn.id, at, data: text, binary: isBinary };
    this.deps.received.push(rec);
    if (this.deps.received.length > opts.logLimit) this.deps.received.shift();
    emitter.emit('message', rec);
    const isPing = text === 'PING';
    const log = (parsed: RequestRecord['parsed']) => {
      const r: RequestRecord = { at, raw: text, parsed };
      conn.logRequest(r);
      emitter.emit('request', { connectionId: conn.id, ...r });
    };
    if (opts.limits.enabled && (!isPing || opts.limits.countPing) && !this.budgets.get(conn)!.take()) {
      conn.messageBreaches++;
      this.deps.stats.messageBreaches++;
      if (opts.limits.onMessageLimit === 'close') conn.disconnect({ code: 1008, reason: 'Too Many Requests' });
      else this.sendError(conn, 'Too Many Requests', 'Too many requests: at most 5 per second and 100 per minute.');
      return log({ kind: 'rate-limited' });
    }
    if (isPing) {
      conn.sendControl(STATUS_UP);
      return log({ kind: 'ping' });
    }
    let parsed = parseRequest(text, {
      endpoint: conn.endpoint,
      privatePublicTypes: opts.privatePublicTypes,
      invalidCodes: opts.invalidCodes,
    });
    if (parsed.kind === 'subscribe' && opts.unknownCodes !== 'ignore') parsed = this.checkKnown(parsed, opts.unknownCodes === 'error');
    if (parsed.kind === 'error') {
      this.deps.stats.requestErrors++;
      this.sendError(conn, parsed.name, parsed.message);
      if (opts.closeOnError) conn.disconnect({ code: 1008, reason: parsed.name });
    } else if (parsed.kind === 'list') {
      // [U] a LIST request without a format object keeps the current format.
      if (parsed.format) conn.format = parsed.format;
      const answer: UpbitMessage = { type: 'listSubscriptions', method: 'LIST_SUBSCRIPTIONS', result: conn.subs.list(), ticket: parsed.ticket };
      conn.sendData(frame(answer, conn.format));
    } else this.apply(conn, parsed);
    log(parsed);
  }

  private checkKnown(p: Extract<ParsedRequest, { kind: 'subscribe' }>, named: boolean): ParsedRequest | { kind: 'error'; name: 'INVALID_PARAM'; message: string } {
    for (const o of p.objects) {
      if (o.type === 'myOrder' || !o.codes) continue;
      for (const raw of o.codes) {
        const code = raw.split('.')[0];
        if (!this.deps.market.has(code)) return { kind: 'error', name: 'INVALID_PARAM', message: named ? `unknown market ${code}` : 'invalid parameter' };
      }
    }
    return p;
  }

  /** Replace the connection's subscription set and format, then send the SNAPSHOTs asked for. */
  apply(conn: Connection, p: Extract<ParsedRequest, { kind: 'subscribe' }>): void {
    const next = SubscriptionSet.from(p.objects);
    conn.format = p.format ?? 'DEFAULT';
    this.reindex(conn, conn.subs, next);
    conn.subs = next;
    for (const s of next.streams) {
      if (!s.snapshot) continue;
      const m = this.deps.market.snapshot(s.type, s.code, s.depth, s.bookLevel);
      if (m) conn.sendData(frame(m, conn.format));
    }
  }

  private reindex(conn: Connection, prev: SubscriptionSet, next: SubscriptionSet): void {
    for (const key of prev.byKey.keys()) this.index.get(key)?.delete(conn);
    for (const key of next.byKey.keys()) {
      let set = this.index.get(key);
      if (!set) this.index.set(key, (set = new Set()));
      set.add(conn);
    }
  }

  /** Connections with a realtime stream of `type` (any code when `codes` is omitted). */
  subscribers(type: string, codes?: readonly string[]): Connection[] {
    const out = new Set<Connection>();
    for (const [key, set] of this.index) {
      const bar = key.indexOf('|');
      if (key.slice(0, bar) !== type || (codes && !codes.includes(key.slice(bar + 1)))) continue;
      for (const c of set) if (c.subs.byKey.get(key)?.some((s) => s.realtime)) out.add(c);
    }
    return [...out];
  }

  /** Send market events to their realtime subscribers. */
  publish(events: readonly MarketEvent[]): void {
    for (const e of events) {
      const set = this.index.get(`${e.type}|${e.code}`);
      if (!set || set.size === 0) continue;
      const cache = new Map<string, Buffer | null>();
      for (const conn of set) {
        for (const s of conn.subs.streamsFor(e.type, e.code) ?? []) {
          if (!s.realtime) continue;
          let buf: Buffer | null | undefined;
          if (e.type === 'orderbook') {
            const key = `${conn.format}|${s.depth}|${s.level.toString()}`;
            buf = cache.get(key);
            if (buf === undefined) {
              const ok = this.deps.market.levelSupported(e.code, s.bookLevel);
              buf = ok ? frame(orderbookMessage(e.book(), s.depth, s.bookLevel, 'REALTIME', e.timestamp), conn.format) : null;
              cache.set(key, buf);
            }
          } else {
            buf = cache.get(conn.format);
            if (buf === undefined) cache.set(conn.format, (buf = frame(e.message(), conn.format)));
          }
          if (buf) conn.sendData(buf);
        }
      }
    }
  }
}
