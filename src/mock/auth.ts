/**
 * JWT verification for the private WebSocket handshake and the exchange REST endpoints
 * (protocol §8), with jose.
 *
 * How to read this file: `Auth.verify` runs these checks in order and names the first failure
 * with Upbit's REST error name (the WS endpoint maps every failure to INVALID_AUTH):
 *
 *   no `Authorization: Bearer <jwt>` .......................... no_authorization_token
 *   `alg` not HS256/HS512 (HS384 etc. refused, [U]) ........... jwt_verification
 *   `access_key` missing or unknown ........................... invalid_access_key
 *   signature (secret = raw UTF-8 string), exp/nbf if present . jwt_verification
 *   `nonce` missing ........................................... jwt_verification
 *   `nonce` seen before for this key .......................... nonce_used
 *   query string present but `query_hash` missing/wrong ........ invalid_query_payload
 *
 * Every check is logged (`log`, the mock's `authLog`): where it came from, the raw token and the
 * verdict, so tests can decode the tokens the mock saw (a reused nonce, a token that leaked).
 *
 * `query_hash` = hex SHA-512 of the query string as the client built it. Clients hash the
 * unencoded text (`uuids[]=A`) but their HTTP library may percent-encode it on the wire, so the
 * hash is accepted against the raw and the decoded form.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { MockKey } from './options.js';

export type AuthErrorName =
  | 'no_authorization_token'
  | 'jwt_verification'
  | 'invalid_access_key'
  | 'nonce_used'
  | 'invalid_query_payload';

/** One JWT check as the mock saw it. */
export interface AuthRecord {
  /** The private WebSocket handshake or an exchange REST call. */
  readonly via: 'ws' | 'rest';
  /** The bearer token as received (undefined: none). */
  readonly token: string | undefined;
  readonly result: 'ok' | AuthErrorName;
}

export type AuthResult =
  | { readonly ok: true; readonly accessKey: string }
  | { readonly ok: false; readonly name: AuthErrorName; readonly message: string };

const ALGS = ['HS256', 'HS512'];
const NONCES_KEPT = 200_000;

export function sha512Hex(text: string): string {
  return createHash('sha512').update(text, 'utf8').digest('hex');
}

function bearer(header: string | undefined): string | undefined {
  const m = header && /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m ? m[1] : undefined;
}

export class Auth {
  private readonly secrets = new Map<string, Uint8Array>();
  private readonly nonces = new Set<string>();
  /** Every check, oldest first, up to `logLimit`. */
  readonly log: AuthRecord[] = [];

  constructor(
    keys: readonly MockKey[],
    private readonly logLimit = 10_000,
  ) {
    for (const k of keys) this.secrets.set(k.accessKey, new TextEncoder().encode(k.secretKey));
  }

  /** The access key a token claims, without verifying it (connect limits are per key, §7.1). */
  claimedKey(header: string | undefined): string | undefined {
    const token = bearer(header);
    if (!token) return undefined;
    try {
      const key = decodeJwt(token).access_key;
      return typeof key === 'string' ? key : undefined;
    } catch {
      return undefined;
    }
  }

  async verify(header: string | undefined, query?: string, via: AuthRecord['via'] = 'rest'): Promise<AuthResult> {
    const result = await this.check(header, query);
    this.log.push({ via, token: bearer(header), result: result.ok ? 'ok' : result.name });
    if (this.log.length > this.logLimit) this.log.shift();
    return result;
  }

  private async check(header: string | undefined, query?: string): Promise<AuthResult> {
    const token = bearer(header);
    if (!token) return fail('no_authorization_token', 'Authorization: Bearer <JWT> is required.');
    let alg: unknown;
    let claims: Record<string, unknown>;
    try {
      alg = decodeProtectedHeader(token).alg;
      claims = decodeJwt(token);
    } catch {
      return fail('jwt_verification', 'The JWT could not be decoded.');
    }
    if (typeof alg !== 'string' || !ALGS.includes(alg)) return fail('jwt_verification', `Unsupported alg ${String(alg)}.`);
    const accessKey = claims.access_key;
    const secret = typeof accessKey === 'string' ? this.secrets.get(accessKey) : undefined;
    if (!secret) return fail('invalid_access_key', 'Unknown access key.');
    try {
      await jwtVerify(token, secret, { algorithms: ALGS });
    } catch {
      return fail('jwt_verification', 'JWT signature verification failed.');
    }
    const nonce = claims.nonce;
    if ((typeof nonce !== 'string' && typeof nonce !== 'number') || nonce === '') {
      return fail('jwt_verification', 'The JWT has no nonce.');
    }
    const seen = `${accessKey as string}\u0000${String(nonce)}`;
    if (this.nonces.has(seen)) return fail('nonce_used', 'This nonce was already used.');
    this.nonces.add(seen);
    if (this.nonces.size > NONCES_KEPT) this.nonces.delete(this.nonces.values().next().value!);
    if (query) {
      const alg2 = claims.query_hash_alg;
      const hash = claims.query_hash;
      if (alg2 !== undefined && alg2 !== 'SHA512') return fail('invalid_query_payload', 'query_hash_alg must be SHA512.');
      if (typeof hash !== 'string' || !queryForms(query).some((q) => sha512Hex(q) === hash.toLowerCase())) {
        return fail('invalid_query_payload', 'query_hash does not match the query string.');
      }
    }
    return { ok: true, accessKey: accessKey as string };
  }
}

function queryForms(raw: string): string[] {
  const forms = [raw];
  try {
    const decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
    if (decoded !== raw) forms.push(decoded);
  } catch {
    /* not decodable: only the raw form */
  }
  return forms;
}

function fail(name: AuthErrorName, message: string): AuthResult {
  return { ok: false, name, message };
}
