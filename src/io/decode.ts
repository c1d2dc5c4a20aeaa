/**
 * `decodeFrame`: one Upbit frame (text or binary; DEFAULT, SIMPLE, JSON_LIST or SIMPLE_LIST) in,
 * an array of typed messages out.
 *
 * First, fast.ts tries learned key-order templates (a compiled regex per layout, issue 12): a frame
 * whose every object matches one is decoded without the walk below, to the same views. Otherwise
 * `decodeFrameWalk`, the reference decoder, runs, and fast.ts learns from what it accepted.
 *
 * How the walk works, in one pass per object over the frame's UTF-8 bytes:
 *   1. the message kind is read from the object's first key when that key is `type`/`ty` (what
 *      Upbit sends); otherwise scan.ts scans the object once to find `type`, `method`, `status` or
 *      `error` anywhere in it;
 *   2. `fill` (fill.ts) walks the object with that kind's plan (view.ts): it validates the JSON,
 *      matches each key, DEFAULT or SIMPLE, to its field-table row, checks the value's kind and
 *      records its span; list rows (orderbook units, assets) are filled in the same walk;
 *   3. a view is built whose routing keys (`type`, `code`, `streamType`) are plain properties and
 *      whose other fields decode on first read. Prices and volumes become `Decimal`s built from the
 *      source digits (decimal.ts): no value ever passes through a JS double.
 *
 * Errors: the whole frame is validated before anything is returned. Malformed JSON anywhere is
 * `DECODE_JSON` (even after a wrong field); otherwise the first unknown type or wrong, missing or
 * null-but-required field is reported (`DECODE_UNKNOWN_TYPE` / `DECODE_FIELD`). Nothing but an
 * `UpbitDecodeError` leaves `decodeFrame`.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { UpbitDecodeError } from './errors.js';
import { DATA_TYPES, ERROR_BODY, LIST_SUBSCRIPTIONS, STATUS, tableOf, type DataType, type UpbitMessage } from './fields.js';
import { decodeFast, learnFrom } from './fast.js';
import { fill, reject, state } from './fill.js';
import { type Bytes, fail, found, hashKey, scanArray, scanObject, skipValue, skipWs } from './scan.js';
import { clearSlots, enumAt, LazyView, LISTS, planFor, readString, type Plan } from './view.js';

export { LazyView };

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

/** Every data type and its plan, to recognise a `type` value in place. */
const TYPES = DATA_TYPES.map((t) => [t, planFor(tableOf(t)!)] as const);
const TYPE_NAMES = TYPES.map(([t]) => t);

/** The plan of a `type` value, or undefined (and a deferred error) when the type is unknown. */
function planOfType(b: Bytes, vs: number, ve: number): Plan | undefined {
  const known = enumAt(b, vs, ve, TYPE_NAMES);
  if (known !== undefined) return TYPES[TYPE_NAMES.indexOf(known as DataType)][1];
  const type = b[vs] === 34 ? readString(state.source, vs, ve) : undefined;
  const table = type === undefined ? undefined : tableOf(type);
  if (table) return planFor(table);
  const shown = type === undefined ? readString(state.source, vs - 1, Math.abs(ve) + 1) : JSON.stringify(type);
  reject('DECODE_UNKNOWN_TYPE', `unknown message type ${shown}`, vs);
  return undefined;
}

/** The key style of the object `planFromFirstKey` or the slow path last looked at: 0 DEFAULT, 1 SIMPLE. */
let style: 0 | 1 = 0;

/**
 * The plan for the object at `i` when its first key is `"type"` or `"ty"` with a plain string
 * value (undefined: unknown type, reported); null when the slow path must decide.
 */
