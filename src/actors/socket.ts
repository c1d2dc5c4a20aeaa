/**
 * The socket actor: the real logic behind the connection machine's `socket` slot.
 *
 * One instance = one WebSocket = one epoch. Frames are decoded here and published straight to the
 * router stamped with this socket's epoch; they never become XState events (that would cost a
 * microsecond each). The machine hears only about lifecycle and health:
 *
 *   to the machine:   SOCKET.OPEN, SOCKET.CLOSED, SOCKET.ERROR, SOCKET.PONG, SOCKET.ACTIVITY,
 *                     SOCKET.SERVER_ERROR
 *   from the machine: PING, CHECK_ACTIVITY, SEND {data}, CLOSE {code?, reason?}
 */
import { fromCallback } from 'xstate';
import {
  decodeFrameInto,
  decodeOwnedInto,
  UpbitConnectionError,
  UpbitDecodeError,
  UpbitServerError,
  openTransport,
  type ListSubscriptions,
  type Transport,
  type TransportOptions,
  type UpbitMessage,
} from '../io/index.js';
import { performance } from 'node:perf_hooks';
import { ARRIVED, LATENCY_SAMPLE } from './arrival.js';
import type { ConnectionMeter } from './metrics.js';
import type { ConnectionName, Router } from './router.js';
import type { SocketCommand, SocketEvent, SocketInput } from '../machines/types.js';

export type { SocketCommand, SocketEvent, SocketInput };

