/**
 * Exact decimals: every digit of the wire text survives, and the fast constructor builds exactly
 * what `new Decimal(text)` builds (checked field by field on thousands of generated numbers).
 */
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { decimalAt, decimalBytes, toDecimal } from '../../src/io/decimal.js';
import { decodeFrame } from '../../src/io/decode.js';
import { TICKER_DEFAULT, prng } from './fixtures.js';
import { withValue } from './helpers.js';

/** The internal representation decimal.js itself builds for `text`. */
const fields = (d: Decimal) => ({ s: d.s, e: d.e, d: d.d });

function expectSame(actual: Decimal, source: string): void {
  const expected = new Decimal(source);
  expect(actual, source).toBeInstanceOf(Decimal);
  // fields first: a malformed `d` can send decimal.js's own methods into a loop
  expect(fields(actual), source).toEqual(fields(expected));
  expect(actual.toString(), source).toBe(expected.toString());
  expect(actual.equals(expected), source).toBe(true);
}

/** Decode a ticker whose acc_trade_price_24h is the raw JSON number `text`. */
function viaFrame(text: string, binary: boolean): Decimal {
  const frame = withValue(TICKER_DEFAULT.frame, 'acc_trade_price_24h', text);
  const [m] = decodeFrame(binary ? Buffer.from(frame) : frame);
  return (m as unknown as { accTradePrice24h: Decimal }).accTradePrice24h;
}

describe('every digit survives decoding', () => {
  const cases = [
    '224012345678.98765432',
    '1e-8',
    '2.5E+3',
    '0.1000000000000000055511151231257827',
    '12345678901234567890.123456789012345678',
    '9007199254740993', // 2^53 + 1: a double would say ...992
    '-0.00000000000000000001',
    '31883000.00000000',
    '0',
    '-0',
    '0.0',
    '1E400',
    '1e-400',
  ];
  for (const text of cases) {
    it(`${text} (text and binary frames, toDecimal, decimalAt)`, () => {
      expectSame(viaFrame(text, false), text);
      expectSame(viaFrame(text, true), text);
      expectSame(toDecimal(text), text);
      expectSame(decimalAt(`[1,${text},2]`, 3, 3 + text.length), text);
    });
  }

  it('never goes through a double (the double of these texts differs from their exact value)', () => {
    for (const text of ['0.1000000000000000055511151231257827', '12345678901234567890.123456789012345678', '9007199254740993']) {
      const d = viaFrame(text, true);
      expect(d.toFixed()).not.toBe(new Decimal(Number(text)).toFixed());
      expect(d.toFixed()).toBe(new Decimal(text).toFixed());
    }
    expect(viaFrame('224012345678.98765432', true).toFixed(8)).toBe('224012345678.98765432');
  });

  it('keeps the sign of -0 and of negative values, as decimal.js does', () => {
    expect(toDecimal('-0').isNegative()).toBe(true);
    expect(toDecimal('-0').isZero()).toBe(true);
    expect(toDecimal('-1.5').s).toBe(-1);
  });

  it('builds real, usable Decimals', () => {
    const d = toDecimal('0.1');
    expect(Decimal.isDecimal(d)).toBe(true);
    expect(d.plus(toDecimal('0.2')).toString()).toBe('0.3');
    expect(toDecimal('2.5E+3').times(2).toString()).toBe('5000');
    expect(toDecimal('1e-8').toString()).toBe('1e-8');
  });

  // docs/architecture.md "Decimals are decimal.js's own": no subclass, no shared prototype trick.
  it("are decimal.js's own objects: same prototype, strictly equal to new Decimal(text), its settings followed", () => {
    for (const text of ['137001000', '0.00123', '-0.0036363636', '224012345678.98765432']) {
      const d = viaFrame(text, false);
      expect(Object.getPrototypeOf(d)).toBe(Decimal.prototype);
      expect(d.constructor).toBe(Decimal);
      expect(d).toStrictEqual(new Decimal(text));
    }
    const before = Decimal.precision;
    try {
      Decimal.set({ precision: 5 }); // decimal.js reads the settings through the value's own constructor
      expect(viaFrame('224012345678.98765432', false).div(7).toString()).toBe(new Decimal('224012345678.98765432').div(7).toString());
      expect(viaFrame('1.2345678', false).plus(0).toString()).toBe('1.2346');
    } finally {
      Decimal.set({ precision: before });
    }
  });
});

describe('toDecimal outside the JSON grammar', () => {
  it('falls back to decimal.js for its own wider syntax', () => {
    for (const text of ['.5', '+1', '1.', '0x1f', '0b101', 'Infinity']) expectSame(toDecimal(text), text);
  });

  it('throws decimal.js errors on garbage instead of inventing a number', () => {
    for (const text of ['abc', '', '1e', '--1', '1.2.3']) expect(() => toDecimal(text), text).toThrow(/DecimalError/);
  });
});

