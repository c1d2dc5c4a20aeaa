import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/io/index.js';
import { connect, mock, request, ticket } from './helpers.js';

describe('flood', () => {
  it('writes pre-built raw frames to a socket without permessage-deflate', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'], is_only_realtime: true }]);
    const result = await m.flood({ type: 'ticker', count: 5_000 });
    expect(result).toMatchObject({ connections: 1, frames: 5_000, rawPath: 1 });
    await c.count(5_000);
    const texts = new Set<string>();
    const codes: string[] = [];
    for (const f of c.frames) {
      expect(f.binary).toBe(true);
      const [msg] = decodeFrame(f.data);
      expect(msg.type).toBe('ticker');
      codes.push((msg as { code: string }).code);
      texts.add(f.text);
    }
    expect(codes.slice(0, 4)).toEqual(['KRW-BTC', 'KRW-ETH', 'KRW-BTC', 'KRW-ETH']);
    expect(texts.size).toBe(256); // the ring
    expect(m.connections()[0]).toMatchObject({ framesSent: 5_000, bytesSent: result.bytes });
  });

  it('goes through ws.send when permessage-deflate uses context takeover', async () => {
    const m = await mock({ perMessageDeflate: { threshold: 0 } });
    const c = await connect(m.url, { perMessageDeflate: true });
    await request(m, c, [ticket(), { type: 'trade', codes: ['KRW-XRP'], is_only_realtime: true }]);
    const result = await m.flood({ type: 'trade', count: 1000 });
    expect(result).toMatchObject({ frames: 1000, rawPath: 0 });
    m.tick(1);
    await c.count(1001);
    for (const f of c.frames) expect(decodeFrame(f.data)[0].type).toBe('trade');
  });

  it('gives every trade flood frame a sequential_id never seen before in the process (raw path, laps and batches)', async () => {
    const m = await mock();
    const plain = await connect(m.url);
    const simple = await connect(m.url);
    await request(m, plain, [ticket(), { type: 'trade', codes: ['KRW-BTC', 'KRW-ETH'], is_only_realtime: true }]);
    await request(m, simple, [ticket(), { type: 'trade', codes: ['KRW-BTC'], is_only_realtime: true }, { format: 'SIMPLE' }]);
    // Several laps of the 256-frame ring per ~1 MiB batch, several batches, then a second flood.
    const first = await m.flood({ type: 'trade', count: 6_000 });
    const second = await m.flood({ type: 'trade', count: 700 });
    expect(first).toMatchObject({ connections: 2, frames: 12_000, rawPath: 2 });
    expect(second.frames).toBe(1_400);
    await plain.count(6_700);
    await simple.count(6_700);
    const ids = new Set<string>();
    const texts = new Set<string>();
    for (const f of [...plain.frames, ...simple.frames]) {
      const [msg] = decodeFrame(f.data);
      if (msg.type !== 'trade') throw new Error(`not a trade: ${f.text}`);
      expect(msg.sequentialId).toMatch(/^1\d{16}$/);
      ids.add(msg.sequentialId);
      texts.add(f.text.replace(/"(sequential_id|sid)":\d+/, ''));
    }
    expect(ids.size).toBe(13_400);
    expect(texts.size).toBe(2 * 256); // otherwise the same ring: the id is the only thing patched
  });

  it('gives trade frames unique ids through ws.send too (permessage-deflate without context takeover)', async () => {
    const m = await mock({ perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } });
    const c = await connect(m.url, { perMessageDeflate: true });
    await request(m, c, [ticket(), { type: 'trade', codes: ['KRW-BTC'], is_only_realtime: true }]);
    const result = await m.flood({ type: 'trade', count: 600 });
    expect(result).toMatchObject({ frames: 600, rawPath: 0 }); // a compressed frame cannot be patched
    await c.count(600);
    const ids = new Set(c.frames.map((f) => (decodeFrame(f.data)[0] as { sequentialId: string }).sequentialId));
    expect(ids.size).toBe(600);
  });

  it('writes pre-compressed frames when server_no_context_takeover is negotiated', async () => {
    const m = await mock({ perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } });
    const c = await connect(m.url, { perMessageDeflate: true });
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC', 'USDT-BTC'], is_only_realtime: true }]);
    const result = await m.flood({ type: 'ticker', count: 2000 });
    expect(result).toMatchObject({ frames: 2000, rawPath: 1 });
    expect(result.bytes).toBeLessThan(2000 * 600); // compressed on the wire
    m.tick(1); // ws's own compressed frames still decode after ours
    await c.count(2002);
    for (const f of c.frames) expect(decodeFrame(f.data)[0].type).toBe('ticker');
  });

  it('honours format, type, codes and orderbook depth per subscriber', async () => {
    const m = await mock();
    const books = await connect(m.url);
    const trades = await connect(m.url);
    await request(m, books, [ticket(), { type: 'orderbook', codes: ['KRW-BTC.5', 'KRW-ETH'], is_only_realtime: true }]);
    await request(m, trades, [ticket(), { type: 'trade', codes: ['KRW-BTC'], is_only_realtime: true }]);
    const r = await m.flood({ type: 'orderbook', codes: ['KRW-BTC'], count: 300, format: 'SIMPLE_LIST' });
    expect(r.connections).toBe(1);
    await books.count(300);
    for (const f of books.frames) {
      const [j] = f.json();
      expect(j.cd).toBe('KRW-BTC');
      expect(j.obu).toHaveLength(5);
    }
    trades.send('PING');
    expect((await trades.next()).json()).toEqual({ status: 'UP' });
  });

  it('stamps flood frames with "_sent" when stampSendTime is on', async () => {
    const m = await mock({ stampSendTime: true });
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'], is_only_realtime: true }]);
    await m.flood({ type: 'ticker', count: 3000 });
    await c.count(3000);
    for (const f of [c.frames[0], c.frames[2999]]) {
      expect(f.text).toMatch(/,"_sent":\d{19}\}$/);
      expect(decodeFrame(f.data)[0].type).toBe('ticker');
    }
  });

  it('never queues more than about one batch for a consumer that stops reading', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'], is_only_realtime: true }]);
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    let done = false;
    const waiting = m.next('flood', (e) => e.phase === 'waiting');
    const flooding = m.flood({ type: 'ticker', count: 10_000_000 }).then((r) => ((done = true), r));
    await waiting;
    let max = 0;
    for (let i = 0; i < 2000; i++) {
      max = Math.max(max, m.connections()[0].bufferedBytes);
      await new Promise((r) => setImmediate(r));
    }
    expect(done).toBe(false);
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThan(1.1 * 1024 * 1024);
    c.ws.terminate();
    const r = await flooding;
    expect(r.frames).toBeLessThan(10_000_000);
  });
});
