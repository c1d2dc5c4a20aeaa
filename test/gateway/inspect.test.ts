/**
 * `upbit-ws gateway --inspect`: the gateway's hub gets the inspector page, with `/metrics` and
 * `/healthz` beside it, on 127.0.0.1 (its address printed), closed when the gateway stops.
 */
import { describe, expect, it } from 'vitest';
import { runGatewayCli } from '../../src/cli/gateway.js';
import { connectGateway } from '../../src/gateway/index.js';
import { startNatsServer } from './nats-server.js';
import { waitFor } from './helpers.js';

describe('upbit-ws gateway --inspect', () => {
  it('serves the page, /metrics and /healthz of the leader hub', async () => {
    const nats = await startNatsServer();
    try {
      const lines: string[] = [];
      const ac = new AbortController();
      const { stopped } = await runGatewayCli(['gateway', '--nats', nats.url, '--mock', '--inspect', '--lease-ttl', '1500'], { signal: ac.signal, out: (l) => lines.push(l), env: {} });
      const url = (await waitFor(() => lines.find((l) => l.startsWith('inspector ')), { describe: () => lines })).slice('inspector '.length);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await waitFor(() => lines.some((l) => l.startsWith('leader')), { message: 'leading', describe: () => lines });
      const conn = await connectGateway({ servers: nats.url });
      let price: string | undefined;
      await conn.client('c').subscribeTicker(['KRW-BTC'], (t) => (price = t.tradePrice.toString()));
      await waitFor(() => price, { timeoutMs: 10_000 });

      const health = await fetch(`${url}healthz`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('healthy');
      const metrics = await (await fetch(`${url}metrics`)).text();
      expect(metrics).toMatch(/^upbit_ws_connection_up\{connection="public"\} 1$/m);
      expect(Number(/^upbit_ws_messages_received_total\{connection="public"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      const state = (await (await fetch(`${url}state.json`)).json()) as { tree: { id: string }[] };
      expect(state.tree[0].id).toBe('supervisor');

      await conn.close();
      ac.abort();
      await stopped;
      await expect(fetch(`${url}healthz`)).rejects.toThrow();
    } finally {
      await nats.stop();
    }
  });
});
