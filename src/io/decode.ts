/**
 * `decodeFrame`: one Upbit frame (text or binary; DEFAULT, SIMPLE, JSON_LIST or SIMPLE_LIST) in,
 * an array of typed messages out.
 *
 * How it works, in three steps:
 *   1. scan.ts validates the whole frame and records each top-level key's value span;
 *   2. the message kind is picked from `type` (or `method` / `status` / `error` for control
 *      answers) and each key is matched to its field-table row, whichever format it came in;
 *      value kinds are checked here, so a wrong field type is an `UpbitDecodeError` from
 *      `decodeFrame` and never a surprise later;
 *   3. a message object is returned whose routing keys (`type`, `code`, `streamType`) are plain
 *      properties and whose other fields are getters that turn their span into a value on first
 *      read (and cache it). Prices and volumes become `Decimal`s built from the source digits
 *      (decimal.ts): no value ever passes through a JS double.
 *
 * Decoded messages are immutable views over the frame text. `toJSON()` gives a plain object with
 * every field (Decimals included); `JSON.stringify(message)` prints decimals as exact strings.
 */
import { isUtf8 } from 'node:buffer';
import { decimalAt } from './decimal.js';
import { UpbitDecodeError } from './errors.js';
import {
  ERROR_BODY,
  LIST_SUBSCRIPTIONS,
  STATUS,
  tableOf,
  type Kind,
  type Row,
  type Table,
  type UpbitMessage,
} from './fields.js';
import { fail, found, hashKey, scanArray, scanObject, skipWs, skipValue } from './scan.js';

// ─── per-table decoding plans ───────────────────────────────────────────────────────────────────

const K_DECIMAL = 0;
const K_INTEGER = 1;
const K_INT64 = 2;
const K_STRING = 3;
const K_BOOLEAN = 4;
const K_STRINGS = 5;
const K_LIST = 6;

interface Plan {
  readonly table: Table;
  /** key hash → row index × 2 (+1 for the SIMPLE name) */
  readonly byHash: Map<number, number>;
  readonly kinds: Int8Array;
  readonly nullable: Uint8Array;
  readonly template: number[];
  readonly children: (Plan | undefined)[];
  readonly View: new (src: string, o: number[], n: (number[][] | undefined)[] | undefined) => LazyView;
  /** Row indexes kept as plain properties rather than getters. */
  readonly typeRow: number;
  readonly codeRow: number;
  readonly streamRow: number;
}

function kindCode(k: Kind): number {
  switch (k.t) {
    case 'decimal':
      return K_DECIMAL;
    case 'integer':
    case 'timestamp':
      return K_INTEGER;
    case 'int64':
      return K_INT64;
    case 'string':
    case 'enum':
      return K_STRING;
    case 'boolean':
      return K_BOOLEAN;
    case 'strings':
      return K_STRINGS;
    case 'list':
      return K_LIST;
  }
}

/** The common part of every decoded message and nested list element. */
export abstract class LazyView {
  /** @internal frame text */ declare readonly _s: string;
  /** @internal value spans, two per row; 0 = absent; a negative end marks an escaped string */ declare readonly _o: number[];
  /** @internal element spans of list rows */ declare readonly _n: (number[][] | undefined)[] | undefined;
  /** @internal values read so far */ declare _c: unknown[] | undefined;
  /** A plain object with every field read; Decimals stay Decimals. */
  abstract toJSON(): Record<string, unknown>;
}

const plans = new Map<Table, Plan>();

function planFor(table: Table, synthetic?: string): Plan {
  const cached = plans.get(table);
  if (cached) return cached;
  const byHash = new Map<number, number>();
  const put = (name: string, v: number) => {
    const h = hashKey(name);
    const prev = byHash.get(h);
    if (prev !== undefined && prev >> 1 !== v >> 1) throw new Error(`field table hash collision: ${name}`);
    byHash.set(h, v);
  };
  table.forEach((row, i) => {
    put(row.wire, i * 2);
    put(row.simple, i * 2 + 1);
  });
  const idx = (name: string) => table.findIndex((r) => r.name === name);
  const typeRow = synthetic ? -1 : idx('type');
  const codeRow = synthetic ? -1 : idx('code');
  const streamRow = synthetic ? -1 : idx('streamType');
  const children = table.map((r) => (r.kind.t === 'list' ? planFor(r.kind.of) : undefined));
  const kinds = Int8Array.from(table, (r) => kindCode(r.kind));
  const nullable = Uint8Array.from(table, (r) => (r.kind.nullable ? 1 : 0));
  const plan: Plan = {
    table,
    byHash,
    kinds,
    nullable,
    template: new Array<number>(table.length * 2).fill(0),
    children,
    View: makeView(table, kinds, children, typeRow, codeRow, streamRow, synthetic),
    typeRow,
    codeRow,
    streamRow,
  };
  plans.set(table, plan);
  return plan;
}

