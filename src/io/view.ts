/**
 * Decoded messages: lazy, immutable views over a frame, one generated class per table.
 *
 * How to read this file: `planFor(table)` compiles a field table (fields.ts) once into a `Plan`: an
 * open-addressing key table that maps both the DEFAULT and the SIMPLE key of every row to the row,
 * per-row kinds for the walk's type checks (fill.ts), and the message class `View` (`makeView`).
 * A view is one object: the frame (`Source`: its text, or its bytes) and one private field per row
 * holding where that row's value starts in the frame (0: absent). The routing keys (`type`,
 * `code`, `streamType`) are plain own properties; every other field is a prototype getter that
 * reads its value from the start on first read (`readAt`: the value's end is found there) and
 * keeps it in the same field. The scanners (fill.ts, template.ts) write an object's value starts
 * into the shared scratch `SLOTS` and build its view at once, so a message costs one object (and
 * one per list element), the frame's text unless it reads the frame's bytes, and what its reader
 * asks for.
 */
import { Buffer } from 'node:buffer';
import { decimalAt, decimalBytes } from './decimal.js';
import type { Kind, Row, Table } from './fields.js';
import { at, detach, hashKey, internalized } from './scan.js';
import { END_SCRATCH, SLOT_SCRATCH } from './scratch.js';

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

/**
 * What a view reads from, at byte offsets: the frame's text when `decodeFrame` was given an ASCII
 * frame (byte offsets = string offsets), else its bytes: a private copy of a non-ASCII frame's, or
 * the frame itself when its owner handed it over (the hub's socket: `ws` never writes a message's
 * bytes again; fast.ts `frameSource`). Structural characters and digits are ASCII bytes in UTF-8 too,
 * so every reader below scans bytes and text alike.
 */
export type Source = string | Buffer;

/**
 * Where the scanners (fill.ts, template.ts) put the value starts of the object they are reading,
 * by row, before its view is built: `SLOTS[base + row]`, 0 = absent. A top-level object uses base
 * 0, the elements of its list rows `plan.rows` (element tables have no lists of their own). The
 * view's constructor copies its rows out at once, so one scratch serves every frame.
 */
export const SLOTS = SLOT_SCRATCH;
/** The value ends beside them (a negative end marks a string with escapes), for the routing keys the constructor reads. */
export const ENDS = END_SCRATCH;
/** The element views of the list rows of the object being read, by row; taken by its constructor. */
export const LISTS: (readonly LazyView[] | undefined)[] = [];

/** Clear an object's slots (and list rows) before a scanner fills them. */
export function clearSlots(plan: Plan, base: number): void {
  SLOTS.fill(0, base, base + plan.rows);
  for (let k = 0; k < plan.listRows.length; k++) LISTS[plan.listRows[k]] = undefined;
}

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
  /** The rows whose values are lists of objects. */
  readonly listRows: Int32Array;
  readonly typeRow: number;
  /** Build the view of the object whose value starts are in `SLOTS` from `base` (and list rows in `LISTS`). */
  readonly View: new (src: Source, base: number) => LazyView;
  /**
   * The key order seen last, per key style (0 DEFAULT, 1 SIMPLE): at position k, the key's bytes
   * with `":` (undefined = no guess) and its row. Upbit sends keys in a fixed order, so the scanner
   * confirms each key with one byte comparison instead of hashing and looking it up.
   */
  readonly order: [(Uint8Array | undefined)[], (Uint8Array | undefined)[]];
  readonly orderRows: [number[], number[]];
}

/**
 * @internal A trade's `sequentialId` as the router reads it for de-duplication (router.ts): a
 * view's `[ID_DIGITS]()` reads the id's digits straight from the frame into `ID_HALVES` and
 * returns how many there are (-1 when the id is not 1 to 30 plain digits). No string is made, and
 * nothing is kept in the message; a user's read of `sequentialId` still gets a string of its own.
 */
export const ID_DIGITS: unique symbol = Symbol('upbit-ws.idDigits');

/**
 * @internal Set by `idDigits`: an id of at most 30 digits as two exact numbers, its first 15
 * digits (`[0]`) and the rest (`[1]`, 0 when there is none). With the digit count, they tell any
 * two ids apart. A typed array: a double in a module variable is boxed, one allocation per trade.
 */
export const ID_HALVES = new Float64Array(2);

