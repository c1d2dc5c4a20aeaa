/**
 * Errors that crossed NATS: the gateway sends `{ code, name, message }` (subjects.ts RemoteError),
 * the consumer turns it back into the same `UpbitError` subclass, so code written for an
 * in-process hub (`err.code === 'UNAUTHORIZED'`, `instanceof UpbitConnectionError`) works unchanged.
 */
import {
  UnauthorizedError,
  UpbitConflictError,
  UpbitConnectionError,
  UpbitError,
  UpbitStoppedError,
  UpbitUsageError,
  UpbitServerError,
  UpbitValidationError,
  type UpbitErrorCode,
} from '../index.js';
import type { RemoteError } from './subjects.js';

export function toUpbitError(r: Pick<RemoteError, 'code' | 'message'> & { name?: string }): UpbitError {
  const code = String(r.code) as UpbitErrorCode;
  const message = String(r.message ?? '');
  switch (code) {
    case 'CONNECTION':
      return new UpbitConnectionError(message);
    case 'UNAUTHORIZED':
      return new UnauthorizedError(message);
    case 'SERVER_ERROR':
      return new UpbitServerError(message.replace(/^Upbit error ([^:]+).*$/, '$1'), message);
    case 'CONFLICT':
      return new UpbitConflictError(message);
    case 'USAGE':
      return new UpbitUsageError(message);
    case 'STOPPED':
      return new UpbitStoppedError(message);
    case 'UNKNOWN_MARKET':
    case 'INVALID_CODE':
    case 'INVALID_TYPE':
    case 'INVALID_OPTION':
      return new UpbitValidationError(code, message);
    default:
      return new UpbitError(code, message);
  }
}
