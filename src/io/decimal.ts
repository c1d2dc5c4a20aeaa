/**
 * Exact decimals straight from a frame's source text.
 *
 * `new Decimal(text)` is exact but slow (about 0.5 µs: a regex, `replace`, `search` and one
 * `slice` per 7 digits). A ticker carries twenty decimals, so the codec builds the same value by
 * reading the digits once and filling in decimal.js's own representation:
 *
 *   value = s × 0.d₀d₁d₂… × 10^(e+1), `d` in base 10⁷, the first word holding (e+1) mod 7 digits,
 *   the last word right-padded with zeros, no trailing zero words.
 *
 * The result is a real `Decimal` (same prototype, same fields, `instanceof Decimal`); the test
 * suite checks it field-for-field against `new Decimal(text)` on many generated numbers. The text
 * must already be a valid JSON number (the scanner checks that); anything unusual falls back to
 * the library's own constructor.
 */
import { Decimal } from 'decimal.js';

const LOG_BASE = 7;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

interface DecimalFields {
  constructor: unknown;
  s: number;
  e: number;
  d: number[];
}

/** Build instances that share decimal.js's prototype without re-parsing the text. */
function RawDecimal(this: DecimalFields, s: number, e: number, d: number[]) {
  // Same property order as decimal.js's own constructor, so instances share one hidden class shape.
  this.constructor = Decimal;
  this.s = s;
  this.e = e;
  this.d = d;
}
RawDecimal.prototype = Decimal.prototype;
const Raw = RawDecimal as unknown as new (s: number, e: number, d: number[]) => Decimal;

/** The exact Decimal of the JSON number `src.slice(start, end)`. */
export function decimalAt(src: string, start: number, end: number): Decimal {
  let i = start;
  let sign = 1;
  if (src.charCodeAt(i) === 45 /* - */) {
    sign = -1;
    i++;
  }
  const mStart = i;
  let dot = -1;
  let mEnd = end;
  for (; i < end; i++) {
    const c = src.charCodeAt(i);
    if (c === 46) dot = i;
    else if (c === 101 || c === 69) {
      mEnd = i;
      break;
    }
  }
  let exp = 0;
  if (mEnd < end) {
    let j = mEnd + 1;
    let expSign = 1;
    const c = src.charCodeAt(j);
    if (c === 45) {
      expSign = -1;
      j++;
    } else if (c === 43) j++;
    if (end - j > 9) return new Decimal(src.slice(start, end)); // absurd exponent: let decimal.js decide
    for (; j < end; j++) exp = exp * 10 + (src.charCodeAt(j) - 48);
    exp *= expSign;
  }
  const intEnd = dot < 0 ? mEnd : dot;
  // First and last significant digits (skipping the dot).
  let fs = mStart;
  while (fs < mEnd && (src.charCodeAt(fs) === 48 || fs === dot)) fs++;
  if (fs === mEnd) return new Raw(sign, 0, [0]); // zero (keeps the sign, as decimal.js does for "-0")
  let ls = mEnd - 1;
  while (src.charCodeAt(ls) === 48 || ls === dot) ls--;
  // Ordinal of the first significant digit among all mantissa digits.
  const fsOrd = fs - mStart - (dot >= 0 && fs > dot ? 1 : 0);
  const e = intEnd - mStart - fsOrd - 1 + exp;
  let first = (e + 1) % LOG_BASE;
  if (e < 0) first += LOG_BASE;
  if (first === 0) first = LOG_BASE;

  const d: number[] = [];
  let word = 0;
  let count = 0;
  let size = first;
  for (let j = fs; j <= ls; j++) {
    if (j === dot) continue;
    word = word * 10 + (src.charCodeAt(j) - 48);
    if (++count === size) {
      d.push(word);
      word = 0;
      count = 0;
      size = LOG_BASE;
    }
  }
  if (count > 0) d.push(word * POW10[size - count]);
  return new Raw(sign, e, d);
}

/** The exact Decimal of a whole numeric string (convenience for tests and user input). */
export function toDecimal(text: string): Decimal {
  return decimalAt(text, 0, text.length);
}

export { Decimal };
