/**
 * A request the server refused is not silently forgotten: after an error frame the hub asks the
 * server what it has (LIST_SUBSCRIPTIONS) and re-sends the union when the server's view drifted.
 */
import { describe, expect, it } from 'vitest';
import { liveUnion, sameSet, startSystem, waitFor } from './helpers.js';

describe('drift repair', () => {
  it('re-sends the union after the server refused a request (Too Many Requests)', async () => {
    // The server allows one message per second, on a clock the test holds still: the second
    // request is refused however slowly this machine runs; the clock then moves on, so the repair
    // can get through.
    const T0 = 1_700_000_000_000;
    let resumedAt: number | undefined;
    const now = () => (resumedAt === undefined ? T0 : T0 + 60_000 + (Date.now() - resumedAt));
    const { mock, hub, pump } = await startSystem({}, { limits: { messagesPerSecond: 1, messagesPerMinute: 100 }, now });
    pump();
    const a = hub.client('a');
    await a.subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 1, { message: 'first union', timeoutMs: 15_000 });
    const b = hub.client('b');
    let trades = 0;
    await b.subscribeTrade(['KRW-ETH'], () => trades++);
    await waitFor(() => mock.stats().messageBreaches > 0, { message: 'the mock refusing the second request', timeoutMs: 15_000 });
    resumedAt = Date.now(); // a fresh minute for the repair, then real time
    // Without repair the server keeps the old set forever; with it, the trade stream arrives.
    await waitFor(() => sameSet(liveUnion(mock) ?? [], ['ticker|KRW-BTC|', 'trade|KRW-ETH|']), {
      timeoutMs: 15_000,
      message: 'the union restored on the server',
      describe: () => JSON.stringify([...(liveUnion(mock) ?? [])]),
    });
    await waitFor(() => trades > 0, { message: 'trades after the repair' });
    const listed = mock.connections().flatMap((c) => c.requests).filter((r) => r.raw.includes('LIST_SUBSCRIPTIONS'));
    expect(listed.length).toBeGreaterThan(0);
  });
});
