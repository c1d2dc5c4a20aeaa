/**
 * The code builder of the WebAssembly matchers (wasm.ts): a minimal encoder, then `Code`, one
 * method per rule of the templates' grammar (template.ts writes the same rules as regex patterns),
 * each emitting straight-line code over the frame's bytes at the cursor `P` that either moves the
 * cursor past what it accepted or branches to the failure block. wasm.ts puts the rules together
 * into one matcher per learned layout.
 *
 * How to read this file: the encoder and the locals first; in `Code`, the structural helpers
 * (`nest`, `when`, `failIf`), then the rules, each with its grammar beside it.
 */
import { Buffer } from 'node:buffer';

// ─── a minimal WebAssembly encoder ──────────────────────────────────────────────────────────────

export const Op = {
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

export function uleb(out: number[], v: number): void {
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
export const P = 0;
export const C = 1;
export const VS = 2;
export const T = 3;
export const W = 4;
export const M = 5;
export const B = 6;
export const K = 7;
/** A byte repeated in each of the 8 bytes of an i64. */
const lanes = (b: number) => BigInt(b) * 0x0101010101010101n;

/** Straight-line code for one function; `fail` branches leave the outermost block (result -1). */
export class Code {
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
