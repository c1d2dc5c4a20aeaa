/**
 * encodeEvent ∘ decodeFrame: `decodeFrame(encodeEvent(e, f))[0].toJSON()` equals `e` for every
 * kind and every format, from hand-written events, generated ones and decoded views.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, type LazyView } from '../../src/io/decode.js';
import { encodeBatch, encodeEvent } from '../../src/io/encode.js';
import { FORMATS, KINDS, type Format, type UpbitMessage } from '../../src/io/fields.js';
import { UpbitValidationError } from '../../src/io/errors.js';
import { ALL_FIXTURES, ORDERBOOK_DEFAULT, TICKER_DEFAULT, TRADE_SIMPLE, prng } from './fixtures.js';
import { DATA_TABLES, expectExact, generate } from './helpers.js';

const json = (m: unknown) => (m as LazyView).toJSON();

function roundTrip(e: Record<string, unknown>, format: Format): Record<string, unknown> {
  const frame = encodeEvent(e as unknown as UpbitMessage, format);
  const out = decodeFrame(Buffer.from(frame));
  expect(out).toHaveLength(1);
  return json(out[0]);
}

describe('round trips of the hand-written events', () => {
  for (const f of ALL_FIXTURES) {
    for (const format of FORMATS) {
      it(`${f.name} → ${format}`, () => {
        const back = roundTrip(f.expected, format);
        expectExact(back, f.expected);
        expect(back).toEqual(f.expected);
      });
    }
  }
});

describe('the encoder writes what Upbit writes', () => {
  it('DEFAULT keys, SIMPLE abbreviations, LIST formats as one-element arrays', () => {
    const e = TICKER_DEFAULT.expected as unknown as UpbitMessage;
    expect(encodeEvent(e, 'DEFAULT')).toMatch(/^\{"type":"ticker","code":"KRW-BTC","opening_price":31883000,/);
    expect(encodeEvent(e, 'SIMPLE')).toMatch(/^\{"ty":"ticker","cd":"KRW-BTC","op":31883000,/);
    expect(encodeEvent(e, 'JSON_LIST')).toMatch(/^\[\{"type":"ticker",.*\}\]$/);
    expect(encodeEvent(e, 'SIMPLE_LIST')).toMatch(/^\[\{"ty":"ticker",.*\}\]$/);
    expect(encodeEvent(e, 'DEFAULT')).toContain('"acc_trade_price_24h":224012345678.98765432');
  });

  it('exact numbers: exponents and long Longs as JSON numbers, never through a double', () => {
    const [book] = decodeFrame(ORDERBOOK_DEFAULT.frame);
    const text = encodeEvent(book, 'SIMPLE');
    expect(text).toContain('"as":1e-8');
    expect(text).toContain('"bs":2500');
    const [trade] = decodeFrame(TRADE_SIMPLE.frame);
    expect(encodeEvent(trade, 'DEFAULT')).toContain('"sequential_id":17877285547970001');
  });

  it('leaves absent nullable fields absent and writes present nulls as null', () => {
    const text = encodeEvent({ ...(TICKER_DEFAULT.expected as object), delistingDate: undefined } as unknown as UpbitMessage);
    expect(text).not.toContain('delisting_date');
    expect(encodeEvent(TICKER_DEFAULT.expected as unknown as UpbitMessage)).toContain('"delisting_date":null,');
  });

  it('refuses a missing required field and an unknown type', () => {
    const bad = { ...(TICKER_DEFAULT.expected as object), tradePrice: undefined } as unknown as UpbitMessage;
    expect(() => encodeEvent(bad)).toThrow(UpbitValidationError);
    expect(() => encodeEvent({ type: 'myTrade' } as unknown as UpbitMessage)).toThrow(UpbitValidationError);
  });
});

describe('round trips of decoded views (decode → encode → decode)', () => {
  for (const f of ALL_FIXTURES) {
    it(f.name, () => {
      const [m] = decodeFrame(f.frame);
      for (const format of FORMATS) expectExact(json(decodeFrame(encodeEvent(m, format))[0]), f.expected);
    });
  }
});

describe('round trips of generated events (every kind, every format)', () => {
  const rand = prng(7);
  const kinds = DATA_TABLES;
  for (const [type, table] of kinds) {
    it(type, () => {
      for (let k = 0; k < 40; k++) {
        const [, e] = generate(table, rand, k % 2 === 0, false, { type: [JSON.stringify(type), type] });
        for (const format of FORMATS) expectExact(roundTrip(e, format), e);
      }
    });
  }

  it('listSubscriptions, status and error', () => {
    for (let k = 0; k < 40; k++) {
      const [, list] = generate(KINDS.listSubscriptions, rand, true, false, { method: ['', 'LIST_SUBSCRIPTIONS'] });
      const [, err] = generate(KINDS.error, rand, true, false);
      for (const format of FORMATS) {
        expectExact(roundTrip({ type: 'listSubscriptions', ...list }, format), { type: 'listSubscriptions', ...list });
        expectExact(roundTrip({ type: 'error', ...err }, format), { type: 'error', ...err });
        expectExact(roundTrip({ type: 'status', status: `UP${k}` }, format), { type: 'status', status: `UP${k}` });
      }
    }
  });
});

describe('encodeBatch', () => {
  it('puts several messages in one LIST frame that decodes back in order', () => {
    const events = ALL_FIXTURES.map((f) => f.expected as unknown as UpbitMessage);
    for (const format of ['JSON_LIST', 'SIMPLE_LIST'] as const) {
      const out = decodeFrame(encodeBatch(events, format));
      expect(out).toHaveLength(events.length);
      out.forEach((m, i) => expectExact(json(m), ALL_FIXTURES[i].expected));
    }
  });
});
