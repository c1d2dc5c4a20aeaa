/**
 * A mock trade flood reaches a hub's callback in full: the router drops a trade whose
 * `sequential_id` its route has seen (a duplicated frame), and the mock's flood repeats a ring of
 * 256 frames, so the flood must give every frame a new id (src/mock/flood.ts) for the hub to see
 * more than the first lap. bench/cases/kinds.ts counts on it for its trade rows.
 *
 * How to read: one trade subscription, its snapshot awaited, then a flood of several laps; every
 * frame must be delivered (or counted by the sink as coalesced/dropped) and none dropped as a
 * duplicate.
 */
import { describe, expect, it } from 'vitest';
import { liveConnections, startSystem, waitFor } from './helpers.js';

const CODE = 'KRW-BTC';
const N = 3_000; // about 12 laps of the ring

describe('a trade flood through the hub', () => {
  it('delivers every frame: no flood trade is taken for a duplicate', async () => {
    const { mock, hub } = await startSystem(
      { connection: { keepaliveInterval: 60_000, pongTimeout: 60_000 } },
      { limits: false, perMessageDeflate: false },
    );
    const ids = new Set<string>();
    let counting = false;
    let got = 0;
    const c = hub.spawnComponent('trades');
    c.on('trade', (t) => {
      if (!counting) return;
      got++;
      ids.add(t.sequentialId);
    });
    c.send({ type: 'SUBSCRIBE', channel: 'trade', codes: [CODE] });
    await waitFor(() => liveConnections(mock).some((m) => m.subscriptions.some((s) => s.type === 'trade' && s.codes?.includes(CODE))), {
      message: 'the hub subscribed to the trades',
    });
    await waitFor(() => hub.status().metrics.delivered > 0, { message: 'the snapshot arrived' });
    const duplicates = () => hub.status().metrics.duplicatesDropped;
    const lost = () => hub.status().delivery.coalesced + hub.status().delivery.dropped;
    const [dup0, lost0] = [duplicates(), lost()];
    counting = true;

    const sent = await mock.flood({ type: 'trade', codes: [CODE], count: N });
    expect(sent.frames).toBe(N);
    await waitFor(() => got + lost() - lost0 + duplicates() - dup0 >= N, {
      timeoutMs: 10_000,
      message: 'every flooded trade delivered, shed or dropped as a duplicate',
      describe: () => ({ got, lost: lost() - lost0, duplicates: duplicates() - dup0 }),
    });
    expect(duplicates() - dup0).toBe(0);
    expect(got + lost() - lost0).toBe(N);
    expect(ids.size).toBe(got);
  });
});
