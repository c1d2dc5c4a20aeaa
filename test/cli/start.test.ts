/**
 * The main job (`npm start` → `upbit-ws start`) and the terminal board, in process with a fake
 * output stream: against the embedded mock, several components share one connection of one hub
 * and the board shows live KRW prices (as plain summary lines off a terminal, as a table redrawn
 * in place on one); `stop()` ends everything and `done` resolves with exit code 0.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { runStart, type CliIo, type Watch } from '../../src/cli/main.js';
import { startWatch } from '../../src/cli/watch.js';
import { waitFor } from '../integration/helpers.js';

function fakeIo(isTTY: boolean) {
  const chunks: string[] = [];
  const errors: string[] = [];
  const io: CliIo = { out: { isTTY, write: (s: string) => chunks.push(s) }, err: (l) => errors.push(l), env: {}, signals: false };
  return { io, chunks, errors, text: () => chunks.join('') };
}

const started = (w: Watch | 'help'): Watch => {
  if (w === 'help') throw new Error('help');
  onTestFinished(() => w.stop());
  return w;
};

describe('upbit-ws start', () => {
  it('prints live KRW prices from several components sharing one connection of the embedded mock', async () => {
    const { io, text, errors } = fakeIo(false);
    const w = started(await runStart(['--markets', 'KRW-BTC,KRW-ETH', '--rate', '20'], io));
    // The inspector page is served by default, its address printed right after the source.
    expect(text()).toMatch(/^mock Upbit exchange on ws:\/\/127\.0\.0\.1:\d+\/websocket\/v1 .*\ninspector http:\/\/127\.0\.0\.1:\d+\/\n/);
    expect(text()).toContain(`inspector ${w.inspectorUrl}\n`);
    expect((await fetch(w.inspectorUrl!)).status).toBe(200);
    const line = await waitFor(
      () => text().split('\n').find((l) => /KRW-BTC \d+ \([+-]\d+\.\d\d%\)/.test(l) && /KRW-ETH \d+ /.test(l) && /\| book KRW-BTC \d+ \/ \d+$/.test(l)),
      { timeoutMs: 10_000, message: 'a summary line with both prices and the top of book' },
    );
    expect(line).toMatch(/\| trades \d+ /);
    expect(text()).toMatch(/^mock Upbit exchange on ws:\/\/127\.0\.0\.1:\d+\/websocket\/v1 /);
    expect(text()).toMatch(/^connection public open$/m);
    // ticker board, trade tape and orderbook panel: three components, ONE public connection.
    expect(w.hub.status().components).toBe(3);
    // Two accepted: the CLI's one-off probe of the URL, then the hub's one connection.
    expect(w.mock!.stats().accepted).toBe(2);
    expect(w.mock!.connections().filter((c) => c.endpoint === 'public' && c.subscriptions.length > 0)).toHaveLength(1);
    await w.stop();
    expect(await w.done).toBe(0);
    expect(w.hub.status().components).toBe(0);
    expect(errors).toEqual([]);
  });

  it('--no-inspect serves no page', async () => {
    const { io, text } = fakeIo(false);
    const w = started(await runStart(['--markets', 'KRW-BTC', '--no-inspect'], io));
    expect(w.inspectorUrl).toBeUndefined();
    expect(text()).not.toMatch(/inspector/);
  });

  it('--help returns help and starts nothing', async () => {
    expect(await runStart(['--help'], fakeIo(false).io)).toBe('help');
  });
});

describe('the terminal board', () => {
  it('draws a table, redraws it in place, and gives the cursor back on stop', async () => {
    const { io, chunks, text } = fakeIo(true);
    const w = started(
      await startWatch(
        { codes: ['KRW-BTC', 'KRW-ETH'], orderbook: true, trades: true, private: false, mock: { rate: 20 }, inspect: false, plain: 'events' },
        io,
      ),
    );
    const table = await waitFor(
      () => chunks.find((c) => /^\x1b\[\d+F/.test(c) && /^KRW-ETH +\d+ +[+-]\d+\.\d\d%/m.test(c) && /^KRW-BTC +\d+ /m.test(c)),
      { timeoutMs: 10_000, message: 'a redrawn table with both prices' },
    );
    // Cursor back over the previous block (its line count), clear, then the new block.
    expect(table).toMatch(/^\x1b\[\d+F\x1b\[J/);
    expect(table).toMatch(/public open \(epoch 1\)/);
    expect(table).toMatch(/^market +price +change +24h volume +bid +ask +last trade +upd\/s$/m);
    expect(chunks[0].startsWith('\x1b[?25l')).toBe(true); // cursor hidden while drawing
    await w.stop();
    expect(text().endsWith('\x1b[?25h')).toBe(true); // and shown again
  });
});
