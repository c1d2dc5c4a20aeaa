/**
 * The WebSocket transport: a thin, callback-style wrapper over `ws` (or any class with the same
 * API, injected for tests or other runtimes). It knows nothing of Upbit messages or actors; the
 * socket actor (src/actors/socket.ts) decodes what it hands over.
 */
import { Buffer } from 'node:buffer';
import WebSocket from 'ws';

export interface TransportOptions {
  /** Extra handshake headers (the private endpoint's `Authorization: Bearer <JWT>`). */
  readonly headers?: Record<string, string>;
  /** Offer permessage-deflate (RFC 7692); Upbit supports it. @default true */
  readonly perMessageDeflate?: boolean;
  /** Abort a handshake that takes longer than this. @default 10_000 */
  readonly handshakeTimeout?: number;
  /** The WebSocket class. @default the `ws` package */
  readonly WebSocket?: typeof WebSocket;
}

export interface TransportHandlers {
  onOpen(): void;
  /**
   * One data frame; binary frames arrive as Buffer (Upbit sends binary), text frames as Buffer too.
   * `owned`: nothing will write these bytes again, so a decoder may keep reading them in place.
   * True with `ws` itself, which gives every message bytes of its own (a socket read, an inflated
   * chunk or a copy); false with an injected class, which might reuse its buffers.
   */
  onFrame(data: Buffer, isBinary: boolean, owned: boolean): void;
  onPong(): void;
  /** Called exactly once, after `onError` when there was one. */
  onClose(code: number, reason: string, wasClean: boolean): void;
  onError(error: Error): void;
  /** The handshake got an HTTP answer instead of an upgrade (401, 429, 503...). */
  onHttpStatus?(status: number): void;
}

export interface Transport {
  send(text: string): void;
  ping(): void;
  /** Clean close with a close frame. */
  close(code?: number, reason?: string): void;
  /** Drop the TCP connection at once; `onClose` still fires. */
  terminate(): void;
  readonly bufferedAmount: number;
}

export function openTransport(url: string, options: TransportOptions, handlers: TransportHandlers): Transport {
  const Impl = options.WebSocket ?? WebSocket;
  const ws = new Impl(url, {
    headers: options.headers,
    perMessageDeflate: options.perMessageDeflate ?? true,
    handshakeTimeout: options.handshakeTimeout ?? 10_000,
  });
  const owned = Impl === WebSocket;
  let closed = false;
  let errored = false;
  ws.on('open', () => handlers.onOpen());
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const buf = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data as ArrayBuffer);
    handlers.onFrame(buf, isBinary, owned || Array.isArray(data));
  });
  ws.on('pong', () => handlers.onPong());
  ws.on('unexpected-response', (_req, res) => {
    handlers.onHttpStatus?.(res.statusCode ?? 0);
    res.resume();
    errored = true;
    handlers.onError(Object.assign(new Error(`handshake answered with HTTP ${res.statusCode}`), { status: res.statusCode }));
    ws.terminate();
  });
  ws.on('error', (err: Error) => {
    if (!errored) handlers.onError(err);
    errored = true;
  });
  ws.on('close', (code: number, reason: Buffer) => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason.toString('utf8'), code === 1000 || code === 1001);
  });
  return {
    send: (text) => ws.send(text),
    ping: () => {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    },
    close: (code = 1000, reason = '') => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    },
    terminate: () => ws.terminate(),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}
