/**
 * Decoded messages: lazy, immutable views over a frame, one generated class per table.
 *
 * How to read this file: `planFor(table)` compiles a field table (fields.ts) once into a `Plan`: an
 * open-addressing key table that maps both the DEFAULT and the SIMPLE key of every row to the row,
 * per-row kinds for the walk's type checks (fill.ts), and the message class `View`. A view
 * keeps the frame (its text; its bytes when it is not ASCII) and the value spans the scanner found
 * in private fields. The routing keys (`type`, `code`, `streamType`) are plain own properties;
 * every other field is a prototype getter that turns its span into a value on first read and
 * caches it.
 */
import { decimalAt } from './decimal.js';
import type { Kind, Row, Table } from './fields.js';
import { hashKey } from './scan.js';

// Kind codes: how a row's value is checked (fill.ts) and read (below).
export const K_DECIMAL = 0;
export const K_INTEGER = 1; // integer and timestamp: a JSON integer within 2^53
export const K_INT64 = 2; // a JSON integer kept as its digit string
export const K_STRING = 3; // string and enum
export const K_BOOLEAN = 4;
export const K_STRINGS = 5;
export const K_LIST = 6;
export const K_ID = 7; // a string, or a JSON integer kept as its digit string

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
    case 'id':
      return K_ID;
    case 'boolean':
      return K_BOOLEAN;
    case 'strings':
      return K_STRINGS;
    case 'list':
      return K_LIST;
  }
}

/** What a view reads from: the frame text when the frame is ASCII (byte offsets = string offsets), else its bytes. */
export type Source = string | Buffer;
/**
 * Value spans of one object, as byte offsets: `[start, end)` per row at `2·row`, `2·row+1`; start 0 =
 * absent; a negative end marks a string with escapes. Once a view has decoded a row, start is -1
 * and the end slot holds the value (the view's cache).
 */
export type Spans = number[];
/** Element spans of the list rows of one object, by row. */
export type ListSpans = (Spans[] | undefined)[] | undefined;

export interface Plan {
  readonly table: Table;
  readonly rows: number;
  /** Open addressing on the key hash: `[hash, 1 + 2·row + isSimple]` pairs; 0 = empty slot. */
  readonly slots: Int32Array;
  readonly mask: number;
  /** Key text by `2·row + isSimple`. */
  readonly names: readonly string[];
  /** The same as bytes, followed by `":`, the form a learned guess is compared in. */
  readonly keyBytes: readonly Uint8Array[];
  readonly kinds: Int8Array;
  readonly nullable: Uint8Array;
  /** Rows that must be present, for the after-scan check. */
  readonly required: Int32Array;
  /** Allowed values of enum rows, used to intern decoded strings. */
  readonly values: (readonly string[] | undefined)[];
  readonly children: (Plan | undefined)[];
  readonly hasLists: boolean;
  readonly template: Spans;
  readonly typeRow: number;
  readonly View: new (src: Source, o: Spans, l: ListSpans) => LazyView;
  /**
   * The key order seen last, per key style (0 DEFAULT, 1 SIMPLE): at position k, the key's bytes
   * with `":` (undefined = no guess) and its row. Upbit sends keys in a fixed order, so the scanner
   * confirms each key with one byte comparison instead of hashing and looking it up.
   */
  readonly order: [(Uint8Array | undefined)[], (Uint8Array | undefined)[]];
  readonly orderRows: [number[], number[]];
}

/** The common part of every decoded message and nested list element. */
export abstract class LazyView {
  // Private: invisible to Object.keys, spread and JSON; the same three slots in every view.
  readonly #s: Source;
  /** The spans, and the cache: a decoded value replaces its span (start -1, value in the end slot). */
  readonly #o: Spans;
  readonly #l: ListSpans;
  constructor(src: Source, o: Spans, l: ListSpans) {
    this.#s = src;
    this.#o = o;
    this.#l = l;
  }
  /** A plain object with every field (nested list elements too); Decimals stay Decimals. */
  abstract toJSON(): Record<string, unknown>;

