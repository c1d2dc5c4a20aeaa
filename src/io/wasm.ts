/**
 * Key-order templates compiled to WebAssembly: the same language as a template's regex
 * (template.ts), checked over the frame's bytes, with the value spans written as it goes.
 *
 * How to read this file: the matchers share one fixed WebAssembly memory (scratch.ts `MEMORY`, never
 * grown, so the typed arrays over it stay valid): a frame is copied to address 0 (`loadFrame`,
 * followed by a 0 byte that no pattern accepts), and the span scratch of view.ts (`SLOTS`, `ENDS`)
 * lives at its end. The encoder comes first, then one generator per grammar rule. `compileMatcher`
 * turns one learned layout into one small module whose function takes the index of the object's
 * `{` and returns the index past its `}`, or -1. It accepts exactly what the layout's regex accepts
 * (the grammar is written out beside each generator below; fast-differential.test.ts runs both
 * against the walk), and it also writes each row's start and end into `SLOTS`/`ENDS` as `spans`
 * would, 0 for the rows the layout lacks, and the starts of its list elements' rows one element
 * after the other, with each list's element count (scratch.ts), from which fast.ts builds the
 * element views (`takeLists`) without reading the frame again.
 *
 * Why: V8's regex engine checks a frame as fast as this code does, but it cannot report where the
 * values are, so each match was followed by one `indexOf` per value (as much time again). Here the
 * spans come with the check, keys are compared 8, 4 or 2 bytes at a time, digit runs are passed 8
 * bytes at a time, and the frame is read as bytes (one copy) instead of through the text. (Strings
 * are passed a byte at a time: an 8-byte test for their four stopping classes cost more than it
 * saved on values as short as Upbit's, in a paired measurement.)
 *
 * Cost of a mismatch: straight-line code with one loop per value, each loop consuming a byte (or 8
 * digits) per turn and stopping at the first byte outside its class: at most one pass over the
 * object.
 */
import { Buffer } from 'node:buffer';
import { ELEMENT_LIMIT, ELEMENT_ROWS, LIST_COUNT, LIST_ROWS, MEMORY, PAGES, SCRATCH, WASM } from './scratch.js';
import type { Layout } from './template.js';
import { K_BOOLEAN, K_DECIMAL, K_ID, K_INT64, K_INTEGER, K_LIST, K_STRING, K_STRINGS, type Plan } from './view.js';

// ─── a minimal WebAssembly encoder ──────────────────────────────────────────────────────────────

