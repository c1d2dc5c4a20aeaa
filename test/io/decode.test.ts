/**
 * decodeFrame: every field of every message kind, in every format and frame kind, decodes to the
 * right camelCase name and exact value. Fixtures are hand-written from the protocol doc
 * (fixtures.ts); the last block adds frames generated from the field table for completeness.
 */
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeFrameInto, decodeFrameWalk, decodeOwnedInto, LazyView } from '../../src/io/decode.js';
import { decodeFast } from '../../src/io/fast.js';
import { ELEMENT_LIMIT } from '../../src/io/scratch.js';
import { UpbitDecodeError } from '../../src/io/errors.js';
import { CANDLE_TYPES, KINDS, tableOf, TRADE, type Table } from '../../src/io/fields.js';
import {
  ALL_FIXTURES,
  ANNOUNCEMENT_SIMPLE,
  CANDLE_UNITS_DOC,
  isSimpleFrame,
  LIST_DEFAULT,
  MY_ASSET_DEFAULT,
  ORDERBOOK_DEFAULT,
  ORDERBOOK_SIMPLE,
  prng,
  TICKER_DEFAULT,
  TICKER_SIMPLE,
  TRADE_DEFAULT,
  TRADE_SIMPLE,
  type Fixture,
} from './fixtures.js';
import { DATA_TABLES, expectExact, generate, members, objectOf, spaced, without } from './helpers.js';

const json = (m: unknown) => (m as LazyView).toJSON();

/** Decode and expect exactly one message equal to the fixture's expectation. */
function expectDecodes(frame: string | Uint8Array, f: Fixture): void {
  const out = decodeFrame(frame);
  expect(out).toHaveLength(1);
  expectExact(json(out[0]), f.expected);
  expect(json(out[0])).toEqual(f.expected);
}

/** A Uint8Array that is not a Buffer and does not start at offset 0 of its ArrayBuffer. */
function plainBytes(text: string): Uint8Array {
  const bytes = Buffer.from(text);
  const backing = new Uint8Array(bytes.length + 7);
  backing.set(bytes, 3);
  return new Uint8Array(backing.buffer, 3, bytes.length);
}

describe('every fixture decodes to the right names and exact values', () => {
  for (const f of ALL_FIXTURES) {
    describe(f.name, () => {
      it('as a text frame', () => expectDecodes(f.frame, f));
      it('as a binary Buffer frame', () => expectDecodes(Buffer.from(f.frame), f));
      it('as a binary Uint8Array frame (not a Buffer, offset view)', () => expectDecodes(plainBytes(f.frame), f));
      it(`as a ${isSimpleFrame(f) ? 'SIMPLE_LIST' : 'JSON_LIST'} frame`, () => {
        expectDecodes(`[${f.frame}]`, f);
        expectDecodes(Buffer.from(`[${f.frame}]`), f);
      });
      it('with whitespace everywhere JSON allows it', () => expectDecodes(Buffer.from(spaced(f.frame)), f));
      it('whatever the key order (discriminant last)', () => {
        expectDecodes(objectOf(members(f.frame).reverse()), f);
      });
    });
  }

  it('the fixtures cover every key of every table, DEFAULT and SIMPLE, nested tables too', () => {
    const check = (t: Table, fixtures: readonly Fixture[]) => {
      for (const row of t) {
        expect(fixtures.some((f) => !isSimpleFrame(f) && f.frame.includes(`"${row.wire}":`)), row.wire).toBe(true);
        expect(fixtures.some((f) => isSimpleFrame(f) && f.frame.includes(`"${row.simple}":`)), row.simple).toBe(true);
        if (row.kind.t === 'list') check(row.kind.of, fixtures);
      }
    };
    for (const t of [KINDS.ticker, KINDS.trade, KINDS.orderbook, KINDS.candle, KINDS.myOrder, KINDS.myAsset, KINDS.announcement]) {
      check(t, ALL_FIXTURES.filter((f) => tableOf(String(f.expected.type)) === t));
    }
    check(KINDS.listSubscriptions, ALL_FIXTURES.filter((f) => f.expected.type === 'listSubscriptions'));
  });

  it('decodes all nine candle units, each to its own type', () => {
    expect(CANDLE_TYPES).toEqual(CANDLE_UNITS_DOC.map((u) => `candle.${u}`));
    for (const u of CANDLE_UNITS_DOC) {
      const [m] = decodeFrame(`{"ty":"candle.${u}","cd":"KRW-ETH","cdttmu":"a","cdttmk":"b","op":1,"hp":2,"lp":0.5,"tp":1.5,"catv":3,"catp":4,"tms":1,"st":"SNAPSHOT"}`);
      expect(m.type).toBe(`candle.${u}`);
    }
  });
});

