/**
 * Recovery: when to (re)connect, and when to stop trying.
 *
 * How to read: three pure functions first (`backoffDelay`, `classifyClose`, `retryFloor`); they
 * hold every policy decision and are what tests and jwt.machine.ts reuse. Then the machine, a
 * child that connection.machine.ts invokes as `recovery`. The connection never decides on its
 * own to connect: it asks (`CONNECT_REQUEST`), reports (`FAILURE`, `OPENED`) and obeys
 * (`RECOVERY.GO`, `RECOVERY.GIVE_UP`).
 *
 *   connection ──CONNECT_REQUEST──▶ flow.pending ──(gate open)──▶ RECOVERY.GO ──▶ connection
 *   connection ──FAILURE{info}───▶ classifyClose ─fatal / attempts ≥ max─▶ flow.failed ─▶ RECOVERY.GIVE_UP
 *                                               └─retryable─▶ flow.backoff ─(backoffDelay)─▶ flow.pending
 *   connection ──OPENED──▶ uptime.up ─(stableUptime)─▶ uptime.stable: attempts := 0
 *   flow.failed ──RETRY──▶ attempts := 0, flow.pending
 *
 * Three parallel regions:
 *  - `flow`   the decision: idle / backoff / pending / failed.
 *  - `gate`   at most one connect per `connectGap` (default 200 ms → never more than 5 connects/s,
 *             Upbit's websocket-connect limit), even when the backoff is 0.
 *  - `uptime` attempts are reset ONLY after `stableUptime` ms of continuous open (a server that
 *             accepts and then drops us at once must not reset the backoff to 1 s each time).
 *
 * Replies to the parent go through the named actions `grant`, `announceBackoff`, `giveUp`
 * (default `sendParent`), so this machine must run as a child, or with those actions provided.
 */
import { and, assign, raise, sendParent, setup, stateIn } from 'xstate';
import type { FailureClass, FailureInfo } from './types.js';

// ---------------------------------------------------------------------------------------------
// Pure policy
// ---------------------------------------------------------------------------------------------

export interface BackoffOptions {
  /** First delay. @default 1000 */
  baseDelay: number;
  /** Growth per attempt. @default 2 */
  factor: number;
  /** Cap. @default 30_000 */
  maxDelay: number;
  /**
   * 0..1: how much of the delay may be randomly taken off. 0 = exact 1,2,4,8 s; 0.5 = "equal
   * jitter" (between half and all of it); 1 = "full jitter". @default 0.5
   */
  jitter: number;
  /** Source of randomness in [0, 1). Injected so tests are deterministic. @default Math.random */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseDelay: 1_000,
  factor: 2,
  maxDelay: 30_000,
  jitter: 0.5,
  random: Math.random,
};

/** Delay before retry number `attempt` (0-based): `min(maxDelay, base·factor^attempt)·(1 − jitter·random())`. */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const raw = Math.min(o.maxDelay, o.baseDelay * Math.pow(o.factor, Math.max(0, attempt)));
  const jitter = Math.min(1, Math.max(0, o.jitter));
  return Math.round(raw * (1 - jitter * o.random()));
}

/**
 * THE one place that decides whether reconnecting can help. 'fatal' means "stop and wait for an
 * explicit RETRY"; 'retryable' means "back off and try again". Every exception is commented.
 */
export function classifyClose(info: FailureInfo): FailureClass {
  switch (info.kind) {
    case 'close':
      // We closed it (DISCONNECT → CLOSE 1000): not a failure, never a reconnect.
      if (info.byUser) return 'fatal';
      // An error frame just before the close explains it better than the close code does.
      if (info.serverError !== undefined && serverErrorClass(info.serverError) === 'fatal') return 'fatal';
      return closeCodeClass(info.code);
    case 'server-error':
      return serverErrorClass(info.name);
    case 'error':
      return errorClass(info.error);
    case 'timeout':
      // Connect/pong/stall watchdogs: the link is dead or wedged, a new socket is the cure.
      return 'retryable';
  }
}

