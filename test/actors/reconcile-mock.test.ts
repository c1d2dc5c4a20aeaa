/**
 * PrivateReconciler with real pieces: the REST → event mapping checked against the mock exchange's
 * signed REST answers and the private socket's events for the same order (Decimal for Decimal),
 * and a gap on the real hub's private socket. The hub's wiring (socket up/down → reconciler) is
 * stood in for by a watcher of `hub.status().private`; the REST client by signed `fetch`es.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PrivateReconciler, assetFromRest, orderFromRest, type PrivateRest, type RestAccount, type RestOrder } from '../../src/actors/reconcile.js';
import { Credentials, Decimal, signRestToken, type MyAsset, type MyOrder } from '../../src/io/index.js';
import { DEFAULT_MOCK_KEY, type MockUpbit } from '../../src/mock/index.js';
import { expected, liveUnion, sameSet, startSystem, waitFor } from '../integration/helpers.js';

/** Signed GETs against the mock's REST (the REST client's job once it exists). */
function mockRest(mock: MockUpbit): PrivateRest & { get(path: string, query?: string): Promise<unknown> } {
  const creds = new Credentials(DEFAULT_MOCK_KEY);
  const get = async (path: string, query = '') => {
    const token = await signRestToken(creds, query);
    const res = await fetch(`${mock.restUrl}${path}${query ? `?${query}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  return {
    get,
    accounts: () => get('/v1/accounts') as Promise<RestAccount[]>,
    openOrders: () => get('/v1/orders/open') as Promise<RestOrder[]>,
    closedOrders: async () => [], // the mock has no /v1/orders/closed yet
  };
}

describe('mapping against the mock exchange', () => {
  it('a REST open order and account equal the socket events of the same order, Decimal for Decimal', async () => {
    const { mock, hub } = await startSystem({ credentials: DEFAULT_MOCK_KEY });
    const { get } = mockRest(mock);
    const orders: MyOrder[] = [];
    const assets: MyAsset[] = [];
    const c = hub.client('trader');
    await c.subscribeMyOrder(undefined, (o) => orders.push(o));
    await c.subscribeMyAsset((a) => assets.push(a));
    await waitFor(
      () => {
        const u = liveUnion(mock, 'private');
        return u && sameSet(u, expected({ type: 'myOrder' }, { type: 'myAsset' }));
      },
      { message: 'private request with myOrder + myAsset' },
    );
    const placed = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '0.0123', fills: 0 });
    await waitFor(() => orders.length >= 1 && assets.length >= 1, { message: 'socket wait + lock' });

    const [rest] = (await get('/v1/orders/open', 'market=KRW-BTC')) as RestOrder[];
    const fromRest = orderFromRest(rest, 0);
    const fromSocket = orders[0];
    expect(fromRest.uuid).toBe(placed.uuid);
    for (const k of ['price', 'volume', 'remainingVolume', 'executedVolume', 'reservedFee', 'remainingFee', 'paidFee', 'locked', 'executedFunds'] as const) {
      const a = fromRest[k];
      const b = fromSocket[k];
      expect(a, k).toBeInstanceOf(Decimal);
      expect(b, k).toBeInstanceOf(Decimal);
      expect(a!.eq(b!) && a!.toFixed() === b!.toFixed(), `${k}: ${a} vs ${b}`).toBe(true);
    }
    for (const k of ['code', 'askBid', 'orderType', 'state', 'tradesCount', 'identifier', 'timeInForce'] as const) expect(fromRest[k], k).toEqual(fromSocket[k]);

    const accounts = (await get('/v1/accounts')) as RestAccount[];
    const krw = assetFromRest(accounts.find((a) => a.currency === 'KRW')!);
    const socketKrw = assets[0].assets.find((a) => a.currency === 'KRW')!;
    expect(krw.balance.toFixed()).toBe(socketKrw.balance.toFixed());
    expect(krw.locked.toFixed()).toBe(socketKrw.locked.toFixed());
  });
});

describe('with the real hub and mock (a status watcher stands in for the hub wiring)', () => {
  it('private socket refused → REST events flow; back → polling stops; a fill in the gap reaches the consumer once', async () => {
    const { mock, hub } = await startSystem({ credentials: DEFAULT_MOCK_KEY });
    const seen: Array<MyOrder & { source?: 'rest' }> = [];
    const rec = new PrivateReconciler({
      rest: mockRest(mock),
      emit: (e) => e.type === 'myOrder' && seen.push(e),
      pollAfterMs: 20,
      pollIntervalMs: 20,
    });
    onTestFinished(() => rec.stop());
    // What the hub will do: tell the reconciler when the private socket opens and closes.
    let health: string | undefined;
    const watch = setInterval(() => {
      const h = hub.status().private;
      if (h === health) return;
      health = h;
      if (h === 'open') rec.socketUp();
      else rec.socketDown();
    }, 1);
    onTestFinished(() => clearInterval(watch));
    const c = hub.client('trader');
    await c.subscribeMyOrder(undefined, (o) => rec.ingest(o) && seen.push(o));
    const subscribed = () => {
      const u = liveUnion(mock, 'private');
      return u && sameSet(u, expected({ type: 'myOrder' }));
    };
    await waitFor(subscribed, { message: 'private subscribed' });
    await waitFor(() => rec.metrics.passes >= 1 && health === 'open', { message: 'baseline' });
    await rec.idle();

    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '0.0123', fills: 0 });
    const states = () => seen.filter((e) => e.uuid === order.uuid).map((e) => `${e.state}:${e.source ?? 'socket'}`);
    await waitFor(() => states().length === 1, { message: 'socket wait' });

    mock.refuseConnections();
    mock.disconnect('private');
    await waitFor(() => rec.polling, { message: 'polling while the private socket is refused' });
    mock.fillOrder(order.uuid, { volume: '0.0023' }); // nobody is connected to see it
    await waitFor(() => states().length === 2, { message: 'the fill of the gap, through REST' });
    expect(seen.at(-1)!.executedVolume!.toString()).toBe('0.0023');

    mock.acceptConnections();
    await waitFor(() => !rec.polling && subscribed(), { message: 'socket back, polling off' });
    await rec.idle();
    const polls = rec.metrics.polls;
    mock.fillOrder(order.uuid); // the rest: the socket tells it
    await waitFor(() => states().includes('done:socket'), { message: 'socket done' });
    await rec.idle();
    expect(states()).toEqual(['wait:socket', 'wait:rest', 'trade:socket', 'done:socket']);
    expect(rec.metrics.polls).toBe(polls);
  });
});
