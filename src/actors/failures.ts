/**
 * How connection trouble becomes errors people can act on, and who hears them.
 *
 * The connection machines report what happened as `FailureInfo` (a close, an error, a timeout, a
 * server error frame); recovery.machine's `classifyClose` decides whether retrying can help. This
 * module turns the same facts into one typed error whose message names the cause
 * (`ECONNREFUSED 127.0.0.1:1`, `no handshake within 2000 ms`, `HTTP 401`), and keeps the outage
 * episodes, so that each subscriber of a connection hears:
 *
 *   first failed attempt of an outage ─▶ UpbitConnectionError (status: interrupted / pending)
 *   retries exhausted or fatal         ─▶ UpbitConnectionError | UnauthorizedError (status: failed)
 *   back                               ─▶ status `active` with the gap's length (no error)
 *
 * and a subscriber that arrives while its connection has failed hears it at once.
 */
import { UnauthorizedError, UpbitConnectionError, UpbitError } from '../io/index.js';
import type { FailureInfo } from '../machines/types.js';
import type { ConnectionName } from './router.js';

/** A short, human description of a failure: what a person would search for. */
export function describeFailure(info: FailureInfo | undefined): string {
  if (!info) return 'unknown cause';
  switch (info.kind) {
    case 'error': {
      const e = info.error as { code?: unknown; message?: unknown; status?: unknown; cause?: unknown } | undefined;
      if (typeof e?.status === 'number') return `HTTP ${e.status}`;
      // Our own errors (a getToken() failure or timeout) already say it in words; a socket error
      // wraps Node's, whose code and address say it best (ECONNREFUSED 127.0.0.1:1).
      const inner = (info.error instanceof UpbitError && !(e?.cause instanceof Error) ? undefined : (e?.cause ?? e)) as
        | { code?: unknown; address?: unknown; port?: unknown; message?: unknown }
        | undefined;
      if (inner === undefined) return String(e?.message);
      if (typeof inner?.code === 'string' && typeof inner.address === 'string') {
        return `${inner.code} ${inner.address}${typeof inner.port === 'number' ? `:${inner.port}` : ''}`;
      }
      if (typeof inner?.code === 'string') return String(inner.code);
      return typeof e?.message === 'string' ? e.message : String(info.error);
    }
    case 'timeout':
      return info.what === 'connect' ? 'handshake timeout' : info.what === 'pong' ? 'no pong (keepalive timeout)' : 'stalled (no frames)';
    case 'close':
      return `closed ${info.code}${info.reason ? ` (${info.reason})` : ''}${info.serverError ? ` after ${info.serverError}` : ''}`;
    case 'server-error':
      return `server error ${info.name}${info.message ? `: ${info.message}` : ''}`;
  }
}

/** Whether a failure is the server refusing who we are (not the network). */
export function isAuthFailure(info: FailureInfo | undefined): boolean {
  if (!info) return false;
  if (info.kind === 'server-error') return info.name === 'INVALID_AUTH';
  if (info.kind === 'close') return info.serverError === 'INVALID_AUTH';
  if (info.kind === 'error') {
    const e = info.error as { name?: unknown; status?: unknown } | undefined;
    return e?.name === 'UnauthorizedError' || e?.status === 401 || e?.status === 403;
  }
  return false;
}

/** The error a subscriber of `side` hears for this failure. */
export function connectionError(side: ConnectionName, info: FailureInfo | undefined, phase: 'retrying' | 'failed', attempt?: number): UpbitError {
  const cause = describeFailure(info);
  const original = info?.kind === 'error' ? info.error : info;
  if (side === 'private' && phase === 'failed' && isAuthFailure(info)) {
    // The provider's own UnauthorizedError keeps the user's message.
    if (info?.kind === 'error' && info.error instanceof UnauthorizedError) return info.error;
    return new UnauthorizedError(`the private connection was refused (${cause}); check the keys or getToken()`, original);
  }
  const status = info?.kind === 'error' ? (info.error as { status?: unknown } | undefined)?.status : undefined;
  const message =
    phase === 'retrying'
      ? `the ${side} connection is down (${cause}); retrying${attempt !== undefined ? ` (attempt ${attempt})` : ''}`
      : `the ${side} connection failed (${cause}); call hub.retry() to try again`;
  return new UpbitConnectionError(message, original, typeof status === 'number' ? status : undefined);
}

/** Outage episodes per connection: who has been told what. */
export class Outages {
  private readonly told: Record<ConnectionName, boolean> = { public: false, private: false };
  private readonly failed: Partial<Record<ConnectionName, UpbitError>> = {};

  /** A failed attempt: the error to tell, only on the first of an episode. */
  retrying(side: ConnectionName, info: FailureInfo, attempt: number): UpbitError | undefined {
    if (this.told[side]) return undefined;
    this.told[side] = true;
    return connectionError(side, info, 'retrying', attempt);
  }

  /** Recovery gave up (or a fatal failure): remembered until `retry()`. */
  gaveUp(side: ConnectionName, info: FailureInfo | undefined): UpbitError {
    const error = connectionError(side, info, 'failed');
    this.failed[side] = error;
    this.told[side] = true;
    return error;
  }

  /** The connection is open: the next outage is a new episode. */
  recovered(side: ConnectionName): void {
    this.told[side] = false;
    delete this.failed[side];
  }

  /** The error a late subscriber hears at once, while `side` has failed. */
  failure(side: ConnectionName): UpbitError | undefined {
    return this.failed[side];
  }

  retry(): void {
    this.told.public = this.told.private = false;
    delete this.failed.public;
    delete this.failed.private;
  }
}
