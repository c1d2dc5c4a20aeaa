import { describe, expect, it } from 'vitest';
import { CANDLE_TYPES, decodeFrame, FORMATS } from '../../src/io/index.js';
import type { UpbitMessage } from '../../src/io/index.js';
import { connectPrivate, mock, request, ticket } from './helpers.js';

/**
 * Every kind of frame the mock emits, in every format, must decode with the project's decoder.
 * One private connection sees everything (public types are allowed there by default).
 */
describe('every emitted frame decodes with decodeFrame', () => {
  it.each(FORMATS)('%s', async (format) => {
    const m = await mock({ candleIntervalMs: 0 });
    const c = await connectPrivate(m);
    await request(m, c, [
      ticket(),
      { type: 'ticker', codes: ['KRW-BTC', 'BTC-XRP', 'USDT-ETH', 'KRW-SHIB'] },
      { type: 'trade', codes: ['KRW-BTC', 'BTC-XRP'] },
      { type: 'orderbook', codes: ['KRW-BTC.15', 'BTC-XRP.1'] },
      { type: 'orderbook', codes: ['KRW-ETH.5'], level: 10000 },
      ...CANDLE_TYPES.map((type) => ({ type, codes: ['KRW-ETH'] })),
      { type: 'myOrder' },
      { type: 'myAsset' },
      { type: 'announcement', include_body: true },
      { format },
    ]);
    m.tick(3);
    const o = m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001', fills: 0 });
    m.fillOrder(o.uuid, { volume: '0.0004' });
    m.cancelOrder(o.uuid);
    m.placeOrder({ code: 'BTC-XRP', side: 'ask', ordType: 'market', volume: '10', identifier: 'x', fills: 2 });
    m.publishAnnouncement({ title: '공지', category: 'notice', body: 'line\n"quoted"' });
    m.publishAnnouncement({ title: 'no body', category: 'event' });
    m.sendError('INVALID_PARAM', 'injected');
    c.send([ticket(), { method: 'LIST_SUBSCRIPTIONS' }]);
    c.send('PING');
    const seen = new Map<string, number>();
    const list = format === 'JSON_LIST' || format === 'SIMPLE_LIST';
    for (;;) {
      const f = await c.next();
      let msgs: UpbitMessage[] = [];
      expect(() => (msgs = decodeFrame(f.data)), f.text).not.toThrow();
      for (const msg of msgs) {
        seen.set(msg.type, (seen.get(msg.type) ?? 0) + 1);
        if (msg.type !== 'status' && msg.type !== 'error') expect(f.text.startsWith('['), f.text).toBe(list);
        JSON.stringify(msg); // every lazy field reads without error
        for (const v of Object.values((msg as unknown as { toJSON(): object }).toJSON())) void v;
      }
      if (msgs[0]?.type === 'status') break;
    }
    for (const type of ['ticker', 'trade', 'orderbook', ...CANDLE_TYPES, 'myOrder', 'myAsset', 'announcement', 'listSubscriptions', 'error', 'status']) {
      expect(seen.get(type), type).toBeGreaterThan(0);
    }
  });
});
