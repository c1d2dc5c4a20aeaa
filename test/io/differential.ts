/**
 * The differential harness of the template fast path (src/io/fast.ts), shared by
 * fast-differential.test.ts (tens of thousands of cases) and scripts/fuzz-decode.ts (millions).
 *
 * How to read this file: `seedFrames(rand)` builds real frames of every data kind and format
 * (the hand-typed fixtures, table-generated frames in DEFAULT, SIMPLE, JSON_LIST and SIMPLE_LIST,
 * with nullable keys coming and going, and multi-object LIST frames). `mutate` damages a frame in
 * ways chosen to land both inside and outside the templates' grammar. `check(frame)` decodes one
 * frame with the reference walk (`decodeFrameWalk`), with the fast path alone (`decodeFast`) and
 * with `decodeFrame`, and throws a `Mismatch` describing the first difference: messages are
 * compared field by field (Decimals by `s`, `e`, `d`, `toString()`, prototype), errors by class,
 * code, message and offset.
 */
import { Decimal } from 'decimal.js';
import { decodeFrame, decodeFrameWalk, LazyView } from '../../src/io/decode.js';
import { encodeEvent } from '../../src/io/encode.js';
import { UpbitDecodeError } from '../../src/io/errors.js';
import { decodeFast, setWasmMatchers } from '../../src/io/fast.js';
import { FORMATS, tableOf, type Table, type UpbitMessage } from '../../src/io/fields.js';
import { ID_DIGITS, ID_HALVES } from '../../src/io/view.js';
import { ALL_FIXTURES } from './fixtures.js';
import { closingEnd, DATA_TABLES, generate, keyOf, members, objectOf } from './generate.js';

export class Mismatch extends Error {}

// ─── seeds ──────────────────────────────────────────────────────────────────────────────────────

/** One table-generated event as a frame in `format`, keys in table order; some nullable keys dropped. */
function generated(rand: () => number, type: string, format: (typeof FORMATS)[number]): string {
  const table = DATA_TABLES.find(([t]) => t === type)![1];
  const simple = format === 'SIMPLE' || format === 'SIMPLE_LIST';
  // generate() shuffles half the time; keep table order (what Upbit and the mock send) by re-encoding
  const [, generatedValue] = generate(table, rand, true, simple, { type: [JSON.stringify(type), type] });
  // the generator puts escapes and non-ASCII text into a fifth of its strings; keep that in a
  // quarter of the frames (the walk's ground) and make the rest plain (the templates' ground)
  const value = rand() < 0.25 ? generatedValue : plain(generatedValue);
  let text = encodeEvent(value as unknown as UpbitMessage, format === 'JSON_LIST' ? 'DEFAULT' : format === 'SIMPLE_LIST' ? 'SIMPLE' : format);
  // optional keys come and go: drop some nullable members
  const nullable = new Set(table.filter((r) => r.kind.nullable).flatMap((r) => [r.wire, r.simple]));
  if (rand() < 0.3) text = objectOf(members(text).filter((m) => !nullable.has(keyOf(m))));
  return format === 'JSON_LIST' || format === 'SIMPLE_LIST' ? `[${text}]` : text;
}

/** `v` with every string made printable ASCII without quotes or backslashes (Decimals kept). */
function plain<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/[^\x20-\x7e]|["\\]/g, 'x') as T;
  if (Array.isArray(v)) return v.map(plain) as T;
  if (v !== null && typeof v === 'object' && !(v instanceof Decimal)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
  }
  return v;
}

/** Real frames of every kind and format. */
export function seedFrames(rand: () => number): string[] {
  const out = ALL_FIXTURES.map((f) => f.frame);
  for (const [type] of DATA_TABLES) {
    for (const format of FORMATS) for (let k = 0; k < 3; k++) out.push(generated(rand, type, format));
  }
  // multi-object LIST frames, one key style each, kinds mixed
  for (let k = 0; k < 12; k++) {
    const simple = k % 2 === 1;
    const parts = Array.from({ length: 2 + Math.floor(rand() * 4) }, () => {
      const [type] = DATA_TABLES[Math.floor(rand() * DATA_TABLES.length)];
      return generated(rand, type, simple ? 'SIMPLE' : 'DEFAULT');
    });
    out.push(`[${parts.join(',')}]`);
  }
  return out;
}

// ─── mutations ──────────────────────────────────────────────────────────────────────────────────

const STRUCTURAL = Buffer.from('{}[],:"\\ -+.eE0123456789tfnu');
const VALUES = ['null', 'true', 'false', '0', '-0', '1e5', '1.', '01', '-', '""', '"x"', '"\\u0041"', '"é"', '[]', '{}', '1234567890123456', '-123456789012345', '123456789012345', '["a"]', '[{}]', ' 1', '1 '];