/**
 * @internal The digit run at `i` as `ID_HALVES`, if what starts there (up to a `,` `}` `]` or the
 * end) is 1–30 digits: their count, else -1 (a sign, a fraction or an exponent, or too long). One
 * pass, so the first 15 digits are the high half: the count is not known until the end.
 */
export function idDigits(src: Source, i: number): number {
  let hi = 0;
  let lo = 0;
  let k = i;
  let c = 0;
  // One loop per kind of source: a type check per digit costs more than the digit.
  if (typeof src === 'string') {
    for (; ; k++) {
      c = src.charCodeAt(k);
      if (!(c >= 48 && c <= 57) || k - i >= 30) break;
      if (k - i < 15) hi = hi * 10 + (c - 48);
      else lo = lo * 10 + (c - 48);
    }
  } else {
    for (; ; k++) {
      c = src[k];
      if (!(c >= 48 && c <= 57) || k - i >= 30) break;
      if (k - i < 15) hi = hi * 10 + (c - 48);
      else lo = lo * 10 + (c - 48);
    }
  }
  if (c >= 48 && c <= 57) return -1; // more than 30 digits
  if (c === 45 || c === 46 || c === 43 || c === 101 || c === 69) return -1; // - . + e E: not plain digits
  const n = k - i;
  if (n === 0) return -1;
  ID_HALVES[0] = hi;
  ID_HALVES[1] = lo;
  return n;
}

/** The key under which a receiver stamps a message's arrival time (the hub's delay sample, arrival.ts). */
export const ARRIVED: unique symbol = Symbol('upbit-ws.arrived');

/**
 * The common base of every decoded message and nested list element. Each plan's class (generated
 * by `makeView`) holds the source and one private slot per row: the value's start (0 = absent), or,
 * once read, the value itself. The slots are private: invisible to Object.keys, spread and JSON.
 */
export abstract class LazyView {
  /** A plain object with every field (nested list elements too); Decimals stay Decimals. */
  abstract toJSON(): Record<string, unknown>;
}

/**
 * The base of top-level messages (not of list elements): two more slots, for whoever receives them.
 * Each plan's class (`makeView`) holds them as private fields set at construction, so setting them
 * never changes a message's hidden class or grows a property store.
 */
export abstract class MessageView extends LazyView {
  /** The connection generation the hub delivered this message in; undefined from `decodeFrame`. */
  abstract get epoch(): number | undefined;
  abstract set epoch(epoch: number | undefined);
  /** @internal When the hub received the frame (`performance.now()` ms), for its delay sample. */
  abstract get [ARRIVED](): number | undefined;
  abstract set [ARRIVED](at: number | undefined);
}

// ─── reading a value from its start ─────────────────────────────────────────────────────────────

/** The index past the string at its quote `i`; negative when it has escapes (the convention of `readString`). */
function stringEnd(src: Source, i: number): number {
  if (typeof src !== 'string') return bytesStringEnd(src, i);
  let escaped = false;
  for (;;) {
    const c = src.charCodeAt(++i);
    if (c === 34) return escaped ? -(i + 1) : i + 1;
    if (c === 92) {
      escaped = true;
      i++;
    }
  }
}

/** `stringEnd` in bytes. */
function bytesStringEnd(src: Buffer, i: number): number {
  let escaped = false;
  for (;;) {
    const c = src[++i];
    if (c === 34) return escaped ? -(i + 1) : i + 1;
    if (c === 92) {
      escaped = true;
      i++;
    }
  }
}

/** The index past the array of strings at `[` (index `i`). */
export function stringsEnd(src: Source, i: number): number {
  for (;;) {
    const c = at(src, ++i);
    if (c === 93) return i + 1;
    if (c === 34) i = Math.abs(stringEnd(src, i)) - 1;
  }
}

/** The index past the number at `i` (its characters are digits, `.`, `e`, `E`, `+` and `-`). */
function numberEndAt(src: Source, i: number): number {
  for (;; i++) {
    const c = at(src, i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) return i;
  }
}

/** The decimal (or null) starting at `vs`: the commonest read, without `readAt`'s dispatch. */
function readDecimal(src: Source, vs: number): unknown {
  // It stops where the number does.
  if (typeof src === 'string') return src.charCodeAt(vs) === 110 ? null : decimalAt(src, vs, src.length);
  return src[vs] === 110 ? null : decimalBytes(src, vs, src.length);
}