  /** @internal The value of row `i`, decoded on first read. */
  static field(v: LazyView, i: number, plan: Plan): unknown {
    const o = v.#o;
    const vs = o[2 * i];
    if (vs === -1) return (o as unknown[])[2 * i + 1]; // cached
    if (vs === 0) return null;
    const value = decodeSpan(v.#s, o, v.#l, i, vs, plan);
    o[2 * i] = -1; // no allocation of its own: the span's slots become the cache
    (o as unknown[])[2 * i + 1] = value;
    return value;
  }
}

function decodeSpan(src: Source, o: Spans, l: ListSpans, i: number, vs: number, plan: Plan): unknown {
  const k = plan.kinds[i];
  if (k === K_LIST) {
    const spans = l?.[i]; // absent when the value was null
    return spans === undefined ? null : readList(src, spans, plan.children[i]!);
  }
  if (typeof src === 'string') return readValue(src, vs, o[2 * i + 1], k, plan.values[i]);
  // Non-ASCII frame: decode the span's bytes to text, then read that.
  const ve = o[2 * i + 1];
  const text = src.toString('utf8', vs, ve < 0 ? -ve : ve);
  return readValue(text, 0, ve < 0 ? -text.length : text.length, k, plan.values[i]);
}

function spanText(src: Source, start: number, end: number): string {
  return typeof src === 'string' ? src.slice(start, end) : src.toString('utf8', start, end);
}

/** The text of a string span (quotes included in the span). */
export function readString(src: Source, vs: number, ve: number): string {
  return ve < 0 ? (JSON.parse(spanText(src, vs, -ve)) as string) : spanText(src, vs + 1, ve - 1);
}

/**
 * The constant among `values` (ASCII) that the string span `[vs, ve)` (quotes included) spells,
 * compared in place without making a string; undefined when none does or the span has escapes.
 */
export function enumAt(src: string | Uint8Array, vs: number, ve: number, values: readonly string[]): string | undefined {
  const len = ve - vs - 2; // negative for escaped spans (ve < 0): matches nothing
  next: for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v.length !== len) continue;
    if (typeof src === 'string') {
      for (let j = 0; j < len; j++) if (src.charCodeAt(vs + 1 + j) !== v.charCodeAt(j)) continue next;
    } else {
      for (let j = 0; j < len; j++) if (src[vs + 1 + j] !== v.charCodeAt(j)) continue next;
    }
    return v;
  }
  return undefined;
}

/** A string, returned as the table's own constant when it is one of `values` (one identity, no copy). */
export function readEnum(src: Source, vs: number, ve: number, values: readonly string[] | undefined): string {
  return (values !== undefined ? enumAt(src, vs, ve, values) : undefined) ?? readString(src, vs, ve);
}

function readValue(src: string, vs: number, ve: number, k: number, values: readonly string[] | undefined): unknown {
  if (src.charCodeAt(vs) === 110 /* null */) return null;
  switch (k) {
    case K_DECIMAL:
      return decimalAt(src, vs, ve);
    case K_INTEGER: {
      let j = vs;
      const neg = src.charCodeAt(j) === 45;
      if (neg) j++;
      let x = 0;
      for (; j < ve; j++) x = x * 10 + (src.charCodeAt(j) - 48);
      return neg ? -x : x;
    }
    case K_INT64:
      return src.slice(vs, ve);
    case K_ID:
      return src.charCodeAt(vs) === 34 ? readString(src, vs, ve) : src.slice(vs, ve);
    case K_STRING:
      return readEnum(src, vs, ve, values);
    case K_BOOLEAN:
      return src.charCodeAt(vs) === 116;
    default: // K_STRINGS
      return Object.freeze(JSON.parse(src.slice(vs, ve)) as string[]);
  }
}

function readList(src: Source, spans: Spans[], child: Plan): readonly LazyView[] {
  const out = new Array<LazyView>(spans.length);
  for (let e = 0; e < out.length; e++) out[e] = new child.View(src, spans[e], undefined);
  return Object.freeze(out);
}

// ─── plans ──────────────────────────────────────────────────────────────────────────────────────

const plans = new Map<Table, Plan>();

