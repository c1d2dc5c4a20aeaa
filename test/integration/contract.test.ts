/**
 * The component contract, one subscription at a time, against the mock exchange: each subscription
 * gets exactly what it asked for (stream preference, depth, level) whatever another asked on the
 * same code, or a typed error that says why; async and slow callbacks cost only their own
 * subscription; use after stop and usage mistakes have their own codes; no secret is reachable
 * from anything a user holds.
 */
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  UpbitBackpressureError,
  UpbitCallbackError,
  UpbitConflictError,
  UpbitStoppedError,
  UpbitUsageError,
  UpbitValidationError,
  type Orderbook,
  type UpbitError,
} from '../../src/index.js';
import { Credentials, signConnectToken } from '../../src/index.js';
import type { UpbitClient } from '../../src/index.js';
import { DEFAULT_MOCK_KEY } from '../../src/mock/index.js';
import { liveConnection, liveUnion, requestsOf, startSystem, waitFor } from './helpers.js';

const streams = (xs: { streamType: string }[]) => xs.map((x) => x.streamType);

describe('per-subscription options, never merged', () => {
  it('snapshot-only and realtime-only on one code in ONE client: each gets exactly its part', async () => {
    const { hub, tick } = await startSystem();
    const client = hub.client('one');
    const snap: { streamType: string }[] = [];
    const live: { streamType: string }[] = [];
    const both: { streamType: string }[] = [];
    const s1 = await client.subscribeTicker(['KRW-BTC'], (t) => void snap.push(t), { stream: 'snapshot' });
    const s2 = await client.subscribeTicker(['KRW-BTC'], (t) => void live.push(t), { stream: 'realtime' });
    await client.subscribeTicker(['KRW-BTC'], (t) => void both.push(t));
    await waitFor(() => live.length >= 20 && snap.length === 1, { step: tick, message: 'snapshot and realtime' });
    expect(streams(snap)).toEqual(['SNAPSHOT']);
    expect(streams(live).every((s) => s === 'REALTIME')).toBe(true);
    expect(streams(both)[0]).toBe('SNAPSHOT');
    expect(streams(both).filter((s) => s === 'SNAPSHOT')).toHaveLength(1); // one per epoch, however often the union is re-sent
    await waitFor(() => s1.status === 'ended', { message: 'the snapshot-only subscription ends by itself' });
    expect(s2.status).toBe('active');
  });

  it('depth 5 and depth 15 on one code: each gets its own depth, with exact totals', async () => {
    const { hub, tick, mock } = await startSystem();
    const client = hub.client('books');
    const five: Orderbook[] = [];
    const fifteen: Orderbook[] = [];
    await client.subscribeOrderbook(['KRW-BTC'], (b) => void five.push(b), { depth: 5 });
    await client.subscribeOrderbook(['KRW-BTC'], (b) => void fifteen.push(b), { depth: 15 });
    await waitFor(() => five.length >= 3 && fifteen.length >= 3, { step: tick });
    expect(five.every((b) => b.orderbookUnits.length === 5)).toBe(true);
    expect(fifteen.every((b) => b.orderbookUnits.length === 15)).toBe(true);
    const b = five.at(-1)!;
    const sum = b.orderbookUnits.reduce((s, u) => s.plus(u.askSize), b.orderbookUnits[0]!.askSize.minus(b.orderbookUnits[0]!.askSize));
    expect(b.totalAskSize.toString()).toBe(sum.toString());
    // The wire asks the deepest wanted, once.
    expect([...liveUnion(mock)!]).toEqual(['orderbook|KRW-BTC.15|']);
  });

  it('level 0 then level 10000 on one code: the later gets UpbitConflictError (CONFLICT); the first keeps its level-0 book', async () => {
    const { hub, tick } = await startSystem();
    const a = hub.client('a');
    const books: Orderbook[] = [];
    const first = await a.subscribeOrderbook(['KRW-BTC'], (b) => void books.push(b));
    const b = hub.client('b');
    const errors: UpbitError[] = [];
    const second = await b.subscribeOrderbook(['KRW-BTC'], () => {}, { level: 10000, onError: (e) => errors.push(e) });
    expect(second.status).toBe('failed');
    expect(second.error).toBeInstanceOf(UpbitConflictError);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('CONFLICT');
    await waitFor(() => books.length >= 3, { step: tick });
    expect(books.every((x) => x.level === null || x.level.isZero())).toBe(true);
    expect(first.status).toBe('active');
    // The conflict was the later wish's alone: once the first leaves, the same level-10000 wish is served.
    await first.unsubscribe();
    const third = await b.subscribeOrderbook(['KRW-BTC'], () => {}, { level: 10000 });
    expect(third.status).toBe('pending');
  });

  it('a finished snapshot-only wish shrinks the union without handing anyone a second snapshot', async () => {
    const { hub, tick, mock } = await startSystem();
    const live = hub.client('live');
    const got: { streamType: string }[] = [];
    await live.subscribeTrade(['KRW-ETH'], (t) => void got.push(t));
    await waitFor(() => got.length >= 3, { step: tick });
    const once = hub.client('once');
    await once.subscribeTicker(['KRW-BTC'], () => {}, { stream: 'snapshot' });
    await waitFor(() => liveUnion(mock)?.has('ticker|KRW-BTC|S'), { message: 'snapshot-only on the wire' });
    await waitFor(() => !liveUnion(mock)?.has('ticker|KRW-BTC|S'), { message: 'the finished wish left the union' });
    const mark = got.length;
    await waitFor(() => got.length >= mark + 5, { step: tick });
    // Three requests re-sent the trade; it took its snapshot once.
    expect(requestsOf(liveConnection(mock)!).length).toBeGreaterThanOrEqual(3);
    expect(streams(got).filter((s) => s === 'SNAPSHOT')).toHaveLength(1);
  });
});

