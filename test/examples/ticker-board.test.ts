/** examples/ticker-board.ts: one line per ticker with the mock's exact prices, then a graceful shutdown. */
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/ticker-board.js';
import { spawnCli } from '../cli/helpers.js';
import { manualMock, waitFor } from './helpers.js';

describe('examples/ticker-board', () => {
  it('prints each market\'s price as the mock has it, and leaves no socket behind', async () => {
    const mock = await manualMock();
    const lines: string[] = [];
    const codes = ['KRW-BTC', 'KRW-SHIB', 'BTC-XRP'];
    await main({ url: mock.url, codes, count: 3, out: (l) => lines.push(l) });
    const expected = codes.map((code) => {
      const t = mock.ticker(code);
      return `${code.padEnd(8)} ${t.tradePrice.toFixed().padStart(12)}  ${t.signedChangeRate.mul(100).toFixed(2)}%`;
    });
    expect([...lines].sort()).toEqual([...expected].sort());
    expect(lines.join('\n')).not.toMatch(/e-\d/); // no exponent notation for small prices
    // `await using` closed the hub when main returned.
    await waitFor(() => mock.stats().perConnection.every((c) => c.closed), { message: 'the example\'s socket closed' });
  });

  it('run as a program, it exits on its own after --count lines: `await using` left no socket or timer', async () => {
    const mock = await manualMock();
    const cli = spawnCli([mock.url, '--count', '3'], { script: 'examples/ticker-board.ts' });
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.lines().map((l) => l.split(/ +/)[0]).sort()).toEqual(['KRW-BTC', 'KRW-ETH', 'KRW-XRP']);
    expect(cli.stderr()).toBe('');
  });
});