describe('frames with several messages', () => {
  it('decodes a JSON_LIST frame batching several kinds, in order', () => {
    const out = decodeFrame(Buffer.from(`[${TICKER_DEFAULT.frame}, ${TRADE_DEFAULT.frame},${ORDERBOOK_DEFAULT.frame}]`));
    expect(out.map((m) => m.type)).toEqual(['ticker', 'trade', 'orderbook']);
    expectExact(json(out[0]), TICKER_DEFAULT.expected);
    expectExact(json(out[1]), TRADE_DEFAULT.expected);
    expectExact(json(out[2]), ORDERBOOK_DEFAULT.expected);
  });

  it('decodes a SIMPLE_LIST frame batching several kinds', () => {
    const out = decodeFrame(`[${TICKER_SIMPLE.frame},${TRADE_SIMPLE.frame},${ORDERBOOK_SIMPLE.frame}]`);
    expect(out.map((m) => m.type)).toEqual(['ticker', 'trade', 'orderbook']);
    expectExact(json(out[2]), ORDERBOOK_SIMPLE.expected);
  });

  it('an empty LIST frame is no messages', () => {
    expect(decodeFrame('[]')).toEqual([]);
    expect(decodeFrame(Buffer.from(' [ ] '))).toEqual([]);
  });
});

describe('the decoded message', () => {
  it('has type, code and streamType as own properties and nothing else enumerable of its own', () => {
    const [m] = decodeFrame(Buffer.from(TRADE_DEFAULT.frame));
    expect(Object.keys(m)).toEqual(['type', 'code', 'streamType']);
    expect(m).toMatchObject({ type: 'trade', code: 'KRW-BTC', streamType: 'REALTIME' });
    expect(m).toBeInstanceOf(LazyView);
  });

  it('reads other fields through getters, decoded once and cached (same Decimal each read)', () => {
    const [m] = decodeFrame(TRADE_DEFAULT.frame);
    const t = m as unknown as { tradePrice: Decimal; sequentialId: string };
    expect(t.tradePrice).toBeInstanceOf(Decimal);
    expect(t.tradePrice).toBe(t.tradePrice);
    expect(t.sequentialId).toBe('17303368620470000');
  });

  it('keeps sequential_id above 2^53 exactly, as a digit string; timestamps are numbers', () => {
    const [m] = decodeFrame(TRADE_SIMPLE.frame);
    const t = m as unknown as { sequentialId: string; timestamp: number; tradeTimestamp: number };
    expect(17877285547970001 > Number.MAX_SAFE_INTEGER).toBe(true);
    expect(t.sequentialId).toBe('17877285547970001');
    expect(String(Number(t.sequentialId))).not.toBe(t.sequentialId); // a double could not have held it
    expect(typeof t.timestamp).toBe('number');
    expect(t.timestamp).toBe(1730336862082);
    expect(Number.isSafeInteger(t.tradeTimestamp)).toBe(true);
  });

  it('toJSON() is a plain object, nested list elements too; JSON.stringify prints decimals as exact strings', () => {
    const [m] = decodeFrame(ORDERBOOK_DEFAULT.frame);
    const plain = json(m) as { orderbookUnits: object[] };
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(plain.orderbookUnits[0])).toBe(Object.prototype);
    expect(Object.keys(plain.orderbookUnits[0])).toEqual(['askPrice', 'bidPrice', 'askSize', 'bidSize']);
    const text = JSON.stringify(m);
    expect(text).toContain('"askSize":"1e-8"');
    expect(text).toContain('"bidSize":"2500"');
    expect(text).toContain('"totalAskSize":"4.79158413"');
  });

  it('nested lists are frozen arrays of views', () => {
    const [m] = decodeFrame(MY_ASSET_DEFAULT.frame);
    const assets = (m as unknown as { assets: readonly { currency: string; balance: Decimal }[] }).assets;
    expect(Object.isFrozen(assets)).toBe(true);
    expect(assets[1].currency).toBe('BTC');
    expect(assets[0].balance.toString()).toBe('1386929.37231066771348207123');
  });

  it('does not change when the caller reuses the frame buffer afterwards (ASCII and non-ASCII frames)', () => {
    for (const f of [TICKER_DEFAULT, ANNOUNCEMENT_SIMPLE]) {
      const buf = Buffer.from(f.frame);
      const [m] = decodeFrame(buf);
      buf.fill(0x20);
      expectExact(json(m), f.expected);
    }
  });

  it('decodes non-ASCII text exactly, in text and binary frames', () => {
    for (const frame of [ANNOUNCEMENT_SIMPLE.frame, Buffer.from(ANNOUNCEMENT_SIMPLE.frame)]) {
      const [m] = decodeFrame(frame);
      expect((m as unknown as { title: string }).title).toBe('[거래] 비트코인(BTC) KRW 마켓 디지털 자산 추가');
      expect((m as unknown as { body: string }).body).toBe('## 안내\n\n"BTC" 거래 지원 — tab:\there');
    }
    // a legitimate U+FFFD in a binary frame is not mistaken for invalid UTF-8
    const [m] = decodeFrame(Buffer.from('{"status":"UP \uFFFD"}'));
    expect((m as unknown as { status: string }).status).toBe('UP \uFFFD');
  });
});