/** Generate the message class of one table: plain routing properties, lazy getters for the rest. */
function makeView(
  table: Table,
  kinds: Int8Array,
  children: (Plan | undefined)[],
  typeRow: number,
  codeRow: number,
  streamRow: number,
  synthetic: string | undefined,
) {
  const View = class extends LazyView {
    constructor(src: string, o: number[], n: (number[][] | undefined)[] | undefined) {
      super();
      // Own, eagerly-set properties: the routing keys, then the internals (fixed order = one shape).
      if (synthetic !== undefined) (this as Record<string, unknown>).type = synthetic;
      else if (typeRow >= 0) (this as Record<string, unknown>).type = readString(src, o[typeRow * 2], o[typeRow * 2 + 1]);
      if (codeRow >= 0) (this as Record<string, unknown>).code = readString(src, o[codeRow * 2], o[codeRow * 2 + 1]);
      if (streamRow >= 0)
        (this as Record<string, unknown>).streamType = readString(src, o[streamRow * 2], o[streamRow * 2 + 1]);
      Object.defineProperty(this, '_s', { value: src });
      Object.defineProperty(this, '_o', { value: o });
      Object.defineProperty(this, '_n', { value: n });
      Object.defineProperty(this, '_c', { value: undefined, writable: true });
    }
    toJSON(): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      if (synthetic !== undefined) out.type = synthetic;
      for (const row of table) out[row.name] = (this as unknown as Record<string, unknown>)[row.name];
      return out;
    }
  };
  const proto = View.prototype;
  table.forEach((row: Row, i) => {
    if (i === typeRow || i === codeRow || i === streamRow) return;
    const k = kinds[i];
    const child = children[i];
    Object.defineProperty(proto, row.name, {
      enumerable: true,
      get(this: LazyView) {
        const c = this._c ?? (this._c = []);
        let v = c[i];
        if (v === undefined) c[i] = v = readValue(this, i, k, child);
        return v;
      },
    });
  });
  Object.defineProperty(proto, Symbol.for('nodejs.util.inspect.custom'), {
    value(this: LazyView) {
      return this.toJSON();
    },
  });
  return View;
}

function readString(src: string, vs: number, ve: number): string {
  return ve < 0 ? (JSON.parse(src.slice(vs, -ve)) as string) : src.slice(vs + 1, ve - 1);
}

function readValue(view: LazyView, i: number, k: number, child: Plan | undefined): unknown {
  const src = view._s;
  const vs = view._o[i * 2];
  const ve = view._o[i * 2 + 1];
  if (vs === 0 || src.charCodeAt(vs) === 110 /* null */) return null;
  switch (k) {
    case K_DECIMAL:
      return decimalAt(src, vs, ve);
    case K_INTEGER: {
      let neg = false;
      let j = vs;
      if (src.charCodeAt(j) === 45) {
        neg = true;
        j++;
      }
      let x = 0;
      for (; j < ve; j++) x = x * 10 + (src.charCodeAt(j) - 48);
      return neg ? -x : x;
    }
    case K_INT64:
      return src.slice(vs, ve);
    case K_STRING:
      return readString(src, vs, ve);
    case K_BOOLEAN:
      return src.charCodeAt(vs) === 116;
    case K_STRINGS:
      return Object.freeze(JSON.parse(src.slice(vs, ve)) as string[]);
    default: {
      const spans = view._n![i]!;
      const out = new Array<LazyView>(spans.length);
      for (let e = 0; e < spans.length; e++) out[e] = new child!.View(src, spans[e], undefined);
      return Object.freeze(out);
    }
  }
}

