/** examples/shared-connection.ts: two components, one socket, one merged request. */
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/shared-connection.js';
import { manualMock, subscribedTypes, waitFor } from './helpers.js';

describe('examples/shared-connection', () => {
  it('serves the chart and the alert from ONE public connection and ONE merged request', async () => {
    const mock = await manualMock();
    const lines: string[] = [];
    const run = main({ url: mock.url, count: 12, out: (l) => lines.push(l) });
    await waitFor(() => ['ticker', 'trade'].every((t) => subscribedTypes(mock, 'public').includes(t)), { message: 'the merged subscription' });
    await waitFor(() => lines.length >= 12, { step: () => mock.tick(), intervalMs: 5, message: '12 lines' });
    const { chartTickers, alertTrades } = await run;
    expect(chartTickers).toBeGreaterThan(0);
    expect(alertTrades).toBeGreaterThan(0);
    expect(lines.filter((l) => l.startsWith('alert')).every((l) => / KRW-BTC /.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^public connection open, epoch 1, 2 components, \d+ requests$/);
    expect(mock.stats().accepted).toBe(1); // one socket for both components
    const merged = mock.received.map((m) => m.data).find((t) => t.includes('"ticker"') && t.includes('"trade"'));
    expect(merged, 'one request carrying both wishes').toBeDefined();
  });
});