describe('tolerance', () => {
  it('ignores unknown extra fields, legacy fields and escaped keys, whatever their value', () => {
    const extra = [
      '"trade_status":null',
      '"market_state_for_ios":"ACTIVE"',
      '"future":{"a":[1,2.5e3,{"b":"c\\"d"}],"n":null,"t":true}',
      '"\\u0063ode":"KRW-ETH"', // an escaped spelling of "code" is not the code field
      '"":0',
    ];
    const frame = objectOf([...members(TICKER_DEFAULT.frame).slice(0, 3), ...extra, ...members(TICKER_DEFAULT.frame).slice(3)]);
    expectDecodes(frame, TICKER_DEFAULT);
    expectDecodes(Buffer.from(frame), TICKER_DEFAULT);
  });

  it('decodes an absent nullable field as null', () => {
    let frame = TRADE_DEFAULT.frame;
    for (const k of ['best_ask_price', 'best_ask_size', 'best_bid_price', 'best_bid_size']) frame = without(frame, k);
    const [m] = decodeFrame(frame);
    expect(json(m)).toMatchObject({ bestAskPrice: null, bestAskSize: null, bestBidPrice: null, bestBidSize: null });
    for (const row of TRADE.filter((r) => !r.kind.nullable)) expect(json(m)[row.name]).not.toBeNull();
  });

  it('takes the later of duplicate keys, as JSON.parse does', () => {
    const [m] = decodeFrame(`${TRADE_DEFAULT.frame.slice(0, -1)},"trade_price":1.5}`);
    expect((m as unknown as { tradePrice: Decimal }).tradePrice.toString()).toBe('1.5');
  });

  it('learns a changed key order and keeps decoding correctly across alternating orders and formats', () => {
    const orders = [TICKER_DEFAULT.frame, objectOf(members(TICKER_DEFAULT.frame).reverse()), TICKER_SIMPLE.frame];
    for (let i = 0; i < 30; i++) {
      const f = orders[i % 3];
      expectExact(json(decodeFrame(Buffer.from(f))[0]), (i % 3 === 2 ? TICKER_SIMPLE : TICKER_DEFAULT).expected);
    }
  });

  it('decodes a LIST_SUBSCRIPTIONS answer whose orderbook codes keep their depth suffix', () => {
    const [m] = decodeFrame(LIST_DEFAULT.frame.replace('"codes":["KRW-BTC","KRW-ETH"],"level"', '"codes":["KRW-BTC.15"],"level"'));
    expect((json(m).result as { codes: string[] }[])[1].codes).toEqual(['KRW-BTC.15']);
  });
});