/** The value of kind `k` starting at `vs` (never 0: absent rows read as null before this). */
export function readAt(src: Source, vs: number, k: number, values: readonly string[] | undefined): unknown {
  const c = at(src, vs);
  if (c === 110 /* null */) return null;
  switch (k) {
    case K_DECIMAL:
      return readDecimal(src, vs);
    case K_INTEGER: {
      let j = vs;
      const neg = c === 45;
      if (neg) j++;
      let x = 0;
      if (typeof src === 'string') for (let d = src.charCodeAt(j); d >= 48 && d <= 57; d = src.charCodeAt(++j)) x = x * 10 + (d - 48);
      else for (let d = src[j]; d >= 48 && d <= 57; d = src[++j]) x = x * 10 + (d - 48);
      return neg ? -x : x;
    }
    case K_INT64:
      return textAt(src, vs, numberEndAt(src, vs));
    case K_ID:
      return c === 34 ? readString(src, vs, stringEnd(src, vs)) : textAt(src, vs, numberEndAt(src, vs));
    case K_STRING:
      return readEnum(src, vs, stringEnd(src, vs), values);
    case K_BOOLEAN:
      return c === 116;
    case K_STRINGS: {
      const end = stringsEnd(src, vs);
      return Object.freeze(JSON.parse(typeof src === 'string' ? src.slice(vs, end) : src.toString('utf8', vs, end)) as string[]);
    }
    default: // K_LIST: a present list is in its slot already; only null reaches here
      return null;
  }
}

/** The text of a string span (quotes included in the span; a negative end marks escapes), holding no part of the frame. */
export function readString(src: Source, vs: number, ve: number): string {
  if (ve < 0) return JSON.parse(typeof src === 'string' ? src.slice(vs, -ve) : src.toString('utf8', vs, -ve)) as string;
  return textAt(src, vs + 1, ve - 1);
}

/** The characters from `s` to `e` (no escapes) as a string of its own. */
function textAt(src: Source, s: number, e: number): string {
  if (typeof src === 'string') return detach(src.slice(s, e));
  if (e - s <= SHORT_TEXT) {
    let ascii = true;
    for (let j = s; j < e; j++) if (src[j] > 127) ascii = false;
    if (ascii) return shortText(src, s, e - s);
  }
  return src.toString('utf8', s, e);
}

/** The longest string `shortText` builds. */
const SHORT_TEXT = 20;

/**
 * `n` ≤ SHORT_TEXT ASCII bytes from `s` as a string: one `String.fromCharCode` call with exactly
 * `n` arguments, which V8 builds without an array (about 12 ns for 10 characters, against about 45
 * ns for a `Buffer` slice's call into C++).
 */
const shortText = new Function(
  'F',
  `return function shortText(b, s, n) {
  switch (n) {
    ${Array.from({ length: SHORT_TEXT + 1 }, (_, n) => `case ${n}: return F(${Array.from({ length: n }, (_, j) => `b[s + ${j}]`).join(', ')});`).join('\n    ')}
  }
};`,
)(String.fromCharCode) as (b: Uint8Array, s: number, n: number) => string;

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

/**
 * `readEnum` for one row's constants, generated: in a byte source each constant is one comparison
 * of its length and its bytes with constants (no loop over `values`, no string reads); anything
 * else, and text sources, take `readEnum`. For the routing keys the constructor reads (`streamType`).
 */
function enumReader(values: readonly string[]): (src: Source, vs: number, ve: number, v: readonly string[]) => string {
  const tests = values.map((v, k) => `if (n === ${v.length}${Array.from(v, (ch, j) => ` && src[vs + ${j + 1}] === ${ch.charCodeAt(0)}`).join('')}) return V[${k}];`);
  return new Function('N', 'V', `return function (src, vs, ve, values) {
  if (typeof src !== 'string') {
    const n = ve - vs - 2;
    ${tests.join('\n    ')}
  }
  return N(src, vs, ve, values);
};`)(readEnum, values) as (src: Source, vs: number, ve: number, v: readonly string[]) => string;
}

// Interned short strings (market codes): a frame's code is looked up in place, so the thousands of
// messages of one market share one string and allocate none. Bounded: once INTERN_MAX strings are
// kept, new ones are sliced as usual.
const INTERN_SIZE = 4096;
const INTERN_MAX = 2048;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SIZE).fill(undefined);
let internedCount = 0;
/** The characters of each interned string, as `readCode` keys them. */
const INTERN_LO = new Float64Array(INTERN_SIZE);
const INTERN_HI = new Float64Array(INTERN_SIZE);

