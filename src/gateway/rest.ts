/**
 * Snapshots over NATS (issue 11 item 2): a consumer's `getTickerSnapshot` / `getOrderbookSnapshot`
 * / `getTradesSnapshot` / `getCandles` are answered by the gateway's hub, so every REST call of
 * every consumer process goes through the leader's ONE rate limiter.
 *
 *   consumer client.getX(...) ─▶ restOverNats (consumer side) ─request upbit.gw.rest─▶ serveRest (leader)
 *        ◀─ decodeRestList(items, REST_X) ◀─ { ok, items | error } ◀─ encodeRestList ◀─ hub.client(...).getX(...)
 *
 * How to read: the wire format first (`RestRequest`, `RestReply`, `encodeRestList`: a REST object
 * back to Upbit's own JSON keys with every decimal as a string of its digits, so the consumer
 * decodes it with the same decoder and row tables as the hub, rest-decode.ts / rest-fields.ts, and
 * gets the same types with the same digits); then `serveRest` (the gateway: only the leader
 * answers, like the lease); then `restOverNats` (the consumer: a `RestClient`-shaped object for
 * UpbitClient's data side) and `remoteRestError` (typed errors back: REST_ERROR with its status,
 * RATE_LIMITED with its group and wait, TIMEOUT, ABORTED, STOPPED, the validation codes).
 * Paging (more than 500 trades, 200 candles) is done by the gateway's hub in one request.
 */
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/nats-core';
import {
  UpbitAbortError,
  UpbitConnectionError,
  UpbitError,
  UpbitRateLimitError,
  UpbitRestError,
} from '../index.js';
import type { CandleTo, RestCandle, RestCandleUnit, RestOrderbook, RestTicker, RestTrade } from '../io/index.js';
import { REST_CANDLE, REST_ORDERBOOK, REST_TICKER, REST_TRADE } from '../io/rest-fields.js';
import { decodeRestList } from '../io/rest-decode.js';
import type { Row, Table } from '../io/fields.js';
import type { UpbitClient } from '../actors/client.js';
import type { UpbitHub } from '../actors/hub-api.js';
import { toUpbitError } from './errors.js';

/** request/reply: one snapshot, answered by the leader's hub. */
export const REST_SUBJECT = 'upbit.gw.rest';

export type RestRequest =
  | { readonly v: 1; readonly op: 'tickers'; readonly codes: readonly string[] }
  | { readonly v: 1; readonly op: 'orderbooks'; readonly codes: readonly string[]; readonly level?: number; readonly count?: number }
  | { readonly v: 1; readonly op: 'trades'; readonly code: string; readonly count?: number }
  | { readonly v: 1; readonly op: 'candles'; readonly unit: RestCandleUnit; readonly code: string; readonly count?: number; readonly to?: string | number };

/** Errors keep what their class carries (REST status and Upbit's name, the limiter's group and wait). */
export interface RestErrorBody {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  readonly serverName?: number | string | null;
  readonly serverMessage?: string | null;
  readonly group?: string;
  readonly retryInMs?: number;
}

export type RestReply = { readonly ok: true; readonly items: unknown[] } | { readonly ok: false; readonly error: RestErrorBody };

const TABLES = { tickers: REST_TICKER, orderbooks: REST_ORDERBOOK, trades: REST_TRADE, candles: REST_CANDLE } as const;

/** REST objects as Upbit's JSON: `wire` keys, decimals as digit strings (never a double), lists recursed. */
export function encodeRestList(items: readonly object[], table: Table): Record<string, unknown>[] {
  return items.map((item) => encodeOne(item as Record<string, unknown>, table));
}

function encodeOne(item: Record<string, unknown>, table: Table): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of table as readonly Row[]) {
    const v = item[row.name];
    if (v === undefined || v === null) continue; // nullable rows decode back to null
    if (row.kind.t === 'decimal') out[row.wire] = (v as { toFixed(): string }).toFixed();
    else if (row.kind.t === 'list') out[row.wire] = (v as object[]).map((u) => encodeOne(u as Record<string, unknown>, (row.kind as { of: Table }).of));
    else out[row.wire] = v;
  }
  return out;
}

// ─── the gateway ──────────────────────────────────────────────────────────────────────────────

/**
 * Answer `upbit.gw.rest` with `hub()`'s REST side (undefined on a standby: it stays silent, the
 * leader answers). One internal client per hub makes the calls, so paging and the STOPPED rule are
 * the hub facade's own.
 */