function planFromFirstKey(b: Bytes, i: number): Plan | undefined | null {
  let j = skipWs(b, i + 1);
  if (b[j] !== 34 || b[j + 1] !== 116 || b[j + 2] !== 121) return null; // "ty
  if (b[j + 3] === 112 && b[j + 4] === 101 && b[j + 5] === 34) {
    style = 0; // "type"
    j += 6;
  } else if (b[j + 3] === 34) {
    style = 1; // "ty"
    j += 4;
  } else return null;
  j = skipWs(b, j);
  if (b[j] !== 58) return null;
  const vs = skipWs(b, j + 1);
  if (b[vs] !== 34) return null;
  for (let k = vs + 1; ; k++) {
    const c = b[k];
    if (c === 34) return planOfType(b, vs, k + 1);
    if (c === 92 || !(c >= 32)) return null; // escaped, malformed or unterminated: the slow path decides
  }
}

function isKey(b: Bytes, p: number, name: string): boolean {
  const ks = found.keys[p + 1];
  if (found.keys[p + 2] - ks !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[ks + k] !== name.charCodeAt(k)) return false;
  return true;
}

/** Decode the object at `i`; returns the index past it and pushes the message onto `out`. */
function decodeObject(b: Bytes, i: number, n: number, out: UpbitMessage[]): number {
  if (b[i] !== 123) {
    const end = skipValue(b, i, n);
    reject('DECODE_UNKNOWN_TYPE', 'message is not a JSON object', i);
    return end;
  }
  const plan = planFromFirstKey(b, i);
  if (plan === undefined) return skipValue(b, i, n); // unknown type: validate the rest, report later
  if (plan !== null) return build(b, i, n, plan, out);
  // Slow path: validate the object once, then find its discriminant wherever it is.
  const end = scanObject(b, i, n, true);
  const keys = found.keys;
  let errorAt = -1;
  let kind: Plan | undefined;
  style = 0;
  for (let k = 0, p = 0; k < found.count; k++, p += 6) {
    const h = keys[p];
    if ((h === H_TYPE && isKey(b, p, 'type')) || (h === H_TY && isKey(b, p, 'ty'))) {
      style = h === H_TY ? 1 : 0;
      const ve = keys[p + 4];
      kind = planOfType(b, keys[p + 3], keys[p + 5] ? -ve : ve);
      if (!kind) return end;
      break;
    }
    if ((h === H_METHOD && isKey(b, p, 'method')) || (h === H_MTHD && isKey(b, p, 'mthd'))) {
      kind = LIST_PLAN;
      style = h === H_MTHD ? 1 : 0;
    } else if (h === H_STATUS && isKey(b, p, 'status')) kind = STATUS_PLAN;
    else if (h === H_ERROR && isKey(b, p, 'error')) errorAt = keys[p + 3];
  }
  if (kind) build(b, i, n, kind, out);
  else if (errorAt < 0) reject('DECODE_UNKNOWN_TYPE', 'object has no type, method, status or error key', i);
  else if (b[errorAt] !== 123) reject('DECODE_FIELD', 'field error: expected an object', errorAt);
  else build(b, errorAt, n, ERROR_PLAN, out); // `{"error":{...}}`: the message is the inner object
  return end;
}

function build(b: Bytes, i: number, n: number, plan: Plan, out: UpbitMessage[]): number {
  clearSlots(plan, 0);
  const end = fill(b, i, n, plan, 0, style);
  if (state.problem === undefined) out.push(new plan.View(state.source, 0) as unknown as UpbitMessage);
  return end;
}

// ─── the entry point ────────────────────────────────────────────────────────────────────────────

/**
 * Bytes to text, refusing invalid UTF-8 rather than replacing it silently. Node's decoder turns
 * every invalid sequence into U+FFFD, so the (slower) validation only runs when the text holds one.
 */
export function frameText(frame: string | Uint8Array): string {
  if (typeof frame === 'string') return frame;
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const text = buf.toString('utf8');
  if (text.indexOf('\uFFFD') >= 0 && !isUtf8(buf)) throw new UpbitDecodeError('DECODE_UTF8', 'frame is not valid UTF-8');
  return text;
}

/**
 * The bytes to scan; sets `state.source`. An ASCII frame's views read its text (same offsets, and
 * immutable); any other frame's views read a private copy of its bytes, so a caller reusing its
 * buffer cannot change a decoded message.
 */
