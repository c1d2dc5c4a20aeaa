/**
 * The chaos suite: 20 components on one hub, 50 seeded faults from the mock's fault API, and
 * after EACH fault the invariants a trading app relies on:
 *
 *   1. every component's subscriptions are restored (the live connection's set = the union);
 *   2. no message from a stale epoch is delivered (each delivery carries the router's current
 *      epoch, and epochs never go back);
 *   3. no trade is lost: trades made after recovery reach every component that wants them, and
 *      none twice (duplicates are dropped and counted, never delivered);
 *   4. the mock's rate counters show no breach; no unhandled rejection or uncaught exception;
 *      the heap stays bounded.
 *
 * Deterministic: the mock runs in manual mode (frames only when the test ticks), faults and the
 * recovery jitter come from a seeded PRNG. Bounded: every wait has a deadline.
 */
import { hubInternals } from '../../src/actors/hub.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpbitHub, decodeFrame, encodeEvent, type ComponentRef, type UpbitHub, type UpbitError, type UpbitMessage } from '../../src/index.js';
import { startMockUpbit, type MockUpbit, MALFORMED_KINDS } from '../../src/mock/index.js';
import { prng } from '../prng.js';

const SEED = 20261122;
const FAULTS = 50;
const COMPONENTS = 20;


type Fault = 'clean' | 'abrupt' | 'stall' | 'malformed' | 'error-frame' | 'refuse' | 'duplicate' | 'late-frame';
const FAULT_KINDS: Fault[] = ['clean', 'abrupt', 'stall', 'malformed', 'error-frame', 'refuse', 'duplicate', 'late-frame'];

interface Plan {
  id: string;
  trades: string[];
  tickers: string[];
}

interface Seen {
  tradeIds: string[];
  tickers: number;
  lastEpoch: number;
  staleDeliveries: number;
  foreign: number;
  errors: UpbitError[];
}