describe('callbacks cost only their own subscription', () => {
  it('an async callback that rejects: UpbitCallbackError on that subscription, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
    const { hub, tick, hubErrors } = await startSystem();
    const c = hub.client('async');
    const mine: UpbitError[] = [];
    const componentLevel: { error: UpbitError; sub?: string }[] = [];
    c.onError((error, sub) => void componentLevel.push({ error, sub: sub?.id }));
    let calls = 0;
    const sub = await c.subscribeTrade(['KRW-BTC'], async () => {
      calls++;
      throw new Error('async bug');
    }, { onError: (e) => mine.push(e), id: 'tape' });
    let other = 0;
    await hub.client('other').subscribeTrade(['KRW-BTC'], () => void other++);
    await waitFor(() => mine.length >= 5 && other >= 5, { step: tick });
    await new Promise((r) => setImmediate(r)); // give Node its chance to report a rejection
    expect(unhandled).toEqual([]);
    expect(mine.every((e) => e instanceof UpbitCallbackError && (e.cause as Error).message === 'async bug')).toBe(true);
    expect(componentLevel.every((x) => x.sub === 'tape')).toBe(true); // the error names its subscription
    expect(sub.stats().callbackErrors).toBe(mine.length);
    expect(calls).toBe(mine.length);
    expect(hubErrors).toEqual([]);
  });

  it('an async callback that never settles: one call in flight, the rest shed by its policy and counted', async () => {
    const { hub, tick } = await startSystem();
    const c = hub.client('hung');
    let calls = 0;
    const errors: UpbitError[] = [];
    const sub = await c.subscribeTrade(['KRW-BTC'], () => {
      calls++;
      return new Promise(() => {});
    }, { policy: { kind: 'drop_oldest', bound: 5 }, onError: (e) => errors.push(e) });
    let other = 0;
    await hub.client('other').subscribeTrade(['KRW-BTC'], () => void other++);
    await waitFor(() => other >= 30, { step: tick });
    expect(calls).toBe(1);
    const st = sub.stats();
    expect(st.queued).toBe(5);
    expect(st.dropped).toBe(other - 1 - 5);
    expect(st.delivered + st.dropped + st.queued).toBe(other);
    // Shed with a counter AND a typed error, once per overflow episode.
    expect(errors.map((e) => e.code)).toEqual(['BACKPRESSURE']);
    expect(errors[0]).toBeInstanceOf(UpbitBackpressureError);
    expect(hub.status().delivery.dropped).toBe(st.dropped);
  });

  it('a 5 ms synchronous callback: the others keep every message, no false pong timeout, the slow one coalesces (counted)', async () => {
    // Pings every 50 ms, 1 s to answer: without the sink's yielding, 5 ms per ticker for a second
    // of traffic would hold the pong back (the issue saw a false reconnect every ~40 s).
    const { hub, mock, pump, hubErrors } = await startSystem({ connection: { keepaliveInterval: 50, pongTimeout: 1_000 } });
    const slow = await hub.client('slow').subscribeTicker(['KRW-BTC', 'KRW-ETH'], () => {
      const until = performance.now() + 5;
      while (performance.now() < until);
    });
    const fastTrades: string[] = [];
    const fast = await hub.client('fast').subscribeTrade(['KRW-BTC', 'KRW-ETH'], (t) => void fastTrades.push(`${t.code}#${t.sequentialId}`));
    await waitFor(() => fast.status === 'active' && slow.status === 'active', { message: 'both on the wire' });
    const epoch = hub.status().epochs.public;
    const stop = pump(4);
    await waitFor(() => fastTrades.length >= 300, { timeoutMs: 15_000, message: 'trades for the fast subscription' });
    stop();
    await waitFor(() => slow.stats().queued === 0, { message: 'the slow one drained' });
    expect(new Set(fastTrades).size).toBe(fastTrades.length);
    expect(hubErrors.map((e) => e.error.message)).toEqual([]);
    expect(hub.status().epochs.public).toBe(epoch); // pongs were answered: no reconnect
    const st = slow.stats();
    expect(st.coalesced).toBeGreaterThan(0);
    expect(st.dropped).toBe(0);
    expect(mock.connections().filter((c) => c.endpoint === 'public')).toHaveLength(1);
  });
});

