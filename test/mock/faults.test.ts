import { describe, expect, it } from 'vitest';
import { decodeFrame, UpbitDecodeError } from '../../src/io/index.js';
import { MALFORMED_KINDS } from '../../src/mock/index.js';
import { connect, connectPrivate, mock, request, T0, ticket } from './helpers.js';

const sub = [ticket(), { type: 'ticker', codes: ['KRW-BTC'] }];

describe('disconnects', () => {
  it('disconnectAll sends a close frame with the code and reason', async () => {
    const m = await mock();
    const a = await connect(m.url);
    const b = await connectPrivate(m);
    expect(m.disconnectAll({ code: 4000, reason: 'maintenance' })).toBe(2);
    expect(await a.closed).toEqual({ code: 4000, reason: 'maintenance' });
    expect(await b.closed).toEqual({ code: 4000, reason: 'maintenance' });
  });

  it('abrupt: drops TCP without a close frame', async () => {
    const m = await mock();
    const a = await connect(m.url);
    m.disconnectAll({ abrupt: true });
    expect((await a.closed).code).toBe(1006);
  });

  it('targets one connection by id, or one endpoint', async () => {
    const m = await mock();
    const a = await connect(m.url);
    const b = await connect(m.url);
    const p = await connectPrivate(m);
    const [ia] = m.connections().map((c) => c.id);
    m.disconnect(ia, { code: 1001 });
    expect((await a.closed).code).toBe(1001);
    m.disconnect('private');
    expect((await p.closed).code).toBe(1000);
    b.send('PING');
    expect((await b.next()).json()).toEqual({ status: 'UP' });
  });
});

describe('stalls and delays', () => {
  it('stall(true) holds every frame without closing; resume() delivers them in order', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, sub);
    await c.next();
    const sent = m.connections()[0].framesSent;
    m.stall(true);
    m.tick(3);
    c.send('PING');
    await m.next('request', (r) => r.raw === 'PING');
    const info = m.connections()[0];
    expect(info).toMatchObject({ stalled: true, queued: 4, framesSent: sent, closed: false });
    m.resume();
    const frames = await c.take(4);
    expect(frames.map((f) => f.status ?? f.stream_type)).toEqual(['REALTIME', 'REALTIME', 'REALTIME', 'UP']);
  });

  it('stall(ms) resumes by itself', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, sub);
    await c.next();
    m.stall(20);
    m.tick(1);
    expect(m.connections()[0].queued).toBe(1);
    expect((await c.next()).json().stream_type).toBe('REALTIME');
  });

  it('delayFrames(ms) delays frames but keeps their order; 0 turns it off', async () => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, sub);
    await c.next();
    m.delayFrames(15);
    m.tick(3);
    expect(m.connections()[0].queued).toBe(3);
    const ts = (await c.take(3)).map((j) => j.timestamp);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    m.delayFrames(0);
    m.tick(1);
    expect(m.connections()[0].queued).toBe(0);
  });

  it('delayFrames applies to connections opened later too', async () => {
    const m = await mock();
    m.delayFrames(10);
    const c = await connect(m.url);
    c.send('PING');
    await m.next('request');
    expect(m.connections()[0].queued).toBe(1);
    expect((await c.next()).json()).toEqual({ status: 'UP' });
  });

  it('duplicateFrames(true) sends every data frame twice (not control frames)', async () => {
    const m = await mock();
    const c = await connect(m.url);
    m.duplicateFrames(true);
    await request(m, c, sub);
    m.tick(1);
    c.send('PING');
    const frames = await c.take(5);
    expect(frames[0]).toEqual(frames[1]);
    expect(frames[2]).toEqual(frames[3]);
    expect(frames[4]).toEqual({ status: 'UP' });
    m.duplicateFrames(false);
  });
});

describe('malformed frames and errors', () => {
  const expected = {
    'truncated-json': 'DECODE_JSON',
    'invalid-utf8': 'DECODE_UTF8',
    'wrong-field-type': 'DECODE_FIELD',
    'unknown-type': 'DECODE_UNKNOWN_TYPE',
    empty: 'DECODE_EMPTY',
    'not-json': 'DECODE_JSON',
  } as const;

  it.each(['DEFAULT', 'SIMPLE', 'JSON_LIST', 'SIMPLE_LIST'])('sendMalformed: every kind breaks decodeFrame as intended (%s)', async (format) => {
    const m = await mock();
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'], is_only_realtime: true }, { format }]);
    for (const kind of MALFORMED_KINDS) {
      m.sendMalformed(kind);
      const f = await c.next();
      expect(f.binary).toBe(true);
      let err: unknown;
      try {
        decodeFrame(f.data);
      } catch (e) {
        err = e;
      }
      expect(err, kind).toBeInstanceOf(UpbitDecodeError);
      expect((err as UpbitDecodeError).code, kind).toBe(expected[kind]);
    }
    expect(() => m.sendMalformed('nonsense' as never)).toThrow(RangeError);
  });

  it('sendError sends an Upbit error frame', async () => {
    const m = await mock();
    const c = await connect(m.url);
    m.sendError('INVALID_AUTH', 'bad token');
    expect((await c.next()).json()).toEqual({ error: { name: 'INVALID_AUTH', message: 'bad token' } });
  });
});

describe('refusing connections', () => {
  it('refuses the next `count` handshakes with the given status', async () => {
    const m = await mock();
    m.refuseConnections({ count: 2, status: 503 });
    for (let i = 0; i < 2; i++) expect((await (await connect(m.url, {}, true)).refused()).status).toBe(503);
    await connect(m.url);
  });

  it('refuses for `forMs` on the mock clock, with Upbit’s body for 429', async () => {
    const clock = { t: T0 };
    const m = await mock({ now: () => clock.t });
    m.refuseConnections({ forMs: 5000, status: 429 });
    const r = await (await connect(m.url, {}, true)).refused();
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body).error.name).toBe('Too Many Requests');
    clock.t += 5000;
    await connect(m.url);
  });

  it('refuses until acceptConnections() when neither is given', async () => {
    const m = await mock();
    const refused = m.next('refused');
    m.refuseConnections();
    expect((await (await connect(m.privateUrl, {}, true)).refused()).status).toBe(503);
    expect(await refused).toMatchObject({ status: 503, path: '/websocket/v1/private' });
    m.acceptConnections();
    await connect(m.url);
  });
});