function frameBytes(frame: string | Uint8Array): Bytes {
  if (typeof frame === 'string') {
    const bytes = Buffer.from(frame, 'utf8');
    state.source = bytes.length === frame.length ? frame : bytes;
    return bytes;
  }
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const text = buf.toString('utf8');
  // Equal lengths and no U+FFFD: every byte was one ASCII character.
  if (text.length === buf.length && text.indexOf('\uFFFD') < 0) {
    state.source = text;
    return buf;
  }
  if (!isUtf8(buf)) throw new UpbitDecodeError('DECODE_UTF8', 'frame is not valid UTF-8');
  const copy = Buffer.from(buf);
  state.source = copy;
  return copy;
}

/**
 * Decode one frame into its messages (one, or several for a LIST format frame). Throws only
 * `UpbitDecodeError`.
 *
 * Frames that match learned key-order templates are decoded by fast.ts; any other frame takes the
 * reference walk (`decodeFrameWalk`), and what it accepts is learned from. Both give the same
 * messages (test/io/fast-differential.test.ts).
 */
export function decodeFrame(frame: string | Uint8Array): UpbitMessage[] {
  const fast = decodeFast(frame);
  if (fast !== undefined) return fast;
  const out = decodeFrameWalk(frame);
  learnFrom(frame);
  return out;
}

/**
 * `decodeFrame` into `out` (emptied first; left empty when it throws), for a caller that decodes
 * frame after frame and reads each frame's messages before the next: one array for all of them.
 */
export function decodeFrameInto(frame: string | Uint8Array, out: UpbitMessage[]): UpbitMessage[] {
  return decodeInto(frame, out, false);
}

/**
 * @internal `decodeFrameInto` for a caller that hands `frame` over: nothing ever writes those bytes
 * again (the hub's socket: `ws` gives every message bytes of its own). The templates' messages then
 * read the bytes in place (view.ts `Source`) instead of a text copy: a message keeps them alive.
 */
export function decodeOwnedInto(frame: Buffer, out: UpbitMessage[]): UpbitMessage[] {
  return decodeInto(frame, out, true);
}

function decodeInto(frame: string | Uint8Array, out: UpbitMessage[], owned: boolean): UpbitMessage[] {
  if (decodeFast(frame, out, owned) !== undefined) return out;
  out.length = 0;
  const walked = decodeFrameWalk(frame);
  learnFrom(frame);
  for (let i = 0; i < walked.length; i++) out.push(walked[i]);
  return out;
}

/** The reference decoder: the validating byte walk alone, no templates (also the differential tests' oracle). */
export function decodeFrameWalk(frame: string | Uint8Array): UpbitMessage[] {
  state.problem = undefined;
  try {
    const b = frameBytes(frame);
    const n = b.length;
    let i = skipWs(b, 0);
    if (i >= n) throw new UpbitDecodeError('DECODE_EMPTY', 'empty frame', 0);
    const out: UpbitMessage[] = [];
    if (b[i] === 91) i = scanArray(b, i, n, (bb, j, len) => decodeObject(bb, j, len, out));
    else i = decodeObject(b, i, n, out);
    if (skipWs(b, i) < n) fail('trailing characters', i);
    if (state.problem !== undefined) throw state.problem;
    return out;
  } catch (err) {
    if (err instanceof UpbitDecodeError) throw err;
    // Defence in depth: the contract is that nothing but UpbitDecodeError leaves the decoder
    // (a RangeError from absurdly deep nesting, for one).
    throw new UpbitDecodeError('DECODE_JSON', `undecodable frame: ${(err as Error)?.message ?? String(err)}`, undefined, err);
  } finally {
    state.problem = undefined;
    state.source = '';
    LISTS.fill(undefined); // list rows a failed frame left behind hold no views (and no frame) alive
  }
}

/** Check a value without decoding it (used by tests and by the mock's request parser). */
export function isWellFormedJson(text: string): boolean {
  try {
    const b = Buffer.from(text, 'utf8');
    const i = skipValue(b, skipWs(b, 0), b.length);
    return skipWs(b, i) >= b.length;
  } catch {
    return false;
  }
}
