/** examples/health-metrics.ts: the logger's lifecycle lines, then figures equal to what the mock sent. */
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/health-metrics.js';
import { manualMock, subscribedTypes, waitFor } from './helpers.js';

describe('examples/health-metrics', () => {
  it('logs the connect, then prints the connection figures, the Prometheus line and the verdict', async () => {
    const mock = await manualMock();
    const lines: string[] = [];
    const run = main({ url: mock.url, codes: ['KRW-BTC'], every: 4, count: 4, out: (l) => lines.push(l) });
    await waitFor(() => subscribedTypes(mock, 'public').includes('ticker'), { message: 'the ticker subscription' });
    for (let i = 0; i < 3; i++) mock.tick(); // the snapshot and 3 updates: the 4th message triggers the report
    await run;
    const sent = mock.connections().find((c) => c.endpoint === 'public')!;
    expect(lines[0]).toMatch(/^log info public connection open \{"connection":"public","epoch":1,"reconnects":0\}$/);
    expect(lines.slice(1)).toEqual([
      `public open: 4 messages, ${sent.bytesSent} bytes, 0 reconnects, 1 pairs on the wire, epoch 1`,
      'upbit_ws_messages_received_total{connection="public"} 4',
      'health healthy',
    ]);
  });
});
