import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/io/index.js';
import type { MyAsset, MyOrder, UpbitMessage } from '../../src/io/index.js';
import { MockOrderError } from '../../src/mock/index.js';
import { D } from '../../src/mock/num.js';
import { connect, connectPrivate, jwt, mock, request, ticket } from './helpers.js';
import type { Client } from './helpers.js';

const KEYS = [
  { accessKey: 'access-A', secretKey: 'secret-A-0123456789', balances: { KRW: '100000000', BTC: '1' } },
  { accessKey: 'access-B', secretKey: 'secret-B-0123456789' },
];

async function drain(c: Client): Promise<UpbitMessage[]> {
  c.send('PING');
  const out: UpbitMessage[] = [];
  for (;;) {
    const [m] = decodeFrame((await c.next()).data);
    if (m.type === 'status') return out;
    out.push(m);
  }
}

const bearer = async (accessKey: string, secretKey: string, opts: Parameters<typeof jwt>[2] = {}) => ({
  headers: { Authorization: `Bearer ${await jwt(accessKey, secretKey, opts)}` },
});

describe('private handshake (JWT)', () => {
  it.each(['HS256', 'HS512'])('accepts %s tokens signed with the raw secret string', async (alg) => {
    const m = await mock({ keys: KEYS });
    const c = await connect(m.privateUrl, await bearer('access-A', 'secret-A-0123456789', { alg }));
    await request(m, c, [ticket(), { type: 'myOrder' }, { type: 'myAsset' }]);
    expect(await drain(c)).toEqual([]);
    expect(m.connections()[0]).toMatchObject({ endpoint: 'private', accessKey: 'access-A', closed: false });
  });

  const failures: [string, () => Promise<{ headers?: Record<string, string> }>][] = [
    ['HS384', () => bearer('access-A', 'secret-A-0123456789', { alg: 'HS384' })],
    ['an unknown access key', () => bearer('nobody', 'secret-A-0123456789')],
    ['a wrong secret', () => bearer('access-A', 'not-the-secret')],
    ['no Authorization header', async () => ({})],
    ['no nonce', () => bearer('access-A', 'secret-A-0123456789', { nonce: '' })],
  ];
  it.each(failures)('refuses %s with HTTP 401 and an INVALID_AUTH body (the default)', async (_why, headers) => {
    const m = await mock({ keys: KEYS });
    const c = await connect(m.privateUrl, await headers(), true);
    const r = await c.refused();
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.name).toBe('INVALID_AUTH');
    expect(m.stats().authFailures).toBe(1);
    expect(m.connections()).toEqual([]);
  });

  it.each(failures)('refuses %s with an INVALID_AUTH frame, then closes (authFailure: "error-frame")', async (_why, headers) => {
    const m = await mock({ keys: KEYS, authFailure: 'error-frame' });
    const c = await connect(m.privateUrl, await headers());
    const f = (await c.next()).json();
    expect(f.error.name).toBe('INVALID_AUTH');
    expect((await c.closed).code).toBe(1008);
    expect(m.stats().authFailures).toBe(1);
  });

  it('refuses a reused nonce', async () => {
    const m = await mock({ keys: KEYS, authFailure: 'error-frame' });
    const opts = await bearer('access-A', 'secret-A-0123456789', { nonce: 'same-nonce' });
    const first = await connect(m.privateUrl, opts);
    first.send('PING');
    expect((await first.next()).json()).toEqual({ status: 'UP' });
    const again = await connect(m.privateUrl, opts);
    expect((await again.next()).json().error.name).toBe('INVALID_AUTH');
  });

  it('ignores client messages on a refused connection', async () => {
    const m = await mock({ keys: KEYS, authFailure: 'error-frame' });
    const c = await connect(m.privateUrl, {});
    c.send([ticket(), { type: 'myAsset' }]);
    await c.closed;
    expect(m.connections()[0].requests).toEqual([]);
  });
});