describe('chaos: 50 seeded faults against 20 components', () => {
  const random = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  let mock: MockUpbit;
  let hub: UpbitHub;
  const plans: Plan[] = [];
  const seen = new Map<string, Seen>();
  const hubErrors: UpbitError[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  /** Poll a condition, ticking the market so streams stay alive; fail with `what` after `ms`. */
  async function waitFor(what: string | (() => string), cond: () => boolean, ms = 8_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
      mock.tick();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const union = () => {
    const s = new Set<string>();
    for (const p of plans) {
      for (const c of p.trades) s.add(`trade|${c}`);
      for (const c of p.tickers) s.add(`ticker|${c}`);
    }
    return [...s].sort();
  };
  const liveSet = () => {
    const live = mock.connections().filter((c) => c.endpoint === 'public' && !c.closed);
    if (live.length !== 1) return undefined;
    return live[0].subscriptions.flatMap((s) => (s.codes ?? []).map((c) => `${s.type}|${c}`)).sort();
  };
  const restored = () => hub.status().public === 'open' && JSON.stringify(liveSet()) === JSON.stringify(union());

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    mock = await startMockUpbit({ manual: true, seed: SEED });
    hub = createUpbitHub({
      url: mock.url,
      format: 'SIMPLE',
      pendingWindow: 5,
      connection: { keepaliveInterval: 1_000, pongTimeout: 1_000, stallCheckInterval: 50, stallTimeout: 400 },
      recovery: { baseDelay: 5, maxDelay: 40, jitter: 0.5, random, stableUptime: 100, connectGap: 200 },
    });
    hub.onError((e) => hubErrors.push(e));
    const markets = mock.markets.filter((m) => m.startsWith('KRW-')).slice(0, 6);
    for (let i = 0; i < COMPONENTS; i++) {
      const trades = [...new Set([pick(markets), pick(markets)])];
      const tickers = random() < 0.5 ? [pick(markets)] : [];
      const plan: Plan = { id: `c${i}`, trades, tickers };
      plans.push(plan);
      const s: Seen = { tradeIds: [], tickers: 0, lastEpoch: 0, staleDeliveries: 0, foreign: 0, errors: [] };
      seen.set(plan.id, s);
      const comp = hub.spawnComponent(plan.id);
      comps.set(plan.id, comp);
      comp.onError((e) => s.errors.push(e));
      const check = (epoch: number) => {
        if (epoch !== hubInternals(hub).router.epoch('public') || epoch < s.lastEpoch) s.staleDeliveries++;
        s.lastEpoch = epoch;
      };
      comp.on('trade', (t) => {
        check(t.epoch);
        if (!plan.trades.includes(t.code)) s.foreign++;
        s.tradeIds.push(`${t.code}#${t.sequentialId}`);
      });
      comp.on('ticker', (t) => {
        check(t.epoch);
        if (!plan.tickers.includes(t.code)) s.foreign++;
        s.tickers++;
      });
      comp.send({ type: 'SUBSCRIBE', channel: 'trade', codes: trades });
      if (tickers.length) comp.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: tickers });
    }
    await waitFor('the first union', restored);
  });

  afterAll(async () => {
    await hub?.stop();
    await mock?.close();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  let lateFrames = 0;
  const comps = new Map<string, ComponentRef>();
  const failedAndRenewed: string[] = [];

  async function inject(fault: Fault): Promise<void> {
    const before = hubInternals(hub).router.epoch('public');
    const reconnected = () => hubInternals(hub).router.epoch('public') > before;
    switch (fault) {
      case 'clean':
        mock.disconnect('public', { code: pick([1000, 1001, 1011, 1012]) });
        await waitFor('reconnect after clean close', reconnected);
        break;
      case 'abrupt':
        mock.disconnect('public', { abrupt: true });
        await waitFor('reconnect after reset', reconnected);
        break;
      case 'stall':
        mock.stall(true, 'public');
        await waitFor('stall detected and reconnected', reconnected);
        mock.resume('all');
        break;
      case 'malformed': {
        const errorsBefore = hubErrors.length;
        mock.sendMalformed(pick(MALFORMED_KINDS), 'public');
        await waitFor('decode error reported', () => hubErrors.length > errorsBefore);
        expect(hubErrors.at(-1)?.name).toBe('UpbitDecodeError');
        break;
      }
      case 'error-frame': {
        // An error frame naming no code: the hub blames what the last request added (or, after a
        // connect, isolates the culprit and, finding none, reports it to the hub). Either way the
        // error reaches someone, and nobody else's stream stops.
        const serverErrors = () =>
          [...hubErrors, ...[...seen.values()].flatMap((s) => s.errors)].filter((e) => e.name === 'UpbitServerError').length;
        const before = serverErrors();
        mock.sendError('INVALID_PARAM', 'chaos');
        await waitFor('server error reported', () => serverErrors() > before);
        // A user answers a refused subscription by subscribing again (a new wish leaves `failed`).
        for (const [id, comp] of comps) {
          for (const sub of comp.subscriptions()) {
            if (sub.status !== 'failed') continue;
            await sub.unsubscribe();
            const { type, ...rest } = sub.wish;
            comp.send({ type: 'SUBSCRIBE', channel: type, ...rest });
            failedAndRenewed.push(id);
          }
        }
        break;
      }
      case 'refuse':
        mock.refuseConnections({ count: 2, status: 503 });
        mock.disconnect('public', { abrupt: true });
        await waitFor('reconnect through refusals', reconnected, 12_000);
        break;
      case 'duplicate':
        mock.duplicateFrames(true, 'public');
        for (let i = 0; i < 3; i++) mock.tick();
        mock.duplicateFrames(false, 'all');
        break;
      case 'late-frame': {
        // A frame of the PREVIOUS socket arriving after the new one opened. A terminated ws cannot
        // deliver one any more, so it is injected where the socket hands frames to the router: a
        // new trade (fresh sequential id) stamped with the old epoch. No component may see it.
        const epoch = hubInternals(hub).router.epoch('public');
        if (epoch < 2) break;
        const last = mock.lastTrade(plans[0].trades[0]) as unknown as { toJSON?: () => object };
        const plain = { ...(last.toJSON ? last.toJSON() : last), sequentialId: `${9_000_000_000 + lateFrames}` };
        const [late] = decodeFrame(encodeEvent(plain as UpbitMessage, 'SIMPLE'));
        lateFrames++;
        hubInternals(hub).router.publish('public', epoch - 1, late);
        break;
      }
    }
  }

  it('keeps every invariant after each fault', async () => {
    const heapStart = process.memoryUsage().heapUsed;
    const log: string[] = [];
    for (let n = 0; n < FAULTS; n++) {
      const fault = pick(FAULT_KINDS);
      log.push(fault);
      await inject(fault);

      // 1. subscriptions restored
      await waitFor(`union restored after fault #${n} (${fault})`, restored);

      // 3. trades made now reach everyone who wants them, exactly once
      const made = new Map<string, string[]>();
      for (let k = 0; k < 3; k++) {
        mock.tick();
        for (const code of new Set(plans.flatMap((p) => p.trades))) {
          const id = `${code}#${mock.lastTrade(code).sequentialId}`;
          made.set(code, [...(made.get(code) ?? []), id]);
        }
      }
      const allArrived = () =>
        plans.every((p) => {
          const got = new Set(seen.get(p.id)!.tradeIds);
          return p.trades.every((c) => made.get(c)!.every((id) => got.has(id)));
        });
      const missing = () =>
        plans
          .map((p) => {
            const got = new Set(seen.get(p.id)!.tradeIds);
            const lost = p.trades.flatMap((c) => made.get(c)!.filter((id) => !got.has(id)));
            return lost.length ? `${p.id}: ${lost.join(' ')}` : '';
          })
          .filter(Boolean)
          .join('; ');
      await waitFor(() => `trades after fault #${n} (${fault}) delivered [${log.join(',')}] missing ${missing().slice(0, 200)} conns ${JSON.stringify(mock.connections().map((c) => ({ id: c.id, closed: c.closed, q: c.queued, d: c.dropped, st: c.stalled, fs: c.framesSent, subs: c.subscriptions.length })))} epoch ${hubInternals(hub).router.epoch("public")} ${hub.status().public}`, allArrived);

      for (const p of plans) {
        const s = seen.get(p.id)!;
        expect(new Set(s.tradeIds).size, `${p.id} got a trade twice`).toBe(s.tradeIds.length);
        // 2. epochs
        expect(s.staleDeliveries, `${p.id} got a stale-epoch message`).toBe(0);
        expect(s.foreign, `${p.id} got data it did not ask for`).toBe(0);
      }
      // 4. limits, errors, heap
      const stats = mock.stats();
      expect(stats.connectBreaches, 'connect limit breached').toBe(0);
      expect(stats.messageBreaches, 'message limit breached').toBe(0);
      expect(unhandled, 'unhandled rejection or uncaught exception').toEqual([]);
      expect(process.memoryUsage().heapUsed - heapStart).toBeLessThan(256 * 1024 * 1024);
    }
    // The draw covered every kind of fault, and reconnects really happened.
    expect(new Set(log)).toEqual(new Set(FAULT_KINDS));
    expect(hubInternals(hub).router.epoch('public')).toBeGreaterThan(10);
    if (log.includes('duplicate')) expect(hub.status().metrics.duplicatesDropped).toBeGreaterThan(0);
    expect(lateFrames).toBeGreaterThan(0);
    expect(hub.status().metrics.staleDropped).toBeGreaterThanOrEqual(lateFrames);
  }, 240_000);
});
