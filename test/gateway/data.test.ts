/**
 * What lands on the subjects: one message per event however many consumers want it (one proxy
 * publishes), the deepest book wanted with each consumer cutting its own depth (exact totals),
 * trades de-duplicated by message id, and the payload readable by any NATS client as Upbit's
 * DEFAULT JSON with the version and epoch headers.
 */
import { describe, expect, it } from 'vitest';
import { headers } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { connectGateway } from '../../src/gateway/index.js';
import { HEADER } from '../../src/gateway/subjects.js';
import { Decimal, type Candle, type MyOrder, type Orderbook, type Ticker, type Trade } from '../../src/io/index.js';
import type { Stamped } from '../../src/index.js';
import { openPublic, startBackends, startTestGateway, waitFor } from './helpers.js';

describe('gateway data', () => {
  it('each event is published once however many consumers want it', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const [a, b] = await Promise.all([connectGateway({ servers: sys.nats.url }), connectGateway({ servers: sys.nats.url })]);
    const got: Record<string, Stamped<Ticker>[]> = { a: [], b: [] };
    const subA = await a.client('a').subscribeTicker(['KRW-BTC'], (t) => got.a.push(t));
    const subB = await b.client('b').subscribeTicker(['KRW-BTC', 'KRW-ETH'], (t) => got.b.push(t));
    await waitFor(() => JSON.stringify(openPublic(sys.mock)) === JSON.stringify([['ticker|KRW-BTC', 'ticker|KRW-ETH']]), { message: 'union' });
    const caughtUp = () =>
      got.a.at(-1)?.timestamp === sys.mock.ticker('KRW-BTC').timestamp &&
      got.b.filter((t) => t.code === 'KRW-ETH').at(-1)?.timestamp === sys.mock.ticker('KRW-ETH').timestamp &&
      got.b.filter((t) => t.code === 'KRW-BTC').at(-1)?.timestamp === sys.mock.ticker('KRW-BTC').timestamp;
    sys.mock.tick();
    await waitFor(caughtUp, { message: 'both receiving' });
    const published = gw.metrics.published;
    const [na, nb] = [got.a.length, got.b.length];
    for (let i = 0; i < 20; i++) sys.mock.tick();
    await waitFor(caughtUp, { message: 'both caught up' });
    const newA = got.a.slice(na);
    const newB = got.b.slice(nb);
    expect(newA).toHaveLength(20);
    expect(newA.map((t) => t.timestamp)).toEqual(newB.filter((t) => t.code === 'KRW-BTC').map((t) => t.timestamp));
    // 20 BTC tickers + 20 ETH tickers, each published once although two consumers want BTC.
    expect(gw.metrics.published - published).toBe(newB.length);
    expect(newB).toHaveLength(40);
    void [subA, subB]; // (held until here: a client nobody holds is cleaned up after garbage collection)
    await Promise.all([a.close(), b.close()]);
  });

  it('the deepest book wanted is published; each consumer cuts its depth with exact totals', async () => {
    const sys = await startBackends();
    await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    const five: Stamped<Orderbook>[] = [];
    const fifteen: Stamped<Orderbook>[] = [];
    const sub5 = await conn.client('five').subscribeOrderbook(['KRW-BTC'], (o) => five.push(o), { depth: 5 });
    const sub15 = await conn.client('fifteen').subscribeOrderbook(['KRW-BTC'], (o) => fifteen.push(o), { depth: 15 });
    await waitFor(() => JSON.stringify(sys.mock.connections().filter((c) => !c.closed).map((c) => c.subscriptions.map((s) => (s as { codes?: string[] }).codes))) === '[[["KRW-BTC.15"]]]', {
      message: 'the gateway asking for the deepest book wanted',
    });
    await waitFor(() => five.length > 1 && fifteen.length > 1, { step: () => sys.mock.tick(), message: 'books' });
    const b5 = five.at(-1)!;
    expect(b5.orderbookUnits).toHaveLength(5);
    expect(fifteen.at(-1)!.orderbookUnits).toHaveLength(15);
    const sum = (side: 'askSize' | 'bidSize') => b5.orderbookUnits.reduce((s, u) => s.plus(u[side]), new Decimal(0));
    expect(b5.totalAskSize.equals(sum('askSize'))).toBe(true);
    expect(b5.totalBidSize.equals(sum('bidSize'))).toBe(true);
    void [sub5, sub15]; // (held until here: a client nobody holds is cleaned up after garbage collection)
    await conn.close();
  });

  it('payload is DEFAULT JSON with version and epoch headers; a trade published twice is stored once', async () => {
    const sys = await startBackends();
    const gw = await startTestGateway(sys);
    const conn = await connectGateway({ servers: sys.nats.url });
    const nc = await connect({ servers: sys.nats.url });
    const raw: { data: string; epoch: string | undefined; version: string | undefined }[] = [];
    nc.subscribe('upbit.trade.KRW-BTC', {
      callback: (_e, m) => void raw.push({ data: m.string(), epoch: m.headers?.get(HEADER.epoch), version: m.headers?.get(HEADER.version) }),
    });
    const trades: Stamped<Trade>[] = [];
    const subT = await conn.client('t').subscribeTrade(['KRW-BTC'], (t) => trades.push(t));
    await waitFor(() => trades.length > 0 && raw.length > 0, { step: () => sys.mock.tick(), message: 'a trade' });
    const first = JSON.parse(raw[0].data) as Record<string, unknown>;
    expect(first.type).toBe('trade');
    expect(first.code).toBe('KRW-BTC');
    expect(raw[0].data).toContain('"trade_price":');
    expect(raw[0].version).toBe('1');
    expect(Number(raw[0].epoch)).toBe(gw.health().epochs.public);

    // The same trade again (as a second gateway or a re-sent snapshot would publish it).
    const t = trades[0];
    const h = headers();
    h.set(HEADER.epoch, String(gw.health().epochs.public));
    h.set(HEADER.msgId, `${t.code}:${t.sequentialId}`);
    const n = trades.length;
    const ack = await (await import('@nats-io/jetstream')).jetstream(nc).publish('upbit.trade.KRW-BTC', raw[0].data, { headers: h });
    expect(ack.duplicate).toBe(true);
    sys.mock.tick();
    await waitFor(() => trades.length > n, { message: 'the next trade' });
    expect(trades.filter((x) => x.sequentialId === t.sequentialId)).toHaveLength(1);
    void subT; // (held until here: a client nobody holds is cleaned up after garbage collection)
    await conn.close();
    await nc.close();
  });

  it('private events and candles travel on their subjects with exact decimals', async () => {
    const sys = await startBackends();
    await startTestGateway(sys, {
      account: 'desk1',
      hub: { url: sys.mock.url, privateUrl: sys.mock.privateUrl, credentials: sys.mock.keys[0], pendingWindow: 10 },
    });
    const conn = await connectGateway({ servers: sys.nats.url, account: 'desk1' });
    const nc = await connect({ servers: sys.nats.url });
    const subjects: string[] = [];
    nc.subscribe('upbit.>', { callback: (_e, m) => void subjects.push(m.subject) });
    const client = conn.client('desk');
    const orders: Stamped<MyOrder>[] = [];
    const candles: Stamped<Candle>[] = [];
    await client.subscribeMyOrder(['KRW-ETH'], (o) => orders.push(o));
    await client.subscribeCandle('1s', ['KRW-BTC'], (c) => candles.push(c));
    await waitFor(() => sys.mock.connections().some((c) => c.endpoint === 'private' && !c.closed && c.subscriptions.length > 0), { message: 'private socket subscribed' });
    sys.mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001', fills: 0 });
    sys.mock.placeOrder({ code: 'KRW-ETH', side: 'bid', ordType: 'limit', price: '5000000.5', volume: '0.12345678', fills: 0 });
    await waitFor(() => orders.length > 0 && candles.length > 0, { step: () => sys.mock.tick(), message: 'an order and a candle' });
    expect(orders.every((o) => o.code === 'KRW-ETH')).toBe(true); // codes filtered on the consumer side
    expect(orders[0].price!.toString()).toBe('5000000.5');
    expect(orders[0].volume!.toString()).toBe('0.12345678');
    // The raw subscriber reads on its own connection: it may see the messages a moment later.
    await waitFor(() => subjects.includes('upbit.private.desk1.myOrder') && subjects.includes('upbit.candle.1s.KRW-BTC'), {
      message: 'the raw subscriber seeing both subjects',
      describe: () => [...new Set(subjects)],
    });
    await conn.close();
    await nc.close();
  });
});
