/**
 * The plan-driven object walk: one pass over an object's bytes that validates the JSON, matches
 * each key (DEFAULT or SIMPLE) to its field-table row, checks the value's kind and records its
 * span. decode.ts picks the plan and builds the message from what `fill` recorded.
 *
 * Keys are matched in two ways. Upbit sends a kind's keys in a fixed order, so each plan remembers
 * the key it saw at each position (per key style) and the walk first compares the bytes there with
 * that guess (`name":`, one comparison, no hashing); on a miss, the key is hashed while walked and
 * looked up in the plan's table, and the guess is updated.
 *
 * Semantic problems (wrong kind, missing or null-but-required field, unknown type) do not stop the
 * walk: the first one is kept in `state.problem` and thrown by decodeFrame once the whole frame is
 * known to be well-formed JSON, so malformed JSON is always reported as such.
 */
import { UpbitDecodeError } from './errors.js';
import { type Bytes, fail, scanArray, skipNumber, skipString, skipValue, skipWs } from './scan.js';
import {
  enumAt,
  K_BOOLEAN,
  K_DECIMAL,
  K_ID,
  K_INT64,
  K_INTEGER,
  K_LIST,
  K_STRING,
  K_STRINGS,
  clearSlots,
  LISTS,
  ENDS,
  readString,
  slot,
  SLOTS,
  type LazyView,
  type Plan,
  type Source,
} from './view.js';

// ─── per-frame state ────────────────────────────────────────────────────────────────────────────

export const state = {
  /** What the views of the frame being decoded read from (its text when ASCII, else its bytes). */
  source: '' as Source,
  /** The first semantic problem of the frame being decoded. */
  problem: undefined as UpbitDecodeError | undefined,
};

/** Note a semantic problem (the first one is kept). */
export function reject(code: 'DECODE_FIELD' | 'DECODE_UNKNOWN_TYPE', message: string, at: number): void {
  state.problem ??= new UpbitDecodeError(code, message, at);
}

function fieldError(plan: Plan, row: number, why: string, at: number): void {
  const r = plan.table[row];
  reject('DECODE_FIELD', `field ${r.wire} (${r.simple}): ${why}`, at);
}

/** Check the value starting with byte `c` at `vs` against the row's kind. */
function checkKind(b: Bytes, plan: Plan, row: number, c: number, vs: number, ve: number): void {
  if (c === 110) {
    if (plan.nullable[row] === 0) fieldError(plan, row, 'null where a value is required', vs);
    return;
  }
  const k = plan.kinds[row];
  let ok: boolean;
  switch (k) {
    case K_DECIMAL:
      ok = c === 45 || (c >= 48 && c <= 57);
      break;
    case K_STRING:
      ok = c === 34;
      // The discriminant must agree with the plan chosen from it (a later duplicate `type` might not).
      if (ok && row === plan.typeRow && plan.values[row] !== undefined) {
        ok = enumAt(b, vs, ve, plan.values[row]) !== undefined || plan.values[row].includes(readString(state.source, vs, ve));
      }
      break;
    case K_INTEGER:
    case K_INT64:
    case K_ID:
      if (k === K_ID && c === 34) return;
      ok = c === 45 || (c >= 48 && c <= 57);
      for (let j = vs; ok && j < ve; j++) {
        const d = b[j];
        if (d === 46 || d === 101 || d === 69) ok = false;
      }
      if (ok && k === K_INTEGER && ve - vs > 15) ok = false; // could exceed 2^53: would lose digits
      break;
    case K_BOOLEAN:
      ok = c === 116 || c === 102;
      break;
    default: // lists: their elements are checked where they are scanned
      ok = c === 91;
  }
  if (!ok) fieldError(plan, row, `expected ${plan.table[row].kind.t}`, vs);
}

// ─── the plan-driven object walk ────────────────────────────────────────────────────────────────

/** Learned key positions per object are capped, so a frame with absurdly many keys cannot grow them. */
const MAX_LEARNED = 128;

/**
 * Walk the object at `{` (index `i`) with `plan`: validate it, put each known key's value start in
 * `SLOTS` from `base` (later duplicates win, as with `JSON.parse`; cleared by the caller), and the
 * element views of list rows in `LISTS`. `style` is the key
 * style the object is expected in (0 DEFAULT, 1 SIMPLE); it only picks the learned key order.
 * Returns the index past `}`.
 */
export function fill(b: Bytes, i: number, n: number, plan: Plan, base: number, style: 0 | 1): number {
  let c = b[++i];
  if (c <= 32) c = b[(i = skipWs(b, i))];
  if (c !== 125) i = fillKeys(b, i, n, plan, base, style);
  const required = plan.required;
  for (let r = 0; r < required.length; r++) {
    if (SLOTS[base + required[r]] === 0) fieldError(plan, required[r], 'missing', i);
  }
  return i + 1;
}