/**
 * The string value at `vs` (its quote), interned when it is plain ASCII of at most 12 characters
 * (V8 copies such slices, so an interned string never holds its frame alive).
 */
function readCode(src: Source, vs: number, ve: number): string {
  const len = ve - vs - 2;
  if (len < 0 || len > 12) return readString(src, vs, ve);
  // The characters themselves as the key: up to 6 in `lo`, the rest in `hi` (base 256, exact in
  // a double), so a lookup compares two numbers instead of the characters.
  let lo = 0;
  let hi = 0;
  let all = 0; // every byte or character, or-ed: above 127 when one is
  const from = vs + 1;
  if (typeof src === 'string') {
    for (let j = 0; j < len; j++) {
      const c = src.charCodeAt(from + j);
      all |= c;
      if (j < 6) lo = lo * 256 + c;
      else hi = hi * 256 + c;
    }
  } else {
    for (let j = 0; j < len; j++) {
      const c = src[from + j];
      all |= c;
      if (j < 6) lo = lo * 256 + c;
      else hi = hi * 256 + c;
    }
  }
  if (all > 127) return readString(src, vs, ve); // interned strings are ASCII
  const h = Math.imul(lo | 0, 0x9e3779b1) ^ Math.imul((lo / 4294967296) | 0, 0x85ebca6b) ^ Math.imul(hi | 0, 0xc2b2ae35) ^ Math.imul((hi / 4294967296) | 0, 0x27d4eb2f) ^ len;
  let s = (h ^ (h >>> 12)) & (INTERN_SIZE - 1);
  for (let probe = 0; probe < 8; probe++, s = (s + 1) & (INTERN_SIZE - 1)) {
    const e = interned[s];
    if (e === undefined) {
      if (internedCount >= INTERN_MAX) return textAt(src, from, ve - 1);
      const text = internalized(textAt(src, from, ve - 1)); // the router finds its routes by identity
      internedCount++;
      INTERN_LO[s] = lo;
      INTERN_HI[s] = hi;
      return (interned[s] = text);
    }
    if (INTERN_LO[s] === lo && INTERN_HI[s] === hi && e.length === len) return e;
  }
  return textAt(src, from, ve - 1);
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
    listRows: Int32Array.from(table.flatMap((r, i) => (r.kind.t === 'list' ? [i] : []))),
    typeRow,
    View: undefined as unknown as Plan['View'],
    keyBytes: names.map((name) => Buffer.from(`${name}":`, 'latin1')),
    order: [[], []],
    orderRows: [[], []],
  };
  const childRows = Math.max(0, ...children.map((c) => c?.rows ?? 0));
  if (2 * table.length + childRows > SLOTS.length) throw new Error(`table of ${table.length} rows does not fit the scratch`);
  (plan as { View: Plan['View'] }).View = makeView(plan, typeRow, codeRow, streamRow, synthetic);
  plans.set(table, plan);
  return plan;
}

