/**
 * Private reconciliation wired into the hub (issue 9 part 6), against the mock exchange: the hub
 * hears the private connection's health, every socket myOrder / myAsset passes the reconciler
 * before routing, and REST events reach myOrder subscribers stamped with the current private
 * epoch and `source: 'rest'`.
 *
 * How to read: one long story per test; `states()` lists what the component saw for one order as
 * `state:source`.
 */
import { describe, expect, it } from 'vitest';
import { hubInternals } from '../../src/actors/hub.js';
import type { Stamped } from '../../src/actors/router.js';
import type { MyAsset, MyOrder } from '../../src/io/index.js';
import { DEFAULT_MOCK_KEY } from '../../src/mock/index.js';
import { expected, liveUnion, sameSet, startSystem, waitFor } from './helpers.js';

type Seen = Stamped<MyOrder & { source?: 'rest' }>;

async function privateSystem() {
  const sys = await startSystem({ credentials: DEFAULT_MOCK_KEY, reconcile: { pollAfterMs: 20, pollIntervalMs: 20 } });
  const rec = hubInternals(sys.hub).rest.reconciler!;
  const seen: Seen[] = [];
  const c = sys.hub.client('trader');
  await c.subscribeMyOrder(undefined, (o) => void seen.push(o));
  const subscribed = () => {
    const u = liveUnion(sys.mock, 'private');
    return u && sameSet(u, expected({ type: 'myOrder' }));
  };
  return { ...sys, rec, seen, c, subscribed };
}

describe('private reconciliation in the hub', () => {
  it('socket refused → REST events flow (current epoch, source rest); socket back → polling stops; a fill of the gap reaches the component once', async () => {
    const { mock, hub, rec, seen, subscribed } = await privateSystem();
    await waitFor(subscribed, { message: 'private subscribed' });
    await waitFor(() => rec.metrics.passes >= 1, { message: 'baseline pass' });
    await rec.idle();

    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '0.0123', fills: 0 });
    const states = () => seen.filter((e) => e.uuid === order.uuid).map((e) => `${e.state}:${e.source ?? 'socket'}`);
    await waitFor(() => states().length === 1, { message: 'socket wait' });

    mock.refuseConnections();
    mock.disconnect('private');
    await waitFor(() => rec.polling, { message: 'polling while the private socket is refused' });
    mock.fillOrder(order.uuid, { volume: '0.0023' }); // nobody is connected to see it
    await waitFor(() => states().length === 2, { message: 'the fill of the gap, through REST' });
    const fromRest = seen.at(-1)!;
    expect(fromRest.source).toBe('rest');
    expect(fromRest.executedVolume!.toFixed()).toBe('0.0023');
    expect(fromRest.epoch).toBe(hub.status().epochs.private);

    mock.acceptConnections();
    await waitFor(() => !rec.polling && subscribed(), { message: 'socket back, polling off' });
    await rec.idle();
    const polls = rec.metrics.polls;
    mock.fillOrder(order.uuid); // the rest of it: the socket tells
    await waitFor(() => states().includes('done:socket'), { message: 'socket done' });
    await rec.idle();
    // The gap's fill once (through REST), then the socket's own trade and done: one stream.
    expect(states()).toEqual(['wait:socket', 'wait:rest', 'trade:socket', 'done:socket']);
    expect(rec.metrics.polls).toBe(polls);
  });

  it('an order filled completely during a reconnect gap is told once (by the reconnect pass), never again', async () => {
    const { mock, rec, seen, subscribed } = await privateSystem();
    await waitFor(subscribed, { message: 'private subscribed' });
    await waitFor(() => rec.metrics.passes >= 1, { message: 'baseline pass' });
    await rec.idle();
    const order = mock.placeOrder({ code: 'KRW-ETH', side: 'ask', ordType: 'limit', price: '5000000', volume: '0.5', fills: 0 });
    const done = () => seen.filter((e) => e.uuid === order.uuid && e.state === 'done');
    await waitFor(() => seen.some((e) => e.uuid === order.uuid), { message: 'socket wait' });

    // A short gap: the socket drops and comes back at once (no polling: pollAfterMs not reached, or reached; either way once).
    mock.disconnect('private');
    mock.fillOrder(order.uuid);
    await waitFor(() => done().length >= 1, { message: 'the fill of the gap' });
    await waitFor(subscribed, { message: 'resubscribed' });
    const passes = rec.metrics.passes;
    await waitFor(() => rec.metrics.passes > passes || !rec.polling, { message: 'settled' });
    await rec.idle();
    expect(done()).toHaveLength(1);
    expect(rec.metrics.restOrders + rec.metrics.socketDuplicates).toBeGreaterThanOrEqual(1);
  });

  it('every socket myOrder / myAsset passes the reconciler before routing: a duplicated frame reaches the component once', async () => {
    const { mock, hub, rec, seen } = await privateSystem();
    const assets: MyAsset[] = [];
    await hub.client('wallet').subscribeMyAsset((a) => void assets.push(a));
    await waitFor(() => sameSet(liveUnion(mock, 'private') ?? [], expected({ type: 'myOrder' }, { type: 'myAsset' })), { message: 'private subscribed' });
    await waitFor(() => rec.metrics.passes >= 1, { message: 'baseline pass' });
    await rec.idle();
    mock.duplicateFrames(true, 'private');
    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '1000', volume: '1', fills: 0 });
    await waitFor(() => rec.metrics.socketDuplicates >= 2, { message: 'the duplicates seen and dropped' });
    await rec.idle();
    // Every frame came twice; the component saw each event once (a REST pass may add its own, never a copy).
    expect(seen.filter((e) => e.uuid === order.uuid && e.source === undefined)).toHaveLength(1);
    const socketAssets = assets.filter((a) => (a as MyAsset & { source?: string }).source === undefined).map((a) => a.assetUuid);
    expect(socketAssets.length).toBeGreaterThanOrEqual(1);
    expect(new Set(socketAssets).size).toBe(socketAssets.length);
  });

  it('getToken() only: no reconciler (documented)', async () => {
    const { hub } = await startSystem({ getToken: async () => 'x' });
    expect(hubInternals(hub).rest.reconciler).toBeUndefined();
  });
});
