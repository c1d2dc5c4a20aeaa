/**
 * Health, metrics, Prometheus and logging against the real mock exchange: the numbers the hub
 * reports are the numbers the mock sent; health moves degraded → unhealthy → healthy with reasons;
 * the Prometheus text parses; the logger hears the lifecycle at its levels and never a secret.
 * Time for the "down for 30 s" rule is the hub's `now` option, moved by the test (no sleeping).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MOCK_KEY } from '../../src/mock/index.js';
import type { HubHealth } from '../../src/actors/health.js';
import { liveConnection, liveUnion, startSystem, waitFor } from './helpers.js';

/** `name{labels} value` lines of a Prometheus text exposition; throws on any line that is not one. */
function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const types = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge']).toContain(meta[3]);
        types.add(meta[2]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    expect(types.has(m[1])).toBe(true);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe('metrics', () => {
  it('per connection: frames, bytes and messages equal what the mock sent; delay sampled; epoch, wire set, reconnects', async () => {
    const { mock, hub, tick } = await startSystem({ perMessageDeflate: false });
    const client = hub.client('chart');
    let calls = 0;
    const sub = await client.subscribeTrade(['KRW-BTC', 'KRW-ETH'], () => void calls++);
    let conn = await waitFor(() => liveUnion(mock)?.size === 2 && liveConnection(mock));
    for (let i = 0; i < 100; i++) tick(); // one trade per market per tick: 200 frames (+ snapshots) for us
    await waitFor(() => calls >= 200 && hub.stats().connections.public.frames === liveConnection(mock)!.framesSent, { describe: () => hub.stats() });
    conn = liveConnection(mock)!;
    const c = hub.stats().connections.public;
    // One data message per frame (keepalive is protocol-level ping/pong, not frames).
    expect(c.frames).toBe(conn.framesSent);
    expect(c.bytes).toBe(conn.bytesSent);
    expect(c.messages).toBe(conn.framesSent);
    expect(calls).toBe(c.messages);
    expect(c.state).toBe('open');
    expect(c.subscriptionsOnWire).toBe(2);
    expect(c.epoch).toBe(hub.status().epochs.public);
    expect(c.reconnects).toBe(0);
    // 200 frames, one in 64 stamped: 3 samples reached the callback.
    expect(c.delaySamples).toBe(Math.floor(conn.framesSent / 64));
    expect(c.delayP50Ms).toBeGreaterThanOrEqual(0);
    expect(c.delayP99Ms).toBeGreaterThanOrEqual(c.delayP50Ms!);
    const chart = hub.stats().components.chart;
    expect(chart.delivery.delivered).toBe(calls);
    expect(chart.subscriptions[sub.id]).toMatchObject({ delivered: calls, type: 'trade', status: 'active' });

    mock.disconnectAll();
    await waitFor(() => hub.stats().connections.public.reconnects === 1 && hub.status().public === 'open');
    expect(hub.stats().connections.public.epoch).toBe(c.epoch + 1);
  });

  it('Prometheus text parses and carries the same numbers; one registry per hub', async () => {
    const { mock, hub, tick } = await startSystem({ perMessageDeflate: false });
    let calls = 0;
    await hub.client('board').subscribeTrade(['KRW-BTC'], () => void calls++);
    let conn = await waitFor(() => liveUnion(mock)?.size === 1 && liveConnection(mock));
    for (let i = 0; i < 10; i++) tick();
    await waitFor(() => calls >= 10 && hub.stats().connections.public.frames === liveConnection(mock)!.framesSent);
    conn = liveConnection(mock)!;
    const samples = parseProm(await hub.prometheus());
    expect(samples.get('upbit_ws_messages_received_total{connection="public"}')).toBe(calls);
    expect(samples.get('upbit_ws_bytes_received_total{connection="public"}')).toBe(conn.bytesSent);
    expect(samples.get('upbit_ws_connection_up{connection="public"}')).toBe(1);
    expect(samples.get('upbit_ws_wire_subscriptions{connection="public"}')).toBe(1);
    expect(samples.get('upbit_ws_delivery_delivered_total{component="board"}')).toBe(calls);
    expect(samples.get('upbit_ws_health')).toBe(0);
    // Labels are bounded: no market code appears as a label.
    expect([...samples.keys()].some((k) => k.includes('KRW-'))).toBe(false);

    // A second hub has its own registry: its numbers do not mix with the first one's.
    const other = await startSystem({ perMessageDeflate: false });
    const again = parseProm(await other.hub.prometheus());
    expect(again.get('upbit_ws_messages_received_total{connection="public"}')).toBe(0);
    expect(parseProm(await hub.prometheus()).get('upbit_ws_messages_received_total{connection="public"}')).toBe(calls);
  });
});

describe('health', () => {
  it('healthy → degraded (retrying, with its cause) → unhealthy (down 30 s) → healthy, reported on change', async () => {
    let t = 1_000_000;
    const { mock, hub } = await startSystem({ now: () => t });
    const seen: HubHealth[] = [];
    hub.on('health', (h) => seen.push(h));
    await hub.client('chart').subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveConnection(mock) && hub.status().public === 'open');
    expect(hub.health()).toEqual({ status: 'healthy', reasons: [] });
    expect(() => hub.on('healthy' as 'health', () => {})).toThrow(/unknown hub event "healthy"/);

    mock.refuseConnections({ status: 503 });
    mock.disconnectAll();
    // The first failed attempt is the drop itself ("closed 1000"), the next ones the refusal.
    const degraded = await waitFor(() => (hub.health().reasons[0]?.includes('HTTP') ? hub.health() : undefined));
    expect(degraded.status).toBe('degraded');
    expect(degraded.reasons).toHaveLength(1);
    expect(degraded.reasons[0]).toMatch(/^public connection retrying \(HTTP 503\) for \d+ s$/);

    t += 31_000;
    const unhealthy = hub.health();
    expect(unhealthy.status).toBe('unhealthy');
    expect(unhealthy.reasons[0]).toMatch(/^public connection down \(HTTP 503\) for 31 s$/);

    mock.acceptConnections();
    await waitFor(() => hub.health().status === 'healthy');
    const statuses = seen.map((h) => h.status).filter((s, i, a) => s !== a[i - 1]);
    expect(statuses).toEqual(['degraded', 'unhealthy', 'healthy']);
  });

  it('a connection that fails for good is unhealthy and says what to do', async () => {
    const { mock, hub } = await startSystem({ recovery: { maxAttempts: 1 } });
    await hub.client('chart').subscribeTicker(['KRW-BTC'], () => {}).catch(() => {});
    await waitFor(() => hub.status().public === 'open');
    mock.refuseConnections({ status: 503 });
    mock.disconnectAll();
    const h = await waitFor(() => (hub.health().status === 'unhealthy' ? hub.health() : undefined), { timeoutMs: 10_000, describe: () => hub.status() });
    expect(h.reasons[0]).toMatch(/^public connection (failed|down)/);
  });

  it('a subscription shedding more than 1 % in the last minute makes the hub degraded; it recovers after the window', async () => {
    let t = 1_000_000;
    const { mock, hub, tick } = await startSystem({ now: () => t });
    let release: () => void = () => {};
    let calls = 0;
    // An async callback that never settles until released: everything after it waits in a queue of 1.
    await hub.client('chart').subscribeTrade(
      ['KRW-BTC'],
      () => {
        calls++;
        return new Promise<void>((r) => (release = r));
      },
      { policy: { kind: 'drop_oldest', bound: 1 }, onError: () => {} },
    );
    expect(hub.health().status).toBe('healthy');
    await waitFor(() => liveUnion(mock)?.size === 1);
    for (let i = 0; i < 20; i++) tick();
    await waitFor(() => hub.stats().components.chart.delivery.dropped >= 10);
    const h = hub.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons[0]).toMatch(/^subscription chart\/s\d+ \(trade\) dropping \d+ % of its messages/);
    release();
    t += 61_000;
    hub.health(); // a reading after the window: the old shedding is outside it
    t += 1_000;
    expect(hub.health()).toEqual({ status: 'healthy', reasons: [] });
    expect(calls).toBeGreaterThan(0);
  });
});

