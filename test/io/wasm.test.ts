/**
 * The WebAssembly matchers (src/io/wasm.ts, scratch.ts): where they are used, where the regexes
 * take over, and the one hazard of a shared memory, bytes left by an earlier frame. Their
 * equivalence with the regexes and the walk on every kind and on mutated frames is
 * fast-differential.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeFrameWalk, LazyView } from '../../src/io/decode.js';
import { decodeFast, fastStats, resetTemplates, setWasmMatchers } from '../../src/io/fast.js';
import { DECIMAL, listOf, ORDERBOOK, type Table } from '../../src/io/fields.js';
import { FRAME_CAPACITY, MEMORY } from '../../src/io/scratch.js';
import { planFor } from '../../src/io/view.js';
import { spansFit } from '../../src/io/wasm.js';
import { check } from './differential.js';
import { TICKER_SIMPLE, TRADE_DEFAULT, TRADE_SIMPLE } from './fixtures.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
/** The first message of a decode, as a plain object. */
const plain = (ms: readonly unknown[] | undefined) => (ms?.[0] as LazyView | undefined)?.toJSON();

describe('WebAssembly matchers', () => {
  it('byte frames are matched in WebAssembly, string frames by the regexes, with the same messages', () => {
    expect(MEMORY).toBeDefined(); // Node 20 has WebAssembly
    resetTemplates();
    decodeFrame(TRADE_SIMPLE.frame); // learn
    const before = fastStats.wasmAttempts;
    const fromBytes = decodeFast(bytes(TRADE_SIMPLE.frame));
    expect(fastStats.wasmAttempts).toBe(before + 1);
    const fromText = decodeFast(TRADE_SIMPLE.frame);
    expect(fastStats.wasmAttempts).toBe(before + 1);
    expect(plain(fromBytes)).toEqual(plain(decodeFrameWalk(TRADE_SIMPLE.frame)));
    expect(plain(fromText)).toEqual(plain(fromBytes));

    setWasmMatchers(false);
    try {
      expect(plain(decodeFast(bytes(TRADE_SIMPLE.frame)))).toEqual(plain(fromBytes));
      expect(fastStats.wasmAttempts).toBe(before + 1);
    } finally {
      setWasmMatchers(true);
    }
  });

  // Two guards: the 0 byte loadFrame writes after each frame (no pattern accepts it, so a matcher
  // also never scans stale bytes) and fast.ts's check that the match ends where the text does.
  it('a frame is never completed by the bytes of the frame before it', () => {
    resetTemplates();
    decodeFrame(TRADE_DEFAULT.frame);
    const whole = bytes(TRADE_DEFAULT.frame);
    expect(decodeFast(whole)).toBeDefined(); // the whole frame now sits in the matchers' memory
    // The same frame without its closing brace: the brace is still in memory from the frame before.
    const cut = whole.subarray(0, whole.length - 1);
    expect(decodeFast(cut)).toBeUndefined();
    expect(() => decodeFrame(cut)).toThrow(); // the walk's typed error
    // Shorter frames of the same layout, after longer ones, still match (the sentinel moves with them).
    const short = TRADE_DEFAULT.frame.replace('"KRW-BTC"', '"KRW-A"');
    expect(decodeFast(bytes(short))?.map((m) => (m as { code: string }).code)).toEqual(['KRW-A']);
  });

  it('a frame larger than the matchers memory is matched by the regexes, with the same messages', () => {
    resetTemplates();
    decodeFrame(TICKER_SIMPLE.frame);
    const n = Math.ceil(FRAME_CAPACITY / (TICKER_SIMPLE.frame.length + 1)) + 1;
    const text = `[${Array.from({ length: n }, () => TICKER_SIMPLE.frame).join(',')}]`;
    expect(text.length).toBeGreaterThan(FRAME_CAPACITY);
    const before = { ...fastStats };
    const messages = decodeFast(bytes(text));
    expect(messages).toHaveLength(n);
    expect(fastStats.wasmAttempts).toBe(before.wasmAttempts);
    expect(fastStats.attempts - before.attempts).toBe(n);
    expect(plain(messages?.slice(n - 1))).toEqual(plain(decodeFrameWalk(TICKER_SIMPLE.frame)));
  });

  // The matchers pass digit runs 8 bytes at a time (wasm.ts `digits`): a run of any length, ended
  // by any byte, must be cut where the regexes and the walk cut it. check() throws on a difference.
  it('digit runs and strings of every length, ended by every byte, decide as the regexes and the walk', () => {
    resetTemplates();
    decodeFrame(TRADE_SIMPLE.frame);
    decodeFrame(TRADE_SIMPLE.frame.replace('"tv":0.00009945', '"tv":1e-7')); // a layout with an exponent too
    const frame = TRADE_SIMPLE.frame;
    const paths = { fast: 0, walk: 0, error: 0 };
    // Values to grow: a decimal's integer part, its fraction, an exponent, an integer, an id, a string.
    const sites: [string, (run: string) => string][] = [
      ['"tp":100571000.00000000', (r) => `"tp":1${r}`],
      ['"tp":100571000.00000000', (r) => `"tp":1.${r}`],
      ['"tv":0.00009945', (r) => `"tv":1e${r}`],
      ['"tms":1730336862082', (r) => `"tms":${r.length ? '1' : ''}${r.slice(1)}`],
      ['"sid":17877285547970001', (r) => `"sid":9${r}`],
      ['"td":"2024-10-31"', (r) => `"td":"${r}`],
    ];
    for (const [value, grown] of sites) {
      for (let len = 0; len <= 19; len++) {
        const digits = '1234567890123456789'.slice(0, len);
        const at = frame.indexOf(value);
        paths[check(bytes(frame.slice(0, at) + grown(digits) + frame.slice(at + value.length)), 'buffer')]++;
        for (let b = 0; b < 256; b++) {
          // the run, one byte, then what followed the value (a frame that may or may not be JSON)
          const text = Buffer.concat([bytes(frame.slice(0, at) + grown(digits)), Buffer.from([b]), bytes(frame.slice(at + value.length))]);
          paths[check(text, 'buffer')]++;
        }
      }
    }
    // Each kind of outcome is reached: accepted by the templates, left to the walk, rejected.
    expect(paths.fast).toBeGreaterThan(100);
    expect(paths.walk).toBeGreaterThan(100);
    expect(paths.error).toBeGreaterThan(1000);
  });

  it('matchers write every span where the scratch has room for them (scratch.ts), else the text pass finds them', () => {
    const rows = (n: number, p: string): Table => Array.from({ length: n }, (_, k) => ({ name: `${p}${k}`, wire: `${p}_${k}`, simple: `${p}${k}`, kind: DECIMAL }));
    expect(spansFit(planFor(ORDERBOOK))).toBe(true);
    expect(spansFit(planFor(rows(70, 'a'), 'flat70'))).toBe(true); // no list rows: no count cells needed
    const withList = (top: number, element: number) => planFor([...rows(top, 'a'), { name: 'l', wire: 'l', simple: 'l', kind: listOf(rows(element, 'e')) }], `list${top}x${element}`);
    expect(spansFit(withList(10, 32))).toBe(true);
    expect(spansFit(withList(10, 33))).toBe(false); // an element larger than the dead zone
    expect(spansFit(withList(63, 4))).toBe(true); // 64 rows, the list row included
    expect(spansFit(withList(64, 4))).toBe(false); // more rows than count cells
  });

  it('without WebAssembly (node --jitless) the regexes do the matching, with the same messages', () => {
    const decode = fileURLToPath(new URL('../../src/io/decode.ts', import.meta.url));
    const fast = fileURLToPath(new URL('../../src/io/fast.ts', import.meta.url));
    const frame = JSON.stringify(TRADE_SIMPLE.frame);
    const script = `
      const { decodeFrame } = await import(${JSON.stringify(decode)});
      const { decodeFast, fastStats } = await import(${JSON.stringify(fast)});
      decodeFrame(Buffer.from(${frame}, 'latin1'));
      const m = decodeFast(Buffer.from(${frame}, 'latin1'));
      console.log(JSON.stringify({ wasm: typeof WebAssembly, hits: fastStats.hits, wasmAttempts: fastStats.wasmAttempts, m: m && m[0].toJSON() }));`;
    const out = execFileSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const seen = JSON.parse(out.trim().split('\n').at(-1)!) as { wasm: string; hits: number; wasmAttempts: number; m: unknown };
    expect(seen.wasm).toBe('undefined');
    expect(seen.hits).toBe(1);
    expect(seen.wasmAttempts).toBe(0);
    expect(seen.m).toEqual(JSON.parse(JSON.stringify(plain(decodeFrameWalk(TRADE_SIMPLE.frame)))));
  }, 60_000);
});
