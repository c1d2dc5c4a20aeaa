/**
 * The inspector server's hub routes without a browser, against a real hub and the mock exchange:
 * `/metrics` (Prometheus text), `/healthz`, `/charts.json` and the tree's active paths, the wire set
 * beside the wishes, the browser bridge `/stream` (SSE: data arrives, coalesced per code, the
 * stream's wishes leave with the page, bad input is a 400 with one line) and the Host/Origin check
 * on every one of them.
 */
import { request, type IncomingMessage } from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpbitHub, type UpbitHub } from '../../src/actors/hub.js';
import { parseStreamQuery } from '../../src/cli/bridge.js';
import { createInspectServer, type Clock, type TreeNode } from '../../src/cli/inspect-server.js';
import { activePaths, chartOutlines, machineOf, MACHINES, outline } from '../../src/cli/statechart.js';
import { connectionMachine } from '../../src/machines/connection.machine.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { loadMachines } from '../../scripts/diagrams.js';
import { FAST, liveConnection, liveUnion, waitFor } from '../integration/helpers.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open SSE response whose text accumulates in `text`. */
function stream(url: string): Promise<{ res: IncomingMessage; text: () => string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      resolve({ res, text: () => text, close: () => req.destroy() });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

const events = (text: string, type: string) =>
  text
    .split('\n\n')
    .filter((b) => b.startsWith(`event: ${type}\n`))
    .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)) as Record<string, unknown>);

/** Timers that fire only when the test says so (the bridge's push pacing). */
function heldClock() {
  const due = new Map<number, () => void>();
  let n = 0;
  const clock: Clock = { now: () => 0, setTimeout: (fn) => (due.set(++n, fn), n), clearTimeout: (id) => void due.delete(id as number) };
  const fire = () => {
    const all = [...due.values()];
    due.clear();
    for (const fn of all) fn();
  };
  return { clock, fire, pending: () => due.size };
}

async function system(clock?: Clock, maxAttempts?: number) {
  const mock = await startMockUpbit({ manual: true, seed: 3, markets: ['KRW-BTC', 'KRW-ETH'] });
  let hub: UpbitHub | undefined;
  const server = createInspectServer({ hub: () => hub, status: () => hub?.status(), ...(clock ? { clock } : {}) });
  hub = createUpbitHub({ url: mock.url, privateUrl: mock.privateUrl, ...FAST, recovery: { ...FAST.recovery, maxAttempts }, inspect: server.inspect });
  const page = await server.listen();
  onTestFinished(async () => {
    await page.close();
    await hub!.stop();
    await mock.close();
  });
  return { mock, hub, server, page };
}

describe('statecharts from the definitions', () => {
  it('outlines every machine; active paths come from a state value; actor ids map to machines', () => {
    const o = outline(connectionMachine);
    expect(o.path).toBe('');
    const session = o.states.find((s) => s.key === 'session')!;
    expect(session.states.map((s) => s.key)).toContain('open');
    expect(o.states.some((s) => s.on.some((t) => t.includes('→')))).toBe(true);
    expect(Object.keys(chartOutlines()).sort()).toEqual(Object.keys(MACHINES).sort());
    expect(activePaths({ session: { open: { keepalive: 'idle', activity: 'watching' } } })).toEqual([
      'session',
      'session.open',
      'session.open.keepalive',
      'session.open.keepalive.idle',
      'session.open.activity',
      'session.open.activity.watching',
    ]);
    expect(['supervisor', 'publicConnection', 'privateSubscription', 'recovery', 'jwt', 'components', 'shard-0', 'component:x', 'gateway-consumer', 'socket'].map(machineOf)).toEqual([
      'supervisor',
      'connection',
      'subscription',
      'recovery',
      'jwt',
      'components',
      'shard',
      'component',
      'gateway-consumer',
      undefined,
    ]);
  });

  it('has every machine of src/machines (a new machine needs a chart)', async () => {
    const loaded = await loadMachines();
    expect(new Set(Object.values(MACHINES).map((m) => m.id))).toEqual(new Set(loaded.map((l) => l.machine.id)));
  });
});

