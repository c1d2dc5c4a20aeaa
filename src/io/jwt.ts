/**
 * Upbit JWT signing (protocol §8) with jose.
 *
 * A token is `{ access_key, nonce }` (plus `query_hash` / `query_hash_alg` for REST calls with
 * parameters), signed with the RAW secret-key string as the HMAC key. HS512 is what Upbit
 * recommends; HS256 is accepted too (Upbit's own WebSocket samples and ccxt use it).
 * Tokens are single-use: a new random nonce every time.
 *
 * Secrets never leave this module in any printable form: `Credentials` objects render as
 * `[Credentials accessKey=abcd…]` in logs and JSON.
 */
import { Buffer } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { UpbitValidationError } from './errors.js';

export type JwtAlgorithm = 'HS256' | 'HS512';

export interface CredentialsInput {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** Wraps keys so they cannot be printed by accident (console.log, JSON.stringify, util.inspect, errors). */
export class Credentials {
  readonly #accessKey: string;
  readonly #secretKey: Uint8Array;
  constructor(input: CredentialsInput) {
    if (!input || typeof input.accessKey !== 'string' || typeof input.secretKey !== 'string' || !input.accessKey || !input.secretKey) {
      throw new UpbitValidationError('INVALID_OPTION', 'credentials need a non-empty accessKey and secretKey');
    }
    this.#accessKey = input.accessKey;
    this.#secretKey = new TextEncoder().encode(input.secretKey);
  }
  /** A short, non-secret label for logs: the first 4 characters of the access key. */
  get label(): string {
    return `${this.#accessKey.slice(0, 4)}…`;
  }
  /** @internal */
  sign(claims: Record<string, string>, alg: JwtAlgorithm): Promise<string> {
    return new SignJWT({ access_key: this.#accessKey, nonce: randomUUID(), ...claims })
      .setProtectedHeader({ alg, typ: 'JWT' })
      .sign(this.#secretKey);
  }
  toJSON(): string {
    return `[Credentials accessKey=${this.label}]`;
  }
  toString(): string {
    return this.toJSON();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON();
  }
}

/** A fresh token for the private WebSocket handshake: only `access_key` and `nonce` (§8). */
export function signConnectToken(credentials: Credentials, alg: JwtAlgorithm = 'HS512'): Promise<string> {
  return credentials.sign({}, alg);
}

/** A token for a REST call: adds `query_hash` (hex SHA-512 of the exact query string) when there is one. */
export function signRestToken(credentials: Credentials, query = '', alg: JwtAlgorithm = 'HS512'): Promise<string> {
  if (!query) return credentials.sign({}, alg);
  const queryHash = createHash('sha512').update(query, 'utf8').digest('hex');
  return credentials.sign({ query_hash: queryHash, query_hash_alg: 'SHA512' }, alg);
}

/** Seconds-based `exp` of a JWT, as ms since epoch, or undefined when absent or unreadable. Never verifies. */
export function tokenExpiry(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
