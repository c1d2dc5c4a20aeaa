/**
 * The inspector page in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): `upbit-ws watch --mock --inspect` serves it, the page renders the actor tree
 * from the SSE stream, and a forced disconnect on the mock changes the connection's state on
 * screen, then the reconnect changes it back. `.ci/run` installs chromium; outside CI the test is
 * skipped (with a message) only when the binary is absent.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { browserTestsRun, useBrowser } from './chromium.js';
import { startWatch } from '../../src/cli/watch.js';
import type { CliIo } from '../../src/cli/main.js';


describe.skipIf(!browserTestsRun('the inspector browser test'))('the inspector page in Chromium', () => {
  const browser = useBrowser();

  it('renders the live actor tree and shows a forced disconnect', async () => {
    const io: CliIo = { out: { write: () => true }, err: () => {}, env: {}, signals: false };
    const w = await startWatch(
      { codes: ['KRW-BTC', 'KRW-ETH'], orderbook: true, trades: false, private: false, mock: { rate: 5 }, inspect: true, plain: 'events' },
      io,
    );
    onTestFinished(() => w.stop());
    const page = await browser().newPage();
    onTestFinished(() => page.close());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(w.inspectorUrl!);

    const connection = page.locator('li[data-actor="publicConnection"]');
    await connection.and(page.locator('[data-state^="session.open"]')).waitFor({ timeout: 10_000 });
    // The tree: supervisor > publicConnection > recovery, socket; components > the watch's panels.
    expect(await page.locator('#tree > li').getAttribute('data-actor')).toBe('supervisor');
    expect(await connection.locator(':scope > ul > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-actor')).sort())).toEqual([
      'recovery',
      'socket',
    ]);
    // Components live in the hub's one tree, under the registry's shard.
    expect(await page.locator('li[data-actor="components"] > ul > li').getAttribute('data-actor')).toBe('shard-0');
    const components = page.locator('li[data-actor="shard-0"] > ul > li');
    expect((await components.evaluateAll((els) => els.map((e) => e.getAttribute('data-actor')))).sort()).toEqual([
      'component:orderbook-panel',
      'component:ticker-board',
    ]);
    expect(await connection.locator(':scope > .state').textContent()).toBe('session.open.{keepalive.idle, activity.watching}');

    // Forced disconnect, and no way back in until we allow it: the page shows `waiting`.
    w.mock!.refuseConnections();
    w.mock!.disconnect('public');
    await page.locator('li[data-actor="publicConnection"][data-state="waiting"]').waitFor({ timeout: 10_000 });
    expect(await connection.locator(':scope > .state').textContent()).toBe('waiting');
    w.mock!.acceptConnections();
    await connection.and(page.locator('[data-state^="session.open"]')).waitFor({ timeout: 15_000 });
    expect(await page.locator('#status').textContent()).toMatch(/"public": 2/); // epoch 2: a new socket
    expect(pageErrors).toEqual([]);
  });
});
