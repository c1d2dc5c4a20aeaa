import { describe, expect, it } from 'vitest';
import { connect, mock, request, ticket } from './helpers.js';
import type { Client } from './helpers.js';

/** Everything the server sends before the answer to a PING sent now (frames are in order). */
async function drain(c: Client): Promise<any[]> {
  c.send('PING');
  const out: any[] = [];
  for (;;) {
    const j = (await c.next()).json();
    if (j.status === 'UP') return out;
    out.push(j);
  }
}

const kind = (j: any) => `${j.type ?? j.ty}:${j.code ?? j.cd}:${j.stream_type ?? j.st}`;

describe('subscription semantics', () => {
  it('sends the snapshot first, then realtime', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'] }]);
    m.tick(2);
    expect((await drain(c)).map(kind)).toEqual(['ticker:KRW-BTC:SNAPSHOT', 'ticker:KRW-BTC:REALTIME', 'ticker:KRW-BTC:REALTIME']);
  });

  it('is_only_snapshot: one snapshot, no realtime', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'trade', codes: ['KRW-BTC', 'KRW-ETH'], is_only_snapshot: true }]);
    m.tick(3);
    expect((await drain(c)).map(kind)).toEqual(['trade:KRW-BTC:SNAPSHOT', 'trade:KRW-ETH:SNAPSHOT']);
  });

  it('is_only_realtime (and camelCase isOnlyRealtime): no snapshot', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'], is_only_realtime: true }, { type: 'trade', codes: ['KRW-ETH'], isOnlyRealtime: true }]);
    m.tick(1);
    expect((await drain(c)).map(kind)).toEqual(['ticker:KRW-BTC:REALTIME', 'trade:KRW-ETH:REALTIME']);
  });

  it('each new request replaces the whole subscription set (and re-sends snapshots)', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'ticker', codes: ['KRW-BTC'] }]);
    await drain(c);
    await request(m, c, [ticket(), { type: 'trade', codes: ['KRW-ETH'] }]);
    m.tick(2);
    expect((await drain(c)).map(kind)).toEqual(['trade:KRW-ETH:SNAPSHOT', 'trade:KRW-ETH:REALTIME', 'trade:KRW-ETH:REALTIME']);
    c.send([ticket(), { type: 'trade', codes: ['KRW-ETH'] }]);
    expect((await drain(c)).map(kind)).toEqual(['trade:KRW-ETH:SNAPSHOT']);
  });

  it('merges several objects of one type in one request', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'] }, { type: 'ticker', codes: ['KRW-ETH', 'KRW-BTC'] }]);
    m.tick(1);
    const frames = (await drain(c)).map(kind);
    expect(frames.filter((k) => k.endsWith('SNAPSHOT'))).toEqual(['ticker:KRW-BTC:SNAPSHOT', 'ticker:KRW-ETH:SNAPSHOT']);
    expect(frames.filter((k) => k.endsWith('REALTIME')).sort()).toEqual(['ticker:KRW-BTC:REALTIME', 'ticker:KRW-ETH:REALTIME']);
  });

  it('serves two orderbook objects with different depths and levels', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([
      ticket(),
      { type: 'orderbook', codes: ['KRW-BTC.15'], level: 10000 },
      { type: 'orderbook', codes: ['KRW-ETH.5'], level: '1000' },
    ]);
    const [btc, eth] = await c.take(2);
    expect([btc.code, btc.orderbook_units.length, btc.level]).toEqual(['KRW-BTC', 15, 10000]);
    expect([eth.code, eth.orderbook_units.length, eth.level]).toEqual(['KRW-ETH', 5, 1000]);
    for (const u of btc.orderbook_units) {
      expect(u.ask_price % 10000).toBe(0);
      expect(u.bid_price % 10000).toBe(0);
    }
    expect(btc.orderbook_units[0].ask_price).toBeGreaterThan(btc.orderbook_units[0].bid_price);
  });

  it('cuts the book to the depth suffix: .1, .5, .15, .30, and 30 by default', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'orderbook', codes: ['KRW-BTC.1', 'KRW-ETH.5', 'KRW-XRP.15', 'KRW-SOL.30', 'KRW-DOGE'] }]);
    const books = await c.take(5);
    expect(books.map((b) => [b.code, b.orderbook_units.length, b.level])).toEqual([
      ['KRW-BTC', 1, 0],
      ['KRW-ETH', 5, 0],
      ['KRW-XRP', 15, 0],
      ['KRW-SOL', 30, 0],
      ['KRW-DOGE', 30, 0],
    ]);
  });

  it('serves 30 units for an unsupported depth suffix (CODE.N), not an error', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'orderbook', codes: ['KRW-BTC.10', 'KRW-ETH.7'] }]);
    const books = await c.take(2);
    expect(books.map((b) => [b.code, b.orderbook_units.length])).toEqual([
      ['KRW-BTC', 30],
      ['KRW-ETH', 30],
    ]);
    expect(m.stats().requestErrors).toBe(0);
  });

  it('sends nothing for an unsupported level (as Upbit documents)', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'orderbook', codes: ['KRW-BTC'], level: 12345 }, { type: 'orderbook', codes: ['BTC-ETH'], level: 1 }]);
    m.tick(2);
    expect(await drain(c)).toEqual([]);
  });

  it('streams every candle unit', async () => {
    const units = ['1s', '1m', '3m', '5m', '10m', '15m', '30m', '60m', '240m'];
    const m = await mock({ candleIntervalMs: 0 });
    const c = await connect(m.url);
    await request(m, c, [ticket(), ...units.map((u) => ({ type: `candle.${u}`, codes: ['KRW-BTC'] }))]);
    m.tick(1);
    const frames = (await drain(c)).map(kind);
    for (const u of units) {
      expect(frames).toContain(`candle.${u}:KRW-BTC:SNAPSHOT`);
      expect(frames).toContain(`candle.${u}:KRW-BTC:REALTIME`);
    }
  });
});