describe('myOrder and myAsset from the simulated account', () => {
  it('limit bid: wait, two trades, done — with exact balance arithmetic', async () => {
    const m = await mock({ keys: KEYS });
    const c = await connect(m.privateUrl, await bearer('access-A', 'secret-A-0123456789'));
    await request(m, c, [ticket(), { type: 'myOrder' }, { type: 'myAsset' }]);
    const o = m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '0.01', identifier: 'my-1', fills: 2 });
    const events = await drain(c);
    const orders = events.filter((e) => e.type === 'myOrder') as MyOrder[];
    const assets = events.filter((e) => e.type === 'myAsset') as MyAsset[];
    expect(orders.map((x) => x.state)).toEqual(['wait', 'trade', 'trade', 'done']);
    expect(orders.every((x) => x.uuid === o.uuid && x.identifier === 'my-1' && x.askBid === 'BID' && x.orderType === 'limit')).toBe(true);
    const fee = new D('0.0005');
    const funds = new D('135000000').times('0.01'); // 1,350,000
    const locked = funds.plus(funds.times(fee)); // 1,350,675
    expect(orders[0].locked!.eq(locked)).toBe(true);
    expect(orders[0].reservedFee!.eq(funds.times(fee))).toBe(true);
    expect(orders[0].tradeUuid).toBeNull();
    const [t1, t2] = [orders[1], orders[2]];
    expect(t1.volume!.plus(t2.volume!).eq('0.01')).toBe(true);
    expect(t2.executedVolume!.eq('0.01')).toBe(true);
    expect(t2.remainingVolume!.isZero()).toBe(true);
    expect(t1.tradeFee!.eq(t1.price!.times(t1.volume!).times(fee))).toBe(true);
    expect(t2.paidFee!.eq(funds.times(fee))).toBe(true);
    expect(t2.tradesCount).toBe(2);
    expect(t1.tradeUuid).not.toBe(t2.tradeUuid);
    expect(t1.isMaker).toBe(false);
    expect(orders[3].locked!.isZero()).toBe(true);
    expect(orders[3].avgPrice!.eq('135000000')).toBe(true);
    // myAsset: lock, then each fill moves KRW and BTC
    expect(assets[0].assets.map((a) => [a.currency, a.balance.toString(), a.locked.toString()])).toEqual([
      ['KRW', new D('100000000').minus(locked).toString(), locked.toString()],
    ]);
    const final = new Map(assets.at(-1)!.assets.map((a) => [a.currency, a]));
    expect(final.get('KRW')!.balance.eq(new D('100000000').minus(locked))).toBe(true);
    expect(final.get('KRW')!.locked.isZero()).toBe(true);
    expect(final.get('BTC')!.balance.eq('1.01')).toBe(true);
    const b = m.balances('access-A');
    expect(b.KRW.balance.eq('98649325')).toBe(true);
    expect(b.BTC.balance.eq('1.01')).toBe(true);
  });

  it('market sell fills at the best bid; market buy spends funds and refunds the rest', async () => {
    const m = await mock({ keys: KEYS });
    const c = await connect(m.privateUrl, await bearer('access-A', 'secret-A-0123456789'));
    await request(m, c, [ticket(), { type: 'myOrder', codes: ['KRW-BTC'] }, { type: 'myAsset' }]);
    const bid = m.orderbook('KRW-BTC')!.orderbookUnits[0].bidPrice;
    m.placeOrder({ code: 'KRW-BTC', side: 'ask', ordType: 'market', volume: '0.5' });
    const sell = (await drain(c)).filter((e) => e.type === 'myOrder') as MyOrder[];
    expect(sell.map((x) => x.state)).toEqual(['wait', 'trade', 'done']);
    expect(sell[0].price).toBeNull();
    expect(sell[1].price!.eq(bid)).toBe(true);
    const proceeds = bid.times('0.5');
    expect(m.balances('access-A').KRW.balance.eq(new D('100000000').plus(proceeds).minus(proceeds.times('0.0005')))).toBe(true);

    const ask = m.orderbook('KRW-BTC')!.orderbookUnits[0].askPrice;
    const krw = m.balances('access-A').KRW.balance;
    m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'price', price: '1000000' });
    const buy = (await drain(c)).filter((e) => e.type === 'myOrder') as MyOrder[];
    expect(buy.map((x) => x.state)).toEqual(['wait', 'trade', 'done']);
    expect(buy[0].volume).toBeNull();
    const vol = new D('1000000').div(ask).toDecimalPlaces(8, D.ROUND_DOWN);
    expect(buy[1].volume!.eq(vol)).toBe(true);
    const spent = ask.times(vol);
    expect(m.balances('access-A').KRW.balance.eq(krw.minus(spent).minus(spent.times('0.0005')))).toBe(true);
    expect(m.balances('access-A').KRW.locked.isZero()).toBe(true);
  });

  it('a resting order can be partly filled, then cancelled, unlocking the rest exactly', async () => {
    const m = await mock({ keys: KEYS });
    const c = await connect(m.privateUrl, await bearer('access-A', 'secret-A-0123456789'));
    await request(m, c, [ticket(), { type: 'myOrder' }, { type: 'myAsset' }]);
    const o = m.placeOrder({ code: 'KRW-BTC', side: 'ask', ordType: 'limit', price: '140000000', volume: '0.3', fills: 0 });
    expect(o.state).toBe('wait');
    m.fillOrder(o.uuid, { volume: '0.1' });
    m.cancelOrder(o.uuid);
    const orders = (await drain(c)).filter((e) => e.type === 'myOrder') as MyOrder[];
    expect(orders.map((x) => x.state)).toEqual(['wait', 'trade', 'cancel']);
    expect(orders[1].isMaker).toBe(true);
    expect(orders[2].remainingVolume!.eq('0.2')).toBe(true);
    expect(orders[2].executedVolume!.eq('0.1')).toBe(true);
    const b = m.balances('access-A');
    expect(b.BTC.balance.eq('0.9')).toBe(true);
    expect(b.BTC.locked.isZero()).toBe(true);
    const proceeds = new D('14000000');
    expect(b.KRW.balance.eq(new D('100000000').plus(proceeds).minus(proceeds.times('0.0005')))).toBe(true);
    expect(() => m.cancelOrder(o.uuid)).toThrow(MockOrderError);
  });

  it('refuses orders the account cannot pay for', async () => {
    const m = await mock({ keys: KEYS });
    expect(() => m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '10' })).toThrow(
      /insufficient_funds_bid/,
    );
    expect(() => m.placeOrder({ accessKey: 'access-B', code: 'KRW-BTC', side: 'ask', ordType: 'market', volume: '2' })).toThrow(
      /insufficient_funds_ask/,
    );
  });

  it('sends myOrder only for subscribed codes and only to the order’s key', async () => {
    const m = await mock({ keys: KEYS });
    const a = await connect(m.privateUrl, await bearer('access-A', 'secret-A-0123456789'));
    const b = await connect(m.privateUrl, await bearer('access-B', 'secret-B-0123456789'));
    await request(m, a, [ticket(), { type: 'myOrder', codes: ['KRW-ETH'] }]);
    await request(m, b, [ticket(), { type: 'myOrder' }, { type: 'myAsset' }]);
    m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'price', price: '10000' });
    expect(await drain(a)).toEqual([]);
    expect(await drain(b)).toEqual([]);
    m.placeOrder({ code: 'KRW-ETH', side: 'bid', ordType: 'price', price: '10000' });
    expect((await drain(a)).map((e) => (e as MyOrder).state)).toEqual(['wait', 'trade', 'done']);
  });

  it('private frames follow the connection format (SIMPLE)', async () => {
    const m = await mock();
    const c = await connectPrivate(m);
    await request(m, c, [ticket(), { type: 'myOrder' }, { format: 'SIMPLE' }]);
    m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'price', price: '10000' });
    const f = (await c.next()).json();
    expect(f.ty).toBe('myOrder');
    expect(f.s).toBe('wait');
  });
});