/** A damaged copy of `src`: byte-level damage, or member-level surgery that keeps it JSON-like. */
export function mutate(rand: () => number, src: Buffer): Buffer {
  const b = Buffer.from(src);
  const at = Math.floor(rand() * b.length);
  const r = Math.floor(rand() * 16);
  switch (r) {
    case 0: // flip a bit
      b[at] ^= 1 << Math.floor(rand() * 8);
      return b;
    case 1: // overwrite with a structural character
      b[at] = STRUCTURAL[Math.floor(rand() * STRUCTURAL.length)];
      return b;
    case 2: // any byte at all
      b[at] = Math.floor(rand() * 256);
      return b;
    case 3: // delete a byte
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    case 4: // insert a structural byte
      return Buffer.concat([b.subarray(0, at), STRUCTURAL.subarray(Math.floor(rand() * STRUCTURAL.length)).subarray(0, 1), b.subarray(at)]);
    case 5: // truncate
      return b.subarray(0, at);
    case 6:
    case 7:
    case 8: {
      // a digit changed into another digit (stays inside the number grammar, mostly)
      for (let k = 0; k < 20; k++) {
        const j = Math.floor(rand() * b.length);
        if (b[j] >= 48 && b[j] <= 57) {
          b[j] = 48 + Math.floor(rand() * 10);
          break;
        }
      }
      return b;
    }
    case 9: {
      // a letter changed into another printable character (inside strings, mostly)
      for (let k = 0; k < 20; k++) {
        const j = Math.floor(rand() * b.length);
        if ((b[j] >= 65 && b[j] <= 90) || (b[j] >= 97 && b[j] <= 122)) {
          b[j] = 32 + Math.floor(rand() * 96);
          break;
        }
      }
      return b;
    }
    default:
      return memberSurgery(rand, b) ?? b;
  }
}

/** Replace, drop, duplicate or swap a member of the (first) top-level object, or of a nested one. */
function memberSurgery(rand: () => number, b: Buffer): Buffer | undefined {
  const text = b.toString('latin1');
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  const end = closingEnd(text, start); // the object at `start`
  if (end < 0) return undefined;
  const ms = members(text.slice(start, end));
  if (ms.length === 0) return undefined;
  const k = Math.floor(rand() * ms.length);
  switch (Math.floor(rand() * 5)) {
    case 0: // another value, of any kind
      ms[k] = `${ms[k].slice(0, ms[k].indexOf(':') + 1)}${VALUES[Math.floor(rand() * VALUES.length)]}`;
      break;
    case 1: // drop a member (optional keys come and go)
      ms.splice(k, 1);
      break;
    case 2: // duplicate a member
      ms.splice(Math.floor(rand() * ms.length), 0, ms[k]);
      break;
    case 3: {
      // swap two members
      const j = Math.floor(rand() * ms.length);
      [ms[k], ms[j]] = [ms[j], ms[k]];
      break;
    }
    default: // an unknown key
      ms.splice(k, 0, `"x_${Math.floor(rand() * 3)}":${VALUES[Math.floor(rand() * VALUES.length)]}`);
  }
  return Buffer.from(text.slice(0, start) + objectOf(ms) + text.slice(end), 'latin1');
}

// ─── comparison ─────────────────────────────────────────────────────────────────────────────────

function sameValue(a: unknown, b: unknown, path: string): void {
  if (b instanceof Decimal) {
    if (!(a instanceof Decimal) || Object.getPrototypeOf(a) !== Decimal.prototype) throw new Mismatch(`${path}: not a Decimal`);
    // Object.is and JSON: an absurd exponent gives Infinity (e NaN, d null) on both sides
    if (!Object.is(a.s, b.s) || !Object.is(a.e, b.e) || JSON.stringify(a.d) !== JSON.stringify(b.d) || a.toString() !== b.toString()) {
      throw new Mismatch(`${path}: ${a.toString()} (s ${a.s} e ${a.e} d ${a.d}) vs ${b.toString()} (s ${b.s} e ${b.e} d ${b.d})`);
    }
  } else if (Array.isArray(b)) {
    if (!Array.isArray(a) || a.length !== b.length || Object.isFrozen(a) !== Object.isFrozen(b)) throw new Mismatch(`${path}: arrays differ`);
    b.forEach((x, i) => sameValue(a[i], x, `${path}[${i}]`));
  } else if (b instanceof LazyView) sameMessage(a, b, path);
  else if (!Object.is(a, b)) throw new Mismatch(`${path}: ${String(a)} vs ${String(b)}`);
}

