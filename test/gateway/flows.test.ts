/**
 * The gateway's core flows against a real nats-server and the mock exchange, consumers in their
 * own processes: each gets its own codes with exact decimals, the mock sees ONE public
 * connection carrying the union, and the union shrinks when a consumer leaves or is killed -9
 * (its lease expires). A late joiner gets the last value per subject at once, marked as a
 * snapshot, and a value from an older gateway epoch is never served to it.
 */
import { describe, expect, it } from 'vitest';
import { headers } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { connectGateway } from '../../src/gateway/index.js';
import { HEADER, PAYLOAD_VERSION } from '../../src/gateway/subjects.js';
import { UpbitValidationError, encodeEvent, type Ticker as T0 } from '../../src/io/index.js';
import type { Stamped } from '../../src/index.js';

type Ticker = Stamped<T0>;
import { openPublic, spawnFixture, startBackends, startTestGateway, waitFor } from './helpers.js';

const sameUnion = (mock: Parameters<typeof openPublic>[0], want: string[]) => {
  const open = openPublic(mock);
  return open.length === 1 && JSON.stringify(open[0]) === JSON.stringify([...want].sort());
};

describe('gateway: consumers in other processes share one Upbit connection', () => {
  it('two consumer processes get their own codes with exact decimals; the union grows and shrinks (leave, kill -9)', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    sys.pump();
    const a = spawnFixture('consumer', { nats: sys.nats.url, id: 'a', ticker: ['KRW-BTC'] });
    const b = spawnFixture('consumer', { nats: sys.nats.url, id: 'b', ticker: ['KRW-ETH'], trade: ['KRW-XRP'] });
    await Promise.all([a.next((l) => l.ev === 'ready', 'consumer a ready'), b.next((l) => l.ev === 'ready', 'consumer b ready')]);
    await waitFor(() => sameUnion(sys.mock, ['ticker|KRW-BTC', 'ticker|KRW-ETH', 'trade|KRW-XRP']), {
      message: 'one public connection carrying the union',
      describe: () => openPublic(sys.mock),
      timeoutMs: 10_000,
    });
    const ta = await a.next((l) => l.ev === 'ticker' && l.st === 'REALTIME', 'a receiving');
    const tb = await b.next((l) => l.ev === 'trade', 'b receiving trades');
    await b.next((l) => l.ev === 'ticker', 'b receiving tickers');
    // Each gets only its own codes...
    expect(a.lines.filter((l) => l.ev === 'ticker').every((l) => l.code === 'KRW-BTC')).toBe(true);
    expect(b.lines.filter((l) => l.ev === 'ticker').every((l) => l.code === 'KRW-ETH')).toBe(true);
    expect(a.lines.some((l) => l.ev === 'trade')).toBe(false);
    // ...with the exchange's digits (strings printed from Decimals built from the frame's text).
    expect(ta.price).toMatch(/^\d+$/);
    expect(String(ta.change)).toMatch(/^-?\d+(\.\d+)?(e-\d+)?$/);
    expect(tb.volume).toMatch(/^\d+(\.\d+)?$/);
    expect(String(tb.id)).toMatch(/^\d{15,}$/); // sequential ids above 2^53 keep every digit

    // a leaves cleanly: its code goes at once.
    a.send('close');
    expect(await a.exited()).toBe(0);
    await waitFor(() => sameUnion(sys.mock, ['ticker|KRW-ETH', 'trade|KRW-XRP']), {
      message: 'the union shrinking after a left',
      describe: () => openPublic(sys.mock),
      timeoutMs: 10_000,
    });
    // c crashes (kill -9): its lease expires and its code goes too.
    const c = spawnFixture('consumer', { nats: sys.nats.url, id: 'c', ticker: ['KRW-SOL'] });
    await c.next((l) => l.ev === 'ticker', 'c receiving');
    await waitFor(() => sameUnion(sys.mock, ['ticker|KRW-ETH', 'ticker|KRW-SOL', 'trade|KRW-XRP']), { message: 'c in the union', timeoutMs: 10_000 });
    c.proc.kill('SIGKILL');
    await c.exited();
    await waitFor(() => sameUnion(sys.mock, ['ticker|KRW-ETH', 'trade|KRW-XRP']), {
      message: 'the union shrinking after c was killed',
      describe: () => openPublic(sys.mock),
      timeoutMs: 10_000,
    });
    // b never stopped receiving.
    const seen = b.lines.length;
    await b.next((l, i = b.lines.indexOf(l)) => i >= seen && l.ev === 'ticker', 'b still receiving');
  });

  it('a late joiner gets the last value at once, marked SNAPSHOT; a value of an older epoch is dropped', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const first = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 1500 });
    let last: Ticker | undefined;
    await first.client('first').subscribeTicker(['KRW-BTC'], (t) => (last = t));
    await waitFor(() => last?.streamType === 'REALTIME', { step: () => sys.mock.tick(), message: 'first receiving' });
    // The market stops. A late joiner in another connection still gets the latest value at once.
    // Wait until the last tick the mock made has gone all the way through.
    await waitFor(() => last?.timestamp === sys.mock.ticker('KRW-BTC').timestamp && first.status().metrics.received === gw.metrics.published, {
      message: 'first caught up with the market',
    });
    const want = last!.tradePrice.toString();
    const late = await connectGateway({ servers: sys.nats.url, leaseTtlMs: 1500 });
    const got: Ticker[] = [];
    await late.client('late').subscribeTicker(['KRW-BTC'], (t) => got.push(t));
    await waitFor(() => got.length > 0, { message: 'the late joiner served without any new tick' });
    expect(got[0].streamType).toBe('SNAPSHOT');
    expect(got[0].tradePrice.toString()).toBe(want);
    expect(got[0].epoch).toBe(gw.health().epochs.public);

    // A value stored under an older epoch (before a reconnect or takeover) is not served.
    const stale = headers();
    stale.set(HEADER.version, PAYLOAD_VERSION);
    stale.set(HEADER.epoch, String(gw.health().epochs.public - 1));
    const nc = await connect({ servers: sys.nats.url });
    // Published with an ack, so it is stored before the late joiner looks.
    await jetstream(nc).publish('upbit.ticker.KRW-XRP', encodeEvent({ ...sys.mock.ticker('KRW-XRP'), streamType: 'REALTIME' }, 'DEFAULT'), { headers: stale });
    await nc.close();
    const xrp: Ticker[] = [];
    await late.client('xrp').subscribeTicker(['KRW-XRP'], (t) => xrp.push(t));
    await waitFor(() => late.status().metrics.staleDropped === 1, { message: 'the stale value dropped' });
    // The stale value never reached the subscription. (The gateway's own fresh snapshot of XRP, sent
    // when its hub subscribed, may already have: it carries the current epoch.)
    expect(xrp.filter((t) => t.epoch !== gw.health().epochs.public)).toEqual([]);
    await waitFor(() => xrp.length > 0, { step: () => sys.mock.tick(), message: 'live XRP after the stale one' });
    expect(xrp[0].epoch).toBe(gw.health().epochs.public);
    await late.close();
    await first.close();
  });

  it('a bad code is refused locally with a typed error and nothing reaches the gateway', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    const before = gw.metrics.heartbeats;
    await expect(conn.client('x').subscribeTicker(['krw-btc'], () => {})).rejects.toBeInstanceOf(UpbitValidationError);
    expect(gw.consumers().flatMap(([, w]) => w)).toEqual([]);
    expect(gw.metrics.heartbeats).toBe(before);
    await conn.close();
  });
});