// ─── matching keys to rows ──────────────────────────────────────────────────────────────────────

function fieldError(plan: Plan, row: number, why: string, at: number): never {
  const r = plan.table[row];
  throw new UpbitDecodeError('DECODE_FIELD', `field ${r.wire} (${r.simple}): ${why}`, at);
}

/** Check the value at `vs` against the row's kind; integers must have no fraction or exponent. */
function checkKind(src: string, plan: Plan, row: number, vs: number, ve: number): void {
  const c = src.charCodeAt(vs);
  if (c === 110) {
    if (!plan.nullable[row]) fieldError(plan, row, 'null where a value is required', vs);
    return;
  }
  const k = plan.kinds[row];
  let ok: boolean;
  switch (k) {
    case K_DECIMAL:
      ok = c === 45 || (c >= 48 && c <= 57);
      break;
    case K_INTEGER:
    case K_INT64:
      ok = c === 45 || (c >= 48 && c <= 57);
      for (let j = vs; ok && j < ve; j++) {
        const d = src.charCodeAt(j);
        if (d === 46 || d === 101 || d === 69) ok = false;
      }
      if (ok && k === K_INTEGER && ve - vs > 15) ok = false; // beyond 2^53: would lose digits
      break;
    case K_STRING:
      ok = c === 34;
      break;
    case K_BOOLEAN:
      ok = c === 116 || c === 102;
      break;
    default:
      ok = c === 91;
  }
  if (!ok) fieldError(plan, row, `expected ${plan.table[row].kind.t}`, vs);
}

/** Fill a span array for `plan` from the keys just recorded in `found`. */
function matchKeys(src: string, plan: Plan): number[] {
  const o = plan.template.slice();
  const keys = found.keys;
  const count = found.count;
  const table = plan.table;
  for (let k = 0, p = 0; k < count; k++, p += 6) {
    const hit = plan.byHash.get(keys[p]);
    if (hit === undefined) continue; // unknown extra field: tolerated
    const row = hit >> 1;
    const name = hit & 1 ? table[row].simple : table[row].wire;
    const ks = keys[p + 1];
    if (keys[p + 2] - ks !== name.length || !src.startsWith(name, ks)) continue; // hash twin of an unknown key
    const vs = keys[p + 3];
    const ve = keys[p + 4];
    checkKind(src, plan, row, vs, ve);
    o[row * 2] = vs;
    o[row * 2 + 1] = keys[p + 5] ? -ve : ve;
  }
  for (let row = 0; row < table.length; row++) {
    if (o[row * 2] === 0 && !plan.nullable[row]) fieldError(plan, row, 'missing', 0);
  }
  return o;
}

/** Scan the elements of each list row into their own span arrays. */
function scanLists(src: string, plan: Plan, o: number[]): (number[][] | undefined)[] | undefined {
  let nested: (number[][] | undefined)[] | undefined;
  for (let row = 0; row < plan.table.length; row++) {
    const child = plan.children[row];
    const vs = o[row * 2];
    if (!child || vs === 0 || src.charCodeAt(vs) !== 91) continue;
    const spans: number[][] = [];
    scanArray(src, vs, Math.abs(o[row * 2 + 1]), (s, i, n) => {
      if (s.charCodeAt(i) !== 123) fieldError(plan, row, 'list element is not an object', i);
      const end = scanObject(s, i, n, true);
      spans.push(matchKeys(s, child)); // element tables have no lists of their own
      return end;
    });
    (nested ??= new Array(plan.table.length))[row] = spans;
  }
  return nested;
}

// ─── kinds of top-level object ──────────────────────────────────────────────────────────────────

const H_TYPE = hashKey('type');
const H_TY = hashKey('ty');
const H_METHOD = hashKey('method');
const H_MTHD = hashKey('mthd');
const H_STATUS = hashKey('status');
const H_ERROR = hashKey('error');

const LIST_PLAN = planFor(LIST_SUBSCRIPTIONS, 'listSubscriptions');
const STATUS_PLAN = planFor(STATUS, 'status');
const ERROR_PLAN = planFor(ERROR_BODY, 'error');