/** Same class, same own keys, and every field (read through its getter) the same. */
export function sameMessage(a: unknown, b: unknown, path = '$'): void {
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) throw new Mismatch(`${path}: different classes`);
  const ka = Object.keys(a as object).join();
  if (ka !== Object.keys(b as object).join()) throw new Mismatch(`${path}: own keys ${ka} vs ${Object.keys(b as object).join()}`);
  // The router's de-duplication read of a trade id (before any field read caches the id's string),
  // against the digits of the reference's `sequentialId`.
  const digits = (a as { [ID_DIGITS]?: () => number })[ID_DIGITS]?.();
  if (digits !== undefined) {
    const id = (b as { sequentialId: unknown }).sequentialId;
    const want = typeof id === 'string' && /^[0-9]{1,30}$/.test(id) ? [id.length, Number(id.slice(0, 15)), Number(id.slice(15) || 0)] : [-1];
    const got = digits < 0 ? [digits] : [digits, ...ID_HALVES];
    if (got.join() !== want.join()) throw new Mismatch(`${path}: id digits ${got} vs ${want} (${String(id)})`);
  }
  const names = Object.keys((b as LazyView).toJSON());
  for (const name of names) {
    sameValue((a as Record<string, unknown>)[name], (b as Record<string, unknown>)[name], `${path}.${name}`);
  }
}

function sameError(a: unknown, b: unknown): void {
  if (!(a instanceof UpbitDecodeError) || !(b instanceof UpbitDecodeError)) throw new Mismatch(`not UpbitDecodeErrors: ${String(a)} / ${String(b)}`);
  if (a.constructor !== b.constructor || a.code !== b.code || a.message !== b.message || JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Mismatch(`errors differ: ${a.code} ${a.message} vs ${b.code} ${b.message}`);
  }
}

// ─── an oracle outside the view readers ─────────────────────────────────────────────────────────

/**
 * The walk and the templates build the same generated views and read them with the same readers,
 * so comparing them cannot catch a reader's mistake. This checks decoded messages against
 * `JSON.parse` of the frame, read through the field tables: strings (enums included), integers,
 * booleans, string lists and nulls must be exactly what the getters give, list rows element by
 * element. Decimals, 64-bit digit strings and ids, which a double cannot hold, are checked against
 * a second `JSON.parse` of the frame in which every number is first quoted (`numbersQuoted`): a
 * Decimal must be `new Decimal(its text)` field for field, a digit string its text. Objects in
 * which two keys name one row are skipped (which value wins then depends on key order, not on the
 * readers).
 */
function sameAsParsed(messages: UpbitMessage[], text: string): void {
  const parsed: unknown = JSON.parse(text);
  const quoted: unknown = JSON.parse(numbersQuoted(text));
  const objects = Array.isArray(parsed) ? parsed : [parsed];
  const texts = (Array.isArray(quoted) ? quoted : [quoted]) as unknown[];
  if (objects.length !== messages.length) return; // control answers and the like: not data frames
  objects.forEach((o, i) => {
    const type = (messages[i] as { type: string }).type;
    const table = tableOf(type);
    if (table !== undefined) sameFields(messages[i], o as Record<string, unknown>, texts[i] as Record<string, unknown>, table, `JSON.parse[${i}]`);
  });
}

/**
 * A valid JSON text with every number token turned into a string of its characters (strings,
 * escapes included, are copied as they are). Written apart from the decoder's scanner on purpose.
 */
export function numbersQuoted(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
      out += `${text.slice(from, i)}"${text.slice(i, j)}"`;
      from = i = j;
    } else i++;
  }
  return out + text.slice(from);
}

