/**
 * Key-order templates: one learned object layout compiled into one regular expression.
 *
 * How to read this file: `learnObject` reads an object that the reference walk (fill.ts) has just
 * decoded without a problem and returns its layout (the keys in order, each key's field-table row,
 * the layout of its list elements), or undefined when the object is not template material
 * (whitespace, escapes, non-ASCII text, duplicate rows, nested values in unknown keys...).
 * `compile` turns a layout into a `Template`: a sticky RegExp that accepts exactly the objects with
 * those keys, in that order, with no whitespace, no escapes, only printable ASCII, and every value
 * in the strict JSON grammar of its row's kind, i.e. the objects that the walk would decode without
 * a problem and with exactly these spans. Each template also gets generated straight-line code
 * (`spansCode`) that finds the value starts of a matched object with one `indexOf` per value (the
 * regex proved the structure, so keys are skipped by their known length) and puts them where the
 * object's view (view.ts) is built from.
 *
 * Why the regex engine: V8 compiles it to native code, which checks a ~1 KB frame about twice as
 * fast as the byte walk. Each top-level template is also compiled to WebAssembly (wasm.ts, the
 * same language over the frame's bytes, writing the spans as it checks), which fast.ts prefers for
 * byte frames; the regex serves string frames, frames over the matchers' memory, and runtimes
 * without WebAssembly, and is the template's identity (`source`).
 *
 * Mismatch cost: the pattern is a concatenation of literals and value patterns whose quantifiers
 * are each followed by a character they cannot match (a string's `[^"]*` by `"`, a number's digits
 * by `,` `}` `.` `e`), and list repetitions by `,` or `]`; a failed match therefore backtracks
 * through each choice point once, at constant cost: linear time.
 */
import { ENDS, LISTS, SLOTS, stringsEnd, type LazyView, type Plan } from './view.js';
import { compileMatcher, spansFit } from './wasm.js';
import { K_BOOLEAN, K_DECIMAL, K_ID, K_INT64, K_INTEGER, K_LIST, K_STRING, K_STRINGS } from './view.js';

/** A printable-ASCII JSON string without escapes. */
const STR = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7f]*"';
/** RFC 8259 number (scan.ts `skipNumber`). */
const NUM = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
/** A JSON integer of at most 15 characters, sign included (fill.ts `checkKind`, K_INTEGER). */
const INT15 = '(?:-?0|[1-9][0-9]{0,14}|-[1-9][0-9]{0,13})';
/** A JSON integer of any length (K_INT64, and K_ID's numeric form). */
const INT = '-?(?:0|[1-9][0-9]*)';
const SCALAR = `(?:${STR}|${NUM}|true|false|null)`;

/** One object layout: keys in order, their rows (-1: not in the table), list element layouts by key. */
export interface Layout {
  readonly keys: readonly string[];
  readonly rows: readonly number[];
  readonly elements: readonly (Layout | undefined)[];
}

/** A compiled layout. `re` is sticky: set `lastIndex` to the object's `{`; on a match it ends past the `}`. */
export interface Template {
  readonly re: RegExp;
  /** The pattern: a template's identity. */
  readonly source: string;
  readonly plan: Plan;
  readonly layout: Layout;
  /** Per key: the length of `{"key":` / `,"key":`, skipped to reach the value. */
  readonly skip: Int32Array;
  /** Per key: its row, or -1. */
  readonly rows: Int32Array;
  /** Per key: the element template of a list row (no regex of its own). */
  readonly children: (Template | undefined)[];
  /**
   * Put the value starts of the object at `i` that `re` matched into `SLOTS` from `base` (their ends
   * into `ENDS`, the element views of its list rows into `LISTS`), exactly as fill.ts would, and
   * clear the rows the layout lacks; returns the index past the object's `}`. Generated (`spansCode`).
   */
  readonly spans: (text: string, i: number, base: number) => number;
  /**
   * The same language as `re`, compiled to WebAssembly (wasm.ts), over the frame `loadFrame` copied
   * into the scratch memory: index of the `{` → index past the `}`, or -1. Undefined for list
   * element templates and where WebAssembly is not available.
   */
  readonly match: ((i: number) => number) | undefined;
  /**
   * Whether `match` also wrote the spans, list elements included (wasm.ts, scratch.ts: every plan
   * whose rows fit the scratch's layout); else run `spans`.
   */
  readonly matchSpans: boolean;
  /**
   * The list rows of the layout, in key order, each with its element plan (`undefined` when the
   * layout was learned from an empty list): where `match` wrote their elements' spans, one list
   * after the other (fast.ts `takeLists`). Empty for layouts without list rows.
   */
  readonly lists: readonly ListRow[];
}

export interface ListRow {
  readonly row: number;
  readonly child: Plan | undefined;
}

const escapeRe = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

