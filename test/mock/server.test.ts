import { describe, expect, it } from 'vitest';
import { runMockCli } from '../../src/cli/mock.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { connect, connectPrivate, mock, T0, ticket } from './helpers.js';

const sub = (codes = ['KRW-BTC']) => [ticket(), { type: 'ticker', codes }];

function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of process.getActiveResourcesInfo()) if (n === 'Timeout' || n.startsWith('TCP')) out[n] = (out[n] ?? 0) + 1;
  return out;
}

/** Let libuv finish closing handles: event-loop turns, no wall-clock wait. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !until(); i++) await new Promise((r) => setImmediate(r));
}

describe('server lifecycle', () => {
  it('listens on 127.0.0.1 with a free port and reports its URLs', async () => {
    const m = await mock();
    expect(m.port).toBeGreaterThan(0);
    expect(m.url).toBe(`ws://127.0.0.1:${m.port}/websocket/v1`);
    expect(m.privateUrl).toBe(`ws://127.0.0.1:${m.port}/websocket/v1/private`);
    expect(m.restUrl).toBe(`http://127.0.0.1:${m.port}`);
    expect(m.markets).toContain('KRW-BTC');
    expect(m.markets.some((c) => c.startsWith('BTC-'))).toBe(true);
    expect(m.markets.some((c) => c.startsWith('USDT-'))).toBe(true);
  });

  it('close() terminates sockets and leaves no timers or TCP handles', async () => {
    const before = handles();
    const m = await startMockUpbit({ rate: 200, idleTimeoutMs: 60_000 });
    const a = await connect(m.url);
    a.send(sub());
    await a.next();
    const p = await connectPrivate(m);
    p.send([ticket(), { type: 'myOrder' }]);
    await m.next('request', (r) => r.raw.includes('myOrder'));
    expect(await (await fetch(`${m.restUrl}/v1/market/all`)).json()).toBeInstanceOf(Array);
    m.delayFrames(10_000); // frames now wait in queues with timers
    m.stall(60_000);
    await m.close();
    await m.close(); // idempotent
    const [ca, cp] = await Promise.all([a.closed, p.closed]);
    expect(ca.code).toBe(1006);
    expect(cp.code).toBe(1006);
    const noNew = () => Object.entries(handles()).every(([k, n]) => n <= (before[k] ?? 0));
    await settle(noNew);
    expect(handles()).toSatisfy(() => noNew());
  });

  it('answers upgrades on unknown paths with HTTP 404', async () => {
    const m = await mock();
    const c = await connect(m.url.replace('/websocket/v1', '/websocket/v2'), {}, true);
    expect((await c.refused()).status).toBe(404);
  });
});

describe('frames and keepalive', () => {
  it('sends data frames as binary WebSocket frames', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send(sub());
    const f = await c.next();
    expect(f.binary).toBe(true);
    expect(f.json().type).toBe('ticker');
  });

  it('answers the text PING with {"status":"UP"}', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send('PING');
    const f = await c.next();
    expect(f.text).toBe('{"status":"UP"}');
    expect(f.binary).toBe(true);
  });

  it('sends error and status frames as text when controlFrames is "text"', async () => {
    const m = await mock({ controlFrames: 'text' });
    const c = await connect(m.url);
    c.send('PING');
    expect((await c.next()).binary).toBe(false);
    c.send('[]');
    const e = await c.next();
    expect(e.binary).toBe(false);
    expect(e.json().error.name).toBe('NO_TICKET');
  });

  it('answers protocol ping frames with pong', async () => {
    const m = await mock();
    const c = await connect(m.url);
    const pong = new Promise<Buffer>((r) => c.ws.once('pong', r));
    c.ws.ping(Buffer.from('hi'));
    expect((await pong).toString()).toBe('hi');
  });

  it('negotiates permessage-deflate when the client offers it', async () => {
    const m = await mock();
    const c = await connect(m.url, { perMessageDeflate: true });
    expect(c.ws.extensions).toContain('permessage-deflate');
    c.send(sub(['KRW-BTC', 'KRW-ETH']));
    expect((await c.next()).json().type).toBe('ticker');
    expect(m.connections()[0].perMessageDeflate).toBe(true);
  });

  it('refuses permessage-deflate when configured off', async () => {
    const m = await mock({ perMessageDeflate: false });
    const c = await connect(m.url, { perMessageDeflate: true });
    expect(c.ws.extensions).toBe('');
    expect(m.connections()[0].perMessageDeflate).toBe(false);
  });

  it('drops a connection with no traffic after the idle timeout (TCP drop by default)', async () => {
    const m = await mock({ idleTimeoutMs: 50 });
    const onServer = m.next('close');
    const c = await connect(m.url);
    expect((await c.closed).code).toBe(1006);
    await onServer;
    expect(m.connections()[0].closed).toBe(true);
  });

  it('can end idle connections with a close frame instead', async () => {
    const m = await mock({ idleTimeoutMs: 50, idleClose: 'close' });
    const c = await connect(m.url);
    const { code, reason } = await c.closed;
    expect(code).toBe(1000);
    expect(reason).toBe('idle timeout');
  });
});

describe('CLI', () => {
  it('runs `upbit-ws mock`, prints URLs, and stops on the signal', async () => {
    const lines: string[] = [];
    const ac = new AbortController();
    let printed!: () => void;
    const ready = new Promise<void>((r) => (printed = r));
    const done = runMockCli(['mock', '--port', '0', '--markets', 'KRW-BTC,KRW-ETH', '--rate', '50'], {
      signal: ac.signal,
      out: (l) => {
        lines.push(l);
        if (l.startsWith('Ctrl-C')) printed();
      },
    });
    await ready;
    const url = lines.find((l) => l.includes('public WS'))!.split(/\s+/).pop()!;
    const rest = lines.find((l) => l.includes('REST'))!.split(/\s+/).pop()!;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/websocket\/v1$/);
    const markets = (await (await fetch(`${rest}/market/all`)).json()) as { market: string }[];
    expect(markets.map((x) => x.market)).toEqual(['KRW-BTC', 'KRW-ETH']);
    const c = await connect(url);
    c.send(sub(['KRW-ETH']));
    expect((await c.next()).json().code).toBe('KRW-ETH');
    ac.abort();
    await done;
    expect(lines.at(-1)).toBe('mock stopped');
    await c.closed;
  });
});

describe('start options', () => {
  it('uses the given start time as simulated time', async () => {
    const m = await mock();
    expect(m.simTime()).toBe(T0);
    m.tick(3);
    expect(m.simTime()).toBe(T0 + 300); // default rate 10 → 100 ms per step
  });
});
