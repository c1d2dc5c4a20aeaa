/**
 * One Upbit WebSocket connection (public or private), as a statechart.
 *
 * How to read: the diagram, then `setup()` (every side effect, guard, delay and child by name),
 * then the config, which follows the diagram top to bottom. Policy (when to retry, what is
 * fatal) lives in recovery.machine.ts, invoked here as the child `recovery`; this machine only
 * reports what happened and obeys `RECOVERY.GO` / `RECOVERY.GIVE_UP`.
 *
 *   idle / closed ─CONNECT─▶ waiting ─RECOVERY.GO─▶ preparing ─prepare done, epoch+1─▶ session
 *                              ▲ │                                                        │
 *                              │ └─RECOVERY.GIVE_UP─▶ failed ─RETRY─▶ waiting             │
 *                              └── prepare error / lost: report FAILURE to recovery ◀─────┘
 *
 *   session (invokes `socket` once, for all its substates)
 *     connecting ─SOCKET.OPEN─▶ open (parallel)
 *                                 keepalive: idle ─keepaliveInterval: PING─▶ awaitingPong ─PONG─▶ idle
 *                                 activity:  watching ─stallCheckInterval: CHECK_ACTIVITY─▶ watching
 *     connecting | open ─DISCONNECT: CLOSE 1000─▶ closing ─SOCKET.CLOSED | closeTimeout─▶ closed
 *
 *   lost = SOCKET.CLOSED | SOCKET.ERROR | fatal SOCKET.SERVER_ERROR | connect/pong/stall timeout
 *
 * `closing` is a substate of `session` on purpose: the socket must stay alive to report its
 * close. `preparing` is NOT inside `session`: the socket needs the headers `prepare` returns.
 *
 * Epochs: entering `session` increments `context.epoch`; the socket gets it in its input and
 * stamps every event with it; an event whose epoch is not the current one is dropped on purpose
 * and counted in `staleEvents`. Frames never become events here: the socket counts them and answers
 * `CHECK_ACTIVITY` every `stallCheckInterval` with `SOCKET.ACTIVITY {frames}`.
 *
 * Notifications are `emit`ted (listen with `actor.on('connected', …)`); with input
 * `notifyParent: true` they are also sent to the parent as `CHILD.*` events (supervisor).
 */
import { and, assign, enqueueActions, fromCallback, fromPromise, sendTo, setup } from 'xstate';
import { classifyClose, recoveryMachine } from './recovery.machine.js';
import type { RecoveryInput, RecoveryReply } from './recovery.machine.js';
import type {
  ConnectionStatus,
  FailureInfo,
  ServerErrorInfo,
  SocketCommand,
  SocketEvent,
  SocketInput,
} from './types.js';

export interface ConnectionInput {
  url: string;
  /** Label used in `CHILD.*` parent events. @default 'public' */
  name?: string;
  /** Also send `CHILD.*` events to the parent actor. @default false */
  notifyParent?: boolean;
  /** Epoch to count from (a re-spawned connection continues its predecessor's). @default 0 */
  initialEpoch?: number;
  /** @default 30_000 */ keepaliveInterval?: number;
  /** @default 10_000 */ pongTimeout?: number;
  /** @default 5_000 */ stallCheckInterval?: number;
  /** Quiet time (with subscriptions) after which the link counts as stalled. @default 60_000 */
  stallTimeout?: number;
  /** Time allowed from socket creation to SOCKET.OPEN. @default 10_000 */
  connectTimeout?: number;
  /** Time allowed for the close handshake after DISCONNECT. @default 5_000 */
  closeTimeout?: number;
  recovery?: RecoveryInput;
}

export interface PrepareInput {
  name: string;
  url: string;
}
export interface PrepareOutput {
  headers?: Record<string, string>;
}

export interface ConnectionContext {
  url: string;
  name: string;
  notifyParent: boolean;
  epoch: number;
  /** Last status announced (mirrors the state; handy for snapshots and `sendRejected`). */
  status: ConnectionStatus;
  headers: Record<string, string> | undefined;
  hasSubscriptions: boolean;
  /** Consecutive quiet time seen by activity checks (data, not a timer). */
  quietMs: number;
  staleEvents: number;
  lastServerError: ServerErrorInfo | null;
  /** CONNECT arrived while closing: open a new session as soon as the close completes. */
  connectAfterClose: boolean;
  timing: Required<Pick<ConnectionInput, 'keepaliveInterval' | 'pongTimeout' | 'stallCheckInterval' | 'stallTimeout' | 'connectTimeout' | 'closeTimeout'>>;
  recovery: RecoveryInput | undefined;
}