describe('generated from the field table (every kind, both key styles, random values)', () => {
  const rand = prng(20251122);
  const data = DATA_TABLES;
  for (const [type, table] of data) {
    it(`${type}: 100 random messages, DEFAULT and SIMPLE, with and without nulls`, () => {
      for (let k = 0; k < 100; k++) {
        const simple = k % 2 === 1;
        const [frame, expected] = generate(table, rand, k % 4 > 1, simple, { type: [JSON.stringify(type), type] });
        const out = decodeFrame(k % 3 === 0 ? frame : Buffer.from(frame));
        expect(out).toHaveLength(1);
        expectExact(json(out[0]), expected);
      }
    });
  }

  it('control answers: LIST_SUBSCRIPTIONS, status and error', () => {
    for (let k = 0; k < 50; k++) {
      const [frame, expected] = generate(KINDS.listSubscriptions, rand, true, k % 2 === 1, {
        method: ['"LIST_SUBSCRIPTIONS"', 'LIST_SUBSCRIPTIONS'],
      });
      expectExact(json(decodeFrame(frame)[0]), { type: 'listSubscriptions', ...expected });
      const [inner, err] = generate(KINDS.error, rand, true, false);
      expectExact(json(decodeFrame(Buffer.from(`{"error":${inner}}`))[0]), { type: 'error', ...err });
    }
  });
});

describe('decodeFrameInto and decodeOwnedInto (one reused array for a stream of frames)', () => {
  const intos = [
    ['decodeFrameInto', (frame: string, out: unknown[]) => decodeFrameInto(frame, out as never)],
    ['decodeOwnedInto', (frame: string, out: unknown[]) => decodeOwnedInto(Buffer.from(frame), out as never)],
  ] as const;
  for (const [name, into] of intos) {
    it(`${name} gives what decodeFrame gives, frame after frame, single and LIST frames, templates and walk`, () => {
      const out: unknown[] = [];
      const list = `[${TICKER_SIMPLE.frame},${TRADE_SIMPLE.frame}]`;
      // Twice each: the first time walks (and teaches a template), the second takes the template.
      for (const frame of [...ALL_FIXTURES.map((f) => f.frame), list, ...ALL_FIXTURES.map((f) => f.frame), list]) {
        const expected = decodeFrame(frame).map(json);
        const got = into(frame, out);
        expect(got).toBe(out);
        expect(got.map(json)).toEqual(expected);
      }
    });

    it(`${name} leaves the array empty when the frame does not decode`, () => {
      const out = into(TICKER_DEFAULT.frame, []);
      expect(out).toHaveLength(1);
      expect(() => into('{"type":"ticker"', out)).toThrow(UpbitDecodeError);
      expect(out).toHaveLength(0);
    });
  }
});

describe('decodeOwnedInto (a frame handed over: the hub socket, whose ws never writes a message again)', () => {
  it('its templates read the bytes in place, no text copy: what makes it cheaper, and why only an owner may use it', () => {
    for (const f of [TICKER_DEFAULT, TRADE_SIMPLE]) {
      decodeFrame(f.frame); // learned
      const owned = Buffer.from(f.frame);
      const [m] = decodeOwnedInto(owned, []) as unknown as [{ tradePrice: Decimal }];
      const copied = Buffer.from(f.frame);
      const [c] = decodeFrameInto(copied, []) as unknown as [{ tradePrice: Decimal }];
      const at = f.frame.indexOf(f === TICKER_DEFAULT ? '"trade_price":' : '"tp":') + (f === TICKER_DEFAULT ? 14 : 5);
      owned[at] = copied[at] = owned[at] === 0x39 ? 0x38 : 0x39; // another first digit, written after decoding
      const before = new Decimal(f.frame.slice(at, f.frame.indexOf(',', at)));
      expect(c.tradePrice.equals(before)).toBe(true); // decodeFrameInto's message read a copy
      expect(m.tradePrice.equals(before)).toBe(false); // the handed-over frame's message reads the frame
    }
  });
});