function valuePattern(plan: Plan, row: number, element: Layout | undefined): string {
  if (row < 0) return SCALAR;
  const k = plan.kinds[row];
  let p: string;
  switch (k) {
    case K_DECIMAL:
      p = NUM;
      break;
    case K_INTEGER:
      p = INT15;
      break;
    case K_INT64:
      p = INT;
      break;
    case K_ID:
      p = `(?:${STR}|${INT})`;
      break;
    case K_STRING: {
      const values = plan.values[row];
      // The discriminant must be one of its values (checkKind); other enums are not checked by the walk.
      p = row === plan.typeRow && values !== undefined ? `"(?:${values.map(escapeRe).join('|')})"` : STR;
      break;
    }
    case K_BOOLEAN:
      p = '(?:true|false)';
      break;
    case K_STRINGS:
      p = `\\[(?:${STR}(?:,${STR})*)?\\]`;
      break;
    case K_LIST: {
      if (element === undefined) p = '\\[\\]'; // learned from an empty list
      else {
        const e = objectPattern(plan.children[row]!, element);
        p = `\\[(?:${e}(?:,${e})*)?\\]`;
      }
      break;
    }
    default:
      throw new Error(`unknown kind ${k}`);
  }
  return plan.nullable[row] ? `(?:${p}|null)` : p;
}

function objectPattern(plan: Plan, layout: Layout): string {
  let s = '\\{';
  for (let k = 0; k < layout.keys.length; k++) {
    s += `${k ? ',' : ''}"${escapeRe(layout.keys[k])}":${valuePattern(plan, layout.rows[k], layout.elements[k])}`;
  }
  return `${s}\\}`;
}

/** The regex source of a layout: also its identity (two layouts with one source are the same template). */
export function sourceOf(plan: Plan, layout: Layout): string {
  return objectPattern(plan, layout);
}

export function compile(plan: Plan, layout: Layout, withRegex = true): Template {
  const n = layout.keys.length;
  const skip = new Int32Array(n);
  for (let k = 0; k < n; k++) skip[k] = layout.keys[k].length + 4; // { or , then "key":
  const source = withRegex ? objectPattern(plan, layout) : '';
  const children = layout.elements.map((e, k) => (e === undefined ? undefined : compile(plan.children[layout.rows[k]]!, e, false)));
  const matchSpans = spansFit(plan);
  const lists: ListRow[] = [];
  layout.rows.forEach((row, k) => {
    if (row >= 0 && plan.kinds[row] === K_LIST) lists.push({ row, child: layout.elements[k] === undefined ? undefined : plan.children[row]! });
  });
  return {
    re: new RegExp(source === '' ? '$^' : source, 'y'),
    source,
    plan,
    layout,
    skip,
    rows: Int32Array.from(layout.rows),
    children,
    spans: spansCode(plan, layout, skip, children),
    match: withRegex ? compileMatcher(plan, layout, matchSpans) : undefined,
    matchSpans,
    lists,
  };
}

// ─── spans of a matched object ──────────────────────────────────────────────────────────────────

/** Set by `learnObject`: the index past the object it read. */
let end = 0;

/** The index past the number or literal at `i`: its characters are digits, letters, `.`, `+` and `-`. */
function tokenEnd(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(++i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 46 || c === 43 || c === 45 || c === 69)) return i;
  }
}

/**
 * Generate `spans` for one layout: straight-line code, one statement per key, the key's length
 * and row and the value's shape as constants. The regex has proved the object's structure, so
 * each value's end is one search: a string's closing quote (no escapes), a number's or literal's
 * following `,` or `}` (neither can occur inside one), a list's elements one by one.
 */
function spansCode(plan: Plan, layout: Layout, skip: Int32Array, children: (Template | undefined)[]): Template['spans'] {
  const lines: string[] = [];
  const n = layout.keys.length;
  const present = new Set<number>();
  for (let k = 0; k < n; k++) {
    const row = layout.rows[k];
    const sep = JSON.stringify(k + 1 < n ? ',' : '}');
    const kind = row < 0 ? -1 : plan.kinds[row];
    const orNull = (code: string) => (row >= 0 && plan.nullable[row] ? `text.charCodeAt(vs) === 110 ? vs + 4 : ${code}` : code);
    let end: string;
    if (kind === K_STRING) end = orNull(`text.indexOf('"', vs + 1) + 1`);
    else if (kind === K_ID || kind === -1) end = `text.charCodeAt(vs) === 34 ? text.indexOf('"', vs + 1) + 1 : text.indexOf(${sep}, vs)`;
    else if (kind === K_STRINGS) end = orNull(`stringsEnd(text, vs)`);
    else if (kind === K_LIST) {
      end =
        children[k] === undefined
          ? `text.charCodeAt(vs) === 91 ? ((L[${row}] = EMPTY), vs + 2) : ((L[${row}] = undefined), vs + 4)` // learned from `[]`
          : `text.charCodeAt(vs) === 91 ? elementsOf(text, vs, CH[${k}], ${plan.rows}, ${row}) : ((L[${row}] = undefined), vs + 4)`;
    } else end = `text.indexOf(${sep}, vs)`; // numbers, booleans (and null)
    lines.push(`vs = i + ${skip[k]}; i = ${end};`);
    if (row >= 0) {
      lines.push(`S[base + ${row}] = vs; E[base + ${row}] = i;`);
      present.add(row);
    }
  }
  for (let row = 0; row < plan.rows; row++) {
    if (present.has(row)) continue;
    lines.push(`S[base + ${row}] = 0;${plan.kinds[row] === K_LIST ? ` L[${row}] = undefined;` : ''}`);
  }
  const body = `return function spans(text, i, base) {\n  let vs;\n  ${lines.join('\n  ')}\n  return i + 1;\n};`;
  return new Function('S', 'E', 'L', 'CH', 'EMPTY', 'stringsEnd', 'elementsOf', body)(SLOTS, ENDS, LISTS, children, EMPTY, stringsEnd, elementsOf) as Template['spans'];
}

