/**
 * `decodeRestList(body, table)`: a REST answer (a JSON array of objects) in, plain frozen objects
 * out, one per element, keyed by the rows' camelCase names (rest-fields.ts).
 *
 * How it works: the body's bytes are validated and walked once by the project's scanner
 * (scan.ts); each object's keys are recorded, matched to the table's rows by the same key hash
 * the socket decoder uses, and each value is checked against its row's kind and built:
 * decimals with `decimalAt` straight from the JSON text — a number (quotation) or the digits of a
 * string (exchange answers send amounts as strings) — never through a double. List rows
 * (orderbook units) recurse with their child table. Keys not in the table are skipped; a missing
 * non-nullable row, or a value of the wrong kind, is `UpbitDecodeError` `DECODE_FIELD`; malformed
 * JSON is `DECODE_JSON`. Nothing else leaves this file.
 *
 * Eager rather than lazy (unlike the socket's views): REST answers are few and read whole.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { decimalAt } from './decimal.js';
import { UpbitDecodeError } from './errors.js';
import { camelCase, type Row, type Table } from './fields.js';
import { type Bytes, ESCAPED, detach, found, hashKey, scanArray, scanObject, skipNumber, skipValue, skipWs } from './scan.js';

interface RestPlan {
  readonly table: Table;
  /** key hash → row index */
  readonly byHash: Map<number, number>;
  readonly keys: readonly Buffer[];
  readonly children: (RestPlan | undefined)[];
}

const plans = new WeakMap<Table, RestPlan>();

function planOf(table: Table): RestPlan {
  let p = plans.get(table);
  if (!p) {
    const byHash = new Map<number, number>();
    table.forEach((r, i) => byHash.set(hashKey(r.wire), i));
    const children = table.map((r) => (r.kind.t === 'list' ? planOf(r.kind.of) : undefined));
    p = { table, byHash, keys: table.map((r) => Buffer.from(r.wire, 'latin1')), children };
    plans.set(table, p);
  }
  return p;
}

/** What the values are read from: the body as text when it is ASCII (same offsets), else its bytes. */
interface Src {
  readonly b: Bytes;
  readonly text: string | undefined;
}

function slice(s: Src, start: number, end: number): string {
  return s.text !== undefined ? s.text.slice(start, end) : Buffer.from(s.b.buffer, s.b.byteOffset, s.b.byteLength).toString('utf8', start, end);
}

/** Whether bytes [start, end) are exactly one JSON number. */
function numberSpan(b: Bytes, start: number, end: number): boolean {
  if (start >= end) return false;
  try {
    return skipNumber(b, start) === end;
  } catch {
    return false;
  }
}

function wrong(row: Row, why: string, at: number): never {
  throw new UpbitDecodeError('DECODE_FIELD', `field ${row.wire}: ${why}`, at);
}

/** The text of a string span (quotes included in the span), holding no part of the body. No closure: this runs for every string value. */
function str(s: Src, vs: number, ve: number, flags: number): string {
  return flags & ESCAPED ? (JSON.parse(slice(s, vs, ve)) as string) : detach(slice(s, vs + 1, ve - 1));
}

/** One value of `row`'s kind from the span [vs, ve) (ESCAPED in `flags` when a string has escapes). */
function value(s: Src, row: Row, child: RestPlan | undefined, vs: number, ve: number, flags: number): unknown {
  const b = s.b;
  const c = b[vs];
  if (c === 110 /* null */) {
    if (!row.kind.nullable) wrong(row, 'null where a value is required', vs);
    return null;
  }
  const isNum = c === 45 || (c >= 48 && c <= 57);
  const isStr = c === 34;
  switch (row.kind.t) {
    case 'decimal': {
      if (isNum) return s.text !== undefined ? decimalAt(s.text, vs, ve) : decimalAt(slice(s, vs, ve), 0, ve - vs);
      // exchange answers: the digits of a JSON number inside a plain string
      if (!isStr || flags & ESCAPED || !numberSpan(b, vs + 1, ve - 1)) wrong(row, 'expected a decimal (a JSON number or a string of one)', vs);
      return s.text !== undefined ? decimalAt(s.text, vs + 1, ve - 1) : decimalAt(slice(s, vs + 1, ve - 1), 0, ve - vs - 2);
    }
    case 'integer':
    case 'timestamp': {
      if (!isNum || ve - vs - (c === 45 ? 1 : 0) > 15) wrong(row, 'expected an integer within 2^53', vs);
      let x = 0;
      for (let j = c === 45 ? vs + 1 : vs; j < ve; j++) {
        const d = b[j];
        if (d < 48 || d > 57) wrong(row, 'expected an integer', vs);
        x = x * 10 + (d - 48);
      }
      return c === 45 ? -x : x;
    }
    case 'int64':
    case 'id': {
      if (isStr && row.kind.t === 'id') return str(s, vs, ve, flags);
      const t = isNum ? detach(slice(s, vs, ve)) : isStr ? str(s, vs, ve, flags) : '';
      if (!/^-?\d+$/.test(t)) wrong(row, `expected ${row.kind.t === 'id' ? 'a string or ' : ''}an integer`, vs);
      return t;
    }
    case 'string':
    case 'enum':
      if (!isStr) wrong(row, 'expected a string', vs);
      return str(s, vs, ve, flags); // unknown enum values pass through, as on the socket
    case 'boolean':
      if (c !== 116 && c !== 102) wrong(row, 'expected a boolean', vs);
      return c === 116;
    case 'strings': {
      const list = c === 91 ? (JSON.parse(slice(s, vs, ve)) as unknown[]) : undefined;
      if (!list || list.some((x) => typeof x !== 'string')) wrong(row, 'expected a list of strings', vs);
      return Object.freeze(list as string[]);
    }
    case 'list': {
      if (c !== 91) wrong(row, 'expected a list', vs);
      const out: unknown[] = [];
      scanArray(b, vs, ve, (bb, j, n) => {
        if (bb[j] !== 123) wrong(row, 'list element is not an object', j);
        return decodeObject(s, j, n, child!, out);
      });
      return Object.freeze(out);
    }
  }
}

