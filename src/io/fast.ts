/**
 * The template fast path of `decodeFrame` (decode.ts): frames whose every object matches a learned
 * key-order template are decoded without the byte walk; anything else returns undefined and the
 * caller runs the reference walk, whose result is then used to learn templates.
 *
 * How to read this file: `decodeFast(frame)` is the entry point. It reads the frame as text (and,
 * for a byte frame that fits, copies it into the WebAssembly matchers' memory, scratch.ts), or, for
 * a byte frame its caller handed over (`owned`, the hub's socket) that is in that memory, as bytes
 * (`frameSource`), finds each object's type from its first key (`{"type":"…"` / `{"ty":"…"`),
 * tries that plan's templates (template.ts), most recently matched first, each by its WebAssembly
 * matcher (wasm.ts) when the frame is in that memory and by its regex otherwise, and builds the
 * same view (view.ts) from the same spans as the walk would, over the frame's bytes when it was
 * read as bytes and the matcher found the spans, else over its text. `learnFrom(frame)` runs after
 * a successful walk and compiles the layouts of the frame's objects into templates.
 *
 * Exactness: a template only accepts printable-ASCII objects with no whitespace or escapes, in
 * which every value is in the strict grammar of its row's kind; on those the walk records the same
 * spans and reports no problem, so the view is the same. Everything else (malformed JSON, wrong
 * kinds, unknown types, control frames, whitespace, non-ASCII) falls back to the walk, which gives
 * the typed error. test/io/fast-differential.test.ts checks this on mutated frames.
 *
 * Cost bounds: at most MAX_TEMPLATES attempts per object (each linear, see template.ts, wasm.ts),
 * then the walk: a mismatching frame costs at most (MAX_TEMPLATES + 1) linear passes. Learning
 * backs off exponentially, per kind, while objects teach nothing new, so a stream that never fits
 * pays little.
 */
import { Buffer } from 'node:buffer';
import { DATA_TYPES, tableOf, type UpbitMessage } from './fields.js';
import { compile, EMPTY, learnedEnd, learnObject, sourceOf, type Layout, type Template } from './template.js';
import { at } from './scan.js';
import { LISTS, planFor, SLOTS, type LazyView, type Plan, type Source } from './view.js';
import { ELEMENT_LIMIT, LIST_COUNT, loadFrame } from './scratch.js';

/** Templates kept per plan and first-key style; the least recently matched is replaced when full. */
export const MAX_TEMPLATES = 4;

/** Work counters, for the linearity test and the benchmark. */
export const fastStats = {
  /** Frames decoded by templates. */
  hits: 0,
  /** Frames handed back to the walk. */
  misses: 0,
  /** Template attempts (regex or WebAssembly). */
  attempts: 0,
  /** Of those, by a WebAssembly matcher. */
  wasmAttempts: 0,
  /** An upper bound of the characters those attempts read (see matchObject). */
  attemptedChars: 0,
  /** Objects read for learning (skipped ones not counted). */
  learnAttempts: 0,
  /** Templates compiled. */
  compiled: 0,
  /** Learned templates that did not accept their own object (a bug; tests assert 0). */
  selfCheckFailures: 0,
};

interface Kind {
  readonly name: string;
  readonly plan: Plan;
  /** Templates by first-key style (0 `"type"`, 1 `"ty"`), most recently matched first. */
  readonly templates: [Template[], Template[]];
}

const byPlan = new Map<Plan, [Template[], Template[]]>();
const KINDS: Kind[] = DATA_TYPES.map((name) => {
  const plan = planFor(tableOf(name)!);
  let templates = byPlan.get(plan);
  if (!templates) byPlan.set(plan, (templates = [[], []]));
  return { name, plan, templates };
});

/** Set by `kindAt`: the key style of the object (0 DEFAULT `"type"`, 1 SIMPLE `"ty"`). */
let style: 0 | 1 = 0;

/** The kind of the object at `{` (index `i`) from its first key, or undefined. */
function kindAt(src: Source, i: number): Kind | undefined {
  return typeof src === 'string' ? kindAtText(src, i) : kindAtBytes(src, i);
}

/** `kindAt` in a text. */
function kindAtText(text: string, i: number): Kind | undefined {
  let vs: number;
  // {"ty  then  pe":"  or  ":"
  if (text.charCodeAt(i + 1) !== 34 || text.charCodeAt(i + 2) !== 116 || text.charCodeAt(i + 3) !== 121) return undefined;
  if (text.startsWith('pe":"', i + 4)) {
    vs = i + 9;
    style = 0;
  } else if (text.startsWith('":"', i + 4)) {
    vs = i + 7;
    style = 1;
  } else return undefined;
  const len = text.indexOf('"', vs) - vs;
  for (let k = 0; k < KINDS.length; k++) {
    const name = KINDS[k].name;
    if (name.length === len && text.startsWith(name, vs)) return KINDS[k];
  }
  return undefined;
}