const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8u: 0x2d,
  i32Load16u: 0x2f,
  i32Store: 0x36,
  select: 0x1b,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32GtU: 0x4b,
  i64Ne: 0x52,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Or: 0x72,
  i32ShrU: 0x76,
  i64Eqz: 0x50,
  i64Ctz: 0x7a,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i32WrapI64: 0xa7,
} as const;
const VOID = 0x40;

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}
function sleb(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

// Locals: the cursor, a byte, a value's start, a counter (i32); eight bytes, a mask (i64); where
// the next list element's spans go, a list's element count (i32).
const P = 0;
const C = 1;
const VS = 2;
const T = 3;
const W = 4;
const M = 5;
const B = 6;
const K = 7;
/** A byte repeated in each of the 8 bytes of an i64. */
const lanes = (b: number) => BigInt(b) * 0x0101010101010101n;

/** Straight-line code for one function; `fail` branches leave the outermost block (result -1). */
class Code {
  readonly out: number[] = [];
  /** Labels open, the outermost (failure) block included. */
  private depth = 0;
  op(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  get(l: number): this {
    return this.op(Op.localGet, l);
  }
  set(l: number): this {
    return this.op(Op.localSet, l);
  }
  i32(v: number): this {
    this.out.push(Op.i32Const);
    sleb(this.out, BigInt(v | 0));
    return this;
  }
  i64(v: bigint): this {
    this.out.push(Op.i64Const);
    sleb(this.out, BigInt.asIntN(64, v));
    return this;
  }
  /**
   * Past the bytes at the cursor whose lanes (bytes) the mask `flag` computes leaves 0, 8 at a
   * time: the cursor stops on the first byte whose lane is not 0. `flag` reads the 8 bytes at the
   * cursor from W (the memory keeps 16 bytes after a frame's end, scratch.ts, and the 0 byte there
   * stops every run) and leaves the mask on the stack; it must be exact up to the first lane that
   * stops the run (the lanes after it do not matter).
   */
  run(flag: () => void): this {
    return this.nest(Op.block, () =>
      this.nest(Op.loop, () => {
        this.get(P).op(Op.i64Load, 0, 0).set(W);
        flag();
        this.op(Op.localTee, M).op(Op.i64Eqz);
        this.when(() => this.advance(8).br(1)); // 8 more: the next word
        this.get(P).get(M).op(Op.i64Ctz).op(Op.i32WrapI64).i32(3).op(Op.i32ShrU).op(Op.i32Add).set(P);
      }),
    );
  }
  /** The byte at the cursor plus `k`, into C and on the stack. */
  byte(k = 0): this {
    this.get(P).op(Op.i32Load8u, 0);
    uleb(this.out, k);
    return this.op(Op.localTee, C);
  }
  advance(k: number): this {
    return this.get(P).i32(k).op(Op.i32Add).set(P);
  }
  /** `body` inside a block (`Op.block`: a branch to it leaves it) or a loop (a branch restarts it). */
  nest(opcode: typeof Op.block | typeof Op.loop, body: () => void): this {
    this.depth++;
    this.op(opcode, VOID);
    body();
    this.depth--;
    return this.op(Op.end);
  }
  /** `then` when the i32 on the stack is non-zero, else `otherwise`; the `if` is a label too. */
  when(then: () => void, otherwise?: () => void): this {
    this.depth++;
    this.op(Op.if, VOID);
    then();
    if (otherwise !== undefined) {
      this.op(Op.else);
      otherwise();
    }
    this.depth--;
    return this.op(Op.end);
  }
  /** Branch to the failure block when the i32 on the stack is non-zero. */
  failIf(): this {
    this.op(Op.brIf);
    uleb(this.out, this.depth - 1);
    return this;
  }
  /** Branch to the label `up` levels out (0 = innermost) when the i32 on the stack is non-zero. */
  brIf(up: number): this {
    this.op(Op.brIf);
    uleb(this.out, up);
    return this;
  }
  br(up: number): this {
    this.op(Op.br);
    uleb(this.out, up);
    return this;
  }

  /**
   * The characters `text` (ASCII) at the cursor, compared 8, 4, 2, then 1 bytes at a time, then past
   * them. A mismatch fails; with `miss`, it branches to the label `miss` levels out instead.
   */
  literal(text: string, miss?: number): this {
    const lit = Buffer.from(text, 'latin1');
    let k = 0;
    while (k < lit.length) {
      const left = lit.length - k;
      const w = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
      let v = 0n;
      for (let j = w - 1; j >= 0; j--) v = (v << 8n) | BigInt(lit[k + j]);
      this.get(P);
      if (w === 8) {
        this.op(Op.i64Load, 0);
        uleb(this.out, k);
        this.out.push(Op.i64Const);
        sleb(this.out, BigInt.asIntN(64, v));
        this.op(Op.i64Ne);
      } else {
        this.op(w === 4 ? Op.i32Load : w === 2 ? Op.i32Load16u : Op.i32Load8u, 0);
        uleb(this.out, k);
        this.i32(Number(BigInt.asIntN(32, v)));
        this.op(Op.i32Ne);
      }
      if (miss === undefined) this.failIf();
      else this.brIf(miss);
      k += w;
    }
    return this.advance(lit.length);
  }

  /**
   * Past bytes that are digits; the cursor stops on the first other byte. Eight at a time: a lane
   * is a digit when its high nibble is 3 and adding 6 leaves it 3 (low nibble 0–9). The addition
   * carries out of a lane only from a lane of 0xFA or more, not a digit, so into lanes after the
   * first non-digit only.
   */
  digits(): this {
    return this.run(() => {
      const hi = lanes(0xf0);
      const three = lanes(0x30);
      this.get(W).i64(hi).op(Op.i64And).i64(three).op(Op.i64Xor); // high nibble not 3
      this.get(W).i64(lanes(0x06)).op(Op.i64Add).i64(hi).op(Op.i64And).i64(three).op(Op.i64Xor); // low nibble above 9
      this.op(Op.i64Or);
    });
  }
  /** One digit (else fail), then any more. */
  digitsPlus(): this {
    this.byte().i32(48).op(Op.i32Sub).i32(9).op(Op.i32GtU).failIf();
    return this.advance(1).digits();
  }

  /** STR: `"` then bytes 0x20–0x7f except `"` and `\`, then `"`. */
  string(): this {
    this.byte().i32(34).op(Op.i32Ne).failIf().advance(1);
    this.nest(Op.block, () =>
      this.nest(Op.loop, () => {
        this.byte().i32(34).op(Op.i32Eq).brIf(1); // the closing quote
        this.get(C).i32(32).op(Op.i32Sub).i32(95).op(Op.i32GtU).failIf(); // below 0x20 or above 0x7f
        this.get(C).i32(92).op(Op.i32Eq).failIf(); // an escape
        this.advance(1).br(0);
      }),
    );
    return this.advance(1);
  }

  /** NUM: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. Followed by `,` `}` or `]`, so a greedy read is the regex's. */
  number(): this {
    this.integer();
    this.byte().i32(46).op(Op.i32Eq).when(() => this.advance(1).digitsPlus()); // .
    this.byte().i32(32).op(Op.i32Or).i32(101).op(Op.i32Eq); // e or E
    return this.when(() => {
      this.advance(1);
      this.byte().i32(43).op(Op.i32Eq).get(C).i32(45).op(Op.i32Eq).op(Op.i32Or).when(() => this.advance(1)); // + or -
      this.digitsPlus();
    });
  }
  /** INT: `-?(0|[1-9][0-9]*)`. */
  integer(): this {
    this.byte().i32(45).op(Op.i32Eq).when(() => this.advance(1)); // -
    this.byte().i32(48).op(Op.i32Eq);
    return this.when(
      () => this.advance(1), // 0
      () => {
        this.get(C).i32(49).op(Op.i32Sub).i32(8).op(Op.i32GtU).failIf(); // else [1-9]
        this.advance(1).digits();
      },
    );
  }
  /** INT15: `-?0|[1-9][0-9]{0,14}|-[1-9][0-9]{0,13}`: at most 15 characters, sign included. */
  integer15(): this {
    this.get(P).set(T);
    this.integer();
    // "0" and "-0" are within the limit; longer ones start with [1-9], so the length is the rule.
    return this.get(P).get(T).op(Op.i32Sub).i32(15).op(Op.i32GtU).failIf();
  }
  /** `"` one of `values` `"` (the discriminant row: checkKind). */
  oneOf(values: readonly string[]): this {
    this.nest(Op.block, () => {
      for (const v of values) {
        // A mismatch leaves this inner block for the next value, not for the failure block.
        this.nest(Op.block, () => this.literal(`"${v}"`, 0).br(1)); // matched: leave the outer block
      }
      this.i32(1).failIf(); // none matched
    });
    return this;
  }
  /** `true|false` */
  boolean(): this {
    this.get(P).op(Op.i32Load, 0, 0).i32(0x65757274).op(Op.i32Eq); // "true", little-endian
    return this.when(
      () => this.advance(4),
      () => this.literal('false'),
    );
  }
  /** `null` */
  null(): this {
    return this.literal('null');
  }
  /** `[` (STR (`,` STR)*)? `]` */
  strings(): this {
    this.literal('[');
    this.nest(Op.block, () => {
      this.byte().i32(93).op(Op.i32Eq).brIf(0); // []
      this.nest(Op.loop, () => {
        this.string();
        this.byte().i32(44).op(Op.i32Eq).when(() => this.advance(1).br(1)); // `,`: the next one
      });
    });
    return this.literal(']');
  }
  /** `"` → STR, `-`/digit → NUM, `n` → null, else `true|false`. */
  scalar(): this {
    this.byte().i32(34).op(Op.i32Eq);
    return this.when(
      () => this.string(),
      () => {
        this.get(C).i32(45).op(Op.i32Eq).get(C).i32(48).op(Op.i32Sub).i32(9).op(Op.i32GtU).op(Op.i32Eqz).op(Op.i32Or);
        this.when(
          () => this.number(),
          () => {
            this.get(C).i32(110).op(Op.i32Eq);
            this.when(
              () => this.null(),
              () => this.boolean(),
            );
          },
        );
      },
    );
  }
  /** `"` → STR, else INT. */
  id(): this {
    this.byte().i32(34).op(Op.i32Eq);
    return this.when(
      () => this.string(),
      () => this.integer(),
    );
  }
  /** Run `value` unless the cursor is on `n` (then `null`): `(?:value|null)`; no value pattern starts with `n`. */
  orNull(value: () => void): this {
    this.byte().i32(110).op(Op.i32Eq);
    return this.when(() => this.null(), value);
  }
}

/** The value of one row (or of an unknown key, row -1), as `valuePattern` in template.ts. */
/** How an object's spans are written: not at all, at its rows (a top-level object), at `B` plus its rows (a list element). */
type Spans = 'none' | 'rows' | 'element';

function value(code: Code, plan: Plan, row: number, element: Layout | undefined, spans: Spans): void {
  if (row < 0) {
    code.scalar();
    return;
  }
  const gen = () => {
    switch (plan.kinds[row]) {
      case K_DECIMAL:
        code.number();
        break;
      case K_INTEGER:
        code.integer15();
        break;
      case K_INT64:
        code.integer();
        break;
      case K_ID:
        code.id();
        break;
      case K_STRING: {
        const values = plan.values[row];
        if (row === plan.typeRow && values !== undefined) code.oneOf(values);
        else code.string();
        break;
      }
      case K_BOOLEAN:
        code.boolean();
        break;
      case K_STRINGS:
        code.strings();
        break;
      case K_LIST:
        list(code, plan.children[row]!, element, spans === 'rows' ? row : -1);
        break;
      default:
        throw new Error(`unknown kind ${plan.kinds[row]}`);
    }
  };
  if (plan.nullable[row]) code.orNull(gen);
  else gen();
}

/**
 * `[` (E (`,` E)*)? `]`, or `[]` when the layout was learned from an empty list. With `countRow`
 * (a list row of a top-level object that writes spans), each element's spans go to `B` onwards
 * (scratch.ts: the dead zone once they would pass ELEMENT_LIMIT) and the count to its cell.
 */
function list(code: Code, child: Plan, element: Layout | undefined, countRow: number): void {
  const spans = countRow >= 0;
  code.literal('[');
  if (spans) code.i32(0).set(K);
  if (element !== undefined) {
    code.nest(Op.block, () => {
      code.byte().i32(93).op(Op.i32Eq).brIf(0); // []
      code.nest(Op.loop, () => {
        if (spans) {
          // B, or the dead zone when this element would pass the limit (B stays there after)
          const limit = SCRATCH + 4 * ELEMENT_LIMIT;
          code.i32(limit).get(B).get(B).i32(4 * child.rows).op(Op.i32Add).i32(limit).op(Op.i32GtU).op(Op.select).set(B);
        }
        object(code, child, element, spans ? 'element' : 'none');
        if (spans) {
          code.get(K).i32(1).op(Op.i32Add).set(K);
          code.get(B).i32(SCRATCH + 4 * ELEMENT_LIMIT).op(Op.i32Ne).when(() => code.get(B).i32(4 * child.rows).op(Op.i32Add).set(B));
        }
        code.byte().i32(44).op(Op.i32Eq).when(() => code.advance(1).br(1)); // `,`: the next one
      });
    });
  }
  code.literal(']');
  if (spans) code.i32(SCRATCH + 4 * (LIST_COUNT - countRow)).get(K).op(Op.i32Store, 2, 0);
}

/**
 * `{"key":value,…}`. With spans `rows`, each row's start and end (text indices) into the scratch,
 * 0 for the rows the layout lacks, and each list row's element count (-1 until a list is read: a
 * `null` leaves it so); with `element`, each row's start at `B` plus the row (an element's end is
 * never read: its rows are not routing keys).
 */
function object(code: Code, plan: Plan, layout: Layout, spans: Spans): void {
  const n = layout.keys.length;
  if (spans === 'rows' && plan.listRows.length > 0) code.i32(SCRATCH + 4 * plan.rows).set(B);
  if (n === 0) {
    code.literal('{}');
  } else {
    for (let k = 0; k < n; k++) {
      code.literal(`${k ? ',' : '{'}"${layout.keys[k]}":`);
      const row = layout.rows[k];
      const writes = spans !== 'none' && row >= 0;
      if (writes) code.get(P).set(VS);
      if (spans === 'rows' && row >= 0 && plan.kinds[row] === K_LIST) code.i32(SCRATCH + 4 * (LIST_COUNT - row)).i32(-1).op(Op.i32Store, 2, 0);
      value(code, plan, row, layout.elements[k], spans);
      if (writes && spans === 'rows') {
        code.i32(SCRATCH + 4 * row).get(VS).op(Op.i32Store, 2, 0);
        code.i32(SCRATCH + 4096 + 4 * row).get(P).op(Op.i32Store, 2, 0);
      } else if (writes) {
        code.get(B).get(VS).op(Op.i32Store, 2);
        uleb(code.out, 4 * row);
      }
    }
    code.literal('}');
  }
  if (spans !== 'none') {
    const present = new Set(layout.rows);
    for (let row = 0; row < plan.rows; row++) {
      if (present.has(row)) continue;
      if (spans === 'rows') code.i32(SCRATCH + 4 * row).i32(0).op(Op.i32Store, 2, 0);
      else {
        code.get(B).i32(0).op(Op.i32Store, 2);
        uleb(code.out, 4 * row);
      }
    }
  }
}

/**
 * Whether `plan`'s matchers can write every span within the scratch: any plan without list rows;
 * one with list rows when its rows have count cells and its elements fit the dead zone (scratch.ts).
 */
export function spansFit(plan: Plan): boolean {
  if (plan.listRows.length === 0) return true;
  return plan.rows <= LIST_ROWS && plan.children.every((c) => c === undefined || c.rows <= ELEMENT_ROWS);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  out.push(...body);
}
const name = (s: string) => {
  const b = [...Buffer.from(s, 'latin1')];
  const out: number[] = [];
  uleb(out, b.length);
  return [...out, ...b];
};

/** The module bytes of one matcher: one function `match`, the memory imported as `m.memory`. */
function matcherModule(plan: Plan, layout: Layout, spans: boolean): Uint8Array {
  const code = new Code();
  code.nest(Op.block, () => {
    // the failure block: every mismatch branches out of it
    object(code, plan, layout, spans ? 'rows' : 'none');
    code.get(P).op(Op.return);
  });
  code.i32(-1);
  code.op(Op.end);
  const body: number[] = [3, 3, 0x7f, 2, 0x7e, 2, 0x7f]; // 3 more i32 locals, 2 i64, 2 i32
  body.push(...code.out);
  const func: number[] = [];
  uleb(func, body.length);
  func.push(...body);
  const m: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(m, 1, [1, 0x60, 1, 0x7f, 1, 0x7f]); // type 0: (i32) -> i32
  const limits: number[] = [0x01];
  uleb(limits, PAGES);
  uleb(limits, PAGES);
  section(m, 2, [1, ...name('m'), ...name('memory'), 0x02, ...limits]);
  section(m, 3, [1, 0]);
  section(m, 7, [1, ...name('match'), 0x00, 0]);
  const codeSection: number[] = [1];
  codeSection.push(...func);
  section(m, 10, codeSection);
  return Uint8Array.from(m);
}

/**
 * The WebAssembly matcher of `layout`: index of the object's `{` in the loaded frame → index past
 * its `}`, or -1. With `spans`, it also fills the span scratch as `Template.spans` does (only for
 * layouts without list rows). Undefined where WebAssembly is not available.
 */
export function compileMatcher(plan: Plan, layout: Layout, spans: boolean): ((i: number) => number) | undefined {
  if (MEMORY === undefined || WASM === undefined) return undefined;
  const module = new WASM.Module(matcherModule(plan, layout, spans));
  const instance = new WASM.Instance(module, { m: { memory: MEMORY } });
  return instance.exports.match as (i: number) => number;
}
