/**
 * The REST server (node:http handler): rate limits with the `Remaining-Req` header, JWT checks on
 * exchange endpoints, injected failures, then the route from rest-routes.ts.
 *
 * How to read this file: `createRestHandler` returns the `request` listener. For every request:
 *
 *   holdRest? ────────► wait for releaseRest (fault injection: a server that does not answer)
 *   failRest queued? ─► that status        (fault injection; 418 with Retry-After)
 *   unknown path ─────► 404                 method ≠ GET ─► 405
 *   limiter ──────────► 429 / 418 ([U] bodies below; 418 also sends Retry-After)
 *   exchange route ───► JWT (+ query_hash) ─► 401 {"error":{"name":"jwt_verification",...}}
 *   route ────────────► 200 JSON with exact decimals, gzip when asked (§13: quotation supports it)
 *
 * `Remaining-Req: group=candles; min=600; sec=9` with today's group names (§7.2).
 * [U] 429 body: {"error":{"name":"too_many_requests","message":"Too many API requests."}};
 * [U] 418 body: {"error":{"name":"teapot","message":"... blocked for N ms"}}.
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Accounts } from './account.js';
import type { Auth } from './auth.js';
import type { Emitter } from './events.js';
import { toJson } from './json.js';
import type { RestLimiter } from './limits.js';
import type { Market } from './market.js';
import type { Resolved } from './options.js';
import { findRoute, RestError } from './rest-routes.js';

export interface RestFailure {
  status: number;
  count: number;
  /** 418 (and 429 when given): the block length, sent as `Retry-After` and in the message. */
  retryAfterMs?: number;
}

export interface RestState {
  /** Injected failures, consumed in order (`failRest`). */
  readonly failures: RestFailure[];
  /** The next this many requests are held unanswered until `releaseRest()` (`holdRest`). */
  hold: number;
  readonly held: (() => void)[];
  requests: number;
  breaches: number;
  teapots: number;
  readonly log: { at: number; method: string; url: string; status: number }[];
}

export interface RestDeps {
  readonly opts: Resolved;
  readonly market: Market;
  readonly accounts: Accounts;
  readonly auth: Auth;
  readonly limiter: RestLimiter;
  readonly emitter: Emitter;
  readonly state: RestState;
}

export function createRestHandler(deps: RestDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(deps, req, res, 500, { error: { name: 500, message: String(err) } });
      else res.destroy();
    });
  };
}

async function handle(deps: RestDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { state, limiter } = deps;
  state.requests++;
  const rawUrl = req.url ?? '/';
  const qi = rawUrl.indexOf('?');
  const path = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
  if (state.hold > 0) {
    state.hold--;
    await new Promise<void>((resolve) => state.held.push(resolve));
  }
  const failure = state.failures[0];
  if (failure) {
    if (--failure.count <= 0) state.failures.shift();
    const headers: Record<string, string> = {};
    if (failure.retryAfterMs !== undefined) headers['Retry-After'] = String(Math.ceil(failure.retryAfterMs / 1000));
    if (failure.status === 418) state.teapots++;
    if (failure.status === 429) state.breaches++;
    const body =
      failure.status === 429
        ? { error: { name: 'too_many_requests', message: 'Too many API requests.' } }
        : failure.status === 418
          ? { error: { name: 'teapot', message: `Too many 429 responses: blocked for ${failure.retryAfterMs ?? 1000} ms.` } }
          : { error: { name: failure.status, message: 'Injected failure' } };
    return send(deps, req, res, failure.status, body, headers);
  }
  const found = findRoute(path);
  if (!found) return send(deps, req, res, 404, { error: { name: 404, message: 'Not Found' } });
  if (req.method !== 'GET') return send(deps, req, res, 405, { error: { name: 405, message: 'Method Not Allowed' } });
  const { route, rest } = found;
  const ip = req.socket.remoteAddress ?? '';
  const exchange = route.group === 'default';
  const claimed = exchange ? deps.auth.claimedKey(req.headers.authorization) : undefined;
  const verdict = limiter.check(ip, route.group, claimed, req.headers.origin !== undefined);
  const headers: Record<string, string> = { 'Remaining-Req': remainingReq(verdict.group, verdict.remaining) };
  if (verdict.status === 418) {
    state.teapots++;
    headers['Retry-After'] = String(Math.ceil(verdict.blockedForMs / 1000));
    const message = `Too many 429 responses: blocked for ${verdict.blockedForMs} ms.`;
    return send(deps, req, res, 418, { error: { name: 'teapot', message } }, headers);
  }
  if (verdict.status === 429) {
    state.breaches++;
    return send(deps, req, res, 429, { error: { name: 'too_many_requests', message: 'Too many API requests.' } }, headers);
  }
  let accessKey: string | undefined;
  if (exchange) {
    const auth = await deps.auth.verify(req.headers.authorization, rawQuery);
    if (!auth.ok) return send(deps, req, res, 401, { error: { name: auth.name, message: auth.message } }, headers);
    accessKey = auth.accessKey;
  }
  try {
    const body = route.handler({ q: new URLSearchParams(rawQuery), market: deps.market, accounts: deps.accounts, accessKey }, rest);
    send(deps, req, res, 200, body, headers);
  } catch (e) {
    if (!(e instanceof RestError)) throw e;
    send(deps, req, res, e.status, e.body(), headers);
  }
}

/** `Remaining-Req` group names as Upbit sends them today (§7.2): plural for candles and trades. */
const HEADER_GROUP: Readonly<Record<string, string>> = { candle: 'candles', trade: 'trades' };

/** `group=candles; min=600; sec=9` (exchange: `group=default; min=1800; sec=29`); `min` is a frozen legacy value. */
export function remainingReq(group: string, remaining: number): string {
  return `group=${HEADER_GROUP[group] ?? group}; min=${group === 'default' ? 1800 : 600}; sec=${remaining}`;
}

function send(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  let payload: Buffer = Buffer.from(toJson(body));
  const h: Record<string, string | number> = { 'Content-Type': 'application/json; charset=utf-8', ...headers };
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    payload = gzipSync(payload);
    h['Content-Encoding'] = 'gzip';
  }
  h['Content-Length'] = payload.length;
  res.writeHead(status, h);
  res.end(payload);
  const rec = { at: deps.opts.now(), method: req.method ?? 'GET', url: req.url ?? '/', status };
  deps.state.log.push(rec);
  if (deps.state.log.length > deps.opts.logLimit) deps.state.log.shift();
  deps.emitter.emit('rest', rec);
}
