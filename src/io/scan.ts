/**
 * A validating JSON scanner over a frame's UTF-8 bytes that records where values are instead of
 * building them.
 *
 * `JSON.parse` would turn every price into a double. These functions walk the bytes once, check
 * that they are well-formed JSON (RFC 8259 grammar: strict numbers, escapes, no control characters
 * in strings) and report spans `[start, end)` as byte offsets. The decoder (decode.ts) drives them
 * with the field table; `scanObject(..., record = true)` is its slow path for objects whose
 * discriminant is not the first key. Bytes rather than a string because V8 reads a `Uint8Array`
 * element about twice as fast as `charCodeAt`, and this is the loop every frame goes through.
 *
 * Reading past the end yields `undefined`, which fails every comparison below, so truncation is
 * always caught as "unexpected end" rather than read as data.
 */
import { UpbitDecodeError } from './errors.js';

export type Bytes = Uint8Array;

/**
 * The character code (byte) at `i` of a text or its bytes, for readers that take either (a frame's
 * ASCII text and bytes have the same offsets); NaN or undefined past the end, which matches nothing.
 */
export function at(src: string | Uint8Array, i: number): number {
  return typeof src === 'string' ? src.charCodeAt(i) : src[i];
}

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

/**
 * `s` (a slice of a frame's or a body's text) as a string of its own. V8 makes a slice of 13 or
 * more characters a view into its parent, so an order uuid a user keeps would keep the whole frame
 * alive (about 1 KB; a REST body far more). A concatenation followed by a slice makes V8 flatten a
 * copy first, and the result refers to that copy only. Shorter slices are copies already.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/**
 * V8's own copy of `s`: the one a property key holds (internalised, one per distinct string).
 * Maps keyed by such copies find each other's keys by identity, without comparing characters: the
 * codes `readCode` hands out (view.ts) and the router's index of routes by code (router.ts).
 */
export function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/** The 31-multiplier hash of `name` (ASCII), the same one the scanner computes over a key's bytes. */
export function hashKey(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return h;
}

export function skipWs(b: Bytes, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** Index just past the string starting at the quote `i`; sets `scanState.escaped` when it has escapes. */
export function skipString(b: Bytes, i: number, n: number): number {
  i++;
  for (;;) {
    if (i >= n) fail('unterminated string', i);
    const c = b[i];
    if (c === 34) return i + 1;
    if (c === 92) {
      scanState.escaped = true;
      const e = b[i + 1];
      if (e === 117 /* u */) {
        for (let k = 2; k < 6; k++) {
          const h = b[i + k];
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
export function skipNumber(b: Bytes, i: number): number {
  const start = i;
  let c = b[i];
  if (c === 45) c = b[++i];
  if (c === 48) c = b[++i];
  else if (c >= 49 && c <= 57) {
    do c = b[++i];
    while (c >= 48 && c <= 57);
  } else fail('bad number', start);
  if (c === 46) {
    c = b[++i];
    if (!(c >= 48 && c <= 57)) fail('bad number', start);
    do c = b[++i];
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = b[++i];
    if (c === 43 || c === 45) c = b[++i];
    if (!(c >= 48 && c <= 57)) fail('bad number', start);
    do c = b[++i];
    while (c >= 48 && c <= 57);
  }
  return i;
}

/** Index past the literal `true`, `false` or `null` at `i`. */
function expectWord(b: Bytes, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) fail('unexpected token', i);
  return i + word.length;
}

/** Index just past any JSON value starting at `i` (validates nested structure). */
export function skipValue(b: Bytes, i: number, n: number): number {
  const c = b[i];
  if (c === 34) return skipString(b, i, n);
  if (c === 45 || (c >= 48 && c <= 57)) return skipNumber(b, i);
  if (c === 123) return scanObject(b, i, n, false);
  if (c === 91) return scanArray(b, i, n, skipValue);
  if (c === 116) return expectWord(b, i, 'true');
  if (c === 102) return expectWord(b, i, 'false');
  if (c === 110) return expectWord(b, i, 'null');
  return fail(i >= n ? 'unexpected end' : 'unexpected token', i);
}

/**
 * Scan the object starting at `{` (index `i`) and return the index just past the closing `}`.
 * With `rec`, each key is recorded in `found` (reset first). Duplicate keys are recorded twice; the
 * later one wins in the decoder, as with `JSON.parse`.
 */
export function scanObject(b: Bytes, i: number, n: number, rec: boolean): number {
  if (rec) found.count = 0;
  i = skipWs(b, i + 1);
  if (b[i] === 125) return i + 1;
  for (;;) {
    if (b[i] !== 34) fail(i >= n ? 'unexpected end' : 'expected a key', i);
    // key: hash while walking; keys with escapes are hashed over their raw text (never match a field)
    const ks = ++i;
    let h = 0;
    let c: number;
    while ((c = b[i]) !== 34) {
      if (!(c >= 32)) fail(i >= n ? 'unterminated key' : 'control character in key', i);
      if (c === 92) {
        i = skipString(b, ks - 1, n) - 1;
        h = -1;
        break;
      }
      h = (h * 31 + c) | 0;
      i++;
    }
    const ke = i++;
    i = skipWs(b, i);
    if (b[i] !== 58) fail(i >= n ? 'unexpected end' : 'expected ":"', i);
    i = skipWs(b, i + 1);
    const vs = i;
    c = b[i];
    let flags = 0;
    if (c === 34) {
      scanState.escaped = false;
      i = skipString(b, i, n);
      if (scanState.escaped) flags = ESCAPED;
    } else i = skipValue(b, i, n);
    if (rec) record(h, ks, ke, vs, i, flags);
    i = skipWs(b, i);
    c = b[i];
    if (c === 44) i = skipWs(b, i + 1);
    else if (c === 125) return i + 1;
    else fail(i >= n ? 'unexpected end' : 'expected "," or "}"', i);
  }
}

/** Scan the array at `[`; `element(b, i, n)` scans one element and returns the index past it. */
export function scanArray(b: Bytes, i: number, n: number, element: (b: Bytes, i: number, n: number) => number): number {
  i = skipWs(b, i + 1);
  if (b[i] === 93) return i + 1;
  for (;;) {
    if (i >= n) fail('unexpected end', i);
    i = skipWs(b, element(b, i, n));
    const c = b[i];
    if (c === 44) i = skipWs(b, i + 1);
    else if (c === 93) return i + 1;
    else fail(i >= n ? 'unexpected end' : 'expected "," or "]"', i);
  }
}