/** `kindAt` in bytes: the same comparisons, byte for character. */
function kindAtBytes(b: Buffer, i: number): Kind | undefined {
  let vs: number;
  if (b[i + 1] !== 34 || b[i + 2] !== 116 || b[i + 3] !== 121) return undefined;
  if (b[i + 4] === 112 && b[i + 5] === 101 && b[i + 6] === 34 && b[i + 7] === 58 && b[i + 8] === 34) {
    vs = i + 9;
    style = 0;
  } else if (b[i + 4] === 34 && b[i + 5] === 58 && b[i + 6] === 34) {
    vs = i + 7;
    style = 1;
  } else return undefined;
  next: for (let k = 0; k < KINDS.length; k++) {
    const name = KINDS[k].name;
    if (b[vs + name.length] !== 34) continue;
    for (let j = 0; j < name.length; j++) if (b[vs + j] !== name.charCodeAt(j)) continue next;
    return KINDS[k];
  }
  return undefined;
}

/** Set by `matchObject`: the index past the object. */
let objectEnd = 0;

/** The message of the object at `{` (index `i`) when one of its templates matches it, else undefined. */
function matchObject(src: Source, i: number): UpbitMessage | undefined {
  const kind = kindAt(src, i);
  if (kind === undefined) return undefined;
  const list = kind.templates[style];
  for (let k = 0; k < list.length; k++) {
    const t = list[k];
    let end: number;
    if (loaded && t.match !== undefined) {
      fastStats.wasmAttempts++;
      end = t.match(i);
      if (end < 0) continue;
    } else {
      const re = t.re;
      re.lastIndex = i;
      if (!re.test(textNow(src))) continue;
      end = re.lastIndex;
    }
    if (k > 0) {
      list[k] = list[0]; // most recently matched first
      list[0] = t;
    }
    const plan = kind.plan;
    let view: Source = src;
    if (!(loaded && t.matchSpans && (t.lists.length === 0 || takeLists(src, plan, t)))) {
      view = textNow(src);
      t.spans(view, i, 0); // clears the rows the layout lacks
    }
    objectEnd = end;
    // A failed attempt cannot read past the object's closing brace: the pattern tokenises the text
    // as JSON does (a string pattern never consumes a quote), so it reaches that brace only with
    // its own final `\}`. Each attempt on this object therefore read at most its extent.
    fastStats.attempts += k + 1;
    fastStats.attemptedChars += (k + 1) * (objectEnd - i);
    return new plan.View(view, 0) as unknown as UpbitMessage;
  }
  // None matched: each attempt read at most the rest of the text (the frame then goes to the walk).
  fastStats.attempts += list.length;
  fastStats.attemptedChars += list.length * (src.length - i);
  return undefined;
}

/**
 * The element views of `t`'s list rows, from the spans its matcher wrote (scratch.ts: one list's
 * elements after the other from `plan.rows`, each list's count in its cell) into `LISTS`, over
 * `src`; false when they did not all fit in the scratch (the caller then reads the text).
 */
function takeLists(src: Source, plan: Plan, t: Template): boolean {
  for (let k = 0; k < plan.listRows.length; k++) LISTS[plan.listRows[k]] = undefined;
  let base = plan.rows;
  const lists = t.lists;
  for (let k = 0; k < lists.length; k++) {
    const { row, child } = lists[k];
    const count = SLOTS[LIST_COUNT - row];
    if (count < 0) continue; // null: the view reads its row as null
    if (count === 0 || child === undefined) {
      LISTS[row] = EMPTY;
      continue;
    }
    const rows = child.rows;
    if (base + count * rows > ELEMENT_LIMIT) return false;
    const views: LazyView[] = []; // packed, as the walk's
    for (let e = 0; e < count; e++, base += rows) views.push(new child.View(src, base));
    LISTS[row] = Object.freeze(views);
  }
  return true;
}

/** Whether the frame being decoded is in the matchers' memory (set by `frameSource`). */
let loaded = false;
/**
 * The text of the handed-over frame being decoded, once something needed it (`textNow`). The
 * frame itself is passed along, never kept in a module variable: storing a new object into a
 * long-lived one costs a write barrier per frame.
 */
let frameText: string | undefined;

/** The text of `src`, the frame: latin1 maps each byte to one character (non-ASCII never matches a template). */
function textNow(src: Source): string {
  return typeof src === 'string' ? src : (frameText ??= src.toString('latin1'));
}

/**
 * What the templates read the frame from. A byte frame is copied into the WebAssembly matchers'
 * memory when it fits (`load`). A frame handed over (`owned`: its bytes are never written again)
 * that is there is read as bytes, and its views read those bytes in place (view.ts `Source`): no
 * text is made unless a regex needs it, or the elements of its lists do not fit the span scratch
 * (`takeLists`). Any other frame is read as text, so a caller that reuses its buffer cannot change
 * a decoded message.
 */
function frameSource(frame: string | Uint8Array, load: boolean, owned: boolean): Source {
  if (typeof frame === 'string') {
    loaded = false;
    return frame;
  }
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  loaded = load && useWasm && loadFrame(buf);
  return owned && loaded ? buf : buf.toString('latin1');
}

