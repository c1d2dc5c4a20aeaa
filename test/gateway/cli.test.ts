/**
 * `upbit-ws gateway --nats URL --mock`: serves the embedded mock to a consumer and stops cleanly
 * on its signal (as on SIGINT), freeing the lease.
 */
import { describe, expect, it } from 'vitest';
import { runGatewayCli } from '../../src/cli/gateway.js';
import { connectGateway } from '../../src/gateway/index.js';
import { startNatsServer } from './nats-server.js';
import { waitFor } from './helpers.js';

describe('upbit-ws gateway', () => {
  it('runs until its signal, serving consumers', async () => {
    const nats = await startNatsServer();
    try {
      const lines: string[] = [];
      const ac = new AbortController();
      const { gateway, stopped } = await runGatewayCli(['gateway', '--nats', nats.url, '--mock', '--lease-ttl', '1500'], { signal: ac.signal, out: (l) => lines.push(l), env: {} });
      await waitFor(() => lines.some((l) => l.startsWith('leader')), { message: 'leading', describe: () => lines });
      const conn = await connectGateway({ servers: nats.url });
      let price: string | undefined;
      await conn.client('c').subscribeTicker(['KRW-BTC'], (t) => (price = t.tradePrice.toString()));
      await waitFor(() => price, { message: 'a ticker through the CLI gateway', timeoutMs: 10_000 });
      await conn.close();
      ac.abort();
      await stopped;
      expect(gateway.isLeader()).toBe(false);
      expect(lines.at(-1)).toBe('gateway stopped');
    } finally {
      await nats.stop();
    }
  });

  it('refuses to start without --nats', async () => {
    await expect(runGatewayCli(['gateway', '--mock'], { env: {} })).rejects.toThrow(/--nats/);
  });
});
