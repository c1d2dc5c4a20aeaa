/**
 * `await using client = hub.client('x')`: leaving the block unsubscribes everything and stops the
 * component actor, so the merged request shrinks without an explicit cleanup() call.
 */
import { describe, expect, it } from 'vitest';
import { liveUnion, sameSet, startSystem, waitFor } from './helpers.js';

describe('disposal', () => {
  it('await using cleans the client up at the end of the block', async () => {
    const { mock, hub, pump } = await startSystem();
    pump();
    const stay = hub.client('stays');
    await stay.subscribeTicker(['KRW-BTC'], () => {});
    {
      await using temp = hub.client('temporary');
      let got = 0;
      await temp.subscribeTrade(['KRW-ETH'], () => got++);
      await waitFor(() => got > 0, { message: 'the temporary client receiving' });
      expect(hub.status().components).toBe(2);
    }
    expect(hub.status().components).toBe(1);
    await waitFor(() => sameSet(liveUnion(mock) ?? [], ['ticker|KRW-BTC|']), {
      message: 'the union shrunk to what remains',
      describe: () => [...(liveUnion(mock) ?? [])],
    });
  });
});