function closeCodeClass(code: number): FailureClass {
  switch (code) {
    case 1000: // Normal closure *by the server* (e.g. its ~120 s idle timeout): we still want data.
    case 1001: // Going away: server restart / deploy.
    case 1005: // No status received.
    case 1006: // Abnormal closure: network loss, process killed, TCP reset.
    case 1008: // Policy violation. Deliberate: Upbit documents no close codes and a policy close is
    //            what a rate-limit block looks like; retryable, but retryFloor waits a minute.
    case 1011: // Internal server error. Deliberate exception to graphql-ws (fatal there): an
    //            exchange-side hiccup is transient and market data must resume.
    case 1012: // Service restart.
    case 1013: // Try again later.
    case 1014: // Bad gateway (a proxy in front of Upbit).
    case 3008: // Registered "timeout".
      return 'retryable';
    case 3000: // Registered "unauthorized".
    case 3003: // Registered "forbidden".
      return 'fatal';
  }
  // Protocol-level refusals (1002 protocol error, 1003 unsupported data, 1007 invalid payload,
  // 1009 too big, 1010 extension, 1015 TLS, reserved 1xxx): reconnecting sends the same bytes
  // again and loops, as in graphql-ws `isFatalInternalCloseCode`.
  if (code >= 1000 && code <= 1999) return 'fatal';
  // Application codes 4xxx: auth/permission refusals (proxies, the mock). Fatal.
  if (code >= 4000 && code <= 4999) return 'fatal';
  // Other registered 3xxx, and nonsense (0, negative, ≥ 5000, a terminated socket): retry.
  return 'retryable';
}

function serverErrorClass(name: string): FailureClass {
  // Bad or missing credentials: the same token will be refused again.
  if (name === 'INVALID_AUTH') return 'fatal';
  // Deliberate: the request-shape errors (WRONG_FORMAT, NO_TICKET, NO_TYPE, NO_CODES,
  // INVALID_PARAM; protocol §6.1) reject ONE request, not the connection. The connection reports
  // them (`serverError`) and keeps the socket; if the server closes anyway, a reconnect is right
  // because the next request may differ.
  // 'Too Many Requests' / "I'm a teapot": retryable, stretched by retryFloor.
  // Unknown names: retry rather than go silent.
  return 'retryable';
}

function errorClass(error: unknown): FailureClass {
  if (typeof error !== 'object' || error === null) return 'retryable';
  const e = error as { name?: unknown; serverName?: unknown; status?: unknown; statusCode?: unknown };
  // getToken()/signing/handshake said "your credentials are wrong": fatal by contract.
  if (e.name === 'UnauthorizedError') return 'fatal';
  // An UpbitServerError (src/io) carries the wire name in `serverName`.
  if (typeof e.serverName === 'string') return serverErrorClass(e.serverName);
  // HTTP status of a refused upgrade: 401/403 fatal; 429/418/5xx retryable (429/418 with a floor).
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (status === 401 || status === 403) return 'fatal';
  return 'retryable';
}

/**
 * Whether the server refused who we are (HTTP 401/403 at the handshake, INVALID_AUTH), as opposed
 * to the token provider itself saying no (an `UnauthorizedError` from `getToken()`, always fatal).
 * A provider's token may simply have expired: `authRetries` lets recovery ask for a new one.
 */
export function isAuthRefusal(info: FailureInfo): boolean {
  if (info.kind === 'server-error') return info.name === 'INVALID_AUTH';
  if (info.kind === 'close') return info.serverError === 'INVALID_AUTH';
  if (info.kind !== 'error' || typeof info.error !== 'object' || info.error === null) return false;
  const e = info.error as { name?: unknown; status?: unknown; statusCode?: unknown };
  if (e.name === 'UnauthorizedError') return false;
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  return status === 401 || status === 403;
}

/**
 * Minimum wait before the next connect after `info`, on top of the backoff. Not a classification:
 * it only stretches retryable failures that are the server telling us to slow down.
 */
