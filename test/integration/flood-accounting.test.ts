/**
 * A flood into a callback that is slow for a while: the frames the callback never got are the
 * ones its sink coalesced (default policy), each counted, and the connection is never dropped.
 *
 * How to read: one orderbook subscription on one code, a mock flood, a callback that busy-waits on
 * 32 calls early in the flood (a preempted callback on a loaded machine); then every frame the
 * mock sent must be in `delivered` or in the hub's `coalesced` + `dropped`, with the socket of
 * epoch 1 still open. This is what bench/cases/kinds.ts counts on (its rounds end at
 * delivered + lost) and what bench/flood-loss.ts shows at larger scale.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { UpbitConnectionError } from '../../src/io/index.js';
import { liveConnections, startSystem, waitFor } from './helpers.js';

const CODE = 'KRW-BTC';

describe('a flood into a slow callback', () => {
  it('accounts for every frame (delivered or coalesced) without dropping the connection', async () => {
    const { mock, hub, hubErrors } = await startSystem(
      // The flood must not look like a dead link: no keepalive verdicts during it.
      { connection: { keepaliveInterval: 60_000, pongTimeout: 60_000 } },
      { limits: false, perMessageDeflate: false },
    );
    let counting = false;
    let seen = 0;
    let got = 0;
    const c = hub.spawnComponent('flooded');
    c.on('orderbook', () => {
      seen++;
      if (!counting) return;
      got++;
      // Slow long enough to be caught by the sink's sampled timing (one call in 16).
      if (got > 64 && got <= 96) for (const t = performance.now(); performance.now() - t < 3; );
    });
    c.send({ type: 'SUBSCRIBE', channel: 'orderbook', codes: [CODE] });
    await waitFor(() => liveConnections(mock).some((m) => m.subscriptions.some((s) => s.type === 'orderbook' && s.codes?.includes(CODE))), {
      message: 'the hub subscribed to the orderbook',
    });
    await waitFor(() => seen > 0, { message: 'the snapshot arrived' });
    const [conn] = liveConnections(mock);
    const lost = () => hub.status().delivery.coalesced + hub.status().delivery.dropped;
    const lost0 = lost();
    counting = true;

    const sent = await mock.flood({ type: 'orderbook', codes: [CODE], count: 2000 });
    expect(sent.frames).toBe(2000);
    await waitFor(() => got + lost() - lost0 === sent.frames, {
      timeoutMs: 10_000,
      message: 'every flooded frame delivered or counted as coalesced/dropped',
      describe: () => ({ got, lost: lost() - lost0, delivery: hub.status().delivery }),
    });

    expect(hub.status().delivery.coalesced).toBeGreaterThan(0); // the slow calls did send frames to the queue
    expect(got).toBeLessThan(sent.frames);
    expect(hub.status().epochs.public).toBe(1); // never reconnected
    expect(liveConnections(mock).map((m) => m.id)).toEqual([conn.id]);
    expect(hubErrors.filter((e) => e.error instanceof UpbitConnectionError)).toEqual([]);
  });
});
