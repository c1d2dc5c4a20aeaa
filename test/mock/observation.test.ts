import { describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../../src/mock/index.js';
import { connect, connectPrivate, mock, request, T0 } from './helpers.js';

describe('observation', () => {
  it('reports each connection: path, time, requests, subscriptions, format, counters', async () => {
    const clock = { t: T0 };
    const m = await mock({ now: () => clock.t });
    const opened = m.next('connection');
    const c = await connect(m.url);
    const info: ConnectionInfo = await opened;
    expect(info).toMatchObject({ id: 1, path: '/websocket/v1', endpoint: 'public', openedAt: T0, closed: false, format: 'DEFAULT' });
    clock.t += 5;
    const req = [{ ticket: 'obs' }, { type: 'orderbook', codes: ['KRW-BTC.5'], level: 1000 }, { type: 'ticker', codes: ['KRW-ETH'], is_only_snapshot: true }, { format: 'SIMPLE' }];
    await request(m, c, req);
    await c.take(2);
    const now = m.connection(1)!;
    expect(now.requests).toEqual([
      {
        at: T0 + 5,
        raw: JSON.stringify(req),
        parsed: expect.objectContaining({ kind: 'subscribe', ticket: 'obs', format: 'SIMPLE' }),
      },
    ]);
    expect(now.subscriptions).toEqual([
      { type: 'orderbook', codes: ['KRW-BTC.5'], level: '1000', isOnlySnapshot: false, isOnlyRealtime: false },
      { type: 'ticker', codes: ['KRW-ETH'], isOnlySnapshot: true, isOnlyRealtime: false },
    ]);
    expect(now.format).toBe('SIMPLE');
    expect(now.framesSent).toBe(2);
    expect(now.bytesSent).toBe(c.frames.reduce((s, f) => s + f.data.length, 0));
    expect(m.stats()).toMatchObject({ connects: 1, accepted: 1, framesSent: 2, bytesSent: now.bytesSent });
  });

  it('logs every received message and emits request / message / close events', async () => {
    const m = await mock();
    const p = await connectPrivate(m);
    const messages: string[] = [];
    const off = m.on('message', (e) => messages.push(e.data));
    const req = m.next('request', (r) => r.parsed.kind === 'error');
    p.send('garbage');
    const r = await req;
    expect(r).toMatchObject({ connectionId: 1, raw: 'garbage', parsed: { kind: 'error', name: 'WRONG_FORMAT' } });
    p.send('PING');
    expect((await m.next('request')).parsed).toEqual({ kind: 'ping' });
    off();
    expect(messages).toEqual(['garbage', 'PING']);
    expect(m.received.map((x) => [x.connectionId, x.data, x.binary])).toEqual([
      [1, 'garbage', false],
      [1, 'PING', false],
    ]);
    const closed = m.next('close');
    p.ws.close(4001, 'bye');
    expect(await closed).toEqual({ connectionId: 1, code: 4001, reason: 'bye' });
    expect(m.connections()[0]).toMatchObject({ closed: true, closeCode: 4001, closeReason: 'bye', accessKey: m.keys[0].accessKey });
  });

  it('records REST requests', async () => {
    const m = await mock();
    const seen = m.next('rest');
    await fetch(`${m.restUrl}/v1/ticker?markets=KRW-BTC`);
    expect(await seen).toMatchObject({ method: 'GET', url: '/v1/ticker?markets=KRW-BTC', status: 200 });
    expect(m.stats().rest.requests).toBe(1);
  });
});
