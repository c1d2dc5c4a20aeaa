/**
 * Tokens for the private connection.
 *
 * How to read: two modes, picked once from input, each a small region; then `unauthorized`.
 *
 *   keys:      idle ─TOKEN_REQUEST─▶ signing (signToken) ─done─▶ idle + emit TOKEN
 *              A fresh token for EVERY request: Upbit JWTs carry a one-time nonce.
 *   provider:  empty ─TOKEN_REQUEST─▶ fetching (fetchToken) ─done─▶ valid ─(renewDelay)─▶ fetching
 *              The user's getToken() result `{token, expiresAt?}` is cached and renewed at 80 %
 *              of its lifetime; TOKEN_REQUEST is answered from the cache while it is fresh.
 *   any error: classifyClose({kind:'error'}) fatal (UnauthorizedError, 401/403) ─▶ unauthorized
 *              otherwise ─▶ retrying (backoffDelay from recovery.machine.ts) ─▶ sign/fetch again
 *   unauthorized: answers every TOKEN_REQUEST with TOKEN_ERROR {fatal:true}; RESET starts over.
 *
 * Answers are `emit`ted: `TOKEN {token, expiresAt?}` and `TOKEN_ERROR {error, fatal}`. The
 * connection's `prepare` slot (src/actors) sends TOKEN_REQUEST and awaits one of them.
 *
 * Why `now()` is injected: `expiresAt` is wall-clock time (e.g. a JWT `exp`), and turning it into
 * a timer delay needs the current wall-clock time once, when the token arrives. Machines may not
 * read `Date.now()`, so the caller passes `now` (Date.now in production, the SimulatedClock in
 * tests). The renewal deadline is also kept as data (`renewAt`), because a restored actor does
 * not re-arm its `after` timers: TOKEN_REQUEST checks `now() < renewAt` itself. (`now` lives in
 * context, so a snapshot persisted as JSON loses it: put it back before restoring.)
 */
import { assign, emit, fromPromise, setup } from 'xstate';
import { DEFAULT_BACKOFF, backoffDelay, classifyClose } from './recovery.machine.js';
import type { BackoffOptions } from './recovery.machine.js';

export interface TokenResult {
  token: string;
  /** Wall-clock expiry, ms since the epoch. Absent: never expires, never renewed. */
  expiresAt?: number;
}

export interface JwtInput {
  mode: 'keys' | 'provider';
  /** Wall clock in ms (Date.now in production). Used only in provider mode. */
  now: () => number;
  /**
   * Provider tokens are good for ONE connect (Upbit JWTs carry a one-time nonce; a reused nonce is
   * refused): each TOKEN_REQUEST then calls the provider, and nothing is cached or renewed.
   * Set false for tokens your gateway accepts repeatedly until they expire. @default false
   */
  singleUse?: boolean;
  /** Fraction of the lifetime after which the token is renewed. @default 0.8 */
  renewRatio?: number;
  /** Backoff for failed sign/fetch attempts. @default recovery's DEFAULT_BACKOFF */
  backoff?: Partial<BackoffOptions>;
}

export interface JwtContext {
  mode: 'keys' | 'provider';
  now: () => number;
  singleUse: boolean;
  renewRatio: number;
  backoff: BackoffOptions;
  token: string | null;
  expiresAt: number | null;
  /** now() when the token arrived. */
  issuedAt: number | null;
  /** Deadline (wall clock) after which the cached token is renewed rather than served. */
  renewAt: number | null;
  attempts: number;
  retryDelay: number;
  lastError: unknown;
}

export type JwtEvent = { type: 'TOKEN_REQUEST' } | { type: 'RESET' };

export type JwtEmitted =
  | { type: 'TOKEN'; token: string; expiresAt?: number }
  | { type: 'TOKEN_ERROR'; error: unknown; fatal: boolean };

/** Never schedule less than this (a provider handing out expired tokens must not spin). */
const MIN_RENEW_DELAY = 1_000;
/** setTimeout overflows above 2^31 − 1 ms (≈ 24.8 days). */
const MAX_TIMER = 2_147_483_647;

const errorOf = (event: { type: string }): unknown => (event as { error?: unknown }).error;