/** Decode the object at `{` (index i) with `plan`; pushes it onto `out`, returns the index past it. */
function decodeObject(s: Src, i: number, n: number, plan: RestPlan, out: unknown[], raw?: ReadonlySet<string>): number {
  const b = s.b;
  const end = scanObject(b, i, n, true);
  // `found` is read in full before any nested list is scanned (which would overwrite it).
  const count = found.count;
  const keys = found.keys;
  const table = plan.table;
  const spans = new Int32Array(table.length * 3).fill(-1);
  let extra: Record<string, unknown> | undefined;
  for (let k = 0; k < count; k++) {
    const p = k * 6;
    const r = plan.byHash.get(keys[p]);
    const ks = keys[p + 1];
    const ke = keys[p + 2];
    if (r !== undefined && sameKey(b, ks, ke, plan.keys[r])) {
      spans[3 * r] = keys[p + 3];
      spans[3 * r + 1] = keys[p + 4];
      spans[3 * r + 2] = keys[p + 5];
    } else if (raw !== undefined) {
      const name = slice(s, ks, ke);
      if (raw.has(name)) (extra ??= {})[camelCase(name)] = JSON.parse(slice(s, keys[p + 3], keys[p + 4]));
    }
  }
  const o: Record<string, unknown> = {};
  for (let r = 0; r < table.length; r++) {
    const row = table[r];
    const vs = spans[3 * r];
    if (vs >= 0) o[row.name] = value(s, row, plan.children[r], vs, spans[3 * r + 1], spans[3 * r + 2]);
    else if (row.kind.nullable) o[row.name] = null;
    else wrong(row, 'missing', end);
  }
  if (extra) Object.assign(o, extra);
  out.push(Object.freeze(o));
  return end;
}

function sameKey(b: Bytes, ks: number, ke: number, key: Buffer): boolean {
  if (ke - ks !== key.length) return false;
  for (let j = 0; j < key.length; j++) if (b[ks + j] !== key[j]) return false;
  return true;
}

/** The bytes and, when the body is ASCII, its text. Invalid UTF-8 is refused. */
function source(body: string | Uint8Array): Src {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const text = typeof body === 'string' ? body : b.toString('utf8');
  // Equal lengths and no U+FFFD: every byte was one ASCII character (invalid bytes also decode to one character each).
  if (text.length === b.length && (typeof body === 'string' || !text.includes('\uFFFD'))) return { b, text };
  if (typeof body !== 'string' && !isUtf8(b)) throw new UpbitDecodeError('DECODE_UTF8', 'REST body is not valid UTF-8');
  return { b, text: undefined };
}

export interface RestDecodeOptions {
  /**
   * Keys outside the table to keep as parsed JSON under their wire name, camelCased
   * (`market_event` → `marketEvent`). Only for values without prices: they go through JSON.parse.
   */
  readonly raw?: readonly string[];
}

/** Decode a REST list answer with `table`. Throws only `UpbitDecodeError`. */
export function decodeRestList<T>(body: string | Uint8Array, table: Table, options: RestDecodeOptions = {}): T[] {
  try {
    const s = source(body);
    const b = s.b;
    const n = b.length;
    let i = skipWs(b, 0);
    if (i >= n) throw new UpbitDecodeError('DECODE_EMPTY', 'empty REST body', 0);
    const plan = planOf(table);
    const raw = options.raw && new Set(options.raw);
    const out: unknown[] = [];
    if (b[i] !== 91) {
      skipValue(b, i, n);
      throw new UpbitDecodeError('DECODE_FIELD', 'REST body is not a JSON array', i);
    }
    i = scanArray(b, i, n, (bb, j, len) => {
      if (bb[j] !== 123) throw new UpbitDecodeError('DECODE_FIELD', 'REST list element is not an object', j);
      return decodeObject(s, j, len, plan, out, raw);
    });
    if (skipWs(b, i) < n) throw new UpbitDecodeError('DECODE_JSON', `malformed JSON: trailing characters at offset ${i}`, i);
    return out as T[];
  } catch (err) {
    if (err instanceof UpbitDecodeError) throw err;
    throw new UpbitDecodeError('DECODE_JSON', `undecodable REST body: ${(err as Error)?.message ?? String(err)}`, undefined, err);
  }
}
