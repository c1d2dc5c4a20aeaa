/**
 * Exact decimals straight from a frame's text (`decimalAt`) or bytes (`decimalBytes`).
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
 * must already be a valid JSON number (the scanner checks that); absurd exponents fall back to the
 * library's own constructor.
 */
import { Buffer } from 'node:buffer';
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

/** The number of decimal digits of a positive integer below 10⁷. */
function digitCount(w: number): number {
  return w < 1e3 ? (w < 10 ? 1 : w < 100 ? 2 : 3) : w < 1e5 ? (w < 1e4 ? 4 : 5) : w < 1e6 ? 6 : 7;
}

/** The index past the number at `start`, at most `end`: its characters are digits, `.`, `e`, `E`, `+` and `-`. */
export function numberEnd(src: string, start: number, end: number): number {
  let i = start;
  for (; i < end; i++) {
    const c = src.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) break;
  }
  return i;
}

/**
 * The exact Decimal of the JSON number `src.slice(start, end)`. `end` may also lie past the number
 * (the views pass the text's length): the number then ends at the first character that cannot
 * continue it (`,`, `}`, `]`).
 *
 * Fast path for what Upbit sends (no exponent, at most 21 integer and 21 fraction digits):
 * decimal.js's words are aligned on the decimal point (a word ends at every power of ten that is a
 * multiple of 7), so once the integer part's length is known its first word holds (length mod 7)
 * digits and every later word 7, and the fraction is cut into 7-digit words from the point: every
 * word is read as a small integer, no double arithmetic. Leading and trailing zero words are then
 * dropped. Anything else takes the general path.
 */
export function decimalAt(src: string, start: number, end: number): Decimal {
  let i = start;
  let sign = 1;
  let c = src.charCodeAt(i);
  if (c === 45 /* - */) {
    sign = -1;
    c = src.charCodeAt(++i);
  }
  const intStart = i;
  let ip = 0; // exact while nInt ≤ 15 (< 2⁵³)
  while (i < end && c >= 48 && c <= 57) {
    ip = ip * 10 + (c - 48);
    c = src.charCodeAt(++i);
  }
  const nInt = i - intStart;
  if (nInt > 21 || nInt === 0) return decimalGeneral(src, start, numberEnd(src, i, end));
  // Integer words, from the left: the first takes nInt mod 7 digits (7 when that is 0).
  let n = 0; // words in W
  if (nInt <= LOG_BASE) W[n++] = ip;
  else if (nInt <= 2 * LOG_BASE) {
    const hi = Math.floor(ip / 1e7); // exact: ip < 10¹⁴, and the quotient's error is far below 1/10⁷
    W[n++] = hi;
    W[n++] = ip - hi * 1e7;
  } else {
    let j = intStart;
    for (let take = nInt % LOG_BASE || LOG_BASE; j < i; take = LOG_BASE) {
      let w = 0;
      for (const stop = j + take; j < stop; j++) w = w * 10 + (src.charCodeAt(j) - 48);
      W[n++] = w;
    }
  }
  const intWords = n;
  if (c === 46 /* . */) {
    let word = 0;
    let count = 0;
    c = src.charCodeAt(++i);
    while (i < end && c >= 48 && c <= 57) {
      word = word * 10 + (c - 48);
      if (++count === LOG_BASE) {
        if (n - intWords === 3) return decimalGeneral(src, start, numberEnd(src, i, end));
        W[n++] = word;
        word = 0;
        count = 0;
      }
      c = src.charCodeAt(++i);
    }
    if (count > 0) {
      if (n - intWords === 3) return decimalGeneral(src, start, numberEnd(src, i, end));
      W[n++] = word * POW10[LOG_BASE - count];
    }
  }
  if (i < end && (c === 101 || c === 69)) return decimalGeneral(src, start, numberEnd(src, i, end)); // an exponent
  while (n > 1 && W[n - 1] === 0) n--; // trailing zero words carry nothing
  if (W[0] !== 0) return new Raw(sign, nInt - 1, words(W, 0, n)); // JSON integers have no leading zeros
  // 0.000…: the first non-zero fraction word leads; its leading zeros set the exponent
  let first = 1;
  while (first < n && W[first] === 0) first++;
  if (first >= n) return new Raw(sign, 0, [0]);
  return new Raw(sign, digitCount(W[first]) - 1 - LOG_BASE * first, words(W, first, n));
}

