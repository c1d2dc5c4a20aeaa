/**
 * A validating JSON scanner that records where values are instead of building them.
 *
 * `JSON.parse` would turn every price into a double. This scanner walks the frame once, checks
 * that it is well-formed JSON, and for each key of an object reports the key (as a hash plus its
 * span) and the value's span `[start, end)`. The decoder (decode.ts) maps keys to field-table rows
 * and turns spans into values only when a field is read.
 *
 * String values whose text contains an escape are reported with `flags & ESCAPED`, so the common
 * case (no escapes) is a plain `slice`.
 */
import { UpbitDecodeError } from './errors.js';

export const ESCAPED = 1;

/**
 * What `scanObject(..., record = true)` found: for key k, `keys[6k..6k+5]` holds
 * (keyHash, keyStart, keyEnd, valueStart, valueEnd, flags); `count` keys in all. One shared buffer,
 * overwritten by the next recorded scan: read it before scanning again.
 */
export const found = { keys: new Int32Array(6 * 64), count: 0 };

function record(h: number, ks: number, ke: number, vs: number, ve: number, flags: number): void {
  let k = found.count * 6;
  if (k + 6 > found.keys.length) {
    const bigger = new Int32Array(found.keys.length * 2);
    bigger.set(found.keys);
    found.keys = bigger;
  }
  const keys = found.keys;
  keys[k++] = h;
  keys[k++] = ks;
  keys[k++] = ke;
  keys[k++] = vs;
  keys[k++] = ve;
  keys[k] = flags;
  found.count++;
}

export function fail(reason: string, at: number): never {
  throw new UpbitDecodeError('DECODE_JSON', `malformed JSON: ${reason} at offset ${at}`, at);
}

/** The 31-multiplier hash of `name`, the same one the scanner computes for keys. */
export function hashKey(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return h;
}

export function skipWs(src: string, i: number): number {
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** Index just past the string starting at the quote `i`; sets `scanState.escaped`. */
export function skipString(src: string, i: number, n: number): number {
  i++;
  for (;;) {
    if (i >= n) fail('unterminated string', i);
    const c = src.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      scanState.escaped = true;
      const e = src.charCodeAt(i + 1);
      if (e === 117 /* u */) {
        for (let k = 2; k < 6; k++) {
          const h = src.charCodeAt(i + k);
          if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) fail('bad \\u escape', i);
        }
        i += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        i += 2;
      } else fail('bad escape', i);
    } else if (c < 32) fail('control character in string', i);
    else i++;
  }
}

export const scanState = { escaped: false };

/** Index just past the JSON number starting at `i` (strict JSON grammar). */
export function skipNumber(src: string, i: number): number {
  const start = i;
  let c = src.charCodeAt(i);
  if (c === 45) c = src.charCodeAt(++i);
  if (c === 48) c = src.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = src.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  } else fail('bad number', start);
  if (c === 46) {
    c = src.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) fail('bad number', start);
    do c = src.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = src.charCodeAt(++i);
    if (c === 43 || c === 45) c = src.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) fail('bad number', start);
    do c = src.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  }
  return i;
}

function expectWord(src: string, i: number, word: string): number {
  if (!src.startsWith(word, i)) fail(`unexpected token`, i);
  return i + word.length;
}

/** Index just past any JSON value starting at `i` (validates nested structure). */
export function skipValue(src: string, i: number, n: number): number {
  const c = src.charCodeAt(i);
  if (c === 34) return skipString(src, i, n);
  if (c === 45 || (c >= 48 && c <= 57)) return skipNumber(src, i);
  if (c === 123) return scanObject(src, i, n, false);
  if (c === 91) return scanArray(src, i, n, skipElement);
  if (c === 116) return expectWord(src, i, 'true');
  if (c === 102) return expectWord(src, i, 'false');
  if (c === 110) return expectWord(src, i, 'null');
  return fail(i >= n ? 'unexpected end' : 'unexpected token', i);
}

const skipElement = (src: string, i: number, n: number): number => skipValue(src, i, n);

/**
 * Scan the object starting at `{` (index `i`) and return the index just past the closing `}`.
 * With `rec`, each key is recorded in `found` (reset first). Duplicate keys are recorded twice; the
 * later one wins in the decoder, as with `JSON.parse`.
 */
export function scanObject(src: string, i: number, n: number, rec: boolean): number {
  if (rec) found.count = 0;
  i = skipWs(src, i + 1);
  if (src.charCodeAt(i) === 125) return i + 1;
  for (;;) {
    if (src.charCodeAt(i) !== 34) fail(i >= n ? 'unexpected end' : 'expected a key', i);
    // key: hash while walking; keys with escapes are hashed over their raw text (never match a field)
    const ks = ++i;
    let h = 0;
    let c: number;
    while ((c = src.charCodeAt(i)) !== 34) {
      if (i >= n) fail('unterminated key', ks);
      if (c === 92) {
        i = skipString(src, ks - 1, n) - 1;
        h = -1;
        break;
      }
      h = (h * 31 + c) | 0;
      i++;
    }
    const ke = i++;
    i = skipWs(src, i);
    if (src.charCodeAt(i) !== 58) fail('expected ":"', i);
    i = skipWs(src, i + 1);
    const vs = i;
    c = src.charCodeAt(i);
    let flags = 0;
    if (c === 34) {
      scanState.escaped = false;
      i = skipString(src, i, n);
      if (scanState.escaped) flags = ESCAPED;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      i = skipNumber(src, i);
    } else {
      i = skipValue(src, i, n);
    }
    if (rec) record(h, ks, ke, vs, i, flags);
    i = skipWs(src, i);
    c = src.charCodeAt(i);
    if (c === 44) i = skipWs(src, i + 1);
    else if (c === 125) return i + 1;
    else fail(i >= n ? 'unexpected end' : 'expected "," or "}"', i);
  }
}

/** Scan the array at `[`; `element(src, i, n)` scans one element and returns the index past it. */
export function scanArray(
  src: string,
  i: number,
  n: number,
  element: (src: string, i: number, n: number) => number,
): number {
  i = skipWs(src, i + 1);
  if (src.charCodeAt(i) === 93) return i + 1;
  for (;;) {
    if (i >= n) fail('unexpected end', i);
    i = skipWs(src, element(src, i, n));
    const c = src.charCodeAt(i);
    if (c === 44) i = skipWs(src, i + 1);
    else if (c === 93) return i + 1;
    else fail(i >= n ? 'unexpected end' : 'expected "," or "]"', i);
  }
}
