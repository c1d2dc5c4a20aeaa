/**
 * Faults: the gateway's Upbit socket drops (consumers are told through onError, keep their
 * subscriptions and receive again on a newer epoch); nats-server restarts (gateway and consumers
 * reconnect by themselves, data flows again); a consumer process that stops reading entirely
 * (SIGSTOP) does not slow the gateway or another consumer.
 */
import { describe, expect, it } from 'vitest';
import { connectGateway } from '../../src/gateway/index.js';
import { UpbitConnectionError, type Ticker as T0, type UpbitError } from '../../src/io/index.js';
import type { Stamped } from '../../src/index.js';

type Ticker = Stamped<T0>;
import { openPublic, spawnFixture, startBackends, startTestGateway, waitFor } from './helpers.js';

describe('gateway faults', () => {
  it('upstream drop: consumers are told, keep their subscriptions and receive again on a newer epoch', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    sys.pump();
    const conn = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 1500 });
    const got: Ticker[] = [];
    const errors: UpbitError[] = [];
    const sub = await conn.client('c').subscribeTicker(['KRW-BTC'], (t) => got.push(t), { onError: (e) => errors.push(e) });
    await waitFor(() => got.length > 0, { message: 'receiving' });
    const epoch = got.at(-1)!.epoch;
    sys.mock.disconnectAll();
    await waitFor(() => errors.length > 0, { message: 'the outage reported', describe: () => [conn.status(), gw.health(), got.length] });
    expect(errors[0]).toBeInstanceOf(UpbitConnectionError);
    await waitFor(() => got.at(-1)!.epoch > epoch, { message: 'receiving again on a newer epoch', timeoutMs: 10_000 });
    expect(gw.health().public).toBe('open');
    expect(openPublic(sys.mock)).toEqual([['ticker|KRW-BTC']]);
    void sub; // (held until here: a client nobody holds is cleaned up after garbage collection)
    await conn.close();
  });

  it('nats-server restart: gateway and consumer reconnect by themselves', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys, { lease: { ttlMs: 4000 } });
    sys.pump();
    const conn = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 4000 });
    const got: Ticker[] = [];
    const errors: unknown[] = [];
    const sub = await conn.client('c').subscribeTicker(['KRW-ETH'], (t) => got.push(t), { onError: (e) => errors.push(e) });
    await waitFor(() => got.length > 0, { message: 'receiving' });
    await sys.nats.restart();
    const n = got.length;
    await waitFor(() => got.length > n + 5 && conn.status().nats === 'connected', { message: 'receiving after the restart', timeoutMs: 15_000 });
    expect(errors.some((e) => e instanceof UpbitConnectionError)).toBe(true); // told about the NATS outage
    expect(gw.isLeader()).toBe(true);
    void sub; // (held until here: a client nobody holds is cleaned up after garbage collection)
    await conn.close();
  });

  it('a consumer that stops reading does not slow the gateway or a fast consumer', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    sys.pump(2);
    // Long leases: the stopped process must stay in the union (its heartbeats stop too).
    const slow = spawnFixture('consumer', { nats: sys.nats.url, id: 'slow', trade: ['KRW-BTC'], leaseTtlMs: 60_000, every: 50 });
    const fast = spawnFixture('consumer', { nats: sys.nats.url, id: 'fast', trade: ['KRW-BTC'], leaseTtlMs: 60_000, every: 50 });
    await slow.next((l) => l.ev === 'trade', 'slow receiving');
    await fast.next((l) => l.ev === 'trade', 'fast receiving');
    slow.proc.kill('SIGSTOP'); // reads nothing from now on
    const at = Number((fast.lines.at(-1) as { n: number }).n);
    // Lines the slow process wrote before it stopped have been read once the fast one moved on.
    await fast.next((l) => Number(l.n) >= at + 100, 'the fast consumer moving on');
    const slowSeen = slow.lines.length;
    const published = gw.metrics.published;
    // 1000 more trades reach the fast consumer while the slow one is frozen.
    await fast.next((l) => Number(l.n) >= at + 1000, 'the fast consumer 1000 trades further', 30_000);
    expect(gw.metrics.published).toBeGreaterThan(published);
    expect(slow.lines.length).toBe(slowSeen);
    // The slow one resumes where it was: nothing lost for it either (bounded retention permitting).
    slow.proc.kill('SIGCONT');
    await slow.next((l) => Number(l.n) >= at + 1000, 'the slow consumer catching up', 30_000);
  });
});
