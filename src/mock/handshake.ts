/**
 * The WebSocket handshake: which upgrade requests become connections, and how the others are
 * answered. Upgrade routing is by path on the one HTTP server.
 *
 * How to read this file: `createUpgradeHandler` returns the server's 'upgrade' listener:
 *
 *   path ≠ /websocket/v1[/private] ──────────► HTTP 404
 *   refuseConnections active ────────────────► HTTP <status> (503 unless told)
 *   over 5 connects/s (per IP; per access key when a JWT is sent; Origin: 1 per 10 s)
 *        ├─ onConnectLimit 'http-429' (default) ► HTTP 429 {"error":{"name":"Too Many Requests",...}}
 *        └─ 'error-frame' / 'close' ────────────► upgrade, then error frame and/or close 1008
 *   private path: JWT check (auth.ts)
 *        ├─ authFailure 'http-401' (default) ───► HTTP 401 {"error":{"name":"INVALID_AUTH",...}}
 *        └─ 'error-frame' ──────────────────────► upgrade, {"error":{"name":"INVALID_AUTH",...}}, close 1008
 *   otherwise ───────────────────────────────► ws upgrade ─► Connection ─► Hub
 */
import { Buffer } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Auth } from './auth.js';
import { Connection } from './connection.js';
import type { Emitter } from './events.js';
import type { ConnectLimiter } from './limits.js';
import type { Resolved } from './options.js';
import { errorText } from './public-ws.js';
import type { Hub } from './public-ws.js';

export const PUBLIC_PATH = '/websocket/v1';
export const PRIVATE_PATH = '/websocket/v1/private';

export interface Refusal {
  status: number;
  until: number | undefined;
  remaining: number | undefined;
}

export interface HandshakeState {
  connects: number;
  accepted: number;
  refused: number;
  connectBreaches: number;
  authFailures: number;
  nextId: number;
  refusal: Refusal | undefined;
  closing: boolean;
}

export interface HandshakeDeps {
  readonly opts: Resolved;
  readonly wss: WebSocketServer;
  readonly hub: Hub;
  readonly auth: Auth;
  readonly limiter: ConnectLimiter;
  readonly emitter: Emitter;
  readonly state: HandshakeState;
  /** Gives a new connection the standing faults (delayFrames / duplicateFrames). */
  readonly adopt: (conn: Connection) => void;
}

const INVALID_AUTH = '인증 정보가 올바르지 않습니다. (Authentication information is invalid.)';
const TOO_MANY = 'Too many connection requests: at most 5 per second.';

export function createUpgradeHandler(deps: HandshakeDeps) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {}); // a client that vanishes mid-handshake is not our error
    upgrade(deps, req, socket, head).catch(() => socket.destroy());
  };
}

function reject(deps: HandshakeDeps, socket: Duplex, path: string, status: number, body?: unknown, extra = ''): void {
  deps.state.refused++;
  const payload = body === undefined ? '' : JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n${extra}\r\n${payload}`,
  );
  deps.emitter.emit('refused', { path, status, reason: STATUS_CODES[status] ?? String(status) });
}

/** Whether `refuseConnections` currently applies; consumes one of its `count`. */
function refusing(state: HandshakeState, now: number): number | undefined {
  const r = state.refusal;
  if (!r) return undefined;
  if ((r.until !== undefined && now >= r.until) || r.remaining === 0) {
    state.refusal = undefined;
    return undefined;
  }
  if (r.remaining !== undefined) r.remaining--;
  return r.status;
}

async function upgrade(deps: HandshakeDeps, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const { opts, state } = deps;
  state.connects++;
  const path = (req.url ?? '/').split('?')[0];
  const endpoint = path === PUBLIC_PATH ? 'public' : path === PRIVATE_PATH ? 'private' : undefined;
  if (!endpoint || state.closing) return reject(deps, socket, path, 404, { error: { name: 404, message: 'Not Found' } });
  const refusal = refusing(state, opts.now());
  if (refusal !== undefined) {
    const body = refusal === 429 ? { error: { name: 'Too Many Requests', message: TOO_MANY } } : undefined;
    return reject(deps, socket, path, refusal, body);
  }
  const ip = req.socket.remoteAddress ?? '';
  const claimed = deps.auth.claimedKey(req.headers.authorization);
  const limited = !deps.limiter.allow(claimed ? `key:${claimed}` : `ip:${ip}`, req.headers.origin !== undefined);
  if (limited) {
    state.connectBreaches++;
    if (opts.limits.onConnectLimit === 'http-429') {
      return reject(deps, socket, path, 429, { error: { name: 'Too Many Requests', message: TOO_MANY } });
    }
  }
  let accessKey: string | undefined;
  let authFailed = false;
  if (endpoint === 'private' && !limited) {
    const r = await deps.auth.verify(req.headers.authorization, undefined, 'ws');
    if (r.ok) accessKey = r.accessKey;
    else {
      state.authFailures++;
      authFailed = true;
      if (opts.authFailure === 'http-401') {
        return reject(deps, socket, path, 401, { error: { name: 'INVALID_AUTH', message: INVALID_AUTH } });
      }
    }
  }
  if (socket.destroyed || state.closing) return void socket.destroy();
  deps.wss.handleUpgrade(req, socket, head, (ws) => {
    state.accepted++;
    const id = ++state.nextId;
    const conn = new Connection(id, ws, path, endpoint, ip, accessKey, opts.now(), opts, deps.emitter);
    const rejected = limited || authFailed;
    deps.adopt(conn);
    deps.hub.attach(conn, rejected);
    deps.emitter.emit('connection', conn.info());
    if (limited) {
      if (opts.limits.onConnectLimit === 'error-frame') conn.sendControl(errorText('Too Many Requests', TOO_MANY));
      conn.disconnect({ code: 1008, reason: 'Too Many Requests' });
    } else if (authFailed) {
      conn.sendControl(errorText('INVALID_AUTH', INVALID_AUTH));
      conn.disconnect({ code: 1008, reason: 'INVALID_AUTH' });
    }
  });
}
