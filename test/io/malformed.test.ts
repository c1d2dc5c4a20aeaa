/**
 * Bad frames: each kind of damage gives an UpbitDecodeError with the right code, and random
 * damage never gives anything else (nor hangs, nor leaves a message that throws when read).
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, isWellFormedJson, type LazyView } from '../../src/io/decode.js';
import { UpbitDecodeError, UpbitError } from '../../src/io/errors.js';
import { KINDS, type Table } from '../../src/io/fields.js';
import {
  ALL_FIXTURES,
  ANNOUNCEMENT_SIMPLE,
  LIST_DEFAULT,
  MY_ASSET_DEFAULT,
  MY_ORDER_DEFAULT,
  ORDERBOOK_DEFAULT,
  ORDERBOOK_SIMPLE,
  TICKER_DEFAULT,
  TICKER_SIMPLE,
  TRADE_DEFAULT,
  prng,
} from './fixtures.js';
import { decodeErrorOf, withValue, without } from './helpers.js';
import { mutate } from './differential.js'; // byte damage and member surgery, shared with the differential test

const codeOf = (frame: string | Uint8Array) => decodeErrorOf(() => decodeFrame(frame)).code;

describe('DECODE_EMPTY', () => {
  it('empty and whitespace-only frames, text and binary', () => {
    for (const f of ['', ' ', ' \r\n\t ', Buffer.alloc(0), Buffer.from('  \n'), new Uint8Array(0)]) {
      expect(codeOf(f)).toBe('DECODE_EMPTY');
    }
  });
});

describe('DECODE_UTF8', () => {
  const cases: [string, number[]][] = [
    ['a lone continuation byte', [0x80]],
    ['0xff', [0xff]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-8-encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated 3-byte sequence', [0xe2, 0x82]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [name, bytes] of cases) {
    it(`${name}, inside a string value`, () => {
      const frame = Buffer.concat([Buffer.from('{"status":"UP'), Buffer.from(bytes), Buffer.from('"}')]);
      expect(codeOf(frame)).toBe('DECODE_UTF8');
      expect(codeOf(new Uint8Array(frame))).toBe('DECODE_UTF8');
    });
  }
  it('invalid bytes in an otherwise ASCII ticker, and in a non-ASCII announcement', () => {
    const t = Buffer.from(TICKER_DEFAULT.frame);
    t[30] = 0xfe;
    expect(codeOf(t)).toBe('DECODE_UTF8');
    const a = Buffer.from(ANNOUNCEMENT_SIMPLE.frame);
    a[a.indexOf(0xea)] = 0xc0; // damage the first Hangul syllable's lead byte
    expect(codeOf(a)).toBe('DECODE_UTF8');
  });
});

describe('DECODE_JSON', () => {
  it('every truncation of every fixture', () => {
    for (const f of ALL_FIXTURES) {
      const bytes = Buffer.from(f.frame);
      for (let n = 1; n < bytes.length; n++) {
        const code = codeOf(bytes.subarray(0, n));
        // cutting a multi-byte character in two is invalid UTF-8 before it is truncated JSON
        expect(['DECODE_JSON', 'DECODE_UTF8'], `${f.name} cut at ${n}`).toContain(code);
        if (bytes[n] < 0x80 || bytes[n] >= 0xc0) expect(code, `${f.name} cut at ${n}`).toBe('DECODE_JSON');
      }
      expect(codeOf(`[${f.frame}`)).toBe('DECODE_JSON');
    }
  });

  it('trailing garbage', () => {
    for (const tail of ['x', '}', ']', ',', '{}', ' 1', '\u0000', ' {"status":"UP"}']) {
      expect(codeOf(TRADE_DEFAULT.frame + tail), JSON.stringify(tail)).toBe('DECODE_JSON');
    }
    expect(codeOf(`[${TRADE_DEFAULT.frame}],`)).toBe('DECODE_JSON');
    expect(codeOf(`[${TRADE_DEFAULT.frame},]`)).toBe('DECODE_JSON');
  });

  it('bad escapes and raw control characters in strings and keys', () => {
    const bad = ['"\\x"', '"\\u12G4"', '"\\u12"', '"\\', '"a\u0001b"', '"tab\there"', '"line\nbreak"', "'single'"];
    for (const value of bad) {
      expect(codeOf(withValue(TRADE_DEFAULT.frame, 'code', value)), value).toBe('DECODE_JSON');
      expect(codeOf(Buffer.from(withValue(TRADE_DEFAULT.frame, 'code', value))), value).toBe('DECODE_JSON');
    }
    expect(codeOf(`{"type":"trade","co\nde":1}`)).toBe('DECODE_JSON');
    expect(codeOf(`{"ty\\q":"trade"}`)).toBe('DECODE_JSON');
  });

  it('numbers outside the JSON grammar', () => {
    for (const n of ['01', '1.', '.5', '-', '1e', '1e+', '+1', '--1', 'NaN', 'Infinity', '0x10', '1.2.3', '١']) {
      expect(codeOf(withValue(TRADE_DEFAULT.frame, 'trade_price', n)), n).toBe('DECODE_JSON');
    }
  });

  it('structural damage', () => {
    for (const frame of ['{', '{"type"}', '{"type":}', '{"type" "trade"}', '{type:"trade"}', '{"a":1,}', '[1 2]', '{"a":tru}', '{"a":nul}', '}', 'x']) {
      expect(codeOf(frame), frame).toBe('DECODE_JSON');
    }
  });

  it("a list element whose first key lacks its opening quote (the element walk once took any byte for it)", () => {
    const units = ORDERBOOK_DEFAULT.frame.replace('},{"ask_price"', '},{;ask_price"');
    const assets = MY_ASSET_DEFAULT.frame.replace(/\{"currency"/, '{xcurrency"');
    for (const frame of [units, assets]) {
      expect(frame).not.toBe(ORDERBOOK_DEFAULT.frame);
      expect(frame).not.toBe(MY_ASSET_DEFAULT.frame);
      decodeFrame(ORDERBOOK_DEFAULT.frame); // the learned key order (the element walk's fast key check) is in place
      decodeFrame(MY_ASSET_DEFAULT.frame);
      expect(decodeErrorOf(() => decodeFrame(frame)).message, frame).toMatch(/^malformed JSON: expected a key at offset \d+$/);
      expect(isWellFormedJson(frame)).toBe(false);
    }
  });

  it('malformed JSON anywhere wins over an earlier semantic problem', () => {
    const wrongType = withValue(TRADE_DEFAULT.frame, 'trade_price', '"x"');
    expect(codeOf(wrongType)).toBe('DECODE_FIELD');
    expect(codeOf(wrongType.slice(0, -2))).toBe('DECODE_JSON');
    expect(codeOf(`[{"type":"myTrade"},${TRADE_DEFAULT.frame.slice(0, -1)}`)).toBe('DECODE_JSON');
  });

  it('absurd nesting is a decode error, not a crash', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const err = decodeErrorOf(() => decodeFrame(`{"type":"status","status":"UP","x":${deep}}`));
    expect(['DECODE_JSON', 'DECODE_UNKNOWN_TYPE']).toContain(err.code);
  });
});

describe('DECODE_UNKNOWN_TYPE', () => {
  it('unknown or removed types, non-string types, objects without a discriminant', () => {
    const frames = [
      '{"type":"myTrade","code":"KRW-BTC"}',
      '{"ty":"candle.2m","cd":"KRW-BTC"}',
      '{"type":"candle.","code":"KRW-BTC"}',
      '{"type":"Ticker","code":"KRW-BTC"}',
      '{"code":"KRW-BTC","type":5}',
      '{"type":null}',
      '{"code":"KRW-BTC","trade_price":1}',
      '{}',
    ];
    for (const f of frames) {
      expect(codeOf(f), f).toBe('DECODE_UNKNOWN_TYPE');
      expect(codeOf(Buffer.from(f)), f).toBe('DECODE_UNKNOWN_TYPE');
    }
  });

  it('JSON values that are not objects', () => {
    for (const f of ['123', '"PING"', 'null', 'true', '[1]', '[[]]', `[${TRADE_DEFAULT.frame},"x"]`]) {
      expect(codeOf(f), f).toBe('DECODE_UNKNOWN_TYPE');
    }
  });

  it('an unknown type inside a LIST frame fails the frame', () => {
    expect(codeOf(`[${TRADE_DEFAULT.frame},{"type":"myTrade"}]`)).toBe('DECODE_UNKNOWN_TYPE');
  });
});

describe('DECODE_FIELD', () => {
  const wrong: [string, string, string][] = [
    // [frame, key, raw JSON value]
    [TRADE_DEFAULT.frame, 'trade_price', '"100571000"'], // string where a decimal is
    [TRADE_DEFAULT.frame, 'trade_price', 'true'],
    [TRADE_DEFAULT.frame, 'trade_price', 'null'], // null where required
    [TRADE_DEFAULT.frame, 'code', '123'], // number where a string is
    [TRADE_DEFAULT.frame, 'ask_bid', 'null'],
    [TRADE_DEFAULT.frame, 'timestamp', '1730336862082.5'], // float where an integer is
    [TRADE_DEFAULT.frame, 'timestamp', '1.730336862082e12'],
    [TRADE_DEFAULT.frame, 'timestamp', '"1730336862082"'],
    [TRADE_DEFAULT.frame, 'timestamp', '12345678901234567'], // beyond 2^53: would lose digits
    [TRADE_DEFAULT.frame, 'sequential_id', '1.5'],
    [TRADE_DEFAULT.frame, 'sequential_id', '"17303368620470000"'],
    [TRADE_DEFAULT.frame, 'stream_type', '{}'],
    [MY_ORDER_DEFAULT.frame, 'trades_count', '1.5'],
    [MY_ORDER_DEFAULT.frame, 'is_maker', '"true"'],
    [MY_ORDER_DEFAULT.frame, 'is_maker', '1'],
    [MY_ORDER_DEFAULT.frame, 'uuid', 'null'],
    [ORDERBOOK_DEFAULT.frame, 'orderbook_units', '{}'],
    [ORDERBOOK_DEFAULT.frame, 'orderbook_units', '[1]'],
    [ORDERBOOK_DEFAULT.frame, 'orderbook_units', '[{"ask_price":1,"bid_price":2,"ask_size":3}]'], // bid_size missing
    [ORDERBOOK_DEFAULT.frame, 'orderbook_units', '[{"ask_price":"1","bid_price":2,"ask_size":3,"bid_size":4}]'],
    [ORDERBOOK_DEFAULT.frame, 'orderbook_units', 'null'],
    [MY_ASSET_DEFAULT.frame, 'assets', '[{"currency":"KRW","balance":1}]'],
    [LIST_DEFAULT.frame, 'result', '[{"type":"ticker","codes":[1]}]'], // a list of strings holding a number
    [LIST_DEFAULT.frame, 'result', '[{"type":"ticker","codes":"KRW-BTC"}]'],
    [LIST_DEFAULT.frame, 'ticket', '1.5'],
  ];
  for (const [frame, key, value] of wrong) {
    it(`${key}: ${value}`, () => {
      const bad = withValue(frame, key, value);
      expect(codeOf(bad)).toBe('DECODE_FIELD');
      expect(codeOf(Buffer.from(`[${bad}]`))).toBe('DECODE_FIELD');
    });
  }

  it('in SIMPLE frames too', () => {
    expect(codeOf(withValue(TICKER_SIMPLE.frame, 'atp24h', '"x"'))).toBe('DECODE_FIELD');
    expect(codeOf(withValue(ORDERBOOK_SIMPLE.frame, 'obu', '[{"ap":1,"bp":2,"as":3,"bs":"4"}]'))).toBe('DECODE_FIELD');
  });

  it('every required field missing, one at a time, in every kind (DEFAULT and SIMPLE)', () => {
    const frames: [string, Table][] = [
      [TICKER_DEFAULT.frame, KINDS.ticker],
      [TICKER_SIMPLE.frame, KINDS.ticker],
      [TRADE_DEFAULT.frame, KINDS.trade],
      [ORDERBOOK_SIMPLE.frame, KINDS.orderbook],
      [MY_ORDER_DEFAULT.frame, KINDS.myOrder],
      [MY_ASSET_DEFAULT.frame, KINDS.myAsset],
      [ANNOUNCEMENT_SIMPLE.frame, KINDS.announcement],
    ];
    for (const [frame, table] of frames) {
      const simple = frame.startsWith('{"ty"');
      for (const row of table.filter((r) => !r.kind.nullable && r.name !== 'type')) {
        const err = decodeErrorOf(() => decodeFrame(without(frame, simple ? row.simple : row.wire)));
        expect(err.code, row.wire).toBe('DECODE_FIELD');
        expect(err.message).toContain(row.wire);
      }
    }
  });

  it('a second, different `type` key cannot disagree with the first', () => {
    expect(codeOf(`${TRADE_DEFAULT.frame.slice(0, -1)},"type":"ticker"}`)).toBe('DECODE_FIELD');
  });

  it('an error frame whose error is not an object', () => {
    expect(codeOf('{"error":"INVALID_AUTH"}')).toBe('DECODE_FIELD');
    expect(codeOf('{"error":{"message":"no name"}}')).toBe('DECODE_FIELD');
  });
});

describe('errors carry what a caller needs', () => {
  it('class, name, code, offset and message', () => {
    const err = decodeErrorOf(() => decodeFrame(withValue(TRADE_DEFAULT.frame, 'trade_price', '"x"')));
    expect(err).toBeInstanceOf(UpbitError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('UpbitDecodeError');
    expect(err.code).toBe('DECODE_FIELD');
    expect(err.message).toMatch(/trade_price \(tp\)/);
    expect(typeof err.offset).toBe('number');
    const json = decodeErrorOf(() => decodeFrame('{"a":}'));
    expect(json.offset).toBe(5);
  });

  it('wraps an unexpected internal failure (deep nesting) with its cause', () => {
    const err = decodeErrorOf(() => decodeFrame(`${'['.repeat(300_000)}`));
    expect(err.code).toBe('DECODE_JSON');
  });
});

describe('fuzz: random damage never escapes as anything but UpbitDecodeError', () => {
  it('20 000 mutations of every fixture (single and repeated damage)', () => {
    const rand = prng(0xf022);
    const seeds = [...ALL_FIXTURES.map((f) => Buffer.from(f.frame)), Buffer.from(`[${ORDERBOOK_DEFAULT.frame},${TRADE_DEFAULT.frame}]`)];
    const codes = new Map<string, number>();
    let decoded = 0;
    for (let k = 0; k < 20_000; k++) {
      let frame: Buffer = seeds[k % seeds.length];
      const rounds = 1 + Math.floor(rand() * 3);
      for (let r = 0; r < rounds; r++) frame = mutate(rand, frame);
      try {
        const out = decodeFrame(k % 2 ? frame : frame.toString('latin1'));
        // whatever decoded must be fully readable: validation happened up front
        for (const m of out) (m as unknown as LazyView).toJSON();
        decoded++;
      } catch (err) {
        if (!(err instanceof UpbitDecodeError)) throw new Error(`mutation ${k} threw ${String(err)}: ${frame.toString('latin1')}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      }
    }
    // the mutations reach every kind of failure, and some survive as valid frames
    expect([...codes.keys()].sort()).toEqual(['DECODE_EMPTY', 'DECODE_FIELD', 'DECODE_JSON', 'DECODE_UNKNOWN_TYPE', 'DECODE_UTF8']);
    expect(decoded).toBeGreaterThan(100);
  });

  it('isWellFormedJson agrees with JSON.parse on mutated frames', () => {
    const rand = prng(0x15f);
    for (let k = 0; k < 5000; k++) {
      const text = mutate(rand, Buffer.from(ALL_FIXTURES[k % ALL_FIXTURES.length].frame)).toString('latin1');
      let ok = true;
      try {
        JSON.parse(text);
      } catch {
        ok = false;
      }
      expect(isWellFormedJson(text), text).toBe(ok);
    }
  });
});