/** The element views of an empty list (shared: frozen). */
export const EMPTY: readonly LazyView[] = Object.freeze([]);

/** The elements of the list at `[` (index `i`), each matched by `child`, built into `LISTS[row]`. */
function elementsOf(text: string, i: number, child: Template, base: number, row: number): number {
  const views: LazyView[] = [];
  const plan = child.plan;
  if (text.charCodeAt(i + 1) !== 93) {
    for (;;) {
      i = child.spans(text, i + 1, base); // past the element's }
      views.push(new plan.View(text, base));
      if (text.charCodeAt(i) === 93) break;
    }
  } else i++;
  LISTS[row] = Object.freeze(views);
  return i + 1;
}

// ─── learning a layout ──────────────────────────────────────────────────────────────────────────

/** The row of key `name` in `plan` (either key style), or -1. */
function rowOf(plan: Plan, name: string): number {
  const k = plan.names.indexOf(name);
  return k < 0 ? -1 : k >> 1;
}

/** Printable ASCII without `"` and `\`, the text a template string may hold. */
function plainUntilQuote(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 34) return i;
    if (!(c >= 32 && c <= 127) || c === 92) return -1;
    i++;
  }
}

/**
 * The layout of the object at `{` (index `i`) decoded with `plan`, or undefined when it cannot be a
 * template. On success, `learnedEnd()` is the index past its `}`. Only called on objects the walk
 * has accepted, so it checks eligibility, not JSON validity (the compiled regex is checked against
 * the object it came from before it is used).
 */
export function learnObject(text: string, i: number, plan: Plan): Layout | undefined {
  if (text.charCodeAt(i) !== 123) return undefined;
  const keys: string[] = [];
  const rows: number[] = [];
  const elements: (Layout | undefined)[] = [];
  const seen = new Set<number>();
  i++;
  if (text.charCodeAt(i) === 125) {
    end = i + 1;
    return { keys, rows, elements };
  }
  for (;;) {
    if (text.charCodeAt(i) !== 34) return undefined;
    const ke = plainUntilQuote(text, i + 1);
    if (ke < 0 || text.charCodeAt(ke + 1) !== 58) return undefined;
    const key = text.slice(i + 1, ke);
    const row = rowOf(plan, key);
    if (row >= 0) {
      if (seen.has(row)) return undefined; // a duplicate: the later one wins in the walk
      seen.add(row);
    }
    let v = ke + 2;
    const c = text.charCodeAt(v);
    let element: Layout | undefined;
    if (c === 34) {
      const q = plainUntilQuote(text, v + 1);
      if (q < 0) return undefined;
      v = q + 1;
    } else if (c === 91) {
      if (row < 0) return undefined;
      if (plan.kinds[row] === K_LIST) {
        const child = plan.children[row]!;
        let j = v + 1;
        if (text.charCodeAt(j) !== 93) for (;;) {
          const e = learnObject(text, j, child);
          if (e === undefined || (element !== undefined && e.keys.join('\0') !== element.keys.join('\0'))) return undefined;
          element = e;
          j = end;
          const d = text.charCodeAt(j);
          if (d === 93) break;
          if (d !== 44) return undefined;
          j++;
        }
        v = j + 1;
      } else if (plan.kinds[row] === K_STRINGS) {
        let j = v + 1;
        for (;;) {
          const d = text.charCodeAt(j);
          if (d === 93) break;
          if (d === 44) j++;
          else if (d === 34) {
            const q = plainUntilQuote(text, j + 1);
            if (q < 0) return undefined;
            j = q + 1;
          } else return undefined;
        }
        v = j + 1;
      } else return undefined;
    } else if (c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110) {
      v = tokenEnd(text, v); // then `,` or `}` must follow (no whitespace)
    } else return undefined;
    keys.push(key);
    rows.push(row);
    elements.push(element);
    const d = text.charCodeAt(v);
    if (d === 125) {
      end = v + 1;
      return { keys, rows, elements };
    }
    if (d !== 44) return undefined;
    i = v + 1;
  }
}

/** The index past the object `learnObject` last read. */
export function learnedEnd(): number {
  return end;
}