export type ConnectionEvent =
  | { type: 'CONNECT' }
  | { type: 'DISCONNECT' }
  | { type: 'RETRY' }
  | { type: 'SEND'; data: string }
  | { type: 'SUBSCRIPTIONS_CHANGED'; active: boolean }
  | SocketEvent
  | RecoveryReply;

export type ConnectionEmitted =
  | { type: 'status'; status: ConnectionStatus; epoch: number }
  | { type: 'connected'; epoch: number }
  | { type: 'disconnected'; epoch: number; code: number; reason: string }
  | { type: 'failed'; reason: 'fatal' | 'max-attempts'; error: FailureInfo }
  | { type: 'retrying'; attempt: number; delay: number; error: FailureInfo }
  | { type: 'serverError'; epoch: number; error: ServerErrorInfo; fatal: boolean }
  | { type: 'sendRejected'; data: string; status: ConnectionStatus };

/** Sent to the parent when `notifyParent` is set. */
export type ConnectionParentEvent =
  | { type: 'CHILD.STATUS'; source: string; status: ConnectionStatus; epoch: number }
  | { type: 'CHILD.CONNECTED'; source: string; epoch: number }
  | { type: 'CHILD.DISCONNECTED'; source: string; epoch: number; code: number; reason: string }
  | { type: 'CHILD.FAILED'; source: string; reason: 'fatal' | 'max-attempts'; error: FailureInfo }
  | { type: 'CHILD.RETRYING'; source: string; attempt: number; delay: number; error: FailureInfo };

type Local = { code: number; reason: string; info: FailureInfo };
/** Locally decided drops: reported as 1006 (abnormal: the link is dead from our side). */
const LOCAL = {
  connectTimeout: { code: 1006, reason: 'connect-timeout', info: { kind: 'timeout', what: 'connect' } },
  pongTimeout: { code: 1006, reason: 'pong-timeout', info: { kind: 'timeout', what: 'pong' } },
  stall: { code: 1006, reason: 'stall', info: { kind: 'timeout', what: 'stall' } },
  closeTimeout: { code: 1000, reason: 'client disconnect (no close frame)', info: { kind: 'close', code: 1000, byUser: true } },
} satisfies Record<string, Local>;

/** What ended the session, from the event that ended it (or the params of a timer). */
function lossOf(context: ConnectionContext, event: { type: string }, local?: Local): Local {
  if (local) return local;
  const e = event as Partial<SocketEvent> & { error?: unknown; code?: number; reason?: string };
  switch (event.type) {
    case 'SOCKET.CLOSED':
      return {
        code: e.code ?? 1006,
        reason: e.reason ?? '',
        info: { kind: 'close', code: e.code ?? 1006, reason: e.reason ?? '', serverError: context.lastServerError?.name },
      };
    case 'SOCKET.SERVER_ERROR': {
      const err = e.error as ServerErrorInfo;
      return { code: 1006, reason: `server-error:${err.name}`, info: { kind: 'server-error', name: err.name, message: err.message } };
    }
    default: // SOCKET.ERROR, xstate.error.actor.prepare
      return { code: 1006, reason: event.type === 'SOCKET.ERROR' ? 'socket-error' : 'prepare-error', info: { kind: 'error', error: e.error } };
  }
}