export const jwtMachine = setup({
  types: {
    context: {} as JwtContext,
    events: {} as JwtEvent,
    input: {} as JwtInput,
    emitted: {} as JwtEmitted,
  },
  actors: {
    /** keys mode: sign a fresh JWT (the real signer uses jose, in src/actors). */
    signToken: fromPromise<TokenResult, Record<string, never>>(async () => {
      throw new Error('jwt.machine: no `signToken` actor provided');
    }),
    /** provider mode: the user's getToken(). */
    fetchToken: fromPromise<TokenResult, Record<string, never>>(async () => {
      throw new Error('jwt.machine: no `fetchToken` actor provided');
    }),
  },
  actions: {
    storeToken: assign(({ context, event }) => {
      const result = (event as { output?: TokenResult }).output;
      const issuedAt = context.mode === 'provider' ? context.now() : null;
      const expiresAt = result?.expiresAt ?? null;
      const renewAt =
        issuedAt !== null && expiresAt !== null ? issuedAt + Math.max(0, expiresAt - issuedAt) * context.renewRatio : null;
      return { token: result?.token ?? null, expiresAt, issuedAt, renewAt, attempts: 0, lastError: null };
    }),
    emitToken: emit(({ context }): JwtEmitted => ({
      type: 'TOKEN',
      token: context.token ?? '',
      ...(context.expiresAt !== null ? { expiresAt: context.expiresAt } : {}),
    })),
    recordError: assign({ lastError: ({ event }) => errorOf(event) }),
    emitTokenError: emit(({ context }, params: { fatal: boolean }): JwtEmitted => ({
      type: 'TOKEN_ERROR',
      error: context.lastError,
      fatal: params.fatal,
    })),
    scheduleRetry: assign(({ context }) => ({
      retryDelay: backoffDelay(context.attempts, context.backoff),
      attempts: context.attempts + 1,
    })),
    forget: assign({ token: null, expiresAt: null, issuedAt: null, renewAt: null, attempts: 0, lastError: null }),
  },
  guards: {
    isKeysMode: ({ context }) => context.mode === 'keys',
    singleUse: ({ context }) => context.singleUse,
    isFatal: ({ event }) => classifyClose({ kind: 'error', error: errorOf(event) }) === 'fatal',
    expires: ({ context }) => context.renewAt !== null,
    /** Cached token may be served as is. */
    isFresh: ({ context }) => context.token !== null && (context.renewAt === null || context.now() < context.renewAt),
    /** Cached token is still accepted by the server (renewal pending or failing). */
    notExpired: ({ context }) => context.token !== null && (context.expiresAt === null || context.now() < context.expiresAt),
  },
  delays: {
    renewDelay: ({ context }) =>
      Math.min(MAX_TIMER, Math.max(MIN_RENEW_DELAY, (context.renewAt ?? 0) - (context.issuedAt ?? 0))),
    retryDelay: ({ context }) => context.retryDelay,
  },
}).createMachine({
  id: 'jwt',
  context: ({ input }) => ({
    mode: input.mode,
    now: input.now,
    singleUse: input.singleUse ?? false,
    renewRatio: input.renewRatio ?? 0.8,
    backoff: { ...DEFAULT_BACKOFF, ...input.backoff },
    token: null,
    expiresAt: null,
    issuedAt: null,
    renewAt: null,
    attempts: 0,
    retryDelay: 0,
    lastError: null,
  }),
  initial: 'start',
  states: {
    start: { always: [{ guard: 'isKeysMode', target: 'keys' }, { target: 'provider' }] },
    keys: {
      initial: 'idle',
      states: {
        idle: { on: { TOKEN_REQUEST: 'signing' } },
        signing: {
          invoke: {
            src: 'signToken',
            input: {},
            onDone: { target: 'idle', actions: ['storeToken', 'emitToken'] },
            onError: [
              { guard: 'isFatal', target: '#jwt.unauthorized', actions: 'recordError' },
              { target: 'retrying', actions: ['recordError', 'scheduleRetry', { type: 'emitTokenError', params: { fatal: false } }] },
            ],
          },
        },
        retrying: { after: { retryDelay: 'signing' } },
      },
    },
    provider: {
      initial: 'empty',
      states: {
        empty: { on: { TOKEN_REQUEST: 'fetching' } },
        fetching: {
          invoke: {
            src: 'fetchToken',
            input: {},
            onDone: [
              // A one-time token is spent by the request that asked for it: keep nothing.
              { guard: 'singleUse', target: 'empty', actions: ['storeToken', 'emitToken', 'forget'] },
              { target: 'valid', actions: ['storeToken', 'emitToken'] },
            ],
            onError: [
              { guard: 'isFatal', target: '#jwt.unauthorized', actions: 'recordError' },
              { target: 'retrying', actions: ['recordError', 'scheduleRetry', { type: 'emitTokenError', params: { fatal: false } }] },
            ],
          },
          // A renewal is under way: the old token is still good until it expires.
          on: { TOKEN_REQUEST: { guard: 'notExpired', actions: 'emitToken' } },
        },
        valid: {
          initial: 'check',
          states: {
            check: { always: [{ guard: 'expires', target: 'timed' }, { target: 'forever' }] },
            timed: { after: { renewDelay: '#jwt.provider.fetching' } },
            forever: {},
          },
          on: {
            TOKEN_REQUEST: [{ guard: 'isFresh', actions: 'emitToken' }, { target: 'fetching' }],
          },
        },
        retrying: {
          after: { retryDelay: 'fetching' },
          on: { TOKEN_REQUEST: { guard: 'notExpired', actions: 'emitToken' } },
        },
      },
    },
    /** Credentials refused. Fatal until RESET (new credentials / new getToken). */
    unauthorized: {
      entry: { type: 'emitTokenError', params: { fatal: true } },
      on: {
        TOKEN_REQUEST: { actions: { type: 'emitTokenError', params: { fatal: true } } },
        RESET: { target: 'start', actions: 'forget' },
      },
    },
  },
});
