/**
 * One REST GET to Upbit, with everything around it: the rate limiter, a timeout and the caller's
 * AbortSignal, JWT signing, typed errors and bounded retries. rest.ts builds the endpoints on it.
 *
 * How to read this file: `RestTransport.get` runs this loop until it returns or throws:
 *
 *   limiter.acquire(group) ──► fetch ──► Remaining-Req → limiter.observeRemaining
 *     200 ───────────────► the body's bytes (decoded by the caller)
 *     429 ───────────────► limiter.block(group, Retry-After | 1 s), again   (≤ rateLimitRetries)
 *     418 ───────────────► block longer than the deadline? UpbitRateLimitError (RATE_LIMITED)
 *                          else limiter.block(all groups of that scope), again
 *     5xx, network error ► wait retryDelay(attempt), again                  (≤ retries)
 *     other 4xx ─────────► UpbitRestError with Upbit's body {"error":{"name","message"}}
 *
 * The deadline is `timeoutMs` after the call starts and covers every attempt and every wait;
 * when it passes the call fails with `UpbitAbortError` code `TIMEOUT`, when the caller's signal
 * fires with code `ABORTED`.
 */
import { Buffer } from 'node:buffer';
import type { Credentials, JwtAlgorithm } from './jwt.js';
import { signRestToken } from './jwt.js';
import { UpbitAbortError, UpbitConnectionError, UpbitRateLimitError, UpbitRestError, UpbitValidationError } from './errors.js';
import type { LimiterClock, LimitGroup, RateLimiter } from './limiter.js';
import { SYSTEM_CLOCK } from './limiter.js';

/** Per-call options, accepted by every method of the REST client. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
}

export interface TransportOptions {
  readonly origin: string;
  readonly fetch: typeof fetch;
  readonly limiter: RateLimiter;
  readonly clock: LimiterClock;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly rateLimitRetries: number;
  readonly retryDelay: (attempt: number) => number;
  readonly credentials: Credentials | undefined;
  readonly jwtAlgorithm: JwtAlgorithm;
}

const QUOTATION: readonly LimitGroup[] = ['market', 'candle', 'trade', 'ticker', 'orderbook'];

/** Query parameters in the order given; arrays repeat their key (`states[]=wait&states[]=watch`). */
export type Query = readonly (readonly [string, string | number | boolean | undefined])[];

/** `k=v&...` exactly as hashed for `query_hash` (§8: not URL-encoded) and as sent (encoded). */
export function queryStrings(q: Query): { hashed: string; sent: string } {
  const kept = q.filter(([, v]) => v !== undefined) as (readonly [string, string | number | boolean])[];
  const enc = (s: string) => encodeURIComponent(s).replace(/%2C/g, ',').replace(/%5B/g, '[').replace(/%5D/g, ']').replace(/%3A/g, ':');
  return {
    hashed: kept.map(([k, v]) => `${k}=${String(v)}`).join('&'),
    sent: kept.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&'),
  };
}

export class RestTransport {
  constructor(readonly o: TransportOptions) {}

