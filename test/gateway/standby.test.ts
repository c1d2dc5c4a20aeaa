/**
 * Standby gateways: exactly one of two holds the Upbit connections (a lease in a JetStream KV
 * bucket). When the leader process dies (kill -9) the standby takes over and re-subscribes the
 * union; when the leader is cut off from NATS it closes its Upbit socket before its lease can
 * expire. In both cases the mock never sees two open public connections.
 */
import { describe, expect, it } from 'vitest';
import { connectGateway } from '../../src/gateway/index.js';
import type { Stamped } from '../../src/index.js';
import type { Ticker } from '../../src/io/index.js';
import { FAST_LEASE, openPublic, spawnFixture, startBackends, startRelay, startTestGateway, waitFor, watchOverlap } from './helpers.js';

describe('standby gateway', () => {
  it('kill -9 the leader process: the standby process takes over the union, never overlapping', async () => {
    const sys = await startBackends();
    const maxOpen = watchOverlap(sys.mock);
    sys.pump();
    const args = (id: string) => ({ nats: sys.nats.url, url: sys.mock.url, privateUrl: sys.mock.privateUrl, id, ttlMs: FAST_LEASE.ttlMs });
    const g1 = spawnFixture('gateway', args('g1'));
    await g1.next((l) => l.ev === 'leader', 'g1 leading');
    const g2 = spawnFixture('gateway', args('g2'));
    await g2.next((l) => l.ev === 'started', 'g2 standing by');
    const conn = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 3000 });
    const got: Stamped<Ticker>[] = [];
    const sub = await conn.client('c').subscribeTicker(['KRW-BTC', 'KRW-ETH'], (t) => got.push(t));
    const statuses: string[] = [];
    sub.onStatus((s) => statuses.push(s));
    await waitFor(() => got.length > 0 && sub.status === 'active', { message: 'receiving through g1', timeoutMs: 10_000 });
    const term1 = conn.status().gateway!;
    expect(term1.gateway).toBe('g1');

    g1.proc.kill('SIGKILL');
    await g2.next((l) => l.ev === 'leader', 'g2 taking over', 15_000);
    await waitFor(() => got.at(-1)!.epoch > term1.epochs.public, { message: 'receiving through g2', timeoutMs: 10_000 });
    expect(conn.status().gateway!.gateway).toBe('g2');
    await waitFor(() => JSON.stringify(openPublic(sys.mock)) === JSON.stringify([['ticker|KRW-BTC', 'ticker|KRW-ETH']]), {
      message: 'g2 carrying the union',
      describe: () => openPublic(sys.mock),
    });
    expect(maxOpen()).toBe(1);
    // The subscription lived through the takeover: interrupted, then active again.
    await waitFor(() => sub.status === 'active', { message: 'active through g2' });
    expect(statuses.slice(-2)).toEqual(['interrupted', 'active']);
    await conn.close();
  });

  it('a leader cut off from NATS closes its Upbit socket before the standby opens one', async () => {
    const sys = await startBackends();
    const maxOpen = watchOverlap(sys.mock);
    sys.pump();
    const relay = await startRelay(sys.nats.port);
    const a = await startTestGateway(sys, { id: 'a', nats: { servers: relay.url } });
    const b = await startTestGateway(sys, { id: 'b' }, false);
    expect(b.isLeader()).toBe(false);
    const conn = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 3000 });
    const got: Stamped<Ticker>[] = [];
    await conn.client('c').subscribeTicker(['KRW-XRP'], (t) => got.push(t));
    await waitFor(() => got.length > 0 && openPublic(sys.mock).length === 1, { message: 'receiving through a' });
    relay.cut();
    await waitFor(() => b.isLeader() && conn.status().gateway?.gateway === 'b', { message: 'b leading', timeoutMs: 10_000 });
    const n = got.length;
    await waitFor(() => got.length > n, { message: 'receiving through b' });
    expect(maxOpen()).toBe(1);
    expect(a.isLeader()).toBe(false);
    expect(openPublic(sys.mock)).toHaveLength(1);
    await conn.close();
  });
});
