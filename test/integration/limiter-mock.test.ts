/**
 * The hub's one rate limiter against the mock's own counters, on ONE SimulatedClock: the hub's
 * timers and limiter and the mock's rate windows all read it, so "a minute" passes in a few
 * real seconds and nothing depends on real time (issue 9 acceptance: more than 100 requests a
 * minute attempted, the mock counts no breach).
 *
 * How to read: `system()` starts both on the clock; `step(ms)` moves simulated time and then waits
 * (on a condition, not a sleep) until every request the hub sent has reached the mock, so the mock
 * stamps each arrival with the simulated time it was sent at.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { SimulatedClock } from 'xstate';
import WebSocket from 'ws';
import { createUpbitHub, hubInternals, type UpbitHubOptions } from '../../src/actors/hub.js';
import { DEFAULT_MOCK_KEY, startMockUpbit } from '../../src/mock/index.js';
import { MARKETS, requestsOf, waitFor } from './helpers.js';

async function system(hubOptions: UpbitHubOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(1_800_000_000_000);
  const mock = await startMockUpbit({ manual: true, seed: 7, markets: [...MARKETS], now: () => clock.now() });
  const never = 1e12;
  const hub = createUpbitHub({
    url: mock.url,
    clock,
    now: () => clock.now(),
    pendingWindow: 10,
    markets: false,
    connection: { keepaliveInterval: never, pongTimeout: never, stallCheckInterval: never, stallTimeout: never, connectTimeout: never, closeTimeout: never },
    recovery: { baseDelay: 10, maxDelay: 50, jitter: 0, connectGap: 200, stableUptime: 60_000 },
    ...hubOptions,
  });
  onTestFinished(async () => {
    await hub.stop();
    await mock.close();
  });
  const sent = () => hubInternals(hub).wire.public.requests;
  // Every message that reached a public socket: requests, refused ones, LIST_SUBSCRIPTIONS.
  const arrived = () => mock.connections().filter((c) => c.endpoint === 'public').reduce((n, c) => n + c.messagesReceived, 0);
  const step = async (ms: number) => {
    clock.increment(ms);
    await new Promise<void>((r) => setImmediate(r)); // let socket I/O run (a turn of the loop, not a sleep)
    await waitFor(() => arrived() >= sent(), {
      message: 'every request sent has arrived',
      describe: () => ({ sent: sent(), arrived: arrived(), breaches: mock.stats().messageBreaches, last: mock.received.slice(-3).map((m) => m.data) }),
    });
  };
  return { clock, mock, hub, step, sent };
}

/** 900 union changes, one every 100 simulated ms (600 a minute), over 90 simulated seconds. */
async function churn(s: Awaited<ReturnType<typeof system>>) {
  const c = s.hub.client('churn');
  const live = new Map<string, { unsubscribe(): Promise<void> }>();
  const codes = MARKETS.filter((m) => m.startsWith('KRW-'));
  let attempts = 0;
  // Held throughout, so the union never empties (an empty union closes the socket on purpose).
  await c.subscribeOrderbook(['KRW-BTC'], () => {});
  // No simulated time passes while the socket opens: its first request goes out at once (CONNECTED).
  await waitFor(() => s.hub.status().public === 'open' && s.sent() > 0, { message: 'connected' });
  await s.step(0);
  for (let i = 0; i < 900; i++) {
    const code = codes[i % codes.length]!;
    const type = (['ticker', 'trade'] as const)[Math.floor(i / codes.length) % 2]!;
    const key = `${type}|${code}`;
    const had = live.get(key);
    if (had) {
      live.delete(key);
      await had.unsubscribe();
    } else {
      live.set(key, type === 'ticker' ? await c.subscribeTicker([code], () => {}) : await c.subscribeTrade([code], () => {}));
    }
    attempts++;
    await s.step(100);
  }
  return { attempts, live };
}