describe('list elements from the WebAssembly matchers (orderbook units, myAsset assets)', () => {
  type Book = { orderbookUnits: { askPrice: Decimal; bidSize: Decimal }[]; toJSON(): unknown };
  const units = (n: number) =>
    Array.from({ length: n }, (_, k) => `{"ask_price":${137002000 + k * 1000},"bid_price":${137001000 - k * 1000},"ask_size":0.${k + 1},"bid_size":${k}.5}`).join(',');
  const book = (n: number) => ORDERBOOK_DEFAULT.frame.replace(/"orderbook_units":\[.*\],/, `"orderbook_units":[${units(n)}],`);

  it('a handed-over book reads its units in place: the matcher wrote their spans, no text was made', () => {
    const text = book(15);
    decodeFrame(text); // learned
    const owned = Buffer.from(text);
    const [m] = decodeOwnedInto(owned, []) as unknown as [Book];
    const [c] = decodeFrameInto(Buffer.from(text), []) as unknown as [Book];
    const at = text.indexOf('"ask_price":', text.indexOf('"ask_price":') + 1) + 12; // the second unit's ask price
    owned[at] = owned[at] === 0x39 ? 0x38 : 0x39; // another first digit, written after decoding
    expect(c.orderbookUnits[1].askPrice.toString()).toBe('137003000');
    expect(m.orderbookUnits[1].askPrice.toString()).not.toBe('137003000');
    expect(m.orderbookUnits[14].bidSize.toString()).toBe('14.5');
  });

  it('books around and past the room of the span scratch decode as the walk does', () => {
    // scratch.ts: elements past ELEMENT_LIMIT go to the dead zone and the reader falls back to the text
    const fits = Math.floor((ELEMENT_LIMIT - 8) / 4);
    for (const n of [0, 1, 30, fits - 1, fits, fits + 1, 400]) {
      const text = book(n);
      decodeFrame(text); // learned (one element layout serves every count)
      const walk = decodeFrameWalk(text).map((m) => (m as unknown as Book).toJSON());
      for (const input of [text, Buffer.from(text)]) {
        expect(decodeFrame(input).map((m) => (m as unknown as Book).toJSON())).toEqual(walk);
        expect(decodeOwnedInto(Buffer.from(text), []).map((m) => (m as unknown as Book).toJSON())).toEqual(walk);
      }
      expect((decodeFast(Buffer.from(text), undefined, true)?.[0] as unknown as Book | undefined)?.orderbookUnits.length).toBe(n);
    }
  });
});

describe('market codes (interned by their characters, view.ts readCode)', () => {
  it('each code reads back exactly, the first time and from the intern table, in text and bytes', () => {
    // Thousands of 12-character codes that share their first 6 characters: their hashes meet in the
    // table's probe runs, so a lookup that compared too little would return another code.
    const many = Array.from({ length: 2500 }, (_, k) => `KRW-BTC${String(k).padStart(5, '0')}`);
    const codes = ['A', 'KRW-BTC', 'KRW-BTD', 'KRW-BTCA', 'KRW-BTCAAAAA', 'KRW-BTCAAAAB', 'BKRW-BTC', 'KRW-BTC1234', 'KRW-BTCABCDEF', ...many];
    for (let round = 0; round < 2; round++) {
      for (const code of codes) {
        const frame = TRADE_SIMPLE.frame.replace(/"cd":"[^"]*"/, `"cd":"${code}"`);
        for (const input of [frame, Buffer.from(frame)]) {
          expect((decodeFrame(input)[0] as unknown as { code: string }).code).toBe(code);
          expect((decodeOwnedInto(Buffer.from(frame), [])[0] as unknown as { code: string }).code).toBe(code);
        }
      }
    }
  });
});

describe('the receiver slots of a view', () => {
  it('epoch: undefined from decodeFrame, settable, not an own key, not in toJSON', () => {
    const [m] = decodeFrame(TICKER_DEFAULT.frame) as unknown as [LazyView & { epoch: number | undefined }];
    expect(m.epoch).toBeUndefined();
    m.epoch = 3;
    expect(m.epoch).toBe(3);
    expect(Object.keys(m)).toEqual(['type', 'code', 'streamType']);
    expect('epoch' in m.toJSON()).toBe(false);
    // another message's slot is its own
    expect((decodeFrame(TICKER_DEFAULT.frame)[0] as unknown as { epoch?: number }).epoch).toBeUndefined();
  });

  it('only messages carry them: list elements (orderbook units) stay as small as their fields', () => {
    const [book] = decodeFrame(ORDERBOOK_DEFAULT.frame) as unknown as [{ epoch: unknown; orderbookUnits: object[] }];
    expect('epoch' in book).toBe(true);
    expect('epoch' in book.orderbookUnits[0]).toBe(false);
  });
});
