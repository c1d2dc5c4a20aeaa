/**
 * Types shared by the machines in src/machines and by whoever plugs real logic into their slots.
 *
 * How to read: first the subscription vocabulary (`Wish`), then the socket actor contract (what
 * the `socket` slot of connection.machine receives and sends back), then `FailureInfo`, the one
 * shape every "something went wrong" takes before `classifyClose` (recovery.machine.ts) judges it.
 *
 * Nothing here imports src/io: a `Wish` from src/io/subscription.ts is structurally assignable to
 * the `Wish` below, which is deliberately looser (opaque options ride along untouched).
 */

/** Which part of a stream a wish wants: snapshot only, realtime only, or both. */
export type Stream = 'both' | 'snapshot' | 'realtime';

/**
 * One component's wish for one data type. The machines look only at `type`, `codes` and
 * `stream`; every other field (`depth`, `level`, `categories`, ...) is carried opaquely (copied
 * with spread, compared by canonical JSON) to the provider of `sendRequest`, which merges and
 * encodes.
 *
 * Deliberately NO index signature (`[k: string]: unknown`): TypeScript does not let an
 * interface without one (src/io's `Wish`, with `depth`, `level`, ...) be assigned to a type
 * with one. Without it, any wish-shaped object is accepted; an object LITERAL with extra
 * options needs a variable first (excess-property check).
 */
export interface Wish {
  readonly type: string;
  readonly codes?: readonly string[];
  readonly stream?: Stream;
}


/** A wish with its owner, as handed to `sendRequest`. */
export type OwnedWish = Wish & { readonly componentId: string };

/** Why the subscription machine sends a request. */
export type RequestReason = 'change' | 'reconnect' | 'repair';

/** Status of one connection as emitted in `status` events. */
export type ConnectionStatus =
  | 'idle'
  | 'waiting'
  | 'preparing'
  | 'connecting'
  | 'open'
  | 'closing'
  | 'closed'
  | 'failed';

/** An Upbit error frame, `{"error":{"name":"INVALID_AUTH","message":"..."}}`. */
export interface ServerErrorInfo {
  readonly name: string;
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------
// Socket actor contract (the real one is a fromCallback in src/actors).
// ---------------------------------------------------------------------------------------------

/** Input of the `socket` slot. `headers` come from the `prepare` step (private: Authorization). */
export interface SocketInput {
  readonly url: string;
  readonly epoch: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Events the socket actor sends back (`sendBack`). Every one carries the epoch it was created
 * with; the connection machine drops events whose epoch is not the current one.
 */
export type SocketEvent =
  | { type: 'SOCKET.OPEN'; epoch: number }
  | { type: 'SOCKET.CLOSED'; epoch: number; code: number; reason: string; wasClean: boolean }
  | { type: 'SOCKET.ERROR'; epoch: number; error: unknown }
  | { type: 'SOCKET.PONG'; epoch: number }
  | { type: 'SOCKET.ACTIVITY'; epoch: number; frames: number }
  | { type: 'SOCKET.SERVER_ERROR'; epoch: number; error: ServerErrorInfo };

/**
 * Commands the socket actor receives (`receive`). `PING` should be a WebSocket ping frame (frames
 * do not count against Upbit's message limit); `CHECK_ACTIVITY` asks for `SOCKET.ACTIVITY` with
 * the number of frames received since the previous check. When the socket actor is stopped (the
 * machine left `session`), its cleanup must close the underlying socket.
 */
export type SocketCommand =
  | { type: 'PING' }
  | { type: 'CHECK_ACTIVITY' }
  | { type: 'SEND'; data: string }
  | { type: 'CLOSE'; code?: number; reason?: string };

// ---------------------------------------------------------------------------------------------
// Failures, judged by classifyClose (recovery.machine.ts).
// ---------------------------------------------------------------------------------------------

/** Everything that can end a connection attempt or an open connection. */
export type FailureInfo =
  /** The socket closed. `byUser`: we asked for it (DISCONNECT). `serverError`: an error frame came first. */
  | { kind: 'close'; code: number; reason?: string; byUser?: boolean; serverError?: string }
  /** An Upbit error frame that the connection treats as the end of the session. */
  | { kind: 'server-error'; name: string; message?: string }
  /** A thrown/rejected error: the `prepare` step, a socket `error` event, a handshake failure. */
  | { kind: 'error'; error: unknown }
  /** Our own watchdogs gave up: no open in time, no pong in time, no frames in time. */
  | { kind: 'timeout'; what: 'connect' | 'pong' | 'stall' };

/** The verdict of `classifyClose`. */
export type FailureClass = 'fatal' | 'retryable';