describe('one rate limiter for the hub, against the mock (simulated clock)', () => {
  it('600 changes a minute attempted: the mock counts no message or connect breach, and the union ends right', async () => {
    const s = await system();
    const { attempts, live } = await churn(s);
    for (let t = 0; t < 120; t++) await s.step(1_000); // let the throttled union out
    expect(attempts).toBeGreaterThan(100);
    expect(s.sent()).toBeGreaterThan(100);
    const stats = s.mock.stats();
    expect(stats.messageBreaches).toBe(0);
    expect(stats.connectBreaches).toBe(0);
    // The minute budget was reached and held: the busiest 60 s (of arrival times) carried exactly 100.
    const times = s.mock.received.map((m) => m.at);
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 60_000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBe(100);
    // The last request carries what is live now (changes coalesced, none lost).
    const conn = s.mock.connections().filter((c) => c.endpoint === 'public' && !c.closed).at(-1)!;
    const last = JSON.parse(requestsOf(conn).at(-1)!) as Array<{ type?: string; codes?: string[] }>;
    const onWire = new Set(last.flatMap((o) => (o.type && o.type !== 'orderbook' ? (o.codes ?? []).map((c) => `${o.type}|${c}`) : [])));
    expect(onWire).toEqual(new Set(live.keys()));
  });

  it('negative control: a hub configured above Upbit\'s numbers (limits option) is caught by the mock', async () => {
    const s = await system({ limits: { limits: { 'websocket-message': [{ limit: 50, windowMs: 1_000 }] } } });
    await churn(s);
    expect(s.mock.stats().messageBreaches).toBeGreaterThan(0);
  });

  /**
   * Both connections refused, reconnecting with 1 ms backoff and their own connect gaps OFF: only
   * the hub's limiter (websocket-connect, shared by public and private) spaces the attempts. The
   * hub's WebSocket class is the real `ws` one, subclassed to note the simulated time of each
   * connect. Returns the most connects in any 1 s of simulated time, and how many there were.
   */
  async function storm(hubOptions: UpbitHubOptions) {
    const attempts: number[] = [];
    let clockRef: SimulatedClock | undefined;
    class Noted extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        attempts.push(clockRef!.now());
      }
    }
    const s = await system({
      credentials: DEFAULT_MOCK_KEY,
      WebSocket: Noted as unknown as typeof WebSocket,
      recovery: { baseDelay: 1, maxDelay: 1, factor: 1, jitter: 0, connectGap: 0, stableUptime: 60_000 },
      // A handshake the loaded machine is slow to answer times out in simulated time.
      connection: { keepaliveInterval: 1e12, pongTimeout: 1e12, stallCheckInterval: 1e12, stallTimeout: 1e12, connectTimeout: 200, closeTimeout: 1e12 },
      ...hubOptions,
    });
    clockRef = s.clock;
    s.mock.refuseConnections();
    const c = s.hub.client('both');
    await c.subscribeTicker(['KRW-BTC'], () => {});
    await c.subscribeMyOrder(undefined, () => {});
    const settled = () => s.hub.status().public !== 'connecting' && s.hub.status().private !== 'connecting';
    for (let i = 0; i < 300 && attempts.length < 40; i++) {
      s.clock.increment(10);
      await new Promise<void>((r) => setImmediate(r));
      // Simulated time creeps on while a handshake is in flight (a stuck one hits connectTimeout).
      await waitFor(settled, { step: () => s.clock.increment(1), message: 'no handshake in flight', describe: () => s.hub.status() });
    }
    let busiest = 0;
    for (let i = 0, j = 0; i < attempts.length; i++) {
      while (attempts[i]! - attempts[j]! >= 1_000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    return { busiest, total: attempts.length };
  }

  it('connects: at most 5 a second across BOTH connections, through the same limiter', async () => {
    const { busiest, total } = await storm({});
    expect(total).toBeGreaterThan(10);
    expect(busiest).toBeLessThanOrEqual(5);
  });

  it('negative control: with websocket-connect raised to 50/s the same storm exceeds 5 a second', async () => {
    const { busiest } = await storm({ limits: { limits: { 'websocket-connect': 50 } } });
    expect(busiest).toBeGreaterThan(5);
  });
});