export function serveRest(nc: NatsConnection, hub: () => UpbitHub | undefined, report: (e: Error) => void): NatsSubscription {
  const enc = new TextEncoder();
  const clients = new WeakMap<UpbitHub, UpbitClient>();
  const clientOf = (h: UpbitHub) => {
    let c = clients.get(h);
    if (!c) clients.set(h, (c = h.client('gateway:rest')));
    return c;
  };
  const call = (c: UpbitClient, r: RestRequest): Promise<object[]> => {
    switch (r.op) {
      case 'tickers':
        return c.getTickerSnapshot(r.codes);
      case 'orderbooks':
        return c.getOrderbookSnapshot(r.codes, { level: r.level, count: r.count });
      case 'trades':
        return c.getTradesSnapshot(r.code, { count: r.count });
      case 'candles':
        return c.getCandles(r.unit, r.code, { count: r.count, to: r.to });
      default:
        return Promise.reject(new UpbitError('USAGE', `unknown snapshot ${JSON.stringify((r as { op: unknown }).op)}`));
    }
  };
  return nc.subscribe(REST_SUBJECT, {
    callback: (err, msg) => {
      if (err) return report(err);
      const h = hub();
      if (!h) return; // a standby: the leader answers
      let reply: Promise<RestReply>;
      try {
        const r = msg.json<RestRequest>();
        reply = call(clientOf(h), r).then((items) => ({ ok: true as const, items: encodeRestList(items, TABLES[r.op]) }));
      } catch (e) {
        reply = Promise.reject(e);
      }
      void reply
        .catch((e: unknown): RestReply => ({ ok: false, error: errorBody(e) }))
        .then((body) => msg.respond(enc.encode(JSON.stringify(body))))
        .catch((e: unknown) => report(e as Error));
    },
  });
}

function errorBody(e: unknown): RestErrorBody {
  if (!(e instanceof UpbitError)) return { name: 'UpbitError', code: 'USAGE', message: String((e as Error)?.message ?? e) };
  const body: RestErrorBody = { name: e.name, code: e.code, message: e.message };
  if (e instanceof UpbitRestError) return { ...body, status: e.status, serverName: e.serverName, serverMessage: e.serverMessage };
  if (e instanceof UpbitRateLimitError) return { ...body, status: e.status, group: e.group, retryInMs: e.retryInMs };
  return body;
}

// ─── the consumer ─────────────────────────────────────────────────────────────────────────────

/** The error the gateway's hub raised, as the same class (the message is the gateway's). */
export function remoteRestError(b: RestErrorBody): UpbitError {
  let e: UpbitError;
  switch (b.code) {
    case 'REST_ERROR':
      e = new UpbitRestError(b.status ?? 0, b.serverName ?? null, b.serverMessage ?? null, '');
      break;
    case 'RATE_LIMITED':
      e = new UpbitRateLimitError(b.group ?? 'default', b.message, b.retryInMs, b.status);
      break;
    case 'TIMEOUT':
    case 'ABORTED':
      e = new UpbitAbortError(b.code, b.message);
      break;
    default:
      return toUpbitError(b);
  }
  e.message = b.message;
  return e;
}

/** What UpbitClient's snapshots call (rest.ts `RestClient`'s shape), answered over NATS. */
export interface RemoteRest {
  tickers(codes: readonly string[], o?: { signal?: AbortSignal }): Promise<RestTicker[]>;
  orderbooks(codes: readonly string[], o?: { level?: number; count?: number; signal?: AbortSignal }): Promise<RestOrderbook[]>;
  trades(code: string, o?: { count?: number; signal?: AbortSignal }): Promise<RestTrade[]>;
  tradesIter(code: string, o?: { limit?: number; signal?: AbortSignal }): AsyncGenerator<RestTrade>;
  candles(unit: RestCandleUnit, code: string, o?: { count?: number; to?: CandleTo; signal?: AbortSignal }): Promise<RestCandle[]>;
  candlesIter(unit: RestCandleUnit, code: string, o?: { limit?: number; to?: CandleTo; signal?: AbortSignal }): AsyncGenerator<RestCandle>;
}

export function restOverNats(nc: NatsConnection, timeoutMs: number): RemoteRest {
  const enc = new TextEncoder();
  const ask = async <T>(req: RestRequest, signal?: AbortSignal): Promise<T[]> => {
    signal?.throwIfAborted();
    let raw: Uint8Array;
    try {
      raw = (await nc.request(REST_SUBJECT, enc.encode(JSON.stringify(req)), { timeout: timeoutMs })).data;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new UpbitConnectionError('no gateway answered the snapshot request (none running, or a takeover in progress)', err);
    }
    if (signal?.aborted) throw signal.reason;
    const reply = JSON.parse(new TextDecoder().decode(raw)) as RestReply;
    if (!reply.ok) throw remoteRestError(reply.error);
    // The items' text again: decimals are digit strings, which the decoder reads exactly.
    return decodeRestList<T>(JSON.stringify(reply.items), TABLES[req.op]);
  };
  const toWire = (to: CandleTo | undefined) => (to instanceof Date ? to.toISOString() : to);
  return {
    tickers: (codes, o = {}) => ask({ v: 1, op: 'tickers', codes }, o.signal),
    orderbooks: (codes, o = {}) => ask({ v: 1, op: 'orderbooks', codes, level: o.level, count: o.count }, o.signal),
    trades: (code, o = {}) => ask({ v: 1, op: 'trades', code, count: o.count }, o.signal),
    async *tradesIter(code, o = {}) {
      yield* await ask<RestTrade>({ v: 1, op: 'trades', code, count: o.limit }, o.signal);
    },
    candles: (unit, code, o = {}) => ask({ v: 1, op: 'candles', unit, code, count: o.count, to: toWire(o.to) }, o.signal),
    async *candlesIter(unit, code, o = {}) {
      yield* await ask<RestCandle>({ v: 1, op: 'candles', unit, code, count: o.limit, to: toWire(o.to) }, o.signal);
    },
  };
}
