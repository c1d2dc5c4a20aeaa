/**
 * `startMockUpbit`: wires the parts into one loopback server and returns the control handle.
 *
 * How to read this file: one `http.Server` answers REST (rest.ts) and routes WebSocket upgrades by
 * path (handshake.ts) into one `ws` `WebSocketServer({ noServer: true })`. The market simulator
 * (market.ts) is stepped by one interval timer, or only by `tick(n)` in manual mode; its events go
 * to the Hub (public-ws.ts); account events go to private connections (private-ws.ts).
 *
 *   TCP ─► http.Server ─┬─ request ─► rest.ts ─► rest-routes.ts
 *                       └─ upgrade ─► handshake.ts ─► Connection ─► Hub ◄─ market.step() ◄─ timer / tick()
 *                                                                   ◄─ Accounts (placeOrder ...)
 *
 * `close()` stops the timer, terminates every WebSocket, destroys every TCP socket the server
 * ever accepted, and closes the listener, so no handle outlives it.
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { Accounts } from './account.js';
import type { MockStats, MockUpbit } from './api.js';
import { Auth } from './auth.js';
import { Emitter } from './events.js';
import type { ReceivedMessage } from './events.js';
import { Faults } from './faults.js';
import { flood } from './flood.js';
import { createUpgradeHandler, PRIVATE_PATH, PUBLIC_PATH } from './handshake.js';
import type { HandshakeState } from './handshake.js';
import { ConnectLimiter, RestLimiter } from './limits.js';
import { bookLevel, Market } from './market.js';
import { D } from './num.js';
import { DEFAULT_BALANCES, resolveOptions } from './options.js';
import type { MockOptions } from './options.js';
import { Prng } from './prng.js';
import { buildAnnouncement, publishAccountEvent, publishAnnouncementEvent } from './private-ws.js';
import { Hub } from './public-ws.js';
import type { WsStats } from './public-ws.js';
import { createRestHandler } from './rest.js';
import type { RestState } from './rest.js';

/** Start a mock Upbit exchange on loopback. */
export async function startMockUpbit(options: MockOptions = {}): Promise<MockUpbit> {
  const opts = resolveOptions(options);
  const emitter = new Emitter();
  const market = new Market({
    markets: opts.markets,
    seed: opts.seed,
    startTime: opts.startTime,
    stepMs: opts.stepMs,
    candleIntervalMs: opts.candleIntervalMs,
  });
  // The account draws from its own generator, so orders never change the market's sequence.
  const accountPrng = new Prng(opts.seed * 31 + 17);
  const wsStats: WsStats = { messageBreaches: 0, requestErrors: 0 };
  const received: ReceivedMessage[] = [];
  const hub = new Hub({ opts, market, emitter, stats: wsStats, received });
  const accounts = new Accounts(opts.keys, opts.feeRates, market, accountPrng, (e) => publishAccountEvent(hub, e), DEFAULT_BALANCES);
  const auth = new Auth(opts.keys, opts.logLimit);
  const connectLimiter = new ConnectLimiter(opts);
  const restLimiter = new RestLimiter(opts);
  const restState: RestState = { failures: [], hold: 0, held: [], requests: 0, breaches: 0, teapots: 0, log: [] };
  const hs: HandshakeState = {
    connects: 0,
    accepted: 0,
    refused: 0,
    connectBreaches: 0,
    authFailures: 0,
    nextId: 0,
    refusal: undefined,
    closing: false,
  };
  const faults = new Faults(hub, market, hs, restState, opts.now);

  const server = createServer(createRestHandler({ opts, market, accounts, auth, limiter: restLimiter, emitter, state: restState }));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: opts.perMessageDeflate,
    maxPayload: 1 << 20,
  });
  server.on(
    'upgrade',
    createUpgradeHandler({ opts, wss, hub, auth, limiter: connectLimiter, emitter, state: hs, adopt: (c) => faults.adopt(c) }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  const step = () => hub.publish(market.step());
  let timer: NodeJS.Timeout | undefined;
  if (!opts.manual) {
    // Catch up from the real clock on every beat, so the rate holds even when beats come late.
    const started = performance.now();
    let done = 0;
    timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) * opts.rate) / 1000);
      if (due - done > 1000) done = due - 1000; // a long pause (debugger, GC): skip, don't burst
      for (; done < due; done++) step();
    }, Math.max(1, Math.floor(1000 / opts.rate)));
  }

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      hs.closing = true;
      if (timer) clearInterval(timer);
      for (const c of hub.all.values()) {
        c.clearTimers();
        if (!c.closed) c.ws.terminate();
        c.clearTimers();
      }
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      emitter.clear();
    })());

  const handle: MockUpbit = {
    url: `ws://${host}:${port}${PUBLIC_PATH}`,
    privateUrl: `ws://${host}:${port}${PRIVATE_PATH}`,
    restUrl: `http://${host}:${port}`,
    port,
    keys: opts.keys,
    markets: market.codes,
    close,
    [Symbol.asyncDispose]: close,

    tick(n = 1) {
      for (let i = 0; i < n; i++) step();
    },
    simTime: () => market.now(),
    ticker: (code) => market.ticker(code),
    lastTrade: (code) => market.lastTrade(code),
    orderbook: (code, depth = 30, level) => market.orderbook(code, depth, bookLevel(new D(level ?? 0)), 'SNAPSHOT'),
    flood: (o) => flood({ hub, market, opts, emitter }, o),

    placeOrder: (o) => accounts.placeOrder(o),
    fillOrder: (uuid, f) => accounts.fillOrder(uuid, f),
    cancelOrder: (uuid) => accounts.cancelOrder(uuid),
    balances(accessKey = opts.keys[0].accessKey) {
      return Object.fromEntries(accounts.balances(accessKey));
    },
    publishAnnouncement(a) {
      const m = buildAnnouncement(a, market.now(), accountPrng);
      publishAnnouncementEvent(hub, m);
      return m;
    },

    disconnectAll: (o) => faults.disconnect('all', o),
    disconnect: (target, o) => faults.disconnect(target, o),
    stall: (ms, target) => faults.stall(ms, target),
    resume: (target) => faults.resume(target),
    sendMalformed: (kind, target) => faults.sendMalformed(kind, target),
    sendError: (name, message, target) => faults.sendError(name, message, target),
    refuseConnections: (o) => faults.refuseConnections(o),
    acceptConnections: () => faults.acceptConnections(),
    delayFrames: (ms, target) => faults.delayFrames(ms, target),
    duplicateFrames: (on, target) => faults.duplicateFrames(on, target),
    failRest: (o) => faults.failRest(o),
    holdRest: (n) => faults.holdRest(n),
    releaseRest: () => faults.releaseRest(),
    resetLimits() {
      connectLimiter.reset();
      restLimiter.reset();
    },

    connections: () => [...hub.all.values()].map((c) => c.info()),
    connection: (id) => hub.all.get(id)?.info(),
    stats(): MockStats {
      const conns = [...hub.all.values()];
      return {
        connects: hs.connects,
        accepted: hs.accepted,
        refused: hs.refused,
        connectBreaches: hs.connectBreaches,
        messageBreaches: wsStats.messageBreaches,
        authFailures: hs.authFailures,
        requestErrors: wsStats.requestErrors,
        framesSent: conns.reduce((a, c) => a + c.framesSent, 0),
        bytesSent: conns.reduce((a, c) => a + c.bytesSent, 0),
        rest: { requests: restState.requests, breaches: restState.breaches, teapots: restState.teapots },
        perConnection: conns.map((c) => ({
          id: c.id,
          path: c.path,
          messages: c.messagesReceived,
          messageBreaches: c.messageBreaches,
          framesSent: c.framesSent,
          bytesSent: c.bytesSent,
          closed: c.closed,
        })),
      };
    },
    received,
    restLog: restState.log,
    authLog: auth.log,
    on: (event, fn) => emitter.on(event, fn),
    next: (event, predicate) => emitter.next(event, predicate),
  };
  return handle;
}
