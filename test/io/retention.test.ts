/**
 * A string read from a decoded message holds no part of its frame (src/io/scan.ts `detach`). V8
 * makes a slice of 13 or more characters a view into its parent string, so an order uuid or a
 * trade id that a user keeps would keep its whole frame (a REST body: the whole list) alive.
 *
 * Measured, not inferred: decode many frames that each carry 2 KB of other text, keep only one
 * long string of each, collect garbage, and read how much heap the kept strings hold.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { decodeFrameWalk } from '../../src/io/decode.js';
import { internalized } from '../../src/io/scan.js';
import { ID_DIGITS, ID_HALVES } from '../../src/io/view.js';
import { decodeFrame, decodeRestList, REST_TRADE } from '../../src/io/index.js';
import { MY_ORDER_DEFAULT, TRADE_DEFAULT } from './fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = 3000;
const PAD = 'x'.repeat(2000);

/** Heap bytes per kept string after `make(i)` ran N times and only its result was kept. */
function keptBytes(make: (i: number) => string): number {
  const keep: string[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) keep.push(make(i));
  gc();
  const held = (process.memoryUsage().heapUsed - before) / N;
  expect(new Set(keep).size).toBe(N); // every string is its own, and still there
  return held;
}

/** The myOrder fixture with its own uuid and 2 KB of padding in an unknown key (every frame distinct). */
const order = (i: number) =>
  MY_ORDER_DEFAULT.frame.replace('ac2dc2a3-fce9-40a2-b4f6-5987c25c438f', `${String(i).padStart(8, '0')}-fce9-40a2-b4f6-5987c25c438f`).replace(/}$/, `,"memo":"${PAD}"}`);
const trade = (i: number) => TRADE_DEFAULT.frame.replace('17303368620470000', String(17303368620470000n + BigInt(i))).replace(/}$/, `,"memo":"${PAD}"}`);

describe('strings read from a message hold no part of its frame', () => {
  // A slice would hold the 2 KB frame: about 2,100 B per kept string. A copy holds itself: about 100 B.
  const LIMIT = 400;

  it('an order uuid (string), through the templates and through the walk', () => {
    decodeFrame(order(-1)); // learn the template
    expect(keptBytes((i) => (decodeFrame(order(i))[0] as unknown as { uuid: string }).uuid)).toBeLessThan(LIMIT);
    expect(keptBytes((i) => (decodeFrameWalk(Buffer.from(order(i)))[0] as unknown as { uuid: string }).uuid)).toBeLessThan(LIMIT);
  });

  it('a trade sequentialId (digits kept as a string), also after the router read it for de-duplication', () => {
    decodeFrame(trade(-1));
    type Trade = { sequentialId: string; [ID_DIGITS](): number };
    expect(keptBytes((i) => (decodeFrame(trade(i))[0] as unknown as Trade).sequentialId)).toBeLessThan(LIMIT);
    // The router's own read (the digits as numbers, for the id memory) leaves the message as it was.
    expect(
      keptBytes((i) => {
        const m = decodeFrame(trade(i))[0] as unknown as Trade;
        expect(m[ID_DIGITS]()).toBe(17);
        const id = 17303368620470000n + BigInt(i); // its first 15 digits, then the other 2
        expect([...ID_HALVES]).toEqual([Number(id / 100n), Number(id % 100n)]);
        return m.sequentialId;
      }),
    ).toBeLessThan(LIMIT);
  });

  it('a REST trade id, from a body of 20 trades', () => {
    const row = (i: number, k: number) =>
      `{"market":"KRW-BTC","trade_date_utc":"2025-05-07","trade_time_utc":"07:06:13","timestamp":1746601573000,"trade_price":137001000,` +
      `"trade_volume":0.00123,"prev_closing_price":137500000,"change_price":1000,"ask_bid":"ASK","sequential_id":${17466015730000000n + BigInt(i * 20 + k)}}`;
    const body = (i: number) => `[${Array.from({ length: 20 }, (_, k) => row(i, k)).join(',')}]`;
    expect(keptBytes((i) => decodeRestList<{ sequentialId: string }>(body(i), REST_TRADE)[0].sequentialId)).toBeLessThan(LIMIT);
  });

  it('the kept strings are the same text', () => {
    const m = decodeFrame(order(7))[0] as unknown as { uuid: string; identifier: string };
    expect(m.uuid).toBe('00000007-fce9-40a2-b4f6-5987c25c438f');
    expect(m.identifier).toBe('my-order-7');
  });
});

describe('internalized: the one copy of a string that property keys share (codes, the router index)', () => {
  it('is the same text for any string, names that objects treat specially and index-like ones included', () => {
    const built = ['KRW', 'BTC'].join('-');
    for (const s of ['', 'KRW-BTC', built, '__proto__', 'constructor', 'toString', '0', '123', '4294967295', '-1', 'a'.repeat(300)]) {
      expect(internalized(s)).toBe(s);
    }
  });
});