/** A JSON number text from the generator's menu of awkward shapes. */
function numberText(rand: () => number): string {
  const digits = (n: number, nonZeroFirst = false) =>
    Array.from({ length: n }, (_, i) => (i === 0 && nonZeroFirst ? 1 + Math.floor(rand() * 9) : Math.floor(rand() * 10))).join('');
  const sign = rand() < 0.3 ? '-' : '';
  const r = rand();
  let int: string;
  if (r < 0.35) int = '0';
  else int = digits(1 + Math.floor(rand() * (rand() < 0.2 ? 40 : 12)), true);
  let frac = '';
  if (rand() < 0.7) {
    const lead = rand() < 0.4 ? '0'.repeat(Math.floor(rand() * 12)) : ''; // leading zeros after the point
    const body = digits(Math.floor(rand() * (rand() < 0.2 ? 45 : 10)));
    const trail = rand() < 0.3 ? '0'.repeat(1 + Math.floor(rand() * 8)) : ''; // trailing zeros
    frac = `.${lead}${body}${trail}`;
    if (frac === '.') frac = '.0';
  }
  let exp = '';
  if (rand() < 0.3) {
    const e = rand() < 0.5 ? 'e' : 'E';
    const s = ['', '+', '-'][Math.floor(rand() * 3)];
    const v = rand() < 0.1 ? '0'.repeat(1 + Math.floor(rand() * 3)) + String(Math.floor(rand() * 30)) : String(Math.floor(rand() * (rand() < 0.2 ? 5000 : 30)));
    exp = `${e}${s}${v}`;
  }
  return `${sign}${int}${frac}${exp}`;
}

describe('property: toDecimal(text) has the same s, e and d as new Decimal(text)', () => {
  it('on 20 000 generated JSON numbers (seeded, deterministic)', () => {
    const rand = prng(0xdec1);
    const seen = new Set<string>();
    for (let k = 0; k < 20_000; k++) {
      const text = numberText(rand);
      seen.add(text);
      const actual = toDecimal(text);
      const expected = new Decimal(text);
      if (actual.s !== expected.s || actual.e !== expected.e || actual.d.join() !== expected.d.join()) {
        expect(fields(actual), text).toEqual(fields(expected));
      }
    }
    expect(seen.size).toBeGreaterThan(15_000); // the generator really varies
  });

  it('and from bytes (decimalBytes), the number ending the buffer or followed by more', () => {
    const rand = prng(0xdec3);
    for (let k = 0; k < 5_000; k++) {
      const text = numberText(rand);
      const expected = fields(new Decimal(text));
      const alone = Buffer.from(text, 'latin1');
      const inFrame = Buffer.from(`{"tp":${text},"x":1}`, 'latin1');
      for (const got of [decimalBytes(alone, 0, alone.length), decimalBytes(inFrame, 6, inFrame.length), decimalAt(`[${text}]`, 1, text.length + 2)]) {
        if (got.s !== expected.s || got.e !== expected.e || got.d.join() !== expected.d.join()) expect(fields(got), text).toEqual(expected);
      }
    }
  });

  it('long numbers and exponents from bytes take the general path, as from text', () => {
    for (const text of ['1'.repeat(80), `0.${'0'.repeat(70)}123`, `-${'9'.repeat(40)}.${'1'.repeat(40)}`, '12', '1.5e-7', '-2E+30']) {
      const b = Buffer.from(`[${text},1]`, 'latin1');
      expect(fields(decimalBytes(b, 1, b.length)), text).toEqual(fields(new Decimal(text)));
    }
  });

  it('and through decodeFrame, for a sample of them', () => {
    const rand = prng(0xdec2);
    for (let k = 0; k < 500; k++) {
      const text = numberText(rand);
      expect(fields(viaFrame(text, k % 2 === 0)), text).toEqual(fields(new Decimal(text)));
    }
  });

  it('fast-path boundaries: 0 to 17 integer digits × 0 to 23 fraction digits, zero runs included', () => {
    const rand = prng(0xb0b);
    const digits = (n: number) => Array.from({ length: n }, () => (rand() < 0.4 ? '0' : String(Math.floor(rand() * 10)))).join('');
    for (let ni = 0; ni <= 17; ni++) {
      for (let nf = 0; nf <= 23; nf++) {
        for (let k = 0; k < 4; k++) {
          const int = ni === 0 ? '0' : `${1 + Math.floor(rand() * 9)}${digits(ni - 1)}`;
          const text = `${k % 2 ? '-' : ''}${int}${nf ? `.${digits(nf)}` : ''}`;
          expect(fields(toDecimal(text)), text).toEqual(fields(new Decimal(text)));
        }
      }
    }
    for (const text of ['10000000', '10000000.5', '100000000000000', '999999999999999', '1000000000000000', '0.0000001', '0.00000001', '0.000000000000001', '0.1000000000000000000001']) {
      expect(fields(toDecimal(text)), text).toEqual(fields(new Decimal(text)));
    }
  });

  it('word boundaries: every exponent from -30 to 30 for one to sixteen digits', () => {
    for (let n = 1; n <= 16; n++) {
      const mantissa = '123456789012345678'.slice(0, n);
      for (let e = -30; e <= 30; e++) {
        for (const text of [`${mantissa}e${e}`, `0.${mantissa}e${e}`, `${mantissa}00e${e}`, `-0.000${mantissa}E${e}`]) {
          expect(fields(toDecimal(text)), text).toEqual(fields(new Decimal(text)));
        }
      }
    }
  });
});