/**
 * `decimalAt` over bytes (the hub's messages read their frame's bytes, view.ts `Source`): the same
 * fast path, byte for character; anything else reads the number's text with `decimalGeneral`. Two
 * copies of one loop, each seeing one kind of source, because one reader for both pays a type
 * check per character (about 8 ns per number, measured).
 *
 * Fast path for what Upbit sends (no exponent, at most 21 integer and 21 fraction digits):
 * decimal.js's words are aligned on the decimal point (a word ends at every power of ten that is a
 * multiple of 7), so once the integer part's length is known its first word holds (length mod 7)
 * digits and every later word 7, and the fraction is cut into 7-digit words from the point: every
 * word is read as a small integer, no double arithmetic. Leading and trailing zero words are then
 * dropped. Anything else takes the general path.
 */
export function decimalBytes(src: Uint8Array, start: number, end: number): Decimal {
  let i = start;
  let sign = 1;
  let c = src[i];
  if (c === 45 /* - */) {
    sign = -1;
    c = src[++i];
  }
  const intStart = i;
  let ip = 0; // exact while nInt ≤ 15 (< 2⁵³)
  while (i < end && c >= 48 && c <= 57) {
    ip = ip * 10 + (c - 48);
    c = src[++i];
  }
  const nInt = i - intStart;
  if (nInt > 21 || nInt === 0) return generalBytes(src, start, i, end);
  // Integer words, from the left: the first takes nInt mod 7 digits (7 when that is 0).
  let n = 0; // words in W
  if (nInt <= LOG_BASE) W[n++] = ip;
  else if (nInt <= 2 * LOG_BASE) {
    const hi = Math.floor(ip / 1e7); // exact: ip < 10¹⁴, and the quotient's error is far below 1/10⁷
    W[n++] = hi;
    W[n++] = ip - hi * 1e7;
  } else {
    let j = intStart;
    for (let take = nInt % LOG_BASE || LOG_BASE; j < i; take = LOG_BASE) {
      let w = 0;
      for (const stop = j + take; j < stop; j++) w = w * 10 + (src[j] - 48);
      W[n++] = w;
    }
  }
  const intWords = n;
  if (c === 46 /* . */) {
    let word = 0;
    let count = 0;
    c = src[++i];
    while (i < end && c >= 48 && c <= 57) {
      word = word * 10 + (c - 48);
      if (++count === LOG_BASE) {
        if (n - intWords === 3) return generalBytes(src, start, i, end);
        W[n++] = word;
        word = 0;
        count = 0;
      }
      c = src[++i];
    }
    if (count > 0) {
      if (n - intWords === 3) return generalBytes(src, start, i, end);
      W[n++] = word * POW10[LOG_BASE - count];
    }
  }
  if (i < end && (c === 101 || c === 69)) return generalBytes(src, start, i, end); // an exponent
  while (n > 1 && W[n - 1] === 0) n--; // trailing zero words carry nothing
  if (W[0] !== 0) return new Raw(sign, nInt - 1, words(W, 0, n)); // JSON integers have no leading zeros
  // 0.000…: the first non-zero fraction word leads; its leading zeros set the exponent
  let first = 1;
  while (first < n && W[first] === 0) first++;
  if (first >= n) return new Raw(sign, 0, [0]);
  return new Raw(sign, digitCount(W[first]) - 1 - LOG_BASE * first, words(W, first, n));
}