function sameFields(view: unknown, obj: Record<string, unknown>, texts: Record<string, unknown>, table: Table, path: string): void {
  const raw = new Map<number, [unknown, unknown]>();
  for (const key of Object.keys(obj)) {
    const row = table.findIndex((r) => r.wire === key || r.simple === key);
    if (row < 0) continue;
    if (raw.has(row)) return; // two keys for one row
    raw.set(row, [obj[key], texts[key]]);
  }
  table.forEach((row, i) => {
    const [want, wantText] = raw.get(i) ?? [undefined, undefined];
    const got = (view as Record<string, unknown>)[row.name];
    const at = `${path}.${row.name}`;
    if (want === undefined || want === null) {
      if (got !== null) throw new Mismatch(`${at}: ${String(got)}, JSON.parse has ${String(want)}`);
      return;
    }
    switch (row.kind.t) {
      case 'string':
      case 'enum':
      case 'integer':
      case 'timestamp':
      case 'boolean':
        if (got !== want) throw new Mismatch(`${at}: ${JSON.stringify(got)}, JSON.parse has ${JSON.stringify(want)}`);
        return;
      case 'id':
      case 'int64':
        // a string as sent, or a JSON integer's digits as sent
        if (got !== wantText) throw new Mismatch(`${at}: ${JSON.stringify(got)}, the frame has ${JSON.stringify(wantText)}`);
        return;
      case 'decimal': {
        const d = got as Decimal;
        const w = new Decimal(wantText as string);
        // Object.is: an absurd exponent gives Infinity (e NaN, d null) on both sides
        if (!(d instanceof Decimal) || !Object.is(d.s, w.s) || !Object.is(d.e, w.e) || JSON.stringify(d.d) !== JSON.stringify(w.d) || d.toString() !== w.toString()) {
          throw new Mismatch(`${at}: ${String(got)}, the frame has ${String(wantText)}`);
        }
        return;
      }
      case 'strings':
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Mismatch(`${at}: ${JSON.stringify(got)}, JSON.parse has ${JSON.stringify(want)}`);
        return;
      case 'list': {
        const list = got as unknown[];
        const of = row.kind.of;
        if (!Array.isArray(want) || list.length !== want.length) throw new Mismatch(`${at}: ${list.length} elements, JSON.parse has ${String(want)}`);
        list.forEach((e, k) => sameFields(e, want[k] as Record<string, unknown>, (wantText as Record<string, unknown>[])[k], of, `${at}[${k}]`));
        return;
      }
    }
  });
}

type Outcome = { ok: true; messages: UpbitMessage[] } | { ok: false; error: unknown };
function run(f: () => UpbitMessage[]): Outcome {
  try {
    return { ok: true, messages: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

function sameOutcome(a: Outcome, b: Outcome, what: string): void {
  if (a.ok !== b.ok) throw new Mismatch(`${what}: ${a.ok ? 'decoded' : 'failed'} vs reference ${b.ok ? 'decoded' : 'failed'}`);
  if (!a.ok || !b.ok) return sameError(!a.ok && a.error, !b.ok && b.error);
  if (a.messages.length !== b.messages.length) throw new Mismatch(`${what}: ${a.messages.length} vs ${b.messages.length} messages`);
  a.messages.forEach((m, i) => sameMessage(m, b.messages[i], `${what}[${i}]`));
}

/** What `check` saw: 'fast' (the templates decoded it), 'walk' (decoded by the walk) or 'error'. */
export type Path = 'fast' | 'walk' | 'error';

/**
 * Decode `frame` three ways (reference walk, fast path alone, decodeFrame) and throw a Mismatch on
 * any difference. The frame is passed as a Buffer, a plain Uint8Array or a string (`as`); bytes
 * take the fast path twice, with the WebAssembly matchers and with the regexes, which must agree,
 * and a Buffer a third time, handed over (`owned`: the messages read its bytes, not a text copy).
 */
export function check(frame: Buffer, as: 'buffer' | 'uint8' | 'string'): Path {
  const input = as === 'string' ? frame.toString('latin1') : as === 'uint8' ? new Uint8Array(frame) : frame;
  const ref = run(() => decodeFrameWalk(input));
  if (ref.ok) sameAsParsed(ref.messages, typeof input === 'string' ? input : frame.toString('utf8'));
  const fast = decodeFast(input);
  if (fast !== undefined) sameOutcome({ ok: true, messages: fast }, ref, 'decodeFast');
  if (as === 'buffer') {
    // A frame handed over (the hub's socket): its messages read the bytes in place, not a text copy.
    const owned = decodeFast(Buffer.from(frame), undefined, true);
    if ((owned === undefined) !== (fast === undefined)) throw new Mismatch(`handed over, the fast path ${owned === undefined ? 'missed' : 'matched'}`);
    if (owned !== undefined) sameOutcome({ ok: true, messages: owned }, ref, 'decodeFast (handed over)');
  }
  if (as !== 'string') {
    // Bytes go to the WebAssembly matchers; the regexes must decide the same frame the same way.
    setWasmMatchers(false);
    const viaRegex = decodeFast(input);
    setWasmMatchers(true);
    if ((viaRegex === undefined) !== (fast === undefined)) {
      throw new Mismatch(`WebAssembly matchers ${fast === undefined ? 'missed' : 'matched'}, regexes ${viaRegex === undefined ? 'missed' : 'matched'}`);
    }
    if (viaRegex !== undefined) sameOutcome({ ok: true, messages: viaRegex }, ref, 'decodeFast (regexes)');
  }
  sameOutcome(run(() => decodeFrame(input)), ref, 'decodeFrame');
  return fast !== undefined ? 'fast' : ref.ok ? 'walk' : 'error';
}
