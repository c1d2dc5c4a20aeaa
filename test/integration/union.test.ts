/**
 * The subscription union over one public socket, end to end: components come and go at different
 * times, and every request the mock receives carries exactly what is live at that moment (Upbit
 * replaces a connection's whole set on every request, protocol §5.1). Each component only ever
 * sees its own types and codes.
 */
import { describe, expect, it } from 'vitest';
import type { Subscription } from '../../src/actors/subscription.js';
import {
  Recorder,
  expected,
  liveConnection,
  liveConnections,
  liveUnion,
  requestsOf,
  sameSet,
  sorted,
  startSystem,
  unionOf,
  waitFor,
  type StreamKey,
} from './helpers.js';

describe('the union on one socket', () => {
  it('every request carries the whole live union; each component receives only its own data', async () => {
    const { mock, hub, tick } = await startSystem();
    const unions: Set<StreamKey>[] = [];
    const comps: { rec: Recorder; own: Set<string> }[] = [];
    const step = async (rec: Recorder, own: string[], subscribe: () => Promise<unknown> | void, union: Set<StreamKey>) => {
      comps.push({ rec, own: new Set(own) });
      await subscribe();
      unions.push(union);
      // The mock's live connection was asked for exactly this union...
      await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, union); }, {
        message: `request with ${sorted(union).join(', ')}`,
        describe: () => mock.connections().map((c) => requestsOf(c)),
      });
      // ...and every component so far gets data for each of its own keys.
      await waitFor(() => comps.every((c) => [...c.own].every((k) => c.rec.keys().has(k))), { step: tick, message: 'data for every live key' });
    };

    // A: client, ticker KRW-BTC
    const a = hub.client('a');
    const aData: string[] = [];
    await step(new Recorder(a.component, hub), ['ticker|KRW-BTC'], () => a.subscribeTicker(['KRW-BTC'], (t) => aData.push(`${t.type}|${t.code}`)),
      expected({ type: 'ticker', codes: ['KRW-BTC'] }));

    // B: raw component ref, trade KRW-ETH + KRW-XRP
    const b = hub.spawnComponent('b');
    await step(new Recorder(b, hub), ['trade|KRW-ETH', 'trade|KRW-XRP'], () => void b.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-ETH', 'KRW-XRP'] }),
      expected({ type: 'ticker', codes: ['KRW-BTC'] }, { type: 'trade', codes: ['KRW-ETH', 'KRW-XRP'] }));

    // C: client, ticker KRW-ETH (same type as A, other code) and orderbook KRW-BTC (other type, A's code)
    const c = hub.client('c');
    const cData: string[] = [];
    await step(new Recorder(c.component, hub), ['ticker|KRW-ETH', 'orderbook|KRW-BTC'], async () => {
      await c.subscribeTicker(['KRW-ETH'], (t) => cData.push(`${t.type}|${t.code}`));
      await c.subscribeOrderbook(['KRW-BTC'], (o) => cData.push(`${o.type}|${o.code}`), { depth: 5 });
    }, expected({ type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] }, { type: 'trade', codes: ['KRW-ETH', 'KRW-XRP'] }, { type: 'orderbook', codes: ['KRW-BTC.5'] }));

    // D: client, candle.1s KRW-SOL and trade KRW-ETH (shared with B)
    const d = hub.client('d');
    await step(new Recorder(d.component, hub), ['candle.1s|KRW-SOL', 'trade|KRW-ETH'], async () => {
      await d.subscribeCandle('1s', ['KRW-SOL'], () => {});
      await d.subscribeTrade(['KRW-ETH'], () => {});
    }, expected(
      { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
      { type: 'trade', codes: ['KRW-ETH', 'KRW-XRP'] },
      { type: 'orderbook', codes: ['KRW-BTC.5'] },
      { type: 'candle.1s', codes: ['KRW-SOL'] },
    ));

    for (let i = 0; i < 20; i++) tick();
    await waitFor(() => comps.every((x) => x.rec.count() >= 10), { step: tick });

    // One socket the whole time; its request log, in order, is exactly the sequence of live unions.
    const conns = mock.connections().filter((x) => x.endpoint === 'public');
    expect(conns).toHaveLength(1);
    const seen = requestsOf(conns[0]).map(unionOf);
    expect(seen.map(sorted)).toEqual(unions.map(sorted));
    expect(hub.status().metrics.requestsSent.public).toBe(unions.length);

    // Nothing foreign ever reached a component, through the router or through a client callback.
    for (const { rec, own } of comps) {
      const foreign = rec.events.filter((e) => !own.has(`${e.type}|${e.code}`));
      expect(foreign, `component ${rec.ref.id}`).toEqual([]);
      expect(rec.errors).toEqual([]);
    }
    expect(new Set(aData)).toEqual(new Set(['ticker|KRW-BTC']));
    expect(new Set(cData)).toEqual(new Set(['ticker|KRW-ETH', 'orderbook|KRW-BTC']));
    expect(hub.status().metrics.unrouted).toBe(0);
  });

  it('unsubscribing shrinks the next request; when everyone left, the public socket is closed', async () => {
    const { mock, hub, tick } = await startSystem();
    const a = hub.client('a');
    const b = hub.spawnComponent('b');
    const c = hub.client('c');
    const got = { a: 0, b: 0, c: 0 };
    const subA: Subscription = await a.subscribeTicker(['KRW-BTC', 'KRW-ETH'], () => got.a++);
    b.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-XRP', 'KRW-ETH'] });
    b.on('trade', () => got.b++);
    const subC1 = await c.subscribeTicker(['KRW-ETH'], () => got.c++);
    const subC2 = await c.subscribeOrderbook(['KRW-SOL'], () => got.c++);

    const full = expected({ type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] }, { type: 'trade', codes: ['KRW-ETH', 'KRW-XRP'] }, { type: 'orderbook', codes: ['KRW-SOL'] });
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, full); }, { message: 'the full union' });
    await waitFor(() => got.a > 0 && got.b > 0 && got.c > 0, { step: tick });
    const conn = liveConnection(mock)!;

    // A leaves through the client facade: KRW-BTC ticker goes, KRW-ETH ticker stays (C holds it).
    await subA.unsubscribe();
    const afterA = expected({ type: 'ticker', codes: ['KRW-ETH'] }, { type: 'trade', codes: ['KRW-ETH', 'KRW-XRP'] }, { type: 'orderbook', codes: ['KRW-SOL'] });
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, afterA); }, { message: 'union without A' });
    const aAtLeave = got.a;

    // B drops one code through ComponentRef.send, then the rest.
    b.send({ type: 'UNSUBSCRIBE', channel: 'trade', codes: ['KRW-XRP'] });
    const afterB1 = expected({ type: 'ticker', codes: ['KRW-ETH'] }, { type: 'trade', codes: ['KRW-ETH'] }, { type: 'orderbook', codes: ['KRW-SOL'] });
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, afterB1); }, { message: 'union without trade KRW-XRP' });
    b.send({ type: 'UNSUBSCRIBE', channel: 'trade' });
    const afterB = expected({ type: 'ticker', codes: ['KRW-ETH'] }, { type: 'orderbook', codes: ['KRW-SOL'] });
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, afterB); }, { message: 'union without B' });
    await waitFor(() => got.c > 20, { step: tick });
    const bAtLeave = got.b;

    await subC1.unsubscribe();
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, expected({ type: 'orderbook', codes: ['KRW-SOL'] })); });
    expect(requestsOf(liveConnection(mock)!).map((r) => sorted(unionOf(r)))).toEqual([full, afterA, afterB1, afterB, expected({ type: 'orderbook', codes: ['KRW-SOL'] })].map(sorted));

    // The last one leaves: Upbit has no unsubscribe, so the hub closes the socket.
    await subC2.unsubscribe();
    await waitFor(() => mock.connection(conn.id)?.closed, { message: 'public socket closed once the union is empty' });
    await waitFor(() => hub.status().public === 'closed');
    for (let i = 0; i < 20; i++) tick();
    expect(liveConnections(mock)).toEqual([]);
    expect(mock.connection(conn.id)!.closeCode).toBe(1000);
    // No request with an empty union was ever sent; the last request was the last non-empty union.
    expect(requestsOf(mock.connection(conn.id)!).every((r) => unionOf(r).size > 0)).toBe(true);
    expect(got.a).toBe(aAtLeave);
    expect(got.b).toBe(bAtLeave);
    expect(hub.lastRequest('public')).toBeUndefined();

    // And it comes back when someone subscribes again.
    const again = await c.subscribeTrade(['KRW-DOGE'], () => got.c++);
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, expected({ type: 'trade', codes: ['KRW-DOGE'] })); });
    await again.unsubscribe();
  });

  it('twenty components subscribing in the same tick cost exactly one request', async () => {
    const { mock, hub, tick } = await startSystem();
    // One component first, so the socket is open and the twenty land on a live connection.
    const first = hub.client('first');
    await first.subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 1);
    const conn = liveConnection(mock)!;
    expect(requestsOf(conn)).toHaveLength(1);

    const types = ['ticker', 'trade', 'orderbook', 'candle.1s'] as const;
    const codes = ['KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE', 'KRW-ADA'];
    const recs: Recorder[] = [];
    const union = expected({ type: 'ticker', codes: ['KRW-BTC'] });
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const type = types[i % 4];
      const code = codes[Math.floor(i / 4)];
      union.add(`${type}|${code}|`);
      if (i % 2 === 0) {
        const comp = hub.spawnComponent(`c${i}`);
        recs.push(new Recorder(comp, hub));
        comp.send({ type: 'SUBSCRIBE', channel: type, codes: [code] });
      } else {
        const client = hub.client(`c${i}`);
        recs.push(new Recorder(client.component, hub));
        const cb = () => {};
        pending.push(
          type === 'ticker' ? client.subscribeTicker([code], cb)
          : type === 'trade' ? client.subscribeTrade([code], cb)
          : type === 'orderbook' ? client.subscribeOrderbook([code], cb)
          : client.subscribeCandle('1s', [code], cb),
        );
      }
    }
    await Promise.all(pending);
    await waitFor(() => requestsOf(mock.connection(conn.id)!).length >= 2);
    await waitFor(() => recs.every((r) => r.count() > 0), { step: tick, message: 'data for all twenty' });
    for (let i = 0; i < 5; i++) tick();
    await waitFor(() => recs.every((r) => r.count() > 3), { step: tick });

    const reqs = requestsOf(mock.connection(conn.id)!);
    expect(reqs).toHaveLength(2);
    expect(sorted(unionOf(reqs[1]))).toEqual(sorted(union));
    expect(liveConnections(mock)).toHaveLength(1);
    expect(hub.status().metrics.requestsSent.public).toBe(2);
  });

  it('twenty components subscribing in the same tick before any socket exists: one connection, one request', async () => {
    const { mock, hub, tick } = await startSystem();
    const recs: Recorder[] = [];
    const union = new Set<StreamKey>();
    for (let i = 0; i < 20; i++) {
      const code = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE'][i % 5];
      const type = i < 10 ? 'ticker' : 'trade';
      union.add(`${type}|${code}|`);
      const comp = hub.spawnComponent(`c${i}`);
      recs.push(new Recorder(comp, hub));
      comp.send({ type: 'SUBSCRIBE', channel: type, codes: [code] });
    }
    await waitFor(() => recs.every((r) => r.count() > 2), { step: tick, message: 'data for all twenty' });
    const conns = mock.connections().filter((c) => c.endpoint === 'public');
    expect(conns).toHaveLength(1);
    expect(requestsOf(conns[0]).map((r) => sorted(unionOf(r)))).toEqual([sorted(union)]);
    expect(hub.status().metrics.requestsSent.public).toBe(1);
  });

  it('a component that subscribes while the emptied socket is closing still gets its data', async () => {
    // A UI swapping one widget for another: the last subscriber leaves (the hub closes the public
    // socket: Upbit has no unsubscribe) and the next one subscribes before the close completed.
    const { mock, hub, tick } = await startSystem();
    const a = hub.client('a');
    const sub = await a.subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 1);
    await sub.unsubscribe();
    await waitFor(() => hub.status().public === 'closing', { intervalMs: 0, message: 'the hub closing the emptied socket' });

    const b = hub.client('b');
    const rec = new Recorder(b.component, hub);
    await b.subscribeTrade(['KRW-ETH'], () => {});
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, expected({ type: 'trade', codes: ['KRW-ETH'] })); }, {
      message: 'a new connection asked for the new union',
      describe: () => hub.status(),
    });
    await waitFor(() => rec.count() > 3, { step: tick });
    expect(rec.keys()).toEqual(new Set(['trade|KRW-ETH']));
    expect(hub.status().public).toBe('open');
  });
});