/** The general path for bytes: the number's text (its end found from `i`) to `decimalGeneral`. */
function generalBytes(src: Uint8Array, start: number, i: number, end: number): Decimal {
  while (i < end) {
    const c = src[i];
    if (!((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) break;
    i++;
  }
  const text = Buffer.from(src.buffer, src.byteOffset + start, i - start).toString('latin1');
  return decimalGeneral(text, 0, text.length);
}

/** Words of the number being read (at most 3 integer and 3 fraction words). */
const W = new Int32Array(6);

/** `W[from..to)` as a new array of exactly that length (growing one with push would reallocate). */
function words(w: Int32Array, from: number, to: number): number[] {
  switch (to - from) {
    case 1:
      return [w[from]];
    case 2:
      return [w[from], w[from + 1]];
    case 3:
      return [w[from], w[from + 1], w[from + 2]];
    case 4:
      return [w[from], w[from + 1], w[from + 2], w[from + 3]];
    case 5:
      return [w[from], w[from + 1], w[from + 2], w[from + 3], w[from + 4]];
    default:
      return [w[from], w[from + 1], w[from + 2], w[from + 3], w[from + 4], w[from + 5]];
  }
}

/** The general path: any JSON number (exponents, long mantissas). */
function decimalGeneral(src: string, start: number, end: number): Decimal {
  let i = start;
  let sign = 1;
  if (src.charCodeAt(i) === 45 /* - */) {
    sign = -1;
    i++;
  }
  // One pass over the mantissa: the dot, the first and last non-zero digits, and where it ends.
  let dot = -1;
  let fs = -1;
  let ls = -1;
  for (; i < end; i++) {
    const c = src.charCodeAt(i);
    if (c > 48 && c <= 57) {
      if (fs < 0) fs = i;
      ls = i;
    } else if (c === 46) dot = i;
    else if (c !== 48) break; // the exponent's e or E
  }
  const mEnd = i;
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
  if (fs < 0) return new Raw(sign, 0, [0]); // zero (keeps the sign, as decimal.js does for "-0")
  const intEnd = dot < 0 ? mEnd : dot;
  // Decimal exponent of the first significant digit.
  const e = (fs < intEnd ? intEnd - fs - 1 : dot - fs) + exp;
  let first = (e + 1) % LOG_BASE;
  if (e < 0) first += LOG_BASE;
  if (first === 0) first = LOG_BASE;

  // Words of LOG_BASE digits; up to three (fourteen-plus significant digits) are kept in locals so
  // that `d` is allocated once, at its final size.
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let more: number[] | undefined;
  let words = 0;
  let word = 0;
  let count = 0;
  let size = first;
  for (let j = fs; j <= ls; j++) {
    if (j === dot) continue;
    word = word * 10 + (src.charCodeAt(j) - 48);
    if (++count === size) {
      if (words === 0) w0 = word;
      else if (words === 1) w1 = word;
      else if (words === 2) w2 = word;
      else (more ??= []).push(word);
      words++;
      word = 0;
      count = 0;
      size = LOG_BASE;
    }
  }
  if (count > 0) {
    word *= POW10[size - count]; // the last word is right-padded with zeros
    if (words === 0) w0 = word;
    else if (words === 1) w1 = word;
    else if (words === 2) w2 = word;
    else (more ??= []).push(word);
    words++;
  }
  const d = words === 1 ? [w0] : words === 2 ? [w0, w1] : words === 3 ? [w0, w1, w2] : [w0, w1, w2, ...more!];
  return new Raw(sign, e, d);
}

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * The exact Decimal of a whole numeric string (for tests and user input). A strict JSON number
 * takes the fast path; anything else goes to `new Decimal(text)`, which accepts its own wider
 * syntax (`.5`, `+1`, `0x1f`) and throws a DecimalError on garbage.
 */
export function toDecimal(text: string): Decimal {
  return JSON_NUMBER.test(text) ? decimalAt(text, 0, text.length) : new Decimal(text);
}

export { Decimal };