const epochOf = (event: { type: string }): number | undefined => {
  const epoch = (event as { epoch?: unknown }).epoch;
  return typeof epoch === 'number' ? epoch : undefined;
};

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    recovery: recoveryMachine,
    /** Default: none. Provide the real fromCallback WebSocket actor (src/actors). */
    socket: fromCallback<SocketCommand, SocketInput>(() => {
      throw new Error('connection.machine: no `socket` actor provided');
    }),
    /** Default: nothing to prepare. The private connection provides token → Authorization header. */
    prepare: fromPromise<PrepareOutput, PrepareInput>(async () => ({})),
  },
  actions: {
    notifyStatus: enqueueActions(({ context, enqueue }, params: { status: ConnectionStatus }) => {
      enqueue.assign({ status: params.status });
      enqueue.emit({ type: 'status', status: params.status, epoch: context.epoch });
      if (context.notifyParent) {
        enqueue.sendParent({ type: 'CHILD.STATUS', source: context.name, status: params.status, epoch: context.epoch } satisfies ConnectionParentEvent);
      }
    }),
    notifyConnected: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'connected', epoch: context.epoch });
      if (context.notifyParent) enqueue.sendParent({ type: 'CHILD.CONNECTED', source: context.name, epoch: context.epoch } satisfies ConnectionParentEvent);
    }),
    notifyDisconnected: enqueueActions(({ context, event, enqueue }, params: Local | undefined) => {
      const { code, reason } = lossOf(context, event, params);
      enqueue.emit({ type: 'disconnected', epoch: context.epoch, code, reason });
      if (context.notifyParent) {
        enqueue.sendParent({ type: 'CHILD.DISCONNECTED', source: context.name, epoch: context.epoch, code, reason } satisfies ConnectionParentEvent);
      }
    }),
    notifyFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RECOVERY.GIVE_UP') return;
      enqueue.emit({ type: 'failed', reason: event.reason, error: event.info });
      if (context.notifyParent) {
        enqueue.sendParent({ type: 'CHILD.FAILED', source: context.name, reason: event.reason, error: event.info } satisfies ConnectionParentEvent);
      }
    }),
    notifyRetrying: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RECOVERY.BACKOFF') return;
      enqueue.emit({ type: 'retrying', attempt: event.attempt, delay: event.delay, error: event.info });
      if (context.notifyParent) {
        enqueue.sendParent({ type: 'CHILD.RETRYING', source: context.name, attempt: event.attempt, delay: event.delay, error: event.info } satisfies ConnectionParentEvent);
      }
    }),
    notifyServerError: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SOCKET.SERVER_ERROR') return;
      const fatal = classifyClose({ kind: 'server-error', name: event.error.name }) === 'fatal';
      enqueue.emit({ type: 'serverError', epoch: context.epoch, error: event.error, fatal });
    }),
    rejectSend: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'SEND') enqueue.emit({ type: 'sendRejected', data: event.data, status: context.status });
    }),
    // -- to the recovery child
    requestConnect: sendTo('recovery', { type: 'CONNECT_REQUEST' }),
    reportOpened: sendTo('recovery', { type: 'OPENED' }),
    cancelRecovery: sendTo('recovery', { type: 'CANCEL' }),
    retryRecovery: sendTo('recovery', { type: 'RETRY' }),
    reportFailure: sendTo('recovery', ({ context, event }, params: Local | undefined) => ({
      type: 'FAILURE' as const,
      info: lossOf(context, event, params).info,
    })),
    // -- to the socket child
    sendPing: sendTo('socket', { type: 'PING' } satisfies SocketCommand),
    checkActivity: sendTo('socket', { type: 'CHECK_ACTIVITY' } satisfies SocketCommand),
    closeSocket: sendTo('socket', { type: 'CLOSE', code: 1000, reason: 'client disconnect' } satisfies SocketCommand),
    forwardSend: sendTo('socket', ({ event }): SocketCommand => ({ type: 'SEND', data: event.type === 'SEND' ? event.data : '' })),
    // -- context
    nextEpoch: assign({ epoch: ({ context }) => context.epoch + 1, lastServerError: null, quietMs: 0 }),
    storeHeaders: assign({ headers: ({ event }) => (event as { output?: PrepareOutput }).output?.headers }),
    countStaleEvent: assign({ staleEvents: ({ context }) => context.staleEvents + 1 }),
    recordServerError: assign({ lastServerError: ({ context, event }) => (event.type === 'SOCKET.SERVER_ERROR' ? event.error : context.lastServerError) }),
    setSubscriptions: assign({
      hasSubscriptions: ({ context, event }) => (event.type === 'SUBSCRIPTIONS_CHANGED' ? event.active : context.hasSubscriptions),
      quietMs: 0,
    }),
    resetQuiet: assign({ quietMs: 0 }),
    recordActivity: assign({
      quietMs: ({ context, event }) =>
        event.type === 'SOCKET.ACTIVITY' && event.frames === 0 && context.hasSubscriptions
          ? context.quietMs + context.timing.stallCheckInterval
          : 0,
    }),
  },
  guards: {
    isCurrentEpoch: ({ context, event }) => epochOf(event) === context.epoch,
    connectAfterClose: ({ context }) => context.connectAfterClose,
    isStaleEpoch: ({ context, event }) => {
      const epoch = epochOf(event);
      return epoch !== undefined && epoch !== context.epoch;
    },
    isFatalServerError: ({ event }) =>
      event.type === 'SOCKET.SERVER_ERROR' && classifyClose({ kind: 'server-error', name: event.error.name }) === 'fatal',
    isStalled: ({ context, event }) =>
      event.type === 'SOCKET.ACTIVITY' &&
      event.frames === 0 &&
      context.hasSubscriptions &&
      context.quietMs + context.timing.stallCheckInterval >= context.timing.stallTimeout,
  },
  delays: {
    keepaliveInterval: ({ context }) => context.timing.keepaliveInterval,
    pongTimeout: ({ context }) => context.timing.pongTimeout,
    stallCheckInterval: ({ context }) => context.timing.stallCheckInterval,
    connectTimeout: ({ context }) => context.timing.connectTimeout,
    closeTimeout: ({ context }) => context.timing.closeTimeout,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    url: input.url,
    name: input.name ?? 'public',
    notifyParent: input.notifyParent ?? false,
    epoch: input.initialEpoch ?? 0,
    status: 'idle',
    headers: undefined,
    hasSubscriptions: false,
    quietMs: 0,
    staleEvents: 0,
    lastServerError: null,
    connectAfterClose: false,
    timing: {
      keepaliveInterval: input.keepaliveInterval ?? 30_000,
      pongTimeout: input.pongTimeout ?? 10_000,
      stallCheckInterval: input.stallCheckInterval ?? 5_000,
      stallTimeout: input.stallTimeout ?? 60_000,
      connectTimeout: input.connectTimeout ?? 10_000,
      closeTimeout: input.closeTimeout ?? 5_000,
    },
    recovery: input.recovery,
  }),
  invoke: { id: 'recovery', src: 'recovery', input: ({ context }) => context.recovery ?? {} },
  on: {
    SUBSCRIPTIONS_CHANGED: { actions: 'setSubscriptions' },
    SEND: { actions: 'rejectSend' },
    'RECOVERY.BACKOFF': { actions: 'notifyRetrying' },
    // Fallback for every socket event no state took: drop it; count it when its epoch is stale.
    'SOCKET.*': { guard: 'isStaleEpoch', actions: 'countStaleEvent' },
  },
  initial: 'idle',
  states: {
    idle: {
      entry: { type: 'notifyStatus', params: { status: 'idle' } },
      on: { CONNECT: { target: 'waiting', actions: 'requestConnect' } },
    },
    /** Recovery decides when: first connect (connect gap) or reconnect (backoff + gap). */
    waiting: {
      entry: { type: 'notifyStatus', params: { status: 'waiting' } },
      on: {
        'RECOVERY.GO': 'preparing',
        'RECOVERY.GIVE_UP': { target: 'failed', actions: 'notifyFailed' },
        DISCONNECT: { target: 'closed', actions: 'cancelRecovery' },
      },
    },
    /** E.g. fetch a JWT for the private connection. Errors are judged by recovery. */
    preparing: {
      entry: { type: 'notifyStatus', params: { status: 'preparing' } },
      invoke: {
        id: 'prepare',
        src: 'prepare',
        input: ({ context }) => ({ name: context.name, url: context.url }),
        onDone: { target: 'session', actions: ['storeHeaders', 'nextEpoch'] },
        onError: { target: 'waiting', actions: 'reportFailure' },
      },
      on: { DISCONNECT: { target: 'closed', actions: 'cancelRecovery' } },
    },
    /** One socket for all substates. Leaving `session` stops it (its cleanup closes the socket). */
    session: {
      invoke: {
        id: 'socket',
        src: 'socket',
        input: ({ context }): SocketInput => ({ url: context.url, epoch: context.epoch, headers: context.headers }),
      },
      on: {
        'SOCKET.CLOSED': { guard: 'isCurrentEpoch', target: 'waiting', actions: ['notifyDisconnected', 'reportFailure'] },
        'SOCKET.ERROR': { guard: 'isCurrentEpoch', target: 'waiting', actions: ['notifyDisconnected', 'reportFailure'] },
        'SOCKET.SERVER_ERROR': [
          {
            guard: and(['isCurrentEpoch', 'isFatalServerError']),
            target: 'waiting',
            actions: ['notifyServerError', 'recordServerError', 'notifyDisconnected', 'reportFailure'],
          },
          { guard: 'isCurrentEpoch', actions: ['notifyServerError', 'recordServerError'] },
        ],
        DISCONNECT: { target: '.closing', actions: ['closeSocket', 'cancelRecovery'] },
      },
      initial: 'connecting',
      states: {
        connecting: {
          entry: { type: 'notifyStatus', params: { status: 'connecting' } },
          after: {
            connectTimeout: {
              target: '#connection.waiting',
              actions: [{ type: 'notifyDisconnected', params: LOCAL.connectTimeout }, { type: 'reportFailure', params: LOCAL.connectTimeout }],
            },
          },
          on: {
            'SOCKET.OPEN': { guard: 'isCurrentEpoch', target: 'open', actions: 'reportOpened' },
          },
        },
        open: {
          type: 'parallel',
          entry: ['resetQuiet', { type: 'notifyStatus', params: { status: 'open' } }, 'notifyConnected'],
          on: { SEND: { actions: 'forwardSend' } },
          states: {
            keepalive: {
              initial: 'idle',
              states: {
                idle: { after: { keepaliveInterval: { target: 'awaitingPong', actions: 'sendPing' } } },
                awaitingPong: {
                  on: { 'SOCKET.PONG': { guard: 'isCurrentEpoch', target: 'idle' } },
                  after: {
                    pongTimeout: {
                      target: '#connection.waiting',
                      actions: [{ type: 'notifyDisconnected', params: LOCAL.pongTimeout }, { type: 'reportFailure', params: LOCAL.pongTimeout }],
                    },
                  },
                },
              },
            },
            activity: {
              initial: 'watching',
              states: {
                watching: {
                  after: { stallCheckInterval: { target: 'watching', reenter: true, actions: 'checkActivity' } },
                  on: {
                    'SOCKET.ACTIVITY': [
                      {
                        guard: and(['isCurrentEpoch', 'isStalled']),
                        target: '#connection.waiting',
                        actions: [{ type: 'notifyDisconnected', params: LOCAL.stall }, { type: 'reportFailure', params: LOCAL.stall }],
                      },
                      { guard: 'isCurrentEpoch', actions: 'recordActivity' },
                    ],
                  },
                },
              },
            },
          },
        },
        /** DISCONNECT sent CLOSE 1000; the socket lives on until it reports the close. */
        closing: {
          entry: { type: 'notifyStatus', params: { status: 'closing' } },
          after: { closeTimeout: { target: '#connection.closed', actions: { type: 'notifyDisconnected', params: LOCAL.closeTimeout } } },
          on: {
            'SOCKET.CLOSED': { guard: 'isCurrentEpoch', target: '#connection.closed', actions: 'notifyDisconnected' },
            'SOCKET.ERROR': { guard: 'isCurrentEpoch', target: '#connection.closed', actions: 'notifyDisconnected' },
            'SOCKET.SERVER_ERROR': { guard: 'isCurrentEpoch', actions: 'notifyServerError' },
            // Someone wants data again before the close finished (a widget swapped for another):
            // let the close complete, then connect (closed's `always`). DISCONNECT cancels that.
            CONNECT: { actions: assign({ connectAfterClose: true }) },
            DISCONNECT: { actions: assign({ connectAfterClose: false }) },
          },
        },
      },
    },
    /** Closed on request. Not final: CONNECT opens a new session. */
    closed: {
      entry: { type: 'notifyStatus', params: { status: 'closed' } },
      always: { guard: 'connectAfterClose', target: 'waiting', actions: [assign({ connectAfterClose: false }), 'requestConnect'] },
      on: { CONNECT: { target: 'waiting', actions: 'requestConnect' } },
    },
    /** Recovery gave up (fatal failure or maxAttempts). Left only by RETRY. */
    failed: {
      entry: { type: 'notifyStatus', params: { status: 'failed' } },
      on: { RETRY: { target: 'waiting', actions: 'retryRecovery' } },
    },
  },
});