describe('hub routes', () => {
  it('/metrics is Prometheus text, /healthz the verdict, the payload has health, metrics, wire set, wishes and active paths', async () => {
    const { mock, hub, server, page } = await system();
    await hub.client('chart').subscribeTicker(['KRW-BTC', 'KRW-ETH'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 2);
    const m = await get(`${page.url}metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toMatch(/^upbit_ws_connection_up\{connection="public"\} 1$/m);
    const h = await get(`${page.url}healthz`);
    expect([h.status, JSON.parse(h.body)]).toEqual([200, { status: 'healthy', reasons: [] }]);
    const p = server.payload() as { hub: { wire: { public: string[] }; wishes: Record<string, string[]>; health: { status: string } }; tree: TreeNode[] };
    expect(p.hub.wire.public).toEqual(['ticker|KRW-BTC', 'ticker|KRW-ETH']);
    expect(p.hub.wishes.chart).toEqual(['ticker KRW-BTC,KRW-ETH']);
    const find = (n: TreeNode[], id: string): TreeNode | undefined => n.map((x) => (x.id === id ? x : find(x.children, id))).find(Boolean);
    await waitFor(() => find(server.payload().tree, 'publicConnection')?.active?.includes('session.open'));
    expect(find(server.payload().tree, 'publicConnection')!.machine).toBe('connection');
    const charts = await get(`${page.url}charts.json`);
    expect(Object.keys(JSON.parse(charts.body))).toContain('connection');
  });

  it('/healthz answers 503 with the reasons when the hub is unhealthy', async () => {
    const { mock, hub, page } = await system(undefined, 1);
    await hub.client('chart').subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => hub.status().public === 'open');
    mock.refuseConnections();
    mock.disconnectAll();
    await waitFor(() => hub.health().status === 'unhealthy', { timeoutMs: 10_000 });
    const h = await get(`${page.url}healthz`);
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body).reasons[0]).toMatch(/^public connection failed/);
  });

  it('refuses a foreign Host or Origin on /metrics, /healthz, /stream and /board', async () => {
    const { page } = await system();
    const port = new URL(page.url).port;
    for (const path of ['metrics', 'healthz', 'stream?ticker=KRW-BTC', 'board', 'charts.json']) {
      expect((await get(`${page.url}${path}`, { host: `evil.example:${port}` })).status).toBe(403);
      expect((await get(`${page.url}${path}`, { origin: 'http://evil.example' })).status).toBe(403);
    }
    expect((await get(`${page.url}board`, { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });
});

describe('the browser bridge', () => {
  it('parses the query and refuses bad input with one line', async () => {
    expect(parseStreamQuery('/stream?ticker=KRW-BTC,krw-eth&orderbook=KRW-BTC')).toEqual({ wants: { ticker: ['KRW-BTC', 'KRW-ETH'], orderbook: ['KRW-BTC'] } });
    expect(parseStreamQuery('/stream?ticker=BTC')).toEqual({ error: 'bad market code "BTC" (like KRW-BTC)' });
    expect(parseStreamQuery('/stream?candles=KRW-BTC')).toEqual({ error: 'unknown parameter "candles" (use ticker, orderbook, trade)' });
    expect('error' in parseStreamQuery('/stream')).toBe(true);
    const { page } = await system();
    const r = await get(`${page.url}stream?ticker=KRW-BTC;DROP`);
    expect(r.status).toBe(400);
    expect(r.body.trim().split('\n')).toHaveLength(1);
  });

  it('answers 503 with one line when the hub cannot serve a bridge (the name is taken); the server keeps running', async () => {
    const { hub, page } = await system();
    hub.client('browser-bridge');
    const r = await get(`${page.url}stream?ticker=KRW-BTC`);
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^a component named "browser-bridge" is already running\n$/);
    expect((await get(`${page.url}healthz`)).status).toBe(200);
  });

  it('streams ticker and orderbook as one bridge component\'s wishes, coalesced per code, and drops them when the page leaves', async () => {
    const { clock, fire, pending } = heldClock();
    const { mock, hub, page } = await system(clock);
    const s = await stream(`${page.url}stream?ticker=KRW-BTC,KRW-ETH&orderbook=KRW-BTC`);
    await waitFor(() => liveUnion(mock)?.size === 3);
    expect(hub.status().components).toBe(1);
    fire(); // the snapshots
    for (let i = 0; i < 30; i++) mock.tick();
    const bridge = () => hub.stats().components['browser-bridge'];
    // everything the mock sent reached the bridge: its callbacks, or its coalesce policy, which on a
    // loaded machine (a callback over its 1 ms budget) lets a newer message of a code replace a
    // queued one; the latest of each code waits in the bridge's latest-per-code map
    await waitFor(
      () => {
        const c = hub.stats().connections.public;
        const d = bridge().delivery;
        return c.frames === liveConnection(mock)?.framesSent && d.queued === 0 && d.delivered + d.coalesced === c.messages && c.messages > 60 && pending() > 0;
      },
      { describe: () => ({ connection: hub.stats().connections.public, framesSent: liveConnection(mock)?.framesSent, bridge: bridge().delivery, pending: pending() }) },
    );
    const before = s.text().length;
    fire(); // one push: the latest ticker per code and the latest book, however many arrived
    await waitFor(() => s.text().length > before);
    await waitFor(() => events(s.text().slice(before), 'ticker').length === 2 && events(s.text().slice(before), 'orderbook').length === 1);
    const tickers = events(s.text().slice(before), 'ticker');
    expect(tickers.map((t) => t.code).sort()).toEqual(['KRW-BTC', 'KRW-ETH']);
    // the values are the frame's digits, as strings, and the latest the mock produced
    const btc = tickers.find((t) => t.code === 'KRW-BTC')!;
    expect(typeof btc.tradePrice).toBe('string');
    expect(btc.tradePrice).toBe(mock.ticker('KRW-BTC').tradePrice.toString());

    s.close();
    // the page left: its wishes leave the bridge component and the wire
    await waitFor(() => Object.keys(bridge().subscriptions).length === 0 && hub.stats().connections.public.subscriptionsOnWire === 0, {
      describe: () => hub.stats(),
    });
  });
});
