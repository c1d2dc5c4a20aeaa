/**
 * The inspector's hub views and the browser bridge in a real headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core), against `upbit-ws watch --mock --inspect`:
 *  - the inspector page shows health and metrics, and the public connection's statechart (drawn
 *    from its definition) highlights `open`, then `waiting` after a forced disconnect, with the
 *    health verdict turning `degraded` and naming the cause;
 *  - the example price board (`/board`) gets its prices over `/stream` (SSE): they appear, and they
 *    update as the mock market moves.
 * `.ci/run` installs chromium; outside CI the test is skipped (with a message) when it is absent.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { browserTestsRun, useBrowser } from './chromium.js';
import { startWatch } from '../../src/cli/watch.js';
import type { CliIo } from '../../src/cli/main.js';


describe.skipIf(!browserTestsRun('the board browser test'))('health, metrics, statecharts and the price board in Chromium', () => {
  const browser = useBrowser();

  const watch = async () => {
    const io: CliIo = { out: { write: () => true }, err: () => {}, env: {}, signals: false };
    const w = await startWatch({ codes: ['KRW-BTC', 'KRW-ETH'], orderbook: false, trades: false, private: false, mock: { rate: 5 }, inspect: true, plain: 'events' }, io);
    onTestFinished(() => w.stop());
    const page = await browser().newPage();
    onTestFinished(() => page.close());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { w, page, errors };
  };

  it('shows health, metrics and the highlighted statechart; a forced disconnect changes them on screen', async () => {
    const { w, page, errors } = await watch();
    await page.goto(w.inspectorUrl!);
    await page.locator('#health[data-status="healthy"]').waitFor({ timeout: 10_000 });
    // metrics: messages of the public connection are counted and grow
    const messages = page.locator('#metrics tr[data-connection="public"]');
    await expect.poll(async () => Number(await messages.getAttribute('data-messages')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await messages.locator('[data-metric="state"]').textContent()).toBe('open');
    // the wire set beside the wishes
    expect(await page.locator('[data-wire="public"] pre').textContent()).toContain('ticker|KRW-BTC');
    expect(await page.locator('[data-wishes="ticker-board"] pre').textContent()).toContain('ticker KRW-BTC,KRW-ETH');
    // the connection's statechart, from its definition, with the active path highlighted
    const chart = page.locator('li[data-actor="publicConnection"] > details.chart[data-machine="connection"]');
    await chart.locator('summary').click();
    await chart.locator('.st.active[data-path="session.open"]').waitFor({ timeout: 10_000 });
    expect(await chart.locator('.st[data-path="waiting"]').getAttribute('class')).not.toContain('active');

    w.mock!.refuseConnections();
    w.mock!.disconnect('public');
    await chart.locator('.st.active[data-path="waiting"]').waitFor({ timeout: 10_000 });
    expect(await chart.locator('.st[data-path="session.open"]').count()).toBe(1);
    expect(await chart.locator('.st[data-path="session.open"]').getAttribute('class')).not.toContain('active');
    await page.locator('#health[data-status="degraded"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#reasons li').first().textContent()).toMatch(/^public connection retrying \(/);
    w.mock!.acceptConnections();
    await chart.locator('.st.active[data-path="session.open"]').waitFor({ timeout: 15_000 });
    await page.locator('#health[data-status="healthy"]').waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
  });

  it('the price board takes its prices from the bridge: they appear and update', async () => {
    const { w, page, errors } = await watch();
    await page.goto(`${w.inspectorUrl!}board?codes=KRW-BTC,KRW-ETH`);
    const btc = page.locator('tr[data-code="KRW-BTC"]');
    await page.locator('tr[data-code="KRW-BTC"][data-price]').waitFor({ timeout: 10_000 });
    await page.locator('tr[data-code="KRW-ETH"][data-price]').waitFor({ timeout: 10_000 });
    const first = Number(await btc.getAttribute('data-updates'));
    expect(await btc.locator('td').nth(1).textContent()).toMatch(/^\d+(\.\d+)?$/);
    // the market moves (5 trades/s per market): the row updates again
    await expect.poll(async () => Number(await btc.getAttribute('data-updates')), { timeout: 10_000 }).toBeGreaterThan(first + 1);
    // the hub serves the page as one bridge component
    expect(w.hub.stats().components['browser-bridge']).toBeDefined();
    expect(errors).toEqual([]);
  });
});
