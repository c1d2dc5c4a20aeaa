/**
 * The hub's REST side against the mock exchange (real `ws` client and real HTTP on 127.0.0.1):
 * snapshots on the facade, known markets, and the pull model (issue 9 parts 2, 4, 5).
 *
 * How to read: one `describe` per part; every test starts its own mock + hub (`startSystem`).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpbitHub, hubInternals } from '../../src/actors/hub.js';
import { UpbitStoppedError, UpbitValidationError, type Ticker } from '../../src/io/index.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { FAST, expected, liveConnections, liveUnion, requestsOf, sameSet, startSystem, unionOf, waitFor } from './helpers.js';

describe('snapshots on the facade', () => {
  it('restUrl is derived from url: tickers, orderbooks, trades and candles from the mock, in the order asked, exact', async () => {
    const mock = await startMockUpbit({ manual: true, seed: 7, markets: ['KRW-BTC', 'KRW-ETH', 'KRW-XRP'] });
    // No restUrl: http://127.0.0.1:<port> comes from ws://127.0.0.1:<port>/websocket/v1.
    const hub = createUpbitHub({ url: mock.url, ...FAST });
    onTestFinished(async () => {
      await hub.stop();
      await mock.close();
    });
    mock.tick(3);
    const c = hub.client('snap');
    const tickers = await c.getTickerSnapshot(['KRW-XRP', 'KRW-BTC']);
    expect(tickers.map((t) => t.code)).toEqual(['KRW-XRP', 'KRW-BTC']);
    expect(tickers[1]!.tradePrice.toFixed()).toBe(mock.ticker('KRW-BTC').tradePrice.toFixed());
    const books = await c.getOrderbookSnapshot(['KRW-ETH'], { count: 5 });
    expect(books[0]!.orderbookUnits).toHaveLength(5);
    expect(books[0]!.orderbookUnits[0]!.askPrice.toFixed()).toBe(mock.orderbook('KRW-ETH')!.orderbookUnits[0]!.askPrice.toFixed());
    const trades = await c.getTradesSnapshot('KRW-BTC', { count: 2 });
    expect(trades).toHaveLength(2);
    expect(trades[0]!.sequentialId).toBe(mock.lastTrade('KRW-BTC').sequentialId);
    const candles = await c.getCandles('1m', 'KRW-BTC', { count: 3 });
    expect(candles.length).toBeGreaterThan(0);
    expect(candles.every((k) => k.code === 'KRW-BTC')).toBe(true);
    expect(mock.restLog.some((r) => r.url.startsWith('/v1/ticker?'))).toBe(true);
  });

  it('typed errors: a malformed code is INVALID_CODE; after hub.stop() every snapshot rejects with STOPPED', async () => {
    const { hub } = await startSystem();
    const c = hub.client('snap');
    await expect(c.getTickerSnapshot(['btc'])).rejects.toMatchObject({ code: 'INVALID_CODE' });
    await expect(c.getTickerSnapshot([])).rejects.toBeInstanceOf(UpbitValidationError);
    await hub.stop();
    for (const p of [c.getTickerSnapshot(['KRW-BTC']), c.getOrderbookSnapshot(['KRW-BTC']), c.getTradesSnapshot('KRW-BTC'), c.getCandles('1m', 'KRW-BTC')]) {
      await expect(p).rejects.toBeInstanceOf(UpbitStoppedError);
    }
  });

  it('a snapshot under way when the hub stops rejects with STOPPED', async () => {
    const { mock, hub } = await startSystem();
    await waitFor(() => hubInternals(hub).rest.directory?.listedAt !== undefined, { message: 'market list' });
    mock.holdRest();
    onTestFinished(() => mock.releaseRest());
    const p = hub.client('snap').getTickerSnapshot(['KRW-BTC']);
    await hub.stop();
    await expect(p).rejects.toMatchObject({ code: 'STOPPED' });
  });
});

describe('known markets', () => {
  it('a well-formed code Upbit does not list fails THAT subscription (UNKNOWN_MARKET) and never reaches the wire', async () => {
    const { mock, hub, pump } = await startSystem();
    pump();
    const c = hub.client('app');
    const errors: unknown[] = [];
    const good = await c.subscribeTicker(['KRW-BTC'], () => {});
    const bad = await c.subscribeTicker(['KRW-NOPE'], () => {}, { onError: (e) => errors.push(e) });
    let trades = 0;
    const other = await c.subscribeTrade(['KRW-ETH'], () => trades++);
    await waitFor(() => bad.status === 'failed', { message: 'the unlisted code refused' });
    expect(bad.error).toBeInstanceOf(UpbitValidationError);
    expect(bad.error!.code).toBe('UNKNOWN_MARKET');
    expect(errors).toHaveLength(1);
    await waitFor(() => good.status === 'active' && other.status === 'active' && trades > 0, { message: 'the others unaffected' });
    await waitFor(() => sameSet(liveUnion(mock) ?? [], expected({ type: 'ticker', codes: ['KRW-BTC'] }, { type: 'trade', codes: ['KRW-ETH'] })));
    const everAsked = mock.connections().flatMap((conn) => requestsOf(conn).flatMap((r) => [...unionOf(r)]));
    expect(everAsked.some((k) => k.includes('KRW-NOPE'))).toBe(false);
  });

  it('a subscription waits (pending) while its code is checked; the others go on the wire meanwhile', async () => {
    // The list is fetched at start; a code not in it, with the list older than a minute (the hub's
    // wall clock is moved on), refetches once: that refetch is held, so the check lasts as long as
    // the test wants.
    let skew = 0;
    const { mock, hub, pump } = await startSystem({ now: () => Date.now() + skew, markets: { waitMs: 60_000 } });
    await waitFor(() => hubInternals(hub).rest.directory?.listedAt !== undefined, { message: 'market list' });
    skew = 61_000;
    pump();
    mock.holdRest();
    onTestFinished(() => mock.releaseRest());
    const c = hub.client('app');
    const good = await c.subscribeTicker(['KRW-BTC'], () => {});
    const bad = await c.subscribeTicker(['KRW-NOPE'], () => {});
    const seen: string[] = [];
    bad.onStatus((st) => void seen.push(st));
    await waitFor(() => good.status === 'active', { message: 'the listed code on the wire' });
    expect(bad.status).toBe('pending');
    mock.releaseRest();
    await waitFor(() => bad.status === 'failed', { message: 'refused once the list answered' });
    expect(bad.error!.code).toBe('UNKNOWN_MARKET');
    expect(seen).not.toContain('active');
    expect(good.status).toBe('active');
  });

  it('a market that disappears from the list (delisted) is told to its live subscribers', async () => {
    let delist = false;
    const fetchWith: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!delist || !String(input).includes('/v1/market/all')) return res;
      const rows = (await res.json()) as Array<{ market: string }>;
      return new Response(JSON.stringify(rows.filter((r) => r.market !== 'KRW-ETH')), { status: 200, headers: res.headers });
    };
    let skew = 0;
    const { hub } = await startSystem({ fetch: fetchWith, now: () => Date.now() + skew });
    const c = hub.client('app');
    const errors: string[] = [];
    const eth = await c.subscribeTicker(['KRW-ETH'], () => {}, { onError: (e) => void errors.push(`${e.code}: ${e.message}`) });
    await waitFor(() => eth.status === 'active', { message: 'KRW-ETH live' });
    delist = true;
    skew = 61_000; // the list is older than a minute: the next unknown code refetches it
    const probe = await c.subscribeTicker(['KRW-NOPE'], () => {}); // an unknown code refetches the list
    await waitFor(() => probe.status === 'failed', { message: 'probe refused after the refetch' });
    await waitFor(() => errors.length > 0, { message: 'delisting told' });
    expect(errors[0]).toMatch(/^UNKNOWN_MARKET: .*KRW-ETH.*delisted/);
  });

  it('the market list unavailable: wishes are not blocked (they go through after waitMs)', async () => {
    const mock = await startMockUpbit({ manual: true, seed: 7, markets: ['KRW-BTC', 'KRW-ETH'] });
    mock.holdRest(); // the list never answers
    const hub = createUpbitHub({ url: mock.url, ...FAST, markets: { waitMs: 50 } });
    onTestFinished(async () => {
      mock.releaseRest();
      await hub.stop();
      await mock.close();
    });
    const c = hub.client('app');
    const s = await c.subscribeTicker(['KRW-ZZZ'], () => {});
    await waitFor(() => liveUnion(mock)?.has('ticker|KRW-ZZZ|'), { message: 'the unchecked code on the wire' });
    expect(s.status).not.toBe('failed');
  });

  it('markets: false turns the check off (no list fetched)', async () => {
    const { mock, hub } = await startSystem({ markets: false });
    await hub.client('app').subscribeTicker(['KRW-ZZZ'], () => {});
    await waitFor(() => liveUnion(mock)?.has('ticker|KRW-ZZZ|'));
    expect(mock.restLog.filter((r) => r.url.startsWith('/v1/market/all'))).toHaveLength(0);
  });
});

describe('the pull model', () => {
  it('interests join the union; getTicker is the last ticker delivered; history is bounded; unregister and cleanup shrink the union', async () => {
    const { mock, hub, pump } = await startSystem({ pull: { history: 3, tradeHistory: 4 } });
    const puller = hub.client('puller');
    await puller.registerInterests(['KRW-BTC', 'KRW-ETH'], ['ticker', 'trade']);
    await puller.registerInterests(['KRW-BTC'], ['orderbook']);
    await waitFor(
      () =>
        sameSet(liveUnion(mock) ?? [], expected({ type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] }, { type: 'trade', codes: ['KRW-BTC', 'KRW-ETH'] }, { type: 'orderbook', codes: ['KRW-BTC'] })),
      { message: 'interests in the union', describe: () => [...(liveUnion(mock) ?? [])] },
    );
    // A subscriber on the same code: what it got last is what the pool holds.
    const seen: Ticker[] = [];
    const watcher = hub.client('watcher');
    await watcher.subscribeTicker(['KRW-BTC'], (t) => void seen.push(t));
    const stopPump = pump();
    await waitFor(() => seen.length > 8 && puller.getTrades('KRW-BTC', 10).length === 4, { message: 'data flowing' });
    stopPump();
    const settled = mock.ticker('KRW-BTC').timestamp;
    await waitFor(() => seen.at(-1)?.timestamp === settled && puller.getTicker('KRW-BTC')?.timestamp === settled, { message: 'the last ticker delivered' });
    const t = puller.getTicker('KRW-BTC')!;
    expect(t.tradePrice.toFixed()).toBe(seen.at(-1)!.tradePrice.toFixed());
    expect(t.tradePrice.toFixed()).toBe(mock.ticker('KRW-BTC').tradePrice.toFixed());
    expect(puller.getMultipleTickers(['KRW-BTC', 'KRW-ETH', 'KRW-XRP']).size).toBe(2);
    expect(puller.getOrderbook('KRW-BTC', { depth: 5 })!.orderbookUnits).toHaveLength(5);
    expect(puller.getTrades('KRW-BTC', 10).map((x) => x.sequentialId).at(-1)).toBe(mock.lastTrade('KRW-BTC').sequentialId);
    const pool = hubInternals(hub).rest.pool;
    expect(pool.history('ticker', 'KRW-BTC').length).toBe(3);
    // Reads are synchronous and do not allocate per call: the same object twice.
    expect(puller.getTicker('KRW-BTC')).toBe(puller.getTicker('KRW-BTC'));

    puller.unregisterInterests(['KRW-ETH']);
    await waitFor(
      () => sameSet(liveUnion(mock) ?? [], expected({ type: 'ticker', codes: ['KRW-BTC'] }, { type: 'trade', codes: ['KRW-BTC'] }, { type: 'orderbook', codes: ['KRW-BTC'] })),
      { message: 'the union shrank', describe: () => [...(liveUnion(mock) ?? [])] },
    );
    expect(puller.getTicker('KRW-ETH')).toBeUndefined();
    await puller.cleanup();
    await waitFor(() => sameSet(liveUnion(mock) ?? [], expected({ type: 'ticker', codes: ['KRW-BTC'] })), { message: 'only the watcher left' });
    await watcher.cleanup();
    await waitFor(() => liveConnections(mock).length === 0, { message: 'nothing wanted: the connection closes' });
  });

  it('an orderbook interest holds its level like a subscription: another level of the same code is a CONFLICT; the same level is served and read', async () => {
    const { mock, hub, pump } = await startSystem();
    const sub = hub.client('chart');
    await sub.subscribeOrderbook(['KRW-BTC'], () => {}, { level: 10_000 });
    const puller = hub.client('puller');
    await expect(puller.registerInterests(['KRW-ETH', 'KRW-BTC'], ['orderbook'])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(hubInternals(hub).rest.pool.interests()).toEqual([]); // all or nothing
    await puller.registerInterests(['KRW-BTC'], ['orderbook'], { level: 10_000 });
    pump();
    const book = await waitFor(() => puller.getOrderbook('KRW-BTC', { level: 10_000, depth: 5 }), { message: 'a level-10000 book in the pool' });
    expect(book.level!.toFixed()).toBe('10000');
    expect(book.orderbookUnits).toHaveLength(5);
    expect(puller.getOrderbook('KRW-BTC')).toBeUndefined(); // level 0 was never asked
    // Released on unregister: the level is free for others once the subscription also left.
    puller.unregisterInterests();
    await sub.cleanup();
    await hub.client('other').registerInterests(['KRW-BTC'], ['orderbook']);
    await waitFor(() => liveUnion(mock)?.has('orderbook|KRW-BTC|'), { message: 'level 0 on the wire now' });
  });

  it('an unlisted code is refused by registerInterests (UNKNOWN_MARKET), nothing registered', async () => {
    const { mock, hub } = await startSystem();
    const c = hub.client('puller');
    await expect(c.registerInterests(['KRW-NOPE'], ['ticker'])).rejects.toMatchObject({ code: 'UNKNOWN_MARKET' });
    await expect(c.registerInterests(['nope'], ['ticker'])).rejects.toMatchObject({ code: 'INVALID_CODE' });
    expect(hubInternals(hub).rest.pool.interests()).toEqual([]);
    expect(liveUnion(mock)).toBeUndefined();
  });
});
