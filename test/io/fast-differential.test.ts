/**
 * The template fast path (src/io/fast.ts, template.ts, wasm.ts) against the reference walk: same messages,
 * same errors, on real frames of every kind and format and on seeded mutations of them; and a
 * bound on the work a mismatching frame costs. The harness is in differential.ts; the long run is
 * `npx tsx scripts/fuzz-decode.ts`.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeFrameWalk } from '../../src/io/decode.js';
import { fastStats, MAX_TEMPLATES, resetTemplates } from '../../src/io/fast.js';
import { DATA_TYPES } from '../../src/io/fields.js';
import { prng } from '../prng.js';
import { check, mutate, seedFrames, type Path } from './differential.js';
import { TICKER_DEFAULT, TICKER_SIMPLE } from './fixtures.js';

const AS = ['buffer', 'uint8', 'string'] as const;

describe('template fast path: identical to the walk', () => {
  it('decodes every seed frame (every kind, every format) by template once learned, identically', () => {
    resetTemplates();
    const seeds = seedFrames(prng(0x5eed));
    for (const f of seeds) decodeFrame(f); // learn
    const kinds = new Set<string>();
    let fast = 0;
    // template material: data frames in printable ASCII without escapes (the generator puts escapes
    // and non-ASCII text into a fifth of its strings; control frames are left to the walk)
    const eligible = seeds.filter((f) => !/[\\\u0080-\uffff]/.test(f) && /^\[?\{"ty/.test(f)).length;
    for (const [k, f] of seeds.entries()) {
      const path = check(Buffer.from(f), AS[k % 3]);
      if (path === 'fast') {
        fast++;
        for (const m of decodeFrameWalk(f)) kinds.add(m.type);
      }
    }
    // every data type reaches the fast path (control frames take the walk by design)
    expect([...kinds].sort()).toEqual([...DATA_TYPES].sort());
    expect(fast).toBeGreaterThan(eligible * 0.9);
    expect(fastStats.selfCheckFailures).toBe(0);
  });

  it('40 000 seeded mutations: same messages and same errors as the reference walk', () => {
    resetTemplates();
    const rand = prng(0xd1ff);
    const seeds = seedFrames(rand).map((f) => Buffer.from(f));
    const paths: Record<Path, number> = { fast: 0, walk: 0, error: 0 };
    const wasmBefore = fastStats.wasmAttempts;
    for (let k = 0; k < 40_000; k++) {
      const seed = seeds[k % seeds.length];
      decodeFrame(seed); // keep the seed's template learned and most recently used
      let frame: Buffer = seed;
      const rounds = rand() < 0.7 ? 1 : 2 + Math.floor(rand() * 2);
      for (let r = 0; r < rounds; r++) frame = mutate(rand, frame);
      try {
        paths[check(frame, AS[k % 3])]++;
      } catch (err) {
        throw new Error(`mutation ${k}: ${(err as Error).message}\n${frame.toString('latin1')}`);
      }
    }
    // the mutations reach the fast path, the walk and the errors alike
    expect(paths.fast).toBeGreaterThan(6_000);
    expect(paths.walk).toBeGreaterThan(2_000);
    expect(paths.error).toBeGreaterThan(10_000);
    // two thirds of the frames are bytes: the WebAssembly matchers tried them (and the regexes agreed)
    expect(fastStats.wasmAttempts - wasmBefore).toBeGreaterThan(20_000);
    expect(fastStats.selfCheckFailures).toBe(0);
  });
});

describe('template fast path: the cost of a mismatch is bounded', () => {
  /** Work per character over frames of growing size: a constant bound means linear cost. */
  function workPerChar(make: (size: number) => string, bytes: boolean): number[] {
    return [1 << 16, 1 << 18, 1 << 20].map((size) => {
      const frame = make(size);
      const before = { ...fastStats };
      try {
        decodeFrame(bytes ? Buffer.from(frame, 'latin1') : frame); // bytes: the WebAssembly matchers
      } catch {
        // most of these frames are invalid: the cost is what is measured
      }
      // Most recently matched first: an object like the one before costs one attempt; the first
      // and the failing object at most MAX_TEMPLATES each.
      const objects = frame.startsWith('[') ? frame.split('{"type"').length - 1 : 1;
      expect(fastStats.attempts - before.attempts).toBeLessThanOrEqual(objects + 2 * MAX_TEMPLATES);
      return (fastStats.attemptedChars - before.attemptedChars) / frame.length;
    });
  }

  const prime = () => {
    resetTemplates();
    for (const f of [TICKER_DEFAULT.frame, TICKER_SIMPLE.frame]) {
      decodeFrame(f);
      // several layouts of the same kind: every mismatching object is tried against all of them
      const drops = ['"market_warning":"NONE",', '"delisting_date":null,', '"is_trading_suspended":false,', '"mw":"NONE",', '"dd":null,', '"its":false,'];
      for (const drop of drops) decodeFrame(f.replace(drop, ''));
      for (const [a, b] of [[0, 1], [1, 2], [3, 4], [4, 5]]) decodeFrame(f.replace(drops[a], '').replace(drops[b], ''));
      for (let k = 0; k < 8; k++) decodeFrame(f.replace(/}$/, `,"x_${k}":${k}}`)); // unknown keys: more layouts than kept
    }
  };

  it('a 1 MB string value that never closes, a 1 MB list of tickers broken at the end, a 1 MB number', () => {
    prime();
    const t = TICKER_DEFAULT.frame;
    const cases: ((size: number) => string)[] = [
      (size) => t.replace('"KRW-BTC"', `"${'A'.repeat(size)}`),
      (size) => {
        const n = Math.ceil(size / t.length);
        return `[${Array.from({ length: n }, (_, i) => (i === n - 1 ? t.replace('"RISE"', 'RISE') : t)).join(',')}]`;
      },
      (size) => t.replace('"trade_price":32287000.0', `"trade_price":${'1'.repeat(size)}x`),
      (size) => `[${Array.from({ length: Math.ceil(size / t.length) }, () => t.replace('}', ',"x":1}')).join(',')}]`,
    ];
    const wasmBefore = fastStats.wasmAttempts;
    for (const make of cases) {
      for (const bytes of [false, true]) {
        const perChar = workPerChar(make, bytes);
        for (const w of perChar) expect(w).toBeLessThanOrEqual(2 * MAX_TEMPLATES);
      }
    }
    expect(fastStats.wasmAttempts).toBeGreaterThan(wasmBefore);
    expect(fastStats.selfCheckFailures).toBe(0);
  });

  it('learning backs off on frames that can never be templates', () => {
    resetTemplates();
    const spaced = TICKER_DEFAULT.frame.replace(/,"/g, ', "');
    const before = { ...fastStats };
    for (let k = 0; k < 5000; k++) decodeFrame(spaced);
    expect(fastStats.compiled).toBe(before.compiled);
    // exponential back-off up to every 1024th object: a handful of attempts, not 5000
    expect(fastStats.learnAttempts - before.learnAttempts).toBeLessThanOrEqual(20);
    // and learns again within 1024 objects once plain frames come
    for (let k = 0; k < 1100; k++) decodeFrame(TICKER_DEFAULT.frame);
    expect(fastStats.compiled).toBe(before.compiled + 1);
  });
});
