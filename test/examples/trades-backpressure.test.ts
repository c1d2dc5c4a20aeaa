/**
 * examples/trades-backpressure.ts: every printed trade is one the mock made (exact digits, in
 * sequence per market), and the bounded queue drops the oldest when its consumer falls behind.
 */
import { describe, expect, it } from 'vitest';
import { DropOldest, main } from '../../examples/trades-backpressure.js';
import { manualMock, subscribedTypes, waitFor } from './helpers.js';

describe('examples/trades-backpressure', () => {
  it('prints the trades the mock made, in order, without dropping at this pace', async () => {
    const mock = await manualMock();
    const codes = ['KRW-BTC', 'KRW-ETH'];
    const made = new Map<string, string>(); // sequentialId|code → expected line prefix
    const remember = () => {
      for (const code of codes) {
        const t = mock.lastTrade(code);
        made.set(`${t.sequentialId}|${code}`, `${code} ${t.askBid} ${t.tradeVolume.toFixed()} @ ${t.tradePrice.toFixed()}`);
      }
    };
    remember(); // the snapshot
    const lines: string[] = [];
    const run = main({ url: mock.url, codes, count: 8, out: (l) => lines.push(l) });
    await waitFor(() => subscribedTypes(mock, 'public').includes('trade'), { message: 'the trade subscription' });
    await waitFor(() => lines.length >= 8, { step: () => (mock.tick(), remember()), intervalMs: 5, message: '8 trade lines' });
    const { dropped } = await run;
    expect(dropped).toBe(0);
    const seqs: Record<string, string[]> = {};
    for (const line of lines) {
      const m = /^(\S+) .* \(seq (\d+), dropped so far 0\)$/.exec(line)!;
      expect(m, line).not.toBeNull();
      expect(line.startsWith(made.get(`${m[2]}|${m[1]}`)!), line).toBe(true);
      (seqs[m[1]] ??= []).push(m[2]);
    }
    for (const list of Object.values(seqs)) expect(list.map(BigInt)).toEqual([...list.map(BigInt)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('DropOldest keeps the newest `capacity` items and counts the rest', async () => {
    const q = new DropOldest<number>(2);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.dropped).toBe(3);
    const signal = new AbortController().signal;
    expect([await q.take(signal), await q.take(signal)]).toEqual([4, 5]);
  });
});
