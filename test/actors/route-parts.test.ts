/**
 * The router's per-route checks (src/actors/route-parts.ts): the trade id memory against a plain
 * reference model, the allocation-free Decimal comparison, and the lazy depth cut.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, decodeFrame, type Orderbook } from '../../src/io/index.js';
import { BookCut, RecentIds, TRADE_MEMORY, sameDecimal } from '../../src/actors/route-parts.js';
import { prng } from '../prng.js';

/** The behaviour RecentIds must have: the last TRADE_MEMORY distinct ids it accepted. */
class Reference {
  private readonly order: string[] = [];
  add(id: string): boolean {
    if (this.order.includes(id)) return false;
    this.order.push(id);
    if (this.order.length > TRADE_MEMORY) this.order.shift();
    return true;
  }
}

describe('RecentIds', () => {
  it('answers like a list of the last 256 ids over 40,000 seeded adds with many repeats and shared probe runs', () => {
    const rand = prng(12);
    const ids = new RecentIds();
    const ref = new Reference();
    let repeats = 0;
    for (let i = 0; i < 40_000; i++) {
      // a pool a little larger than the memory: ids come back both inside and outside the window
      const id = String(17877285547970000n + BigInt(Math.floor(rand() * 400)));
      const want = ref.add(id);
      if (!want) repeats++;
      expect(ids.add(id)).toBe(want);
    }
    expect(repeats).toBeGreaterThan(10_000);
  });

  it('tells apart ids that only look alike: leading zeros, 15-digit boundaries, long and non-digit ids', () => {
    const rand = prng(13);
    const pool = ['12', '012', '0012', '1', '10', '100000000000000', '1000000000000000', '0100000000000000', '999999999999999999999999999999', '9999999999999999999999999999999', '12a', 'a12', '', 'KRW-1', '17877285547970001', '1787728554797000'];
    const ids = new RecentIds();
    const ref = new Reference();
    for (let i = 0; i < 5_000; i++) {
      const id = pool[Math.floor(rand() * pool.length)];
      expect(ids.add(id), id).toBe(ref.add(id));
    }
  });

  it('keeps digit ids as numbers, so no id string (a slice of its frame) is held', () => {
    const ids = new RecentIds();
    for (let i = 0; i < 1_000; i++) ids.add(String(17877285547970000n + BigInt(i)));
    const held = (ids as unknown as { other: unknown[] }).other.filter((x) => x !== undefined);
    expect(held).toEqual([]);
    ids.add('not-a-number');
    expect((ids as unknown as { other: unknown[] }).other.filter((x) => x !== undefined)).toEqual(['not-a-number']);
  });

  it('forgets an id once 256 newer ones arrived, not before', () => {
    const ids = new RecentIds();
    expect(ids.add('first')).toBe(true);
    for (let i = 0; i < TRADE_MEMORY - 1; i++) ids.add(`n${i}`);
    expect(ids.add('first')).toBe(false);
    ids.add('one more');
    expect(ids.add('first')).toBe(true);
  });
});

describe('sameDecimal', () => {
  it('is eq for normalised values, zeros of both signs, and NaN/Infinity', () => {
    const values = ['0', '-0', '1000', '1e3', '1000.000', '0.1', '0.10', '-5', '5', '123456789012345678.5', 'NaN', 'Infinity'];
    for (const a of values) for (const b of values) expect(sameDecimal(new Decimal(a), new Decimal(b)), `${a} vs ${b}`).toBe(new Decimal(a).eq(b));
  });
});

const book = (units: number) =>
  decodeFrame(
    JSON.stringify({
      type: 'orderbook', code: 'KRW-BTC', total_ask_size: 9, total_bid_size: 9, timestamp: 1, level: 0, stream_type: 'REALTIME',
      orderbook_units: Array.from({ length: units }, (_, i) => ({ ask_price: 101 + i, bid_price: 100 - i, ask_size: 0.1, bid_size: 0.2 })),
    }),
  )[0] as Orderbook;

describe('BookCut', () => {
  it('counts the units once, and cuts them once per book, when first read', () => {
    const units = book(15).orderbookUnits;
    let reads = 0;
    const fake = { type: 'orderbook', code: 'KRW-BTC', get orderbookUnits() { reads++; return units; } } as unknown as Orderbook;
    const cut = new BookCut(5);
    const seen = cut.view(fake);
    expect(reads).toBe(1); // the count: does it fit?
    const first = seen.orderbookUnits;
    expect(first).toHaveLength(5);
    expect(seen.orderbookUnits).toBe(first);
    expect(seen.totalAskSize.toString()).toBe('0.5');
    expect(seen.totalBidSize.toString()).toBe('1');
    expect(reads).toBe(2);
  });

  it('a book that fits is delivered as itself: no proxy, its own units and totals', () => {
    const b = book(5);
    const seen = new BookCut(15).view(b);
    expect(seen).toBe(b);
    expect(new BookCut(5).view(b)).toBe(b);
    expect(new BookCut(4).view(b)).not.toBe(b);
    expect(seen.orderbookUnits).toBe(b.orderbookUnits);
    expect(seen.totalAskSize.toString()).toBe('9');
    expect(JSON.parse(JSON.stringify(seen))).toEqual(JSON.parse(JSON.stringify(b)));
  });

  it('a cut book serialises with its cut units and totals', () => {
    const json = JSON.parse(JSON.stringify(new BookCut(3).view(book(15)))) as { orderbookUnits: unknown[]; totalBidSize: string; code: string };
    expect(json.orderbookUnits).toHaveLength(3);
    expect(json.totalBidSize).toBe('0.6');
    expect(json.code).toBe('KRW-BTC');
  });

  it("a cut book's toJSON() is a plain object all the way down, as an uncut book's is", () => {
    const plain = (new BookCut(3).view(book(15)) as unknown as { toJSON(): { orderbookUnits: object[] } }).toJSON();
    expect(plain.orderbookUnits).toHaveLength(3);
    for (const u of plain.orderbookUnits) expect(Object.getPrototypeOf(u)).toBe(Object.prototype);
  });
});
