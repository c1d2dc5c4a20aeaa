import { describe, expect, it } from 'vitest';
import type { MockOptions } from '../../src/mock/index.js';
import { connect, jwt, mock, T0, ticket } from './helpers.js';
import type { Client } from './helpers.js';

/** A mock with Upbit's real limits on a clock the test moves by hand. */
async function limited(options: MockOptions = {}) {
  const clock = { t: T0 };
  const m = await mock({ now: () => clock.t, limits: {}, ...options });
  return { m, clock };
}

async function reply(c: Client, message: unknown): Promise<any> {
  c.send(message);
  return (await c.next()).json();
}

describe('connect limit: 5 per second per IP', () => {
  it('answers the 6th connect in a second with HTTP 429, and accepts again next second', async () => {
    const { m, clock } = await limited();
    for (let i = 0; i < 5; i++) await connect(m.url);
    const sixth = await connect(m.url, {}, true);
    const r = await sixth.refused();
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body).error.name).toBe('Too Many Requests');
    clock.t += 1000;
    await connect(m.url);
    expect(m.stats()).toMatchObject({ connects: 7, accepted: 6, connectBreaches: 1 });
  });

  it('can answer with an error frame after the upgrade instead', async () => {
    const { m } = await limited({ limits: { onConnectLimit: 'error-frame' } });
    for (let i = 0; i < 5; i++) await connect(m.url);
    const sixth = await connect(m.url);
    expect((await sixth.next()).json().error.name).toBe('Too Many Requests');
    expect((await sixth.closed).code).toBe(1008);
  });

  it('or just close (onConnectLimit: "close")', async () => {
    const { m } = await limited({ limits: { onConnectLimit: 'close' } });
    for (let i = 0; i < 5; i++) await connect(m.url);
    const sixth = await connect(m.url);
    expect(await sixth.closed).toEqual({ code: 1008, reason: 'Too Many Requests' });
    expect(sixth.frames).toEqual([]);
  });

  it('counts connects that carry a JWT per access key, apart from the IP', async () => {
    const { m } = await limited();
    const k = m.keys[0];
    for (let i = 0; i < 5; i++) await connect(m.url);
    for (let i = 0; i < 5; i++) {
      const token = await jwt(k.accessKey, k.secretKey);
      await connect(m.privateUrl, { headers: { Authorization: `Bearer ${token}` } });
    }
    expect(m.stats().connectBreaches).toBe(0);
  });

  it('limits requests with an Origin header (browsers) to 1 per 10 seconds', async () => {
    const { m, clock } = await limited();
    await connect(m.url, { headers: { Origin: 'https://example.com' } });
    clock.t += 5000;
    const second = await connect(m.url, { headers: { Origin: 'https://example.com' } }, true);
    expect((await second.refused()).status).toBe(429);
    clock.t += 5000;
    await connect(m.url, { headers: { Origin: 'https://example.com' } });
  });
});

describe('message limit: 5 per second and 100 per minute per connection', () => {
  it('answers the 6th message in a second with a Too Many Requests frame and drops it', async () => {
    const { m, clock } = await limited();
    const c = await connect(m.url);
    for (let i = 0; i < 4; i++) expect(await reply(c, 'PING')).toEqual({ status: 'UP' });
    expect((await reply(c, [ticket(), { type: 'ticker', codes: ['KRW-BTC'] }])).type).toBe('ticker');
    const e = await reply(c, [ticket(), { type: 'trade', codes: ['KRW-BTC'] }]);
    expect(e.error.name).toBe('Too Many Requests');
    expect(m.connections()[0].subscriptions.map((s) => s.type)).toEqual(['ticker']);
    expect(m.connections()[0].requests.at(-1)!.parsed).toEqual({ kind: 'rate-limited' });
    clock.t += 1000;
    expect((await reply(c, [ticket(), { type: 'trade', codes: ['KRW-BTC'] }])).type).toBe('trade');
    expect(m.stats()).toMatchObject({ messageBreaches: 1, perConnection: [{ id: 1, messages: 7, messageBreaches: 1 }] });
  });

  it('allows 100 messages per minute, then refuses until the next minute', async () => {
    const { m, clock } = await limited();
    const c = await connect(m.url);
    for (let i = 0; i < 100; i++) {
      if (i % 5 === 0 && i > 0) clock.t += 1000;
      expect(await reply(c, 'PING')).toEqual({ status: 'UP' });
    }
    clock.t += 1000;
    expect((await reply(c, 'PING')).error.name).toBe('Too Many Requests');
    clock.t = T0 + 60_000;
    expect(await reply(c, 'PING')).toEqual({ status: 'UP' });
  });

  it('does not count the text PING when countPing is off', async () => {
    const { m } = await limited({ limits: { countPing: false } });
    const c = await connect(m.url);
    for (let i = 0; i < 10; i++) expect(await reply(c, 'PING')).toEqual({ status: 'UP' });
    expect(m.stats().messageBreaches).toBe(0);
  });

  it('can close the connection on a breach instead', async () => {
    const { m } = await limited({ limits: { onMessageLimit: 'close' } });
    const c = await connect(m.url);
    for (let i = 0; i < 5; i++) await reply(c, 'PING');
    c.send('PING');
    expect(await c.closed).toEqual({ code: 1008, reason: 'Too Many Requests' });
  });

  it('limits: false turns every limit off', async () => {
    const { m } = await limited({ limits: false });
    for (let i = 0; i < 7; i++) await connect(m.url);
    const c = await connect(m.url);
    for (let i = 0; i < 12; i++) expect(await reply(c, 'PING')).toEqual({ status: 'UP' });
    expect(m.stats()).toMatchObject({ connectBreaches: 0, messageBreaches: 0 });
  });

  it('reports a well-behaved client as never having tripped a limit', async () => {
    const { m, clock } = await limited();
    const c = await connect(m.url);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 5; i++) await reply(c, 'PING');
      clock.t += 1000;
    }
    const st = m.stats();
    expect(st.connectBreaches + st.messageBreaches).toBe(0);
    expect(st.perConnection.every((p) => p.messageBreaches === 0)).toBe(true);
  });
});