/** The home slot of a key hash. */
export function slot(h: number, mask: number): number {
  return (h ^ (h >>> 11)) & mask;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Generate the message class of one plan. Its constructor copies the object's value starts from
 * `SLOTS` into one private field per row (the list rows take their element views from `LISTS`) and
 * sets the routing keys (`type`, `code`, `streamType`) as plain own properties, in a fixed order
 * (one shape). Every other field is a prototype getter that reads its value from the start on first
 * read and keeps it in the same field (integers and booleans, which allocate nothing, are read
 * again each time). Generated code, so that each field is a monomorphic access to an in-object
 * slot: one object per message, no spans array, no closures.
 */
function makeView(plan: Plan, typeRow: number, codeRow: number, streamRow: number, synthetic: string | undefined) {
  const { table, kinds } = plan;
  const own = (i: number) => i >= 0 && (i === typeRow || i === codeRow || i === streamRow);
  const fields: string[] = [];
  const copies: string[] = [];
  const getters: string[] = [];
  const ownLines: string[] = [];
  let idReader = '';
  // Routing keys are strings (an enum or the code): their ends are in `ENDS`, no rescan.
  const readOwn = (i: number, how: string) =>
    `s[b + ${i}] === 0 ? null : ${how}(src, s[b + ${i}], E[b + ${i}], V[${i}])`; // never null: required rows
  const typeValues = typeRow >= 0 ? plan.values[typeRow] : undefined;
  if (synthetic !== undefined) ownLines.push(`this.type = ${JSON.stringify(synthetic)};`);
  else if (typeValues?.length === 1) ownLines.push(`this.type = ${JSON.stringify(typeValues[0])};`); // the plan was chosen by it
  else if (typeRow >= 0) ownLines.push(`this.type = ${readOwn(typeRow, 'N')};`);
  if (codeRow >= 0) ownLines.push(`this.code = ${readOwn(codeRow, 'C')};`);
  if (streamRow >= 0) ownLines.push(`this.streamType = ${readOwn(streamRow, plan.values[streamRow] !== undefined ? 'ST' : 'N')};`);
  table.forEach((row: Row, i) => {
    if (own(i)) return;
    if (!IDENTIFIER.test(row.name)) throw new Error(`field name ${row.name} is not an identifier`);
    const f = `#r${i}`;
    fields.push(`${f};`);
    const k = kinds[i];
    if (k === K_LIST) {
      copies.push(`this.${f} = L[${i}] ?? s[b + ${i}]; L[${i}] = undefined;`);
      getters.push(`get ${row.name}() { const v = this.${f}; return typeof v === 'number' ? null : v; }`);
    } else {
      if (row.name === 'sequentialId' && k === K_INT64) {
        idReader = `[ID]() { const v = this.${f}; return typeof v === 'number' && v !== 0 ? IDD(this.#s, v) : -1; }`;
      }
      copies.push(`this.${f} = s[b + ${i}];`);
      getters.push(
        k === K_INTEGER || k === K_BOOLEAN
          ? `get ${row.name}() { const v = this.${f}; return v === 0 ? null : R(this.#s, v, ${k}, undefined); }`
          : k === K_DECIMAL
            ? `get ${row.name}() { const v = this.${f}; if (typeof v !== 'number') return v; return v === 0 ? null : (this.${f} = D(this.#s, v)); }`
            : `get ${row.name}() { const v = this.${f}; if (typeof v !== 'number') return v; return v === 0 ? null : (this.${f} = R(this.#s, v, ${k}, V[${i}])); }`,
      );
    }
  });
  // No \`extends\`: the prototype chain is set below, so construction makes no super() call. A
  // top-level message carries its two hub slots (MessageView's accessors, generated here).
  const message = synthetic !== undefined || typeRow >= 0;
  const slots = message
    ? `#epoch = undefined; #arrived = undefined;
  get epoch() { return this.#epoch; }
  set epoch(v) { this.#epoch = v; }
  get [ARR]() { return this.#arrived; }
  set [ARR](v) { this.#arrived = v; }`
    : '';
  const body = `return class View {
  ${slots}
  #s;
  ${fields.join(' ')}
  constructor(src, b) {
    const s = S; // one context load: hot constructors stay within V8's inlining limit (test/io/view-inline.test.ts)
    this.#s = src;
    ${ownLines.join('\n    ')}
    ${copies.join('\n    ')}
  }
  ${getters.join('\n  ')}
  ${idReader}
  toJSON() { return J(this); }
};`;
  const toJSON = (v: LazyView): Record<string, unknown> => {
    const self = v as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (synthetic !== undefined) out.type = synthetic;
    for (const row of table) {
      const x = self[row.name];
      out[row.name] = row.kind.t === 'list' && x !== null ? (x as LazyView[]).map((e) => e.toJSON()) : x;
    }
    return out;
  };
  const View = new Function('S', 'E', 'L', 'R', 'D', 'N', 'C', 'V', 'J', 'ID', 'IDD', 'ARR', 'ST', body)(SLOTS, ENDS, LISTS, readAt, readDecimal, readEnum, readCode, plan.values, toJSON, ID_DIGITS, idDigits, ARRIVED, streamRow >= 0 && plan.values[streamRow] !== undefined ? enumReader(plan.values[streamRow]) : undefined) as Plan['View'];
  const proto = View.prototype as object;
  Object.setPrototypeOf(proto, (message ? MessageView : LazyView).prototype); // instanceof LazyView / MessageView hold
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (d.get !== undefined) Object.defineProperty(proto, name, { ...d, enumerable: true }); // as data fields would be
  }
  Object.defineProperty(proto, Symbol.for('nodejs.util.inspect.custom'), {
    value(this: LazyView) {
      return this.toJSON();
    },
  });
  return View;
}
