/**
 * The private socket against the mock's simulated account: myOrder and myAsset with the mock's
 * keys (exact decimals, end to end, including values with more significant digits than a double
 * keeps, compared as exact strings), and wrong keys, which must become a typed UnauthorizedError
 * for the private subscribers only while public data keeps flowing.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, UnauthorizedError, type MyAsset, type MyOrder, type UpbitError } from '../../src/io/index.js';
import { DEFAULT_MOCK_KEY } from '../../src/mock/index.js';
import type { Stamped } from '../../src/actors/router.js';
import { Recorder, expected, liveConnection, liveUnion, sameSet, startSystem, waitFor } from './helpers.js';

const assetsOf = (m: MyAsset) => Object.fromEntries(m.assets.map((a) => [a.currency, [a.balance.toString(), a.locked.toString()]]));

describe('private channels', () => {
  it('myOrder and myAsset with the mock keys: exact decimal values', async () => {
    const { mock, hub, tick } = await startSystem({ credentials: DEFAULT_MOCK_KEY });
    const trader = hub.client('trader');
    const orders: Stamped<MyOrder>[] = [];
    const assets: MyAsset[] = [];
    const errors: UpbitError[] = [];
    await trader.subscribeMyOrder(undefined, (o) => orders.push(o), { onError: (e) => errors.push(e) });
    await trader.subscribeMyAsset((a) => assets.push(a), { onError: (e) => errors.push(e) });
    const watcher = hub.client('watcher');
    const tickers = new Recorder(watcher.component, hub);
    await watcher.subscribeTicker(['KRW-BTC'], () => {});

    await waitFor(() => { const u = liveUnion(mock, 'private'); return u && sameSet(u, expected({ type: 'myOrder' }, { type: 'myAsset' })); }, {
      message: 'private request with myOrder + myAsset',
      describe: () => mock.connections(),
    });
    expect(liveConnection(mock, 'private')!.accessKey).toBe(DEFAULT_MOCK_KEY.accessKey);
    // The public socket carries only the public union (once the market list cleared KRW-BTC).
    await waitFor(() => liveUnion(mock, 'public'), { message: 'public request' });
    expect([...liveUnion(mock, 'public')!]).toEqual(['ticker|KRW-BTC|']);

    // A resting limit bid: 0.0123 BTC at 135,000,000 KRW, fee 0.05 %.
    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '135000000', volume: '0.0123', fills: 0 });
    await waitFor(() => orders.length >= 1 && assets.length >= 1, { message: 'wait + lock events' });
    const wait = orders[0];
    expect(wait.uuid).toBe(order.uuid);
    expect(wait.state).toBe('wait');
    expect(wait.code).toBe('KRW-BTC');
    expect(wait.askBid).toBe('BID');
    expect(wait.price!.toString()).toBe('135000000');
    expect(wait.volume!.toString()).toBe('0.0123');
    expect(wait.remainingVolume!.toString()).toBe('0.0123');
    expect(wait.reservedFee!.toString()).toBe('830.25'); // 135000000 × 0.0123 × 0.0005
    expect(wait.locked!.toString()).toBe('1661330.25'); // 1660500 + 830.25
    expect(wait.executedVolume!.isZero()).toBe(true);
    expect(assetsOf(assets[0])).toEqual({ KRW: ['98338669.75', '1661330.25'] });

    // A partial fill of 0.0023 at the order price.
    mock.fillOrder(order.uuid, { volume: '0.0023' });
    await waitFor(() => orders.length >= 2 && assets.length >= 2, { message: 'trade events' });
    const trade = orders[1];
    expect(trade.state).toBe('trade');
    expect(trade.volume!.toString()).toBe('0.0023');
    expect(trade.executedVolume!.toString()).toBe('0.0023');
    expect(trade.remainingVolume!.toString()).toBe('0.01');
    expect(trade.executedFunds!.toString()).toBe('310500');
    expect(trade.tradeFee!.toString()).toBe('155.25');
    expect(trade.paidFee!.toString()).toBe('155.25');
    expect(trade.remainingFee!.toString()).toBe('675');
    expect(trade.locked!.toString()).toBe('1350675'); // 0.01 × 135000000 + 675
    expect(trade.tradesCount).toBe(1);
    expect(assetsOf(assets[1])).toEqual({ KRW: ['98338669.75', '1350675'], BTC: ['1.0023', '0'] });
    // What the mock's books say, to the last digit.
    const bal = mock.balances();
    expect(bal.KRW.balance.toString()).toBe('98338669.75');
    expect(bal.BTC.balance.toString()).toBe('1.0023');

    // Cancel the rest: everything locked comes back.
    mock.cancelOrder(order.uuid);
    await waitFor(() => orders.length >= 3 && assets.length >= 3, { message: 'cancel events' });
    expect(orders[2].state).toBe('cancel');
    expect(assetsOf(assets[2])).toEqual({ KRW: ['99689344.75', '0'] });

    // Public data flowed all along to the other component; nothing private leaked to it.
    await waitFor(() => tickers.count() > 3, { step: tick });
    expect(tickers.events.every((e) => e.type === 'ticker')).toBe(true);
    expect(errors).toEqual([]);
    expect(orders.every((o) => o.epoch === hub.status().epochs.private)).toBe(true);
  });

  it('decimals with more significant digits than a double keeps arrive digit for digit', async () => {
    // Balances, price and volume chosen so that none of them survives a trip through a double:
    // 2^53 + 1 KRW and change, a price 1e-18 above a round number, a volume of 18 digits.
    const key = { ...DEFAULT_MOCK_KEY, balances: { KRW: '9007199254740993.123456789012345678', BTC: '1234567890.123456789012345678' } };
    const { mock, hub } = await startSystem({ credentials: key }, { keys: [key] });
    const trader = hub.client('trader');
    const orders: MyOrder[] = [];
    const assets: MyAsset[] = [];
    await trader.subscribeMyOrder(undefined, (o) => orders.push(o));
    await trader.subscribeMyAsset((a) => assets.push(a));
    await waitFor(() => liveUnion(mock, 'private')?.size === 2, { message: 'private request with myOrder + myAsset' });
    const exact = (d: { toFixed(): string } | null | undefined) => d?.toFixed();
    const assetsExact = (m: MyAsset) => Object.fromEntries(m.assets.map((a) => [a.currency, [a.balance.toFixed(), a.locked.toFixed()]]));

    // A resting limit ask: 1234567890.12345678 BTC at 135000000.000000000000000001 KRW (fee 0.05 %).
    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'ask', ordType: 'limit', price: '135000000.000000000000000001', volume: '1234567890.12345678', fills: 0 });
    await waitFor(() => orders.length >= 1 && assets.length >= 1, { message: 'wait + lock events' });
    expect(orders[0].uuid).toBe(order.uuid);
    expect(exact(orders[0].price)).toBe('135000000.000000000000000001');
    expect(exact(orders[0].volume)).toBe('1234567890.12345678');
    expect(exact(orders[0].remainingVolume)).toBe('1234567890.12345678');
    expect(exact(orders[0].reservedFee)).toBe('83333332583333.33265000000061728394506172839'); // price × volume × 0.0005
    expect(assetsExact(assets[0])).toEqual({ BTC: ['0.000000009012345678', '1234567890.12345678'] });

    // One satoshi fills at the order price.
    mock.fillOrder(order.uuid, { volume: '0.00000001' });
    await waitFor(() => orders.length >= 2 && assets.length >= 2, { message: 'trade events' });
    expect(exact(orders[1].volume)).toBe('0.00000001');
    expect(exact(orders[1].executedFunds)).toBe('1.35000000000000000000000001');
    expect(exact(orders[1].tradeFee)).toBe('0.000675000000000000000000000005');
    expect(exact(orders[1].remainingVolume)).toBe('1234567890.12345677');
    expect(exact(orders[1].remainingFee)).toBe('83333332583333.331975000000617283945061728385');
    expect(assetsExact(assets[1])).toMatchObject({ KRW: ['9007199254740994.472781789012345678000000009995', '0'] });

    // These values do not survive a double (parsed as a JS number, then made a Decimal): the
    // comparisons above could not pass if any step of the way went through one.
    for (const text of ['135000000.000000000000000001', '1234567890.12345678', '1.35000000000000000000000001', '9007199254740994.472781789012345678000000009995']) {
      expect(new Decimal(Number(text)).toFixed()).not.toBe(text);
    }
  });

  it('wrong keys: UnauthorizedError to the private subscribers only; public data keeps flowing', async () => {
    const { mock, hub, tick, hubErrors } = await startSystem({ credentials: { accessKey: 'not-a-key', secretKey: 'not-a-secret' } });
    // A private subscriber through the client facade (onError option)...
    const trader = hub.client('trader');
    const traderErrors: UpbitError[] = [];
    let myOrders = 0;
    await trader.subscribeMyOrder(['KRW-BTC'], () => myOrders++, { onError: (e) => traderErrors.push(e) });
    // ...one through a ComponentRef (component onError)...
    const wallet = hub.spawnComponent('wallet');
    const walletRec = new Recorder(wallet, hub);
    wallet.send({ type: 'SUBSCRIBE', channel: 'myAsset' });
    // ...and a public one that must not notice anything.
    const watcher = hub.client('watcher');
    const watcherRec = new Recorder(watcher.component, hub);
    await watcher.subscribeTicker(['KRW-BTC', 'KRW-ETH'], () => {});

    await waitFor(() => traderErrors.length > 0 && walletRec.errors.length > 0, {
      message: 'an auth error for both private subscribers',
      describe: () => ({ status: hub.status(), hubErrors: hubErrors.map((e) => e.error.message) }),
    });
    for (const e of [...traderErrors, ...walletRec.errors]) {
      expect(e).toBeInstanceOf(UnauthorizedError);
      expect(e.code).toBe('UNAUTHORIZED');
    }
    // The private side gives up (fatal) instead of hammering the server with bad keys.
    await waitFor(() => hub.status().private === 'failed', { describe: () => hub.status() });
    const failures = mock.stats().authFailures;
    expect(failures).toBeGreaterThanOrEqual(1);

    // Public data keeps flowing to the public component, on an epoch that never changed.
    await waitFor(() => hub.status().public === 'open', { message: 'public open' });
    const epoch = hub.status().epochs.public;
    const mark = watcherRec.count();
    await waitFor(() => watcherRec.count() > mark + 10, { step: tick, message: 'public data after the auth failure' });
    expect(watcherRec.errors).toEqual([]);
    expect(watcherRec.events.every((e) => e.epoch === epoch)).toBe(true);
    expect(hub.status().public).toBe('open');
    expect(myOrders).toBe(0);
    expect(mock.stats().authFailures).toBe(failures); // no retry loop while public data flowed
    // Auth errors went to their components, not to the hub's catch-all.
    expect(hubErrors.filter((e) => e.error instanceof UnauthorizedError && e.componentId === 'watcher')).toEqual([]);
  });

  it('an auth failure is reported once, to the private subscriptions only, even inside one client', async () => {
    const { hub, tick, hubErrors } = await startSystem({ credentials: { accessKey: 'not-a-key', secretKey: 'not-a-secret' } });
    const app = hub.client('app');
    const got = { myOrder: [] as UpbitError[], myAsset: [] as UpbitError[], ticker: [] as UpbitError[] };
    let tickers = 0;
    await app.subscribeMyOrder(undefined, () => {}, { onError: (e) => got.myOrder.push(e) });
    await app.subscribeMyAsset(() => {}, { onError: (e) => got.myAsset.push(e) });
    await app.subscribeTicker(['KRW-BTC'], () => tickers++, { onError: (e) => got.ticker.push(e) });
    await waitFor(() => hub.status().private === 'failed', { describe: () => hub.status() });
    await waitFor(() => tickers > 5, { step: tick });

    for (const list of [got.myOrder, got.myAsset]) {
      expect(list.map((e) => e.name)).toEqual(['UnauthorizedError']);
      expect(list[0].code).toBe('UNAUTHORIZED');
    }
    expect(got.ticker).toEqual([]); // the public subscription of the same client is not concerned
    expect(hubErrors).toEqual([]);
  });

  it('an error no subscription of a client is concerned with goes to the hub, not nowhere', async () => {
    const { hub, tick, hubErrors } = await startSystem({ credentials: { accessKey: 'not-a-key', secretKey: 'not-a-secret' } });
    const app = hub.client('app');
    let tickers = 0;
    // Only the public subscription has an error listener; the private one has none.
    await app.subscribeTicker(['KRW-BTC'], () => tickers++, { onError: () => {} });
    await app.subscribeMyOrder(undefined, () => {});
    await waitFor(() => hubErrors.length > 0, { step: tick, message: 'the auth error at the hub', describe: () => hub.status() });
    expect(hubErrors.map((e) => [e.error.name, e.componentId])).toEqual([['UnauthorizedError', 'app']]);
  });

  it('a quiet private socket is not a stalled one: no reconnect, and it survives a real drop', async () => {
    // myOrder/myAsset are silent until something happens to the account. With the stall watchdog
    // armed hard (200 ms), the private socket must stay up through many quiet activity checks.
    let quietChecks = 0;
    const { mock, hub } = await startSystem({
      credentials: DEFAULT_MOCK_KEY,
      connection: { stallCheckInterval: 25, stallTimeout: 200 },
      inspect: (ev) => {
        const e = ev as { type: string; actorRef?: { id?: string }; event?: { type: string; frames?: number } };
        if (e.type === '@xstate.event' && e.actorRef?.id === 'privateConnection' && e.event?.type === 'SOCKET.ACTIVITY' && e.event.frames === 0) quietChecks++;
      },
    });
    const trader = hub.client('trader');
    const orders: Stamped<MyOrder>[] = [];
    await trader.subscribeMyOrder(undefined, (o) => orders.push(o));
    await waitFor(() => liveUnion(mock, 'private')?.size === 1);
    const conn = liveConnection(mock, 'private')!;
    const epoch = hub.status().epochs.private;

    // Three times the stall timeout's worth of quiet checks.
    await waitFor(() => quietChecks >= 24, { message: '24 quiet activity checks on the private socket' });
    expect(hub.status().epochs.private).toBe(epoch);
    expect(mock.connections().filter((c) => c.endpoint === 'private')).toHaveLength(1);
    expect(mock.connection(conn.id)!.closed).toBe(false);

    // A real drop is still noticed and repaired (fresh JWT, same union), and events flow again.
    mock.disconnect('private', { abrupt: true });
    await waitFor(() => hub.status().epochs.private > epoch && hub.status().private === 'open');
    await waitFor(() => liveUnion(mock, 'private')?.size === 1 && liveConnection(mock, 'private')?.id !== conn.id);
    mock.placeOrder({ code: 'KRW-ETH', side: 'ask', ordType: 'limit', price: '5000000', volume: '0.5', fills: 0 });
    await waitFor(() => orders.length > 0);
    expect(orders[0].epoch).toBe(hub.status().epochs.private);
    expect(mock.stats().authFailures).toBe(0);
  });
});
