/**
 * The signed REST reads against the mock's simulated account: accounts, open orders, closed
 * orders — JWT with a query hash, values exact against the served strings — and the typed
 * errors for wrong or missing keys. No secret is reachable from the client object.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Credentials, createRestClient, REST_ACCOUNT, REST_ORDER, signRestToken, UpbitRestError } from '../../src/io/index.js';
import type { MockUpbit } from '../../src/mock/index.js';
import { mock } from '../mock/helpers.js';
import { expectServed, served } from './rest-helpers.js';

async function setup() {
  const m = await mock({ markets: ['KRW-BTC', 'KRW-ETH'] });
  const rest = createRestClient({ origin: m.restUrl, credentials: m.keys[0] });
  return { m, rest };
}

/** What the mock serves for a signed GET, fetched outside the client. */
async function signedServed(m: MockUpbit, path: string, query = '') {
  const token = await signRestToken(new Credentials(m.keys[0]), query);
  return served(m, `${path}${query ? `?${query}` : ''}`, { authorization: `Bearer ${token}` });
}

describe('signed reads', () => {
  it('accounts: every currency, exact (strings on the wire)', async () => {
    const { m, rest } = await setup();
    m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '0.0123', fills: 0 });
    const got = await rest.accounts();
    expectServed(got, (await signedServed(m, '/v1/accounts')).body, REST_ACCOUNT);
    const krw = got.find((a) => a.currency === 'KRW')!;
    const b = m.balances().KRW;
    expect(krw.balance.eq(b.balance) && krw.locked.eq(b.locked)).toBe(true);
    expect(krw.locked.toFixed()).toBe('1661330.25'); // 135000000 × 0.0123 × 1.0005
  });

  it('openOrders: wait orders, filtered by market, paged; smp_type as Upbit sends it today', async () => {
    const { m, rest } = await setup();
    const a = m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001', fills: 0, identifier: 'a' });
    const b = m.placeOrder({ code: 'KRW-ETH', side: 'ask', ordType: 'limit', price: '9000000', volume: '0.5', fills: 0, smpType: 'none' });
    m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001' }); // filled: not open
    const open = await rest.openOrders();
    expect(open.map((o) => o.uuid)).toEqual([b.uuid, a.uuid]);
    expectServed(open, (await signedServed(m, '/v1/orders/open')).body, REST_ORDER);
    expect(open[1]).toMatchObject({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', state: 'wait', identifier: 'a', smpType: 'cancel_maker' });
    expect(open[0].smpType).toBe('none');
    expect((await rest.openOrders({ market: 'KRW-BTC' })).map((o) => o.uuid)).toEqual([a.uuid]);
    expect((await rest.openOrders({ limit: 1, page: 2 })).map((o) => o.uuid)).toEqual([a.uuid]);
    expect(await rest.openOrders({ states: ['watch'] })).toEqual([]);
  });

  it('closedOrders: done and cancelled orders, by state, market and time', async () => {
    const { m, rest } = await setup();
    const done = m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001', fills: 2 });
    m.tick(20);
    const cancelled = m.placeOrder({ code: 'KRW-ETH', side: 'ask', ordType: 'limit', price: '9000000', volume: '0.5', fills: 0 });
    m.cancelOrder(cancelled.uuid);
    const closed = await rest.closedOrders();
    expect(closed.map((o) => [o.uuid, o.state])).toEqual([
      [cancelled.uuid, 'cancel'],
      [done.uuid, 'done'],
    ]);
    expectServed(closed, (await signedServed(m, '/v1/orders/closed')).body, REST_ORDER);
    expect(closed[1].executedVolume!.toFixed()).toBe('0.001');
    expect(closed[1].tradesCount).toBe(2);
    expect((await rest.closedOrders({ states: ['done'] })).map((o) => o.uuid)).toEqual([done.uuid]);
    expect((await rest.closedOrders({ market: 'KRW-ETH' })).map((o) => o.uuid)).toEqual([cancelled.uuid]);
    expect((await rest.closedOrders({ startTime: cancelled.createdAt })).map((o) => o.uuid)).toEqual([cancelled.uuid]);
    expect((await rest.closedOrders({ limit: 1 })).map((o) => o.uuid)).toEqual([cancelled.uuid]);
  });

  it('signs each call with a fresh nonce and the hash of the exact query string', async () => {
    const { m, rest } = await setup();
    await rest.closedOrders({ market: 'KRW-BTC', states: ['done', 'cancel'], startTime: 0, limit: 5 });
    await rest.closedOrders({ market: 'KRW-BTC', states: ['done', 'cancel'], startTime: 0, limit: 5 }); // a reused nonce would be 401
    expect(m.restLog.map((r) => r.status)).toEqual([200, 200]);
    expect(m.restLog[0].url).toBe('/v1/orders/closed?market=KRW-BTC&states[]=done&states[]=cancel&start_time=1970-01-01T00:00:00.000Z&limit=5');
  });
});

describe('signed errors', () => {
  it('wrong keys: UpbitRestError 401 with the string error name', async () => {
    const m = await mock();
    const rest = createRestClient({ origin: m.restUrl, credentials: { accessKey: m.keys[0].accessKey, secretKey: 'wrong' } });
    const err = await rest.accounts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpbitRestError);
    expect(err).toMatchObject({ status: 401, serverName: 'jwt_verification' });
  });

  it('no keys: INVALID_OPTION before any request', async () => {
    const m = await mock();
    const rest = createRestClient({ origin: m.restUrl });
    await expect(rest.openOrders()).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(m.stats().rest.requests).toBe(0);
  });

  it('the secret key is not reachable from the client', async () => {
    const { m, rest } = await setup();
    const secret = m.keys[0].secretKey;
    expect(inspect(rest, { depth: 10, showHidden: true })).not.toContain(secret);
    expect(JSON.stringify(rest)).not.toContain(secret);
  });
});