describe('stop, usage mistakes, names', () => {
  it('after hub.stop(): status says stopped, subscribing anywhere rejects with STOPPED', async () => {
    const { hub } = await startSystem();
    const client = hub.client('early');
    const ref = hub.spawnComponent('ref');
    const refErrors: UpbitError[] = [];
    ref.onError((e) => refErrors.push(e));
    await hub.stop();
    expect(hub.status()).toMatchObject({ state: 'stopped', public: 'stopped', private: 'stopped' });
    await expect(client.subscribeTicker(['KRW-BTC'], () => {})).rejects.toBeInstanceOf(UpbitStoppedError);
    await expect(client.subscribeTicker(['KRW-BTC'], () => {})).rejects.toMatchObject({ code: 'STOPPED' });
    expect(() => hub.spawnComponent('late')).toThrow(UpbitStoppedError);
    expect(() => hub.client('late')).toThrow(UpbitStoppedError);
    expect(() => hub.retry()).toThrow(UpbitStoppedError);
    expect(ref.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] })).toBeUndefined();
    expect(refErrors.map((e) => e.code)).toEqual(['STOPPED']);
    await hub.stop(); // idempotent
  });

  it("send({ type: 'STOP' }) is stop(): the name is free again; usage mistakes have their own codes", async () => {
    const { hub, mock } = await startSystem();
    const ref = hub.spawnComponent('panel');
    ref.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
    await waitFor(() => liveUnion(mock)?.size === 1);
    expect(() => hub.spawnComponent('panel')).toThrow(UpbitUsageError);
    try {
      hub.spawnComponent('panel');
    } catch (e) {
      expect((e as UpbitError).code).toBe('USAGE');
    }
    ref.send({ type: 'STOP' });
    expect(hub.status().components).toBe(0);
    const again = hub.spawnComponent('panel'); // not taken any more
    const errors: UpbitError[] = [];
    again.onError((e) => errors.push(e));
    expect(again.send({ type: 'SUBSCRIBE', channel: 'tickers', codes: ['KRW-BTC'] })).toBeUndefined();
    expect(again.send({ type: 'SUBSCRIBE', id: 'x', channel: 'ticker', codes: ['KRW-BTC'] })).toBe('x');
    expect(again.send({ type: 'SUBSCRIBE', id: 'x', channel: 'trade', codes: ['KRW-BTC'] })).toBeUndefined();
    expect(errors.map((e) => [e.name, e.code])).toEqual([
      ['UpbitValidationError', 'INVALID_TYPE'],
      ['UpbitUsageError', 'USAGE'],
    ]);
    expect(errors[0]).toBeInstanceOf(UpbitValidationError);
    expect(again.subscription('x')?.status).toBe('pending');
    await waitFor(() => again.subscription('x')?.status === 'active', { message: 'x on the wire' });
  });

  it('a subscription without a callback is async-iterable, and iteration ends when it is unsubscribed', async () => {
    const { hub, tick } = await startSystem();
    const client = hub.client('iter');
    const sub = await client.subscribeTrade(['KRW-BTC']);
    const seen: string[] = [];
    const pump = setInterval(tick, 2);
    onTestFinished(() => clearInterval(pump));
    for await (const t of sub) {
      seen.push(t.sequentialId);
      if (seen.length === 10) await sub.unsubscribe();
    }
    expect(seen).toHaveLength(10);
    expect(sub.status).toBe('ended');
    const withCallback = await client.subscribeTrade(['KRW-ETH'], () => {});
    expect(() => withCallback[Symbol.asyncIterator]()).toThrow(TypeError);
  });
});