/** The compiled plan of `table`; `synthetic` names the discriminant of tables without a `type` row. */
export function planFor(table: Table, synthetic?: string): Plan {
  const cached = plans.get(table);
  if (cached) return cached;
  let size = 8;
  while (size < table.length * 4) size *= 2; // load ≤ 1/2 with two keys per row
  const mask = size - 1;
  const slots = new Int32Array(size * 2);
  const names: string[] = [];
  table.forEach((row, i) => {
    for (const [simple, name] of [
      [0, row.wire],
      [1, row.simple],
    ] as const) {
      names[2 * i + simple] = name;
      const h = hashKey(name);
      if (h === 0) throw new Error(`field name ${name} hashes to 0, the scanner's "no match"`);
      let s = slot(h, mask);
      while (slots[2 * s + 1] !== 0) {
        const other = names[slots[2 * s + 1] - 1];
        if (slots[2 * s] === h && other !== name) throw new Error(`field table hash collision: ${name} / ${other}`);
        if (slots[2 * s] === h) break; // same text for DEFAULT and SIMPLE (e.g. "url"): one slot
        s = (s + 1) & mask;
      }
      if (slots[2 * s + 1] === 0) {
        slots[2 * s] = h;
        slots[2 * s + 1] = 1 + 2 * i + simple;
      }
    }
  });
  const children = table.map((r) => (r.kind.t === 'list' ? planFor(r.kind.of) : undefined));
  const kinds = Int8Array.from(table, (r) => kindCode(r.kind));
  const typeRow = synthetic === undefined ? table.findIndex((r) => r.name === 'type') : -1;
  const codeRow = synthetic === undefined ? table.findIndex((r) => r.name === 'code') : -1;
  const streamRow = synthetic === undefined ? table.findIndex((r) => r.name === 'streamType') : -1;
  const values = table.map((r) => (r.kind.t === 'enum' ? r.kind.values : undefined));
  const plan: Plan = {
    table,
    rows: table.length,
    slots,
    mask,
    names,
    kinds,
    nullable: Uint8Array.from(table, (r) => (r.kind.nullable ? 1 : 0)),
    required: Int32Array.from(table.flatMap((r, i) => (r.kind.nullable ? [] : [i]))),
    values,
    children,
    hasLists: children.some((c) => c !== undefined),
    template: new Array<number>(table.length * 2).fill(0),
    typeRow,
    View: undefined as unknown as Plan['View'],
    keyBytes: names.map((name) => Buffer.from(`${name}":`, 'latin1')),
    order: [[], []],
    orderRows: [[], []],
  };
  (plan as { View: Plan['View'] }).View = makeView(plan, typeRow, codeRow, streamRow, synthetic);
  plans.set(table, plan);
  return plan;
}

/** The home slot of a key hash. */
export function slot(h: number, mask: number): number {
  return (h ^ (h >>> 11)) & mask;
}

/** Generate the message class of one plan: plain routing properties, lazy getters for the rest. */
function makeView(plan: Plan, typeRow: number, codeRow: number, streamRow: number, synthetic: string | undefined) {
  const { table, values } = plan;
  const own = (i: number) => i >= 0 && (i === typeRow || i === codeRow || i === streamRow);
  const View = class extends LazyView {
    constructor(src: Source, o: Spans, l: ListSpans) {
      super(src, o, l);
      // Own, eagerly-set properties in a fixed order (one shape): the routing keys.
      const self = this as unknown as Record<string, unknown>;
      if (synthetic !== undefined) self.type = synthetic;
      else if (typeRow >= 0) self.type = readEnum(src, o[2 * typeRow], o[2 * typeRow + 1], values[typeRow]);
      if (codeRow >= 0) self.code = readString(src, o[2 * codeRow], o[2 * codeRow + 1]);
      if (streamRow >= 0) self.streamType = readEnum(src, o[2 * streamRow], o[2 * streamRow + 1], values[streamRow]);
    }
    toJSON(): Record<string, unknown> {
      const self = this as unknown as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      if (synthetic !== undefined) out.type = synthetic;
      for (const row of table) {
        const v = self[row.name];
        out[row.name] = row.kind.t === 'list' && v !== null ? (v as LazyView[]).map((e) => e.toJSON()) : v;
      }
      return out;
    }
  };
  const proto = View.prototype;
  table.forEach((row: Row, i) => {
    if (own(i)) return;
    Object.defineProperty(proto, row.name, {
      enumerable: true,
      get(this: LazyView) {
        return LazyView.field(this, i, plan);
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