let useWasm = true;
/** Turn the WebAssembly matchers off or on (tests and benchmarks compare them with the regexes). */
export function setWasmMatchers(on: boolean): void {
  useWasm = on;
}

/**
 * The messages of `frame` if every object in it matches a template, else undefined (the caller
 * then runs the walk). They are pushed onto `out` (emptied first) when given, else onto a new
 * array. `owned`: the caller hands the frame's bytes over (see `frameSource`). Never throws.
 */
export function decodeFast(frame: string | Uint8Array, out?: UpbitMessage[], owned = false): UpbitMessage[] | undefined {
  try {
    const src = frameSource(frame, true, owned);
    const n = src.length;
    const c = at(src, 0);
    if (c === 123) {
      const m = matchObject(src, 0);
      if (m !== undefined && objectEnd === n) {
        fastStats.hits++;
        if (out === undefined) return [m];
        out[0] = m; // index and length writes keep the array's storage (length = 0 would drop it)
        if (out.length !== 1) out.length = 1; // a length write is a runtime call even when unchanged
        return out;
      }
    } else if (c === 91 && n > 2) {
      const list = out ?? [];
      let count = 0;
      for (let i = 1; ; ) {
        if (at(src, i) !== 123) break;
        const m = matchObject(src, i);
        if (m === undefined) break;
        if (count < list.length) list[count] = m;
        else list.push(m);
        count++;
        i = objectEnd;
        const d = at(src, i);
        if (d === 44) i++;
        else if (d === 93 && i === n - 1) {
          fastStats.hits++;
          if (list.length !== count) list.length = count;
          return list;
        } else break;
      }
      list.length = 0;
    }
  } catch {
    // a bug here must not change what users see: the walk decides
  } finally {
    frameText = undefined; // hold no frame between calls
  }
  fastStats.misses++;
  return undefined;
}

// ─── learning ───────────────────────────────────────────────────────────────────────────────────

/** Learning state of one plan and key style: learn while it pays, back off while it does not. */
interface Learning {
  walked: number;
  nextAt: number;
  gap: number;
}
const learning = new Map<Template[], Learning>();
function learningOf(list: Template[]): Learning {
  let s = learning.get(list);
  if (!s) learning.set(list, (s = { walked: 0, nextAt: 0, gap: 1 }));
  return s;
}

/** Learn from a frame the walk has just decoded without error (called by decodeFrame). */
export function learnFrom(frame: string | Uint8Array): void {
  try {
    const text = frameSource(frame, false, false) as string;
    const c = text.charCodeAt(0);
    if (c === 123) learnAt(text, 0);
    else if (c === 91) {
      for (let i = 1; text.charCodeAt(i) === 123; ) {
        i = learnAt(text, i);
        if (i < 0 || text.charCodeAt(i) !== 44) break;
        i++;
      }
    }
  } catch {
    fastStats.selfCheckFailures++;
  }
}

/**
 * Learn the object at `i`; returns the index past it, or -1 when it was skipped or is not template
 * material. Each plan and key style backs off exponentially (up to every 1024th walked object)
 * while its objects teach nothing new, so a stream that never fits pays little for learning.
 */
function learnAt(text: string, i: number): number {
  const kind = kindAt(text, i);
  if (kind === undefined) return -1;
  const list = kind.templates[style];
  const state = learningOf(list);
  if (++state.walked < state.nextAt) return -1;
  fastStats.learnAttempts++;
  const layout = learnObject(text, i, kind.plan);
  const added = layout !== undefined && addTemplate(text, i, kind.plan, list, layout);
  state.gap = added ? 1 : Math.min(state.gap * 2, 1024);
  state.nextAt = state.walked + state.gap;
  return layout === undefined ? -1 : learnedEnd();
}

/** Compile `layout` (learned from the object at `i`) into `list` unless it is there; true when added. */
function addTemplate(text: string, i: number, plan: Plan, list: Template[], layout: Layout): boolean {
  const after = learnedEnd();
  const source = sourceOf(plan, layout);
  for (const t of list) if (t.source === source) return false;
  const t = compile(plan, layout);
  // The template must accept the object it was learned from, and end where it ends.
  t.re.lastIndex = i;
  if (!t.re.test(text) || t.re.lastIndex !== after) throw new Error(`template does not match its own object: ${text.slice(i, after)}`);
  // The same for its WebAssembly matcher, on the object alone (when it fits the matchers' memory).
  if (t.match !== undefined && loadFrame(Buffer.from(text.slice(i, after), 'latin1')) && t.match(0) !== after - i) {
    throw new Error(`matcher does not match its own object: ${text.slice(i, after)}`);
  }
  fastStats.compiled++;
  if (list.length >= MAX_TEMPLATES) list.pop(); // the least recently matched
  list.push(t);
  return true;
}

/** Forget every template (tests). */
export function resetTemplates(): void {
  for (const [a, b] of byPlan.values()) {
    a.length = 0;
    b.length = 0;
  }
  learning.clear();
}