describe('secrets', () => {
  const reachable = (hub: object, client: UpbitClient, sub: object, errors: unknown[]) =>
    [
      inspect(hub, { depth: 10, showHidden: true }),
      inspect(client, { depth: 10, showHidden: true }),
      inspect(client.component, { depth: 10, showHidden: true }),
      inspect(sub, { depth: 10, showHidden: true }),
      JSON.stringify((hub as { status(): unknown }).status()),
      inspect(errors, { depth: 10 }),
    ].join('\n');

  it('keys: neither key nor any JWT is reachable from the hub, clients, subscriptions, status or errors', async () => {
    const { hub } = await startSystem({ credentials: DEFAULT_MOCK_KEY });
    const client = hub.client('trader');
    const errors: UpbitError[] = [];
    const sub = await client.subscribeMyOrder(undefined, () => {}, { onError: (e) => errors.push(e) });
    await waitFor(() => sub.status === 'active', { message: 'private subscription active' });
    const views = reachable(hub, client, sub, errors);
    for (const secret of [DEFAULT_MOCK_KEY.secretKey, DEFAULT_MOCK_KEY.accessKey]) expect(views).not.toContain(secret);
    expect(views).not.toMatch(/eyJ[\w-]{5,}\.[\w-]{5,}/);
  });

  it('getToken(): the tokens it handed out are reachable from nothing the user holds', async () => {
    const creds = new Credentials(DEFAULT_MOCK_KEY);
    const tokens: string[] = [];
    const { hub } = await startSystem({
      getToken: async () => {
        const t = await signConnectToken(creds);
        tokens.push(t);
        return t;
      },
    });
    const client = hub.client('trader');
    const sub = await client.subscribeMyAsset(() => {});
    await waitFor(() => sub.status === 'active', { message: 'private subscription active' });
    expect(tokens.length).toBeGreaterThan(0);
    const views = reachable(hub, client, sub, []);
    for (const t of tokens) expect(views).not.toContain(t);
    for (const t of tokens) expect(views).not.toContain(t.split('.')[2]!); // not even the signature
  });
});
