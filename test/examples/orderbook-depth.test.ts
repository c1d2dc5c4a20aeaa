/** examples/orderbook-depth.ts: 5 levels aggregated to a price level, equal to the mock's book. */
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/orderbook-depth.js';
import { manualMock } from './helpers.js';

describe('examples/orderbook-depth', () => {
  it('prints the totals and the 5 best levels at level 10000, digit for digit', async () => {
    const mock = await manualMock();
    const lines: string[] = [];
    await main({ url: mock.url, code: 'KRW-BTC', level: 10_000, count: 6, out: (l) => lines.push(l) });
    const book = mock.orderbook('KRW-BTC', 5, 10_000)!;
    expect(lines[0]).toBe(`KRW-BTC level 10000  asks ${book.totalAskSize.toFixed()}  bids ${book.totalBidSize.toFixed()}`);
    expect(lines.slice(1)).toEqual(
      book.orderbookUnits.map((u) => `  ${u.bidSize.toFixed().padStart(14)} ${u.bidPrice.toFixed().padStart(12)} | ${u.askPrice.toFixed().padEnd(12)} ${u.askSize.toFixed()}`),
    );
    // Aggregated: every price is a multiple of the level.
    for (const u of book.orderbookUnits) expect(u.bidPrice.mod(10_000).isZero()).toBe(true);
  });
});