export function retryFloor(info: FailureInfo): number {
  const names: unknown[] = [];
  if (info.kind === 'server-error') names.push(info.name);
  if (info.kind === 'close') names.push(info.serverError, info.code === 1008 ? 418 : undefined);
  if (info.kind === 'error' && typeof info.error === 'object' && info.error !== null) {
    const e = info.error as { serverName?: unknown; status?: unknown; statusCode?: unknown };
    names.push(e.serverName, e.status, e.statusCode);
  }
  // "I'm a teapot" = blocked for a duration Upbit does not document: a conservative minute.
  if (names.includes("I'm a teapot") || names.includes(418)) return 60_000;
  // "Too Many Requests": Upbit's advice is to wait for the next second window.
  if (names.includes('Too Many Requests') || names.includes(429)) return 1_000;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

export interface RecoveryInput extends Partial<BackoffOptions> {
  /** Consecutive failed attempts tolerated before `failed`. @default Infinity */
  maxAttempts?: number;
  /** Open time after which the attempt counter is reset. @default 10_000 */
  stableUptime?: number;
  /** Minimum time between two connect grants. @default 200 (≤ 5 connects/s) */
  connectGap?: number;
  /**
   * Server auth refusals (see `isAuthRefusal`) retried before `failed`: each retry asks for a new
   * token. For token providers, whose tokens may expire; with API keys a refusal means wrong keys.
   * @default 0
   */
  authRetries?: number;
}

export interface RecoveryContext {
  backoff: BackoffOptions;
  maxAttempts: number;
  stableUptime: number;
  connectGap: number;
  /** Consecutive failures since the last stable period (or RETRY). */
  attempts: number;
  /** The delay chosen for the current backoff wait. */
  delay: number;
  lastFailure: FailureInfo | null;
  /** Connect grants so far (stats; the model tests compare it with `grant` calls). */
  grants: number;
  authRetries: number;
  /** Auth refusals retried since the last stable period (or RETRY). */
  authFailures: number;
}

export type RecoveryEvent =
  | { type: 'CONNECT_REQUEST' }
  | { type: 'FAILURE'; info: FailureInfo }
  | { type: 'OPENED' }
  | { type: 'CANCEL' }
  | { type: 'RETRY' }
  | { type: 'GATE.USED' };

/** What the parent receives. */
export type RecoveryReply =
  | { type: 'RECOVERY.GO'; attempt: number }
  | { type: 'RECOVERY.BACKOFF'; attempt: number; delay: number; info: FailureInfo }
  | { type: 'RECOVERY.GIVE_UP'; reason: 'fatal' | 'max-attempts'; attempts: number; info: FailureInfo };

const lastFailureOf = (c: RecoveryContext): FailureInfo => c.lastFailure ?? { kind: 'timeout', what: 'connect' };

export const recoveryMachine = setup({
  types: {
    context: {} as RecoveryContext,
    events: {} as RecoveryEvent,
    input: {} as RecoveryInput,
  },
  actions: {
    grant: sendParent(({ context }): RecoveryReply => ({ type: 'RECOVERY.GO', attempt: context.attempts })),
    announceBackoff: sendParent(({ context }): RecoveryReply => ({
      type: 'RECOVERY.BACKOFF',
      attempt: context.attempts,
      delay: context.delay,
      info: lastFailureOf(context),
    })),
    giveUp: sendParent(({ context }, params: { reason: 'fatal' | 'max-attempts' }): RecoveryReply => ({
      type: 'RECOVERY.GIVE_UP',
      reason: params.reason,
      attempts: context.attempts,
      info: lastFailureOf(context),
    })),
    useGate: raise({ type: 'GATE.USED' }),
    recordFailure: assign({ lastFailure: ({ event }) => (event.type === 'FAILURE' ? event.info : null) }),
    scheduleBackoff: assign(({ context }) => {
      const info = lastFailureOf(context);
      return {
        delay: Math.max(backoffDelay(context.attempts, context.backoff), retryFloor(info)),
        attempts: context.attempts + 1,
      };
    }),
    resetAttempts: assign({ attempts: 0, authFailures: 0 }),
    countAuthFailure: assign({ authFailures: ({ context }) => context.authFailures + 1 }),
    countGrant: assign({ grants: ({ context }) => context.grants + 1 }),
  },
  guards: {
    isFatal: ({ event }) => event.type === 'FAILURE' && classifyClose(event.info) === 'fatal',
    canRetryAuth: ({ context, event }) => event.type === 'FAILURE' && isAuthRefusal(event.info) && context.authFailures < context.authRetries,
    isExhausted: ({ context }) => context.attempts >= context.maxAttempts,
    hasGap: ({ context }) => context.connectGap > 0,
    gateOpen: stateIn('#recovery.gate.open'),
  },
  delays: {
    backoffDelay: ({ context }) => context.delay,
    connectGap: ({ context }) => context.connectGap,
    stableUptime: ({ context }) => context.stableUptime,
  },
}).createMachine({
  id: 'recovery',
  type: 'parallel',
  context: ({ input }) => ({
    backoff: {
      baseDelay: input?.baseDelay ?? DEFAULT_BACKOFF.baseDelay,
      factor: input?.factor ?? DEFAULT_BACKOFF.factor,
      maxDelay: input?.maxDelay ?? DEFAULT_BACKOFF.maxDelay,
      jitter: input?.jitter ?? DEFAULT_BACKOFF.jitter,
      random: input?.random ?? DEFAULT_BACKOFF.random,
    },
    maxAttempts: input?.maxAttempts ?? Infinity,
    stableUptime: input?.stableUptime ?? 10_000,
    connectGap: input?.connectGap ?? 200,
    attempts: 0,
    delay: 0,
    lastFailure: null,
    grants: 0,
    authRetries: input?.authRetries ?? 0,
    authFailures: 0,
  }),
  states: {
    flow: {
      initial: 'idle',
      states: {
        /** Nothing to do: the connection is connecting, open, closed or idle. */
        idle: {
          on: {
            CONNECT_REQUEST: 'pending',
            FAILURE: [
              { guard: and(['isFatal', 'canRetryAuth']), target: 'backoff', actions: ['recordFailure', 'countAuthFailure', 'scheduleBackoff', 'announceBackoff'] },
              { guard: 'isFatal', target: 'failed', actions: ['recordFailure', { type: 'giveUp', params: { reason: 'fatal' } }] },
              { guard: 'isExhausted', target: 'failed', actions: ['recordFailure', { type: 'giveUp', params: { reason: 'max-attempts' } }] },
              { target: 'backoff', actions: ['recordFailure', 'scheduleBackoff', 'announceBackoff'] },
            ],
          },
        },
        /** Waiting `delay` ms (backoff × jitter, at least retryFloor). */
        backoff: {
          after: { backoffDelay: 'pending' },
          on: { CANCEL: 'idle' },
        },
        /** Allowed to connect as soon as the gate is open. */
        pending: {
          always: { guard: 'gateOpen', target: 'idle', actions: ['useGate', 'countGrant', 'grant'] },
          on: { CANCEL: 'idle' },
        },
        /** Gave up (fatal, or maxAttempts). Left only by RETRY. */
        failed: {
          on: { RETRY: { target: 'pending', actions: 'resetAttempts' } },
        },
      },
    },
    gate: {
      initial: 'open',
      states: {
        open: { on: { 'GATE.USED': { guard: 'hasGap', target: 'cooling' } } },
        cooling: { after: { connectGap: 'open' } },
      },
    },
    uptime: {
      initial: 'down',
      states: {
        down: { on: { OPENED: 'up' } },
        up: {
          after: { stableUptime: { target: 'stable', actions: 'resetAttempts' } },
          on: { FAILURE: 'down', CANCEL: 'down' },
        },
        stable: { on: { FAILURE: 'down', CANCEL: 'down' } },
      },
    },
  },
});