export interface SocketHooks {
  readonly conn: ConnectionName;
  readonly router: Router;
  readonly transport: TransportOptions;
  /** A frame that could not be decoded (counted; the connection carries on). */
  onDecodeError(error: UpbitDecodeError, conn: ConnectionName): void;
  /** An Upbit error frame, for whoever sent the last request. */
  onServerError(error: UpbitServerError, conn: ConnectionName): void;
  /** The answer to LIST_SUBSCRIPTIONS. */
  onServerView?(view: ListSubscriptions, conn: ConnectionName): void;
  /** The socket of `epoch` is open (the router switches epochs here, before any frame). */
  onOpen?(epoch: number, conn: ConnectionName): void;
  /** Raw frame counter for metrics. */
  onFrame?(bytes: number): void;
  /** Per-connection counters (frames, bytes, messages); one frame in LATENCY_SAMPLE gets its arrival stamped (`ARRIVED`). */
  meter?: ConnectionMeter;
  /** The socket closed (for logging the cause). */
  onClose?(code: number, reason: string, epoch: number, byUs: boolean): void;
  /** Turn the header references the machine carries into real headers (tokens stay out of actor context). */
  headers?(refs: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined;
}

export function socketLogic(hooks: SocketHooks) {
  return fromCallback<SocketCommand, SocketInput>(({ input, sendBack, receive }) => {
    const { epoch } = input;
    const { router, conn } = hooks;
    let frames = 0;
    let open = false;
    let stopped = false;
    /** We asked for the close (CLOSE command). */
    let closing = false;
    const back = (e: SocketEvent) => {
      if (!stopped) sendBack(e);
    };

    const onFrame = (data: Buffer, _isBinary: boolean, owned: boolean) => {
      if (stopped) return;
      frames++;
      hooks.onFrame?.(data.length);
      const meter = hooks.meter;
      let arrived: number | undefined;
      if (meter) {
        meter.bytes += data.length;
        if ((++meter.frames & (LATENCY_SAMPLE - 1)) === 0) arrived = performance.now();
      }
      // One array for every frame's messages; a frame arriving while one is still being delivered
      // (a callback that somehow drives this socket) gets its own.
      const into = delivering ? [] : decoded;
      try {
        if (owned) decodeOwnedInto(data, into);
        else decodeFrameInto(data, into);
      } catch (err) {
        hooks.onDecodeError(err as UpbitDecodeError, conn);
        return;
      }
      const outer = !delivering;
      delivering = true;
      try {
        deliverMessages(into, conn, epoch, router, meter, arrived, control);
      } finally {
        if (outer) delivering = false;
      }
    };
    const decoded: UpbitMessage[] = [];
    let delivering = false;
    /** Status, error and LIST_SUBSCRIPTIONS answers: the machine's and the hooks' business, not the router's. */
    const control = (m: UpbitMessage) => {
      switch (m.type) {
        case 'status':
          back({ type: 'SOCKET.PONG', epoch });
          break;
        case 'error': {
          const error = new UpbitServerError(m.name, m.message);
          back({ type: 'SOCKET.SERVER_ERROR', epoch, error: { name: m.name, message: m.message ?? '' } });
          hooks.onServerError(error, conn);
          break;
        }
        case 'listSubscriptions':
          hooks.onServerView?.(m, conn);
          break;
      }
    };

    let transport: Transport | undefined;
    try {
      const headers = hooks.headers ? hooks.headers(input.headers) : input.headers;
      transport = openTransport(input.url, { ...hooks.transport, headers }, {
        onOpen: () => {
          open = true;
          hooks.onOpen?.(epoch, conn);
          back({ type: 'SOCKET.OPEN', epoch });
        },
        onFrame,
        onPong: () => back({ type: 'SOCKET.PONG', epoch }),
        onError: (error) => {
          // Keep the HTTP status of a refused handshake: classifyClose treats 401/403 as fatal.
          const status = (error as { status?: number }).status;
          back({ type: 'SOCKET.ERROR', epoch, error: new UpbitConnectionError(error.message, error, status) });
        },
        onClose: (code, reason, wasClean) => {
          open = false;
          if (!stopped) hooks.onClose?.(code, reason, epoch, closing);
          back({ type: 'SOCKET.CLOSED', epoch, code, reason, wasClean });
        },
      });
    } catch (err) {
      // A malformed URL throws synchronously: report it like a failed connect.
      queueMicrotask(() => {
        back({ type: 'SOCKET.ERROR', epoch, error: new UpbitConnectionError((err as Error).message, err) });
        back({ type: 'SOCKET.CLOSED', epoch, code: 1006, reason: 'invalid url', wasClean: false });
      });
    }

    receive((cmd) => {
      if (!transport) return;
      switch (cmd.type) {
        case 'PING':
          transport.ping();
          break;
        case 'CHECK_ACTIVITY':
          back({ type: 'SOCKET.ACTIVITY', epoch, frames });
          frames = 0;
          break;
        case 'SEND':
          if (open) transport.send(cmd.data);
          break;
        case 'CLOSE':
          closing = true;
          transport.close(cmd.code, cmd.reason);
          break;
      }
    });

    return () => {
      // Leaving the session state stops this actor: nothing from this epoch goes anywhere after.
      stopped = true;
      transport?.terminate();
    };
  });
}

/**
 * The per-message part of one decoded frame (the hot path, also run by bench/hotpath.ts): data
 * messages are counted, stamped `ARRIVED` when the frame was sampled, and published to the router
 * with this socket's epoch; status, error and LIST_SUBSCRIPTIONS answers go to `control`.
 */
export function deliverMessages(
  messages: readonly UpbitMessage[],
  conn: ConnectionName,
  epoch: number,
  router: Router,
  meter: ConnectionMeter | undefined,
  arrived: number | undefined,
  control?: (m: UpbitMessage) => void,
): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const type = m.type;
    if (type === 'status' || type === 'error' || type === 'listSubscriptions') {
      control?.(m);
      continue;
    }
    if (meter) {
      meter.messages++;
      // The slot is part of every message (src/io/view.ts): stamping a sampled one keeps its shape.
      if (arrived !== undefined) (m as unknown as Record<symbol, number | undefined>)[ARRIVED] = arrived;
    }
    router.publish(conn, epoch, m);
  }
}
