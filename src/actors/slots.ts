/**
 * Real logic for the machines' named slots that needs no hub state: the private connection's
 * `prepare` step (a JWT from the jwt actor → Authorization header), the jwt machine's signers, the
 * connection inputs, and the rate-window margin. hub.ts plugs these in.
 */
import { fromPromise, type Actor } from 'xstate';
import type { ConnectionInput, PrepareInput, PrepareOutput } from '../machines/connection.machine.js';
import { jwtMachine, type TokenResult } from '../machines/jwt.machine.js';
import type { RecoveryInput } from '../machines/recovery.machine.js';
import { UnauthorizedError, UpbitConnectionError, signConnectToken, tokenExpiry, type Credentials, type JwtAlgorithm } from '../io/index.js';
import type { ConnectionName } from './router.js';

/**
 * Extra time before a request slot counts as free again, on top of Upbit's 1 s / 60 s windows.
 * A slot is given back exactly one window after the SEND, but the server counts arrivals: when
 * the oldest of five requests was delayed longer than the sixth (loopback under load, or any
 * real network), both arrive inside one server window and the sixth is refused. 100 ms of margin
 * costs at most 10 % of the request rate.
 */
export const RATE_MARGIN = { second: 100, minute: 1_000 } as const;

/** The private connection's `prepare`: ask the jwt actor for a token, hand back the header. */
export const prepareWithToken = fromPromise<PrepareOutput, PrepareInput>(({ system }) => askToken(system));

/** Ask the jwt actor of `system` for a token; resolves to the Authorization header (a vault reference). */
export function askToken(system: { get(id: string): unknown }): Promise<PrepareOutput> {
  return new Promise<PrepareOutput>((resolve, reject) => {
    const jwt = system.get('jwt') as Actor<typeof jwtMachine> | undefined;
    if (!jwt) return reject(new UnauthorizedError('no credentials for the private connection'));
    const subs = [
      jwt.on('TOKEN', (e) => {
        subs.forEach((s) => s.unsubscribe());
        resolve({ headers: { Authorization: `Bearer ${e.token}` } });
      }),
      jwt.on('TOKEN_ERROR', (e) => {
        subs.forEach((s) => s.unsubscribe());
        reject(e.fatal && !(e.error instanceof UnauthorizedError) ? new UnauthorizedError(undefined, e.error) : e.error);
      }),
    ];
    jwt.send({ type: 'TOKEN_REQUEST' });
  });
}

/**
 * Where tokens live: in this closure, never in an actor's context (every actor's context is
 * reachable through the actor system, and inspection serialises it). The machines carry an opaque
 * reference (`vault:3`); the socket slot swaps it for the token when it opens the socket.
 */
export class TokenVault {
  readonly #tokens = new Map<string, string>();
  #next = 0;
  put(token: string): string {
    const ref = `vault:${++this.#next}`;
    this.#tokens.set(ref, token);
    // A handful is plenty: a connect uses the newest; older ones are spent or renewed.
    for (const key of this.#tokens.keys()) {
      if (this.#tokens.size <= 4) break;
      this.#tokens.delete(key);
    }
    return ref;
  }
  /** Headers with token references replaced by the tokens. */
  resolve(headers: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
    if (!headers) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) out[k] = v.replace(/vault:\d+/, (ref) => this.#tokens.get(ref) ?? ref);
    return out;
  }
  toJSON(): string {
    return '[TokenVault]';
  }
}

export interface TokenTimer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** `promise`, or a rejection with `onTimeout()` after `ms` on `timer`. */
function within<T>(promise: Promise<T>, ms: number, timer: TokenTimer, onTimeout: () => Error): Promise<T> {
  if (!Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const id = timer.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        timer.clearTimeout(id);
        resolve(v);
      },
      (e) => {
        timer.clearTimeout(id);
        reject(e);
      },
    );
  });
}

/** The jwt machine with its signers: keys (a fresh token per connect) or the user's getToken(). */
export function jwtLogic(
  credentials: Credentials | undefined,
  getToken: (() => Promise<string | TokenResult>) | undefined,
  alg: JwtAlgorithm | undefined,
  vault: TokenVault,
  token: { timeoutMs: number; timer: TokenTimer },
) {
  return jwtMachine.provide({
    actors: {
      signToken: fromPromise(async () => {
        if (!credentials) throw new UnauthorizedError('no credentials');
        return { token: vault.put(await signConnectToken(credentials, alg)) };
      }),
      fetchToken: fromPromise(async () => {
        if (!getToken) throw new UnauthorizedError('no getToken()');
        let got: string | TokenResult;
        try {
          got = await within(Promise.resolve().then(getToken), token.timeoutMs, token.timer, () =>
            new UpbitConnectionError(`getToken() did not settle within ${token.timeoutMs} ms`),
          );
        } catch (err) {
          if (err instanceof UnauthorizedError || err instanceof UpbitConnectionError) throw err;
          // The user's own words reach the private subscribers.
          throw new UpbitConnectionError(`getToken() failed: ${err instanceof Error ? err.message : String(err)}`, err);
        }
        // A bare JWT string: renew at 80 % of the lifetime its own `exp` claims.
        const result = typeof got === 'string' ? { token: got, expiresAt: tokenExpiry(got) } : got;
        const ref = vault.put(result.token);
        return result.expiresAt === undefined ? { token: ref } : { token: ref, expiresAt: result.expiresAt };
      }),
    },
  });
}

/**
 * The input of one connection. Upbit allows 5 connects/s per IP for BOTH connections together:
 * each connection's gate is 400 ms, so public + private never exceed 2 × 2.5 = 5 connects/s.
 */
export function connectionInput(
  url: string,
  conn: ConnectionName,
  timing: Omit<ConnectionInput, 'url' | 'name' | 'notifyParent' | 'initialEpoch' | 'recovery'> | undefined,
  recovery: RecoveryInput | undefined,
  tokenProvider = false,
): ConnectionInput {
  return {
    url,
    ...timing,
    // myOrder/myAsset/announcement are silent until something happens to the account (protocol
    // §5.2): a quiet private socket is healthy, and the keepalive ping/pong already catches a dead
    // one. The stall watchdog would drop it every `stallTimeout` and lose the events sent while
    // it reconnects, so it is off for the private connection.
    ...(conn === 'private' ? { stallTimeout: Number.POSITIVE_INFINITY } : {}),
    // A provider's token may have expired: a refusal asks getToken() again, twice, before failing.
    recovery: { connectGap: 400, ...(conn === 'private' && tokenProvider ? { authRetries: 2 } : {}), ...recovery },
  };
}