/** The keys of `fill`'s object, from the first key's quote; returns the index of the closing `}`. */
function fillKeys(b: Bytes, i: number, n: number, plan: Plan, base: number, style: 0 | 1): number {
  const order = plan.order[style];
  const orderRows = plan.orderRows[style];
  const kinds = plan.kinds;
  let c = b[i]; // the first key's quote (`fill` only skipped whitespace after `{`)
  for (let pos = 0; ; pos++) {
    if (c !== 34) fail(i >= n ? 'unexpected end' : 'expected a key', i);
    const ks = i + 1;
    let row = -1;
    // Fast path: the key is the one seen at this position last time, bytes `name":` (no escapes).
    const guess = pos < order.length ? order[pos] : undefined;
    let hit = guess !== undefined;
    if (hit) {
      const len = guess!.length;
      for (let j = 0; j < len; j++) {
        if (b[ks + j] !== guess![j]) {
          hit = false;
          break;
        }
      }
      if (hit) {
        row = orderRows[pos];
        i = ks + len;
      }
    }
    if (!hit) {
      row = keyRow(b, ks, n, plan);
      i = keyEnd + 1;
      if (pos < MAX_LEARNED) {
        order[pos] = row >= 0 ? plan.keyBytes[keyCode] : undefined;
        orderRows[pos] = row;
      }
      c = b[i];
      if (c !== 58) {
        i = skipWs(b, i);
        if (b[i] !== 58) fail(i >= n ? 'unexpected end' : 'expected ":"', i);
      }
      i++;
    }
    c = b[i];
    if (c <= 32) c = b[(i = skipWs(b, i))];
    // the value
    const vs = i;
    let ve: number;
    if (c === 34) {
      for (;;) {
        const d = b[++i];
        if (d === 34) {
          ve = ++i;
          break;
        }
        if (d === 92 || !(d >= 32)) {
          ve = -(i = skipString(b, vs, n)); // escapes (or an error, thrown there)
          break;
        }
      }
    } else if (c >= 48 ? c <= 57 : c === 45) {
      ve = i = skipNumber(b, i);
    } else if (c === 91 && row >= 0 && kinds[row] === K_LIST) {
      ve = i = fillList(b, i, n, plan, row, style);
    } else if (c === 91 && row >= 0 && kinds[row] === K_STRINGS) {
      ve = i = scanStrings(b, i, n, plan, row);
    } else ve = i = skipValue(b, i, n);
    if (row >= 0) {
      if (kinds[row] !== K_DECIMAL || !(c >= 48 ? c <= 57 : c === 45)) checkKind(b, plan, row, c, vs, ve);
      SLOTS[base + row] = vs;
      ENDS[base + row] = ve;
      if (kinds[row] === K_LIST && c !== 91) LISTS[row] = undefined; // a later `null` replaces an earlier list
    }
    c = b[i];
    if (c <= 32) c = b[(i = skipWs(b, i))];
    if (c === 44) {
      c = b[++i];
      if (c <= 32) c = b[(i = skipWs(b, i))];
    } else if (c === 125) return i;
    else fail(i >= n ? 'unexpected end' : 'expected "," or "}"', i);
  }
}

/** Set by `keyRow`: the index of the key's closing quote, and the matched `2·row + isSimple`. */
let keyEnd = 0;
let keyCode = 0;

/** The row of the key whose text starts at `ks` (-1 when unknown or escaped), walking and validating it. */
function keyRow(b: Bytes, ks: number, n: number, plan: Plan): number {
  let i = ks;
  let h = 0;
  for (;;) {
    const c = b[i];
    if (c === 34) break;
    if (c === 92 || !(c >= 32)) {
      if (c !== 92) fail(i >= n ? 'unterminated key' : 'control character in key', i);
      keyEnd = skipString(b, ks - 1, n) - 1;
      return -1; // a key with escapes matches no field
    }
    h = ((h << 5) - h + c) | 0; // h·31 + c, as hashKey
    i++;
  }
  keyEnd = i;
  const slots = plan.slots;
  const mask = plan.mask;
  for (let s = slot(h, mask); ; s = (s + 1) & mask) {
    const code = slots[2 * s + 1];
    if (code === 0) return -1;
    if (slots[2 * s] === h) {
      // hashes are unique within a table: this is the only candidate; confirm the text
      const name = plan.keyBytes[code - 1];
      if (i - ks !== name.length - 2) return -1;
      for (let j = ks; j < i; j++) if (b[j] !== name[j - ks]) return -1;
      keyCode = code - 1;
      return keyCode >> 1;
    }
  }
}

/**
 * The array of objects at `[` for list row `row`: each element filled with the child plan (from
 * base `plan.rows`) and built into its view, the frozen list put in `LISTS[row]`.
 */
function fillList(b: Bytes, i: number, n: number, plan: Plan, row: number, style: 0 | 1): number {
  const child = plan.children[row]!;
  const base = plan.rows;
  const views: LazyView[] = [];
  const end = scanArray(b, i, n, (bb, j, len) => {
    if (bb[j] !== 123) {
      const end = skipValue(bb, j, len); // malformed JSON first, then the field error
      fieldError(plan, row, 'list element is not an object', j);
      return end;
    }
    clearSlots(child, base);
    const past = fill(bb, j, len, child, base, style); // element tables have no lists of their own
    if (state.problem === undefined) views.push(new child.View(state.source, base));
    return past;
  });
  LISTS[row] = Object.freeze(views);
  return end;
}

/** The array at `[` for a list-of-strings row: every element must be a string. */
function scanStrings(b: Bytes, i: number, n: number, plan: Plan, row: number): number {
  return scanArray(b, i, n, (bb, j, len) => {
    const end = skipValue(bb, j, len);
    if (bb[j] !== 34) fieldError(plan, row, 'list element is not a string', j);
    return end;
  });
}