describe('logger', () => {
  type Call = { level: string; obj: Record<string, unknown>; msg?: string };
  const capture = () => {
    const calls: Call[] = [];
    const at = (level: string) => (obj: object, msg?: string) => void calls.push({ level, obj: obj as Record<string, unknown>, msg });
    return { calls, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
  };

  it('logs connects (info), requests with their size (debug), drops and retries with their cause (warn); never a secret', async () => {
    const { calls, logger } = capture();
    const { mock, hub } = await startSystem({ logger, credentials: DEFAULT_MOCK_KEY });
    const c = hub.client('trader');
    await c.subscribeTicker(['KRW-BTC'], () => {});
    await c.subscribeMyAsset(() => {});
    // Both open (in either order: a public wish may first wait for the market list).
    await waitFor(() => calls.some((x) => x.msg === 'private connection open') && calls.some((x) => x.msg === 'request sent on public'));
    expect(calls.find((x) => x.msg === 'public connection open')).toMatchObject({ level: 'info', obj: { connection: 'public' } });
    const req = calls.find((x) => x.msg === 'request sent on public')!;
    expect(req.level).toBe('debug');
    expect(req.obj.bytes).toBe(Buffer.byteLength(hub.lastRequest('public')!));
    mock.refuseConnections({ count: 1 });
    mock.disconnect('public');
    await waitFor(() => calls.some((x) => x.msg === 'public connection retrying' && x.obj.cause === 'HTTP 503'));
    expect(calls.find((x) => x.msg === 'public connection retrying')).toMatchObject({ level: 'warn', obj: { connection: 'public' } });
    expect(calls.find((x) => x.msg?.startsWith('public connection dropped'))?.level).toBe('warn');
    await waitFor(() => calls.filter((x) => x.msg === 'public connection open').length === 2);
    const text = JSON.stringify(calls);
    expect(text).not.toContain(DEFAULT_MOCK_KEY.secretKey);
    expect(text).not.toMatch(/eyJ[\w-]{5,}\./);
  });

  it('logs shedding (warn) with the subscription, even when its own onError took the error', async () => {
    const { calls, logger } = capture();
    const { mock, hub, tick } = await startSystem({ logger });
    await hub.client('chart').subscribeTrade(['KRW-BTC'], () => new Promise<void>(() => {}), { policy: { kind: 'drop_oldest', bound: 1 }, onError: () => {} });
    await waitFor(() => liveUnion(mock)?.size === 1);
    for (let i = 0; i < 5; i++) tick();
    await waitFor(() => calls.some((x) => x.msg === 'shedding'));
    expect(calls.find((x) => x.msg === 'shedding')).toMatchObject({ level: 'warn', obj: { code: 'BACKPRESSURE', component: 'chart' } });
  });

  it('a throwing logger breaks nothing', async () => {
    const { hub, tick } = await startSystem({
      logger: { debug: () => { throw new Error('x'); }, info: () => { throw new Error('x'); }, warn: () => { throw new Error('x'); }, error: () => { throw new Error('x'); } },
    });
    let calls = 0;
    await hub.client('a').subscribeTrade(['KRW-BTC'], () => void calls++);
    tick();
    await waitFor(() => calls === 1);
  });
});