describe('announcements', () => {
  it('filters by category and sends the body only with include_body', async () => {
    const m = await mock();
    const all = await connectPrivate(m);
    const trade = await connectPrivate(m, 'HS256');
    await request(m, all, [ticket(), { type: 'announcement', include_body: true }]);
    await request(m, trade, [ticket(), { type: 'announcement', categories: ['trade'] }]);
    m.publishAnnouncement({ title: 'Maintenance', category: 'maintenance', body: '# Down at 3am' });
    m.publishAnnouncement({ title: 'New market', category: 'trade', body: 'KRW-NEW' });
    const [a1, a2] = (await drain(all)) as Extract<UpbitMessage, { type: 'announcement' }>[];
    expect([a1.title, a1.category, a1.body]).toEqual(['Maintenance', 'maintenance', '# Down at 3am']);
    expect(a2.title).toBe('New market');
    expect(a1.listedAt).toMatch(/\+09:00$/);
    const onlyTrade = await drain(trade);
    expect(onlyTrade.map((x) => (x as { title: string }).title)).toEqual(['New market']);
    expect(trade.frames.at(-2)!.json()).not.toHaveProperty('body');
  });

  it('validates categories (INVALID_PARAM) and refuses announcement on the public endpoint', async () => {
    const m = await mock();
    const p = await connectPrivate(m);
    p.send([ticket(), { type: 'announcement', categories: ['rumours'] }]);
    expect((await p.next()).json().error.name).toBe('INVALID_PARAM');
    const pub = await connect(m.url);
    pub.send([ticket(), { type: 'announcement' }]);
    expect((await pub.next()).json().error.name).toBe('INVALID_PARAM');
    expect(() => m.publishAnnouncement({ title: 'x', category: 'rumours' })).toThrow(RangeError);
  });
});
