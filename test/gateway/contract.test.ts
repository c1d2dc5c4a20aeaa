/**
 * The component contract on the consumer side of the gateway: `connectGateway().client(id)` is the
 * hub's client facade. Each test runs a real nats-server, the mock exchange and a gateway:
 * a subscription without a callback is iterated; an async callback that rejects is that subscription's UpbitCallbackError only; a slow
 * subscription sheds per its own policy and counts it while others keep receiving; statuses
 * go active → interrupted → active (with gapMs) through an upstream drop; a hub level conflict
 * fails exactly the remote subscription concerned; the consumer's actor tree is visible to its
 * inspector and never carries the NATS password.
 */
import { describe, expect, it } from 'vitest';
import { connectGateway } from '../../src/gateway/index.js';
import {
  UpbitBackpressureError,
  UpbitCallbackError,
  UpbitConflictError,
  UpbitConnectionError,
  type UpbitError,
} from '../../src/io/index.js';
import { createOfflineInspector, type StatusInfo, type SubscriptionStatus } from '../../src/index.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { startNatsServer } from './nats-server.js';
import { startBackends, startTestGateway, waitFor } from './helpers.js';

describe('gateway consumer: the component contract', () => {
  it('an async callback that rejects is an UpbitCallbackError to that subscription only; it keeps receiving', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    sys.pump();
    const conn = await connectGateway({ servers: sys.nats.url });
    const a = conn.client('a');
    const b = conn.client('b');
    const errors: Record<string, UpbitError[]> = { bad: [], good: [], other: [], client: [], fallback: [] };
    conn.onError((e) => errors.fallback.push(e as UpbitError));
    let calls = 0;
    const bad = await a.subscribeTicker(
      ['KRW-BTC'],
      async () => {
        calls++;
        await Promise.resolve();
        throw new Error('boom');
      },
      { onError: (e) => errors.bad.push(e) },
    );
    let good = 0;
    const goodSub = await a.subscribeTicker(['KRW-ETH'], () => void good++, { onError: (e) => errors.good.push(e) });
    let other = 0;
    await b.subscribeTicker(['KRW-BTC'], () => void other++, { onError: (e) => errors.other.push(e) });
    b.onError((e) => errors.client.push(e));
    await waitFor(() => errors.bad.length >= 3 && good > 3 && other > 3, { message: 'rejections reported while everyone receives' });
    expect(errors.bad.every((e) => e instanceof UpbitCallbackError)).toBe(true);
    expect((errors.bad[0].cause as Error).message).toBe('boom');
    expect(bad.stats().callbackErrors).toBe(errors.bad.length);
    await waitFor(() => bad.status === 'active', { message: 'the rejecting subscription active, not failed' });
    expect(goodSub.stats().callbackErrors).toBe(0);
    expect([errors.good, errors.other, errors.client, errors.fallback]).toEqual([[], [], [], []]);
    const n = calls;
    await waitFor(() => calls > n + 2, { message: 'the rejecting subscription still delivered to' });
    await conn.close();
  });

  it('a slow subscription sheds per its own policy and counts it; the others keep receiving', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    sys.pump(2);
    const conn = await connectGateway({ servers: sys.nats.url });
    const client = conn.client('desk');
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const slowErrors: UpbitError[] = [];
    const slow = await client.subscribeTrade(['KRW-BTC'], () => stuck, { policy: { kind: 'drop_oldest', bound: 3 }, onError: (e) => slowErrors.push(e) });
    const fastErrors: UpbitError[] = [];
    let fast = 0;
    const fastSub = await client.subscribeTrade(['KRW-BTC'], () => void fast++, { onError: (e) => fastErrors.push(e) });
    await waitFor(() => slow.stats().dropped > 20 && fast > 30, { message: 'the slow one shedding while the fast one receives', timeoutMs: 15_000, describe: () => [slow.stats(), fast] });
    const st = slow.stats();
    expect(st.delivered).toBe(1); // the first call never settled
    expect(st.queued).toBeLessThanOrEqual(3);
    expect(slowErrors.length).toBeGreaterThan(0);
    expect(slowErrors.every((e) => e instanceof UpbitBackpressureError)).toBe(true);
    expect(fastSub.stats().dropped).toBe(0);
    expect(fastErrors).toEqual([]);
    expect(conn.status().delivery.dropped).toBe(slow.stats().dropped);
    release();
    await waitFor(() => slow.stats().delivered > 1, { message: 'the slow one resumes once its callback settles' });
    await conn.close();
  });

  it('a subscription without a callback is async-iterable (its own stream preference applied); iteration ends on unsubscribe', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    // A value is stored first, so the iterator would get it as a SNAPSHOT if it wanted snapshots.
    const first = await connectGateway({ servers: sys.nats.url });
    let stored = 0;
    await first.client('first').subscribeTrade(['KRW-BTC'], () => void stored++);
    await waitFor(() => stored > 0 && gw.metrics.published > 0, { step: () => sys.mock.tick(), message: 'a stored trade' });
    const sub = await conn.client('iter').subscribeTrade(['KRW-BTC'], undefined, { stream: 'realtime' });
    const pump = sys.pump(2);
    const seen: string[] = [];
    for await (const t of sub) {
      expect(t.streamType).toBe('REALTIME');
      seen.push(t.sequentialId);
      if (seen.length === 10) await sub.unsubscribe();
    }
    pump();
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
    expect(sub.status).toBe('ended');
    await Promise.all([conn.close(), first.close()]);
  });

  it('statuses through an upstream drop: active → interrupted → active with gapMs; the outage told once', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    sys.pump();
    const conn = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 1500 });
    const statuses: [SubscriptionStatus, StatusInfo][] = [];
    const errors: UpbitError[] = [];
    let got = 0;
    const sub = await conn.client('c').subscribeTicker(['KRW-BTC'], () => void got++, { onError: (e) => errors.push(e) });
    sub.onStatus((s, info) => statuses.push([s, info]));
    expect(sub.status).toBe('pending');
    await waitFor(() => sub.status === 'active' && got > 0, { message: 'active and receiving' });
    sys.mock.disconnectAll();
    await waitFor(() => statuses.length >= 3, { message: 'interrupted and back', describe: () => statuses });
    expect(statuses.map(([s]) => s)).toEqual(['active', 'interrupted', 'active']);
    expect(statuses[2][1].gapMs).toBeGreaterThanOrEqual(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UpbitConnectionError);
    const n = got;
    await waitFor(() => got > n, { message: 'receiving again' });
    await conn.close();
  });

  it('a level another subscription holds: the hub conflict fails exactly that remote subscription', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const first = await connectGateway({ servers: sys.nats.url });
    const second = await connectGateway({ servers: sys.nats.url });
    const held = await first.client('held').subscribeOrderbook(['KRW-BTC'], () => {});
    await waitFor(() => held.status === 'active', { message: 'the first level held' });
    const errors: UpbitError[] = [];
    const client = second.client('late');
    const refused = await client.subscribeOrderbook(['KRW-BTC'], () => {}, { level: 10_000, onError: (e) => errors.push(e) });
    const fine = await client.subscribeOrderbook(['KRW-ETH'], () => {}, { level: 10_000 });
    await waitFor(() => refused.status === 'failed', { message: 'the conflicting subscription failed', describe: () => [refused.status, errors] });
    expect(refused.error).toBeInstanceOf(UpbitConflictError);
    expect(errors).toEqual([refused.error]);
    await waitFor(() => fine.status === 'active', { message: 'the other subscription of that client unaffected' });
    expect(held.status).toBe('active');
    // The failed wish leaves the union with the next heartbeat.
    await waitFor(() => gw.consumers().every(([, wishes]) => wishes.every((w) => !(w.codes?.includes('KRW-BTC') && w.level !== undefined))), {
      message: 'the refused wish withdrawn',
    });
    await Promise.all([first.close(), second.close()]);
  });

  it("the consumer's actor tree is visible to its inspector; the NATS password never is", async () => {
    const nats = await startNatsServer('authorization { users = [\n  { user: gw, password: "gw-pass-77" }\n  { user: bot, password: "bot-pass-4242" }\n] }\n');
    const mock = await startMockUpbit({ manual: true, seed: 7 });
    const gw = await startGateway({ nats: { servers: nats.url, user: 'gw', pass: 'gw-pass-77' }, hub: { url: mock.url, pendingWindow: 10 }, lease: { ttlMs: 1500 } });
    try {
      await waitFor(() => gw.isLeader(), { message: 'leading' });
      const inspector = createOfflineInspector();
      const raw: string[] = [];
      const conn = await connectGateway({
        servers: nats.url,
        user: 'bot',
        pass: 'bot-pass-4242',
        inspect: (ev) => {
          inspector.inspect(ev);
          raw.push(JSON.stringify(ev, (_k, v: unknown) => (typeof v === 'function' ? undefined : v)));
        },
      });
      const sub = await conn.client('bot').subscribeTicker(['KRW-BTC'], () => {});
      await waitFor(() => sub.status === 'active', { step: () => mock.tick(), message: 'active' });
      const actors = Object.keys(inspector.actors());
      expect(actors).toContain('gateway-consumer');
      expect(actors).toContain('gateway-consumer/components');
      expect(actors.some((a) => /^gateway-consumer\/components\/shard-0\/component:bot$/.test(a))).toBe(true);
      const state = inspector.actors()['gateway-consumer'].state as { value: string; context: { upstream?: { public: string } } };
      expect(state.value).toBe('connected');
      expect(state.context.upstream?.public).toBe('open');
      expect(raw.join('\n')).not.toContain('bot-pass-4242');
      expect(JSON.stringify(inspector.events())).not.toContain('bot-pass-4242');
      await conn.close();
    } finally {
      await gw.stop();
      await mock.close();
      await nats.stop();
    }
  });
});