  /** GET `path` in `group`; resolves to the 200 body's bytes. */
  async get(path: string, query: Query, group: LimitGroup, call: CallOptions = {}, signed = false): Promise<Buffer> {
    const o = this.o;
    if (signed && !o.credentials) throw new UpbitValidationError('INVALID_OPTION', `${path} needs API keys (the credentials option)`);
    const { hashed, sent } = queryStrings(query);
    const url = `${o.origin}${path}${sent ? `?${sent}` : ''}`;
    const timeoutMs = call.timeoutMs ?? o.timeoutMs;
    const start = o.clock.now();
    const deadline = start + timeoutMs;
    const ac = new AbortController();
    let timedOut = false;
    const timer = o.clock.setTimeout(() => {
      timedOut = true;
      ac.abort(new UpbitAbortError('TIMEOUT', `${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => ac.abort(call.signal!.reason);
    if (call.signal?.aborted) onAbort();
    else call.signal?.addEventListener('abort', onAbort, { once: true });
    const key = signed ? o.credentials!.label : undefined;
    const stop = (cause?: unknown) =>
      timedOut
        ? new UpbitAbortError('TIMEOUT', `${path}: no answer within ${timeoutMs} ms`, cause)
        : new UpbitAbortError('ABORTED', `${path}: aborted`, cause);
    try {
      let failures = 0;
      let limited = 0;
      for (;;) {
        if (ac.signal.aborted) throw stop();
        try {
          await o.limiter.acquire(group, { key, deadline, signal: ac.signal });
        } catch (e) {
          if (e instanceof UpbitAbortError) throw stop(e);
          throw e;
        }
        let res: Response;
        try {
          const headers: Record<string, string> = { accept: 'application/json' };
          if (signed) headers.authorization = `Bearer ${await signRestToken(o.credentials!, hashed, o.jwtAlgorithm)}`;
          res = await o.fetch(url, { headers, signal: ac.signal });
        } catch (e) {
          if (ac.signal.aborted) throw stop(e);
          if (failures++ >= o.retries) throw new UpbitConnectionError(`${path}: network error`, e);
          await this.#sleep(o.retryDelay(failures), ac.signal, stop);
          continue;
        }
        o.limiter.observeRemaining(res.headers.get('remaining-req'), key);
        let body: Buffer;
        try {
          body = Buffer.from(await res.arrayBuffer());
        } catch (e) {
          if (ac.signal.aborted) throw stop(e);
          if (failures++ >= o.retries) throw new UpbitConnectionError(`${path}: the answer was cut off`, e);
          continue;
        }
        if (res.status >= 200 && res.status < 300) return body;
        const err = parseError(res.status, body, path);
        if (res.status === 429) {
          const ms = retryAfterMs(res, body) ?? 1000;
          if (limited++ >= o.rateLimitRetries) throw new UpbitRateLimitError(group, err.message, ms, 429);
          o.limiter.block(group, ms, key);
          continue;
        }
        if (res.status === 418) {
          const ms = retryAfterMs(res, body) ?? 60_000;
          for (const g of group === 'default' || !QUOTATION.includes(group) ? [group] : QUOTATION) o.limiter.block(g, ms, key);
          if (o.clock.now() + ms > deadline || limited++ >= o.rateLimitRetries) {
            throw new UpbitRateLimitError(group, `${err.message} (blocked for ${ms} ms)`, ms, 418);
          }
          continue;
        }
        if (res.status >= 500 && failures++ < o.retries) {
          await this.#sleep(o.retryDelay(failures), ac.signal, stop);
          continue;
        }
        throw err;
      }
    } finally {
      o.clock.clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Wait `ms` on the clock, or fail as soon as the call is aborted or times out. */
  #sleep(ms: number, signal: AbortSignal, stop: (cause?: unknown) => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const t = this.o.clock.setTimeout(done, ms);
      const onAbort = () => {
        this.o.clock.clearTimeout(t);
        reject(stop(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Upbit's `{"error":{"name":...,"message":...}}` (name a number on quotation, a string on exchange), or the bare status. */
export function parseError(status: number, body: Buffer, path: string): UpbitRestError {
  let name: number | string | null = null;
  let message: string | null = null;
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: { name?: unknown; message?: unknown } } | null)?.error;
    if (e && (typeof e.name === 'string' || typeof e.name === 'number')) name = e.name;
    if (e && typeof e.message === 'string') message = e.message;
  } catch {
    // not Upbit's error shape: status only
  }
  return new UpbitRestError(status, name, message, path);
}

/** The block length: `Retry-After` (seconds), else "N ms" in a teapot message. */
function retryAfterMs(res: Response, body: Buffer): number | undefined {
  const h = res.headers.get('retry-after');
  if (h && /^\d+(\.\d+)?$/.test(h.trim())) return Number(h) * 1000;
  const m = /(\d+)\s*ms\b/.exec(body.toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

export { SYSTEM_CLOCK };
