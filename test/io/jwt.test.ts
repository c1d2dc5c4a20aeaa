/**
 * JWT signing (protocol §8): the raw secret key as the HMAC key, a fresh nonce every time,
 * query_hash for REST, and keys that cannot be printed by accident.
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { Credentials, UpbitValidationError, signConnectToken, signRestToken, tokenExpiry } from '../../src/io/index.js';

const keys = { accessKey: 'ak-1234567890', secretKey: 'sk-secret-0987654321' };
const secret = new TextEncoder().encode(keys.secretKey);

describe('JWT', () => {
  it('signs {access_key, nonce} with HS512 by default, verifiable with the raw secret', async () => {
    const token = await signConnectToken(new Credentials(keys));
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS512', typ: 'JWT' });
    const { payload } = await jwtVerify(token, secret);
    expect(Object.keys(payload).sort()).toEqual(['access_key', 'nonce']);
    expect(payload.access_key).toBe(keys.accessKey);
  });

  it('signs HS256 on request', async () => {
    const token = await signConnectToken(new Credentials(keys), 'HS256');
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    await expect(jwtVerify(token, secret)).resolves.toBeTruthy();
  });

  it('uses a new nonce for every token', async () => {
    const c = new Credentials(keys);
    const nonces = new Set<unknown>();
    for (let i = 0; i < 20; i++) nonces.add((await jwtVerify(await signConnectToken(c), secret)).payload.nonce);
    expect(nonces.size).toBe(20);
  });

  it('adds query_hash (hex SHA-512 of the exact query string) for REST calls with parameters', async () => {
    const query = 'market=KRW-BTC&states[]=wait&states[]=watch';
    const { payload } = await jwtVerify(await signRestToken(new Credentials(keys), query), secret);
    expect(payload.query_hash).toBe(createHash('sha512').update(query).digest('hex'));
    expect(payload.query_hash_alg).toBe('SHA512');
    const bare = await jwtVerify(await signRestToken(new Credentials(keys)), secret);
    expect(bare.payload.query_hash).toBeUndefined();
  });

  it('never prints the keys', () => {
    const c = new Credentials(keys);
    for (const text of [JSON.stringify({ c }), String(c), inspect(c), inspect({ nested: { c } })]) {
      expect(text).not.toContain(keys.secretKey);
      expect(text).not.toContain(keys.accessKey);
    }
  });

  it('refuses empty keys with a typed error that does not echo them', () => {
    expect(() => new Credentials({ accessKey: '', secretKey: 'x' })).toThrow(UpbitValidationError);
    try {
      new Credentials({ accessKey: 'visible-access', secretKey: '' });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('visible-access');
    }
  });

  it('reads exp without verifying, and tolerates garbage', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_800_000_000 })).toString('base64url');
    expect(tokenExpiry(`x.${payload}.y`)).toBe(1_800_000_000_000);
    expect(tokenExpiry('not-a-jwt')).toBeUndefined();
    expect(tokenExpiry('a.!!!.b')).toBeUndefined();
  });
});