function isKey(src: string, p: number, name: string): boolean {
  const ks = found.keys[p + 1];
  return found.keys[p + 2] - ks === name.length && src.startsWith(name, ks);
}

/** Decode the object at `i`; returns the index past it and pushes the message onto `out`. */
function decodeObject(src: string, i: number, n: number, out: UpbitMessage[]): number {
  if (src.charCodeAt(i) !== 123) fail('expected an object', i);
  const end = scanObject(src, i, n, true);
  const keys = found.keys;
  let plan: Plan | undefined;
  let errorSpan = -1;
  for (let k = 0, p = 0; k < found.count; k++, p += 6) {
    const h = keys[p];
    if ((h === H_TYPE && isKey(src, p, 'type')) || (h === H_TY && isKey(src, p, 'ty'))) {
      const vs = keys[p + 3];
      const ve = keys[p + 4];
      const type = src.charCodeAt(vs) === 34 ? readString(src, vs, keys[p + 5] ? -ve : ve) : undefined;
      const table = type === undefined ? undefined : tableOf(type);
      if (!table) {
        throw new UpbitDecodeError(
          'DECODE_UNKNOWN_TYPE',
          `unknown message type ${type === undefined ? src.slice(vs, ve) : JSON.stringify(type)}`,
          vs,
        );
      }
      plan = planFor(table);
      break;
    }
    if ((h === H_METHOD && isKey(src, p, 'method')) || (h === H_MTHD && isKey(src, p, 'mthd'))) plan = LIST_PLAN;
    else if (h === H_STATUS && isKey(src, p, 'status')) plan = STATUS_PLAN;
    else if (h === H_ERROR && isKey(src, p, 'error')) errorSpan = keys[p + 3];
  }
  if (!plan && errorSpan > 0) {
    if (src.charCodeAt(errorSpan) !== 123) throw new UpbitDecodeError('DECODE_FIELD', 'error is not an object', errorSpan);
    scanObject(src, errorSpan, n, true);
    plan = ERROR_PLAN;
  }
  if (!plan) throw new UpbitDecodeError('DECODE_UNKNOWN_TYPE', 'object has no type, method, status or error key', i);
  const o = matchKeys(src, plan);
  const nested = plan.children.length > 0 ? scanLists(src, plan, o) : undefined;
  out.push(new plan.View(src, o, nested) as unknown as UpbitMessage);
  return end;
}

// ─── the entry point ────────────────────────────────────────────────────────────────────────────

/** Bytes to text, refusing invalid UTF-8 rather than replacing it silently. */
export function frameText(frame: string | Uint8Array): string {
  if (typeof frame === 'string') return frame;
  if (!isUtf8(frame)) throw new UpbitDecodeError('DECODE_UTF8', 'frame is not valid UTF-8');
  return Buffer.isBuffer(frame)
    ? frame.toString('utf8')
    : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8');
}

/**
 * Decode one frame into its messages (one, or several for a LIST format frame). Throws only
 * `UpbitDecodeError`.
 */
export function decodeFrame(frame: string | Uint8Array): UpbitMessage[] {
  try {
    const src = frameText(frame);
    const n = src.length;
    let i = skipWs(src, 0);
    if (i >= n) throw new UpbitDecodeError('DECODE_EMPTY', 'empty frame', 0);
    const out: UpbitMessage[] = [];
    if (src.charCodeAt(i) === 91) i = scanArray(src, i, n, (s, j, len) => decodeObject(s, j, len, out));
    else i = decodeObject(src, i, n, out);
    if (skipWs(src, i) < n) fail('trailing characters', i);
    return out;
  } catch (err) {
    if (err instanceof UpbitDecodeError) throw err;
    // Defence in depth: the contract is that nothing but UpbitDecodeError leaves the decoder.
    throw new UpbitDecodeError('DECODE_JSON', `undecodable frame: ${(err as Error)?.message ?? String(err)}`, undefined, err);
  }
}

/** Check a value without decoding it (used by tests and by the mock's request parser). */
export function isWellFormedJson(text: string): boolean {
  try {
    const i = skipValue(text, skipWs(text, 0), text.length);
    return skipWs(text, i) >= text.length;
  } catch {
    return false;
  }
}