describe('formats', () => {
  it('DEFAULT, SIMPLE, JSON_LIST and SIMPLE_LIST shapes', async () => {
    const m = await mock();
    const c = await connect(m.url);
    const shapes: Record<string, any> = {};
    for (const format of ['DEFAULT', 'SIMPLE', 'JSON_LIST', 'SIMPLE_LIST']) {
      c.send([ticket(), { type: 'ticker', codes: ['KRW-BTC'] }, { format }]);
      shapes[format] = (await c.next()).json();
    }
    expect(shapes.DEFAULT.trade_price).toBeTypeOf('number');
    expect(shapes.SIMPLE.tp).toBe(shapes.DEFAULT.trade_price);
    expect(shapes.SIMPLE.ty).toBe('ticker');
    expect(shapes.JSON_LIST).toEqual([shapes.DEFAULT]);
    expect(shapes.SIMPLE_LIST).toEqual([shapes.SIMPLE]);
  });

  it('a later request switches the format of every stream, even LIST_SUBSCRIPTIONS', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'ticker', codes: ['KRW-BTC'] }, { type: 'trade', codes: ['KRW-BTC'] }]);
    await drain(c);
    await request(m, c, [ticket(), { method: 'LIST_SUBSCRIPTIONS' }, { format: 'SIMPLE' }]);
    const list = (await c.next()).json();
    expect(list.mthd).toBe('LIST_SUBSCRIPTIONS');
    m.tick(1);
    const after = await drain(c);
    expect(after.length).toBe(2);
    for (const j of after) {
      expect(j.ty).toBeDefined();
      expect(j.type).toBeUndefined();
    }
    expect(m.connections()[0].format).toBe('SIMPLE');
  });

  it('LIST_SUBSCRIPTIONS without a format keeps the current format ([U] choice)', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'ticker', codes: ['KRW-BTC'] }, { format: 'SIMPLE_LIST' }]);
    await drain(c);
    c.send([{ method: 'LIST_SUBSCRIPTIONS' }, ticket()]);
    expect((await c.next()).json()[0].mthd).toBe('LIST_SUBSCRIPTIONS');
  });
});

describe('LIST_SUBSCRIPTIONS', () => {
  it('answers per §2.4 with the ticket, types, codes and orderbook level', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([
      ticket(),
      { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
      { type: 'orderbook', codes: ['KRW-BTC.15', 'KRW-ETH'] },
      { type: 'orderbook', codes: ['KRW-XRP.5'], level: 10 },
    ]);
    await drain(c);
    c.send([{ ticket: 'list-1' }, { method: 'LIST_SUBSCRIPTIONS' }]);
    expect((await c.next()).json()).toEqual({
      method: 'LIST_SUBSCRIPTIONS',
      result: [
        { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
        { type: 'orderbook', codes: ['KRW-BTC.15', 'KRW-ETH'], level: 0 },
        { type: 'orderbook', codes: ['KRW-XRP.5'], level: 10 },
      ],
      ticket: 'list-1',
    });
  });

  it('lists nothing before any subscription and does not change the set', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { method: 'LIST_SUBSCRIPTIONS' }]);
    expect((await c.next()).json().result).toEqual([]);
  });
});
