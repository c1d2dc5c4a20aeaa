/**
 * The error classes: name, code and cause on each; UpbitServerError.parse on error frames.
 */
import { describe, expect, it } from 'vitest';
import {
  UnauthorizedError,
  UpbitCallbackError,
  UpbitConnectionError,
  UpbitDecodeError,
  UpbitError,
  UpbitServerError,
  UpbitValidationError,
} from '../../src/io/errors.js';
import { ERROR_AUTH, STATUS_UP, TICKER_DEFAULT } from './fixtures.js';

describe('UpbitServerError.parse', () => {
  it('parses a WebSocket error frame given as text', () => {
    const err = UpbitServerError.parse(ERROR_AUTH.frame)!;
    expect(err).toBeInstanceOf(UpbitServerError);
    expect(err).toBeInstanceOf(UpbitError);
    expect(err.name).toBe('UpbitServerError');
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.serverName).toBe('INVALID_AUTH');
    expect(err.serverMessage).toBe('인증 정보가 올바르지 않습니다.');
    expect(err.message).toBe('Upbit error INVALID_AUTH: 인증 정보가 올바르지 않습니다.');
  });

  it('parses an already-parsed object, with or without a message', () => {
    const err = UpbitServerError.parse({ error: { name: 'WRONG_FORMAT' } })!;
    expect(err.serverName).toBe('WRONG_FORMAT');
    expect(err.serverMessage).toBeNull();
    expect(err.message).toBe('Upbit error WRONG_FORMAT');
    expect(UpbitServerError.parse({ error: { name: 'NO_TICKET', message: 42 } })!.serverMessage).toBeNull();
  });

  it('accepts the REST quotation form, whose name is a number', () => {
    const err = UpbitServerError.parse('{"error":{"name":400,"message":"Invalid parameter. Check the given value!"}}')!;
    expect(err.serverName).toBe('400');
    expect(err.serverMessage).toBe('Invalid parameter. Check the given value!');
    expect(UpbitServerError.parse({ error: { name: 404, message: 'Code not found' } })!.serverName).toBe('404');
  });

  it('keeps names with spaces (Too Many Requests, I\'m a teapot)', () => {
    expect(UpbitServerError.parse('{"error":{"name":"Too Many Requests"}}')!.serverName).toBe('Too Many Requests');
    expect(UpbitServerError.parse({ error: { name: "I'm a teapot" } })!.serverName).toBe("I'm a teapot");
  });

  it('is undefined for anything that is not an error frame', () => {
    for (const frame of [
      STATUS_UP.frame,
      TICKER_DEFAULT.frame,
      'PING',
      '',
      '{"error":null}',
      '{"error":"INVALID_AUTH"}',
      '{"error":{"message":"no name"}}',
      '{"error":{"name":null}}',
      '{"error":{"name":{"x":1}}}',
      'null',
      '[]',
    ]) {
      expect(UpbitServerError.parse(frame), frame).toBeUndefined();
    }
    expect(UpbitServerError.parse({})).toBeUndefined();
    expect(UpbitServerError.parse(null as unknown as string)).toBeUndefined();
  });
});

describe('every error class has name, code and cause', () => {
  const cause = new Error('root');
  const cases: [UpbitError, string, string, unknown][] = [
    [new UpbitDecodeError('DECODE_JSON', 'm', 3, cause), 'UpbitDecodeError', 'DECODE_JSON', cause],
    [new UpbitValidationError('INVALID_CODE', 'm'), 'UpbitValidationError', 'INVALID_CODE', undefined],
    [new UpbitServerError('INVALID_AUTH', null), 'UpbitServerError', 'SERVER_ERROR', undefined],
    [new UpbitConnectionError('m', cause), 'UpbitConnectionError', 'CONNECTION', cause],
    [new UnauthorizedError(undefined, cause), 'UnauthorizedError', 'UNAUTHORIZED', cause],
    [new UpbitCallbackError('m', cause), 'UpbitCallbackError', 'CALLBACK', cause],
    [new UpbitError('STOPPED', 'm', { cause }), 'UpbitError', 'STOPPED', cause],
  ];
  for (const [err, name, code, c] of cases) {
    it(name, () => {
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(UpbitError);
      expect(err.name).toBe(name);
      expect(err.code).toBe(code);
      expect(err.cause).toBe(c);
      expect(String(err)).toMatch(new RegExp(`^${name}: `));
      expect(err.stack).toContain(name);
    });
  }

  it('UpbitDecodeError keeps the offset', () => {
    expect(new UpbitDecodeError('DECODE_FIELD', 'm', 17).offset).toBe(17);
    expect(new UpbitDecodeError('DECODE_EMPTY', 'm').offset).toBeUndefined();
  });
});
