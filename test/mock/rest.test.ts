import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { MockOptions, MockUpbit } from '../../src/mock/index.js';
import { connect, jwt, mock, request, T0, ticket } from './helpers.js';

async function rest(m: MockUpbit, path: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${m.restUrl}${path}`, { headers });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: JSON.parse(text) };
}

async function clocked(options: MockOptions = {}) {
  const clock = { t: T0 };
  const m = await mock({ now: () => clock.t, ...options });
  return { m, clock };
}

/** Raw number texts of `key` in a JSON text, in order. */
const numbersOf = (text: string, key: string) => [...text.matchAll(new RegExp(`"${key}":(-?[0-9.eE+-]+)`, 'g'))].map((x) => x[1]);

describe('quotation REST', () => {
  it('/v1/market/all lists the markets, with market_event when is_details=true', async () => {
    const m = await mock();
    const plain = await rest(m, '/v1/market/all');
    expect(plain.status).toBe(200);
    expect(plain.json[0]).toEqual({ market: 'KRW-BTC', korean_name: '비트코인', english_name: 'Bitcoin' });
    expect(plain.json.map((x: { market: string }) => x.market)).toEqual(m.markets);
    const details = await rest(m, '/v1/market/all?is_details=true');
    expect(details.json[0].market_event).toEqual({
      warning: false,
      caution: {
        PRICE_FLUCTUATIONS: false,
        TRADING_VOLUME_SOARING: false,
        DEPOSIT_AMOUNT_SOARING: false,
        GLOBAL_PRICE_DIFFERENCES: false,
        CONCENTRATION_OF_SMALL_ACCOUNTS: false,
      },
    });
    expect(plain.headers.get('remaining-req')).toBe('group=market; min=600; sec=9');
  });

  it('/v1/ticker carries the same exact digits as the WS ticker', async () => {
    const m = await mock();
    m.tick(5);
    const c = await connect(m.url);
    await request(m, c, [ticket(), { type: 'ticker', codes: ['KRW-SHIB', 'KRW-BTC'] }]);
    const ws = [(await c.next()).text, (await c.next()).text].join('');
    const r = await rest(m, '/v1/ticker?markets=KRW-SHIB,KRW-BTC');
    expect(r.json.map((x: { market: string }) => x.market)).toEqual(['KRW-SHIB', 'KRW-BTC']);
    for (const key of ['trade_price', 'acc_trade_price', 'acc_trade_volume_24h', 'change_rate', 'signed_change_price']) {
      expect(numbersOf(r.text, key)).toEqual(numbersOf(ws, key));
    }
    const t = r.json[1];
    expect(t).not.toHaveProperty('type');
    expect(t).not.toHaveProperty('code');
    expect(t).not.toHaveProperty('stream_type');
    expect(t.trade_date_kst).toMatch(/^\d{8}$/);
    expect(t.trade_time_kst).toMatch(/^\d{6}$/);
    expect(typeof t.trade_price).toBe('number');
  });

  it('/v1/ticker errors: 400 without markets, 404 "Code not found" for unknown ones', async () => {
    const m = await mock();
    const missing = await rest(m, '/v1/ticker');
    expect(missing.status).toBe(400);
    expect(missing.json.error.name).toBe(400);
    const unknown = await rest(m, '/v1/ticker?markets=KRW-NOPE');
    expect(unknown).toMatchObject({ status: 404, json: { error: { name: 404, message: 'Code not found' } } });
  });

  it('/v1/ticker/all filters by quote currency', async () => {
    const m = await mock();
    const r = await rest(m, '/v1/ticker/all?quote_currencies=BTC,USDT');
    expect(r.json.map((x: { market: string }) => x.market)).toEqual(m.markets.filter((c) => !c.startsWith('KRW-')));
  });

  it('/v1/orderbook honours count and level; unsupported level → no entry', async () => {
    const m = await mock();
    const r = await rest(m, '/v1/orderbook?markets=KRW-BTC,KRW-ETH&count=5&level=10000');
    expect(r.json.map((b: { market: string; orderbook_units: unknown[]; level: number }) => [b.market, b.orderbook_units.length, b.level])).toEqual([
      ['KRW-BTC', 5, 10000],
      ['KRW-ETH', 5, 10000],
    ]);
    expect(Object.keys(r.json[0]).sort()).toEqual(['level', 'market', 'orderbook_units', 'timestamp', 'total_ask_size', 'total_bid_size']);
    expect(Object.keys(r.json[0].orderbook_units[0])).toEqual(['ask_price', 'bid_price', 'ask_size', 'bid_size']);
    expect((await rest(m, '/v1/orderbook?markets=KRW-BTC&count=99')).json[0].orderbook_units.length).toBe(30);
    expect((await rest(m, '/v1/orderbook?markets=BTC-ETH&level=1')).json).toEqual([]);
    expect((await rest(m, '/v1/orderbook?markets=KRW-BTC&level=x')).status).toBe(400);
  });

  it('/v1/trades/ticks lists recent trades newest first with exact sequential_id', async () => {
    const m = await mock();
    m.tick(4);
    const r = await rest(m, '/v1/trades/ticks?market=KRW-XRP&count=3');
    expect(r.json).toHaveLength(3);
    const ts = r.json.map((t: { timestamp: number }) => t.timestamp);
    expect(ts).toEqual([...ts].sort((a, b) => b - a));
    expect(Object.keys(r.json[0]).sort()).toEqual(
      [
        'market', 'trade_date_utc', 'trade_time_utc', 'timestamp', 'trade_price', 'trade_volume',
        'prev_closing_price', 'change_price', 'ask_bid', 'sequential_id',
      ].sort(),
    );
    expect(numbersOf(r.text, 'sequential_id')[0]).toBe(m.lastTrade('KRW-XRP').sequentialId);
    expect((await rest(m, '/v1/trades/ticks?market=KRW-XRP&count=501')).status).toBe(400);
  });

  it('/v1/candles/minutes/{unit}, /days and /seconds', async () => {
    const m = await mock();
    m.tick(700); // 70 simulated seconds: two 1-minute candles
    const r = await rest(m, '/v1/candles/minutes/1?market=KRW-BTC&count=5');
    expect(r.json).toHaveLength(2);
    expect(r.json[0]).toMatchObject({ market: 'KRW-BTC', unit: 1, candle_date_time_utc: '2025-06-15T12:01:00', candle_date_time_kst: '2025-06-15T21:01:00' });
    expect(r.json[1].candle_date_time_utc).toBe('2025-06-15T12:00:00');
    expect(r.json[0].timestamp).toBe(m.lastTrade('KRW-BTC').tradeTimestamp);
    expect((await rest(m, '/v1/candles/minutes/2?market=KRW-BTC')).status).toBe(400);
    const day = (await rest(m, '/v1/candles/days?market=KRW-BTC')).json[0];
    const t = m.ticker('KRW-BTC');
    expect(day.prev_closing_price).toBe(t.prevClosingPrice.toNumber());
    expect(day.change_price).toBe(t.signedChangePrice.toNumber());
    expect(day.trade_price).toBe(t.tradePrice.toNumber());
    expect((await rest(m, '/v1/candles/seconds?market=KRW-BTC&count=3')).json).toHaveLength(3);
  });

  it('serves gzip when asked', async () => {
    const m = await mock();
    const enc = await new Promise<string | undefined>((resolve) =>
      get(`${m.restUrl}/v1/market/all`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        res.resume();
        resolve(res.headers['content-encoding']);
      }),
    );
    expect(enc).toBe('gzip');
  });
});

describe('REST rate limits', () => {
  it('counts down Remaining-Req, answers 429 above 10/s per group, and 418 after repeated 429s', async () => {
    const { m, clock } = await clocked();
    for (let i = 9; i >= 0; i--) {
      const r = await rest(m, '/v1/ticker?markets=KRW-BTC');
      expect(r.headers.get('remaining-req')).toBe(`group=ticker; min=600; sec=${i}`);
    }
    const over = await rest(m, '/v1/ticker?markets=KRW-BTC');
    expect(over.status).toBe(429);
    expect(over.headers.get('remaining-req')).toBe('group=ticker; min=600; sec=0');
    expect((await rest(m, '/v1/orderbook?markets=KRW-BTC')).status).toBe(200); // another group
    // Today's group names (§7.2): plural for candles and trades, quotation min=600.
    expect((await rest(m, '/v1/candles/minutes/1?market=KRW-BTC')).headers.get('remaining-req')).toBe('group=candles; min=600; sec=9');
    expect((await rest(m, '/v1/trades/ticks?market=KRW-BTC')).headers.get('remaining-req')).toBe('group=trades; min=600; sec=9');
    expect((await rest(m, '/v1/ticker?markets=KRW-BTC')).status).toBe(429);
    expect((await rest(m, '/v1/ticker?markets=KRW-BTC')).status).toBe(429); // third 429 within 10 s → blocked
    const teapot = await rest(m, '/v1/market/all');
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get('retry-after')).toBe('1');
    expect(teapot.json.error.name).toBe('teapot');
    clock.t += 1000;
    expect((await rest(m, '/v1/ticker?markets=KRW-BTC')).status).toBe(200);
    expect(m.stats().rest).toMatchObject({ breaches: 3, teapots: 1 });
  });
});

describe('exchange REST (JWT)', () => {
  const auth = async (m: MockUpbit, claims?: Record<string, unknown>, alg = 'HS256', nonce?: string) => ({
    Authorization: `Bearer ${await jwt(m.keys[0].accessKey, m.keys[0].secretKey, { alg, claims, nonce })}`,
  });

  it('/v1/accounts returns balances as strings', async () => {
    const m = await mock();
    const r = await rest(m, '/v1/accounts', await auth(m, undefined, 'HS512'));
    expect(r.status).toBe(200);
    expect(r.json[0]).toEqual({
      currency: 'KRW',
      balance: '100000000',
      locked: '0',
      avg_buy_price: '0',
      avg_buy_price_modified: false,
      unit_currency: 'KRW',
    });
    expect(r.headers.get('remaining-req')).toBe('group=default; min=1800; sec=29');
  });

  it('refuses missing, bad and replayed tokens with 401 and Upbit error names', async () => {
    const m = await mock();
    expect((await rest(m, '/v1/accounts')).json.error.name).toBe('no_authorization_token');
    const bad = await rest(m, '/v1/accounts', { Authorization: `Bearer ${await jwt(m.keys[0].accessKey, 'wrong')}` });
    expect(bad).toMatchObject({ status: 401, json: { error: { name: 'jwt_verification' } } });
    const h = await auth(m, undefined, 'HS256', 'nonce-1');
    expect((await rest(m, '/v1/accounts', h)).status).toBe(200);
    expect((await rest(m, '/v1/accounts', h)).json.error.name).toBe('nonce_used');
    const hs384 = { Authorization: `Bearer ${await jwt(m.keys[0].accessKey, m.keys[0].secretKey, { alg: 'HS384' })}` };
    expect((await rest(m, '/v1/accounts', hs384)).json.error.name).toBe('jwt_verification');
  });

  it('/v1/orders/open checks query_hash (SHA-512 of the exact query string)', async () => {
    const m = await mock();
    const o = m.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001', fills: 0 });
    const query = 'market=KRW-BTC&states[]=wait';
    const hash = createHash('sha512').update(query).digest('hex');
    const ok = await rest(m, `/v1/orders/open?${query}`, await auth(m, { query_hash: hash, query_hash_alg: 'SHA512' }));
    expect(ok.status).toBe(200);
    expect(ok.json).toHaveLength(1);
    expect(ok.json[0]).toMatchObject({
      uuid: o.uuid,
      side: 'bid',
      ord_type: 'limit',
      state: 'wait',
      market: 'KRW-BTC',
      price: '100000000',
      volume: '0.001',
      remaining_volume: '0.001',
      locked: '100050',
      trades_count: 0,
    });
    expect(ok.json[0].created_at).toMatch(/\+09:00$/);
    const wrong = await rest(m, `/v1/orders/open?${query}`, await auth(m, { query_hash: 'ab'.repeat(64) }));
    expect(wrong).toMatchObject({ status: 401, json: { error: { name: 'invalid_query_payload' } } });
    const none = await rest(m, `/v1/orders/open?${query}`, await auth(m));
    expect(none.json.error.name).toBe('invalid_query_payload');
    const other = await rest(m, '/v1/orders/open?market=KRW-ETH', await auth(m, { query_hash: createHash('sha512').update('market=KRW-ETH').digest('hex') }));
    expect(other.json).toEqual([]);
  });
});

describe('REST faults', () => {
  it('failRest makes the next requests fail with the given status', async () => {
    const m = await mock();
    m.failRest({ status: 500, count: 2 });
    m.failRest({ status: 429 });
    expect((await rest(m, '/v1/market/all')).status).toBe(500);
    expect((await rest(m, '/v1/market/all')).status).toBe(500);
    const limited = await rest(m, '/v1/market/all');
    expect(limited.status).toBe(429);
    expect(limited.json.error.name).toBe('too_many_requests');
    expect((await rest(m, '/v1/market/all')).status).toBe(200);
    expect(m.restLog.map((r) => r.status)).toEqual([500, 500, 429, 200]);
  });

  it('failRest 418: the teapot body with its block duration and Retry-After', async () => {
    const m = await mock();
    m.failRest({ status: 418, retryAfterMs: 2500 });
    const r = await rest(m, '/v1/ticker?markets=KRW-BTC');
    expect(r.status).toBe(418);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.json.error).toEqual({ name: 'teapot', message: 'Too many 429 responses: blocked for 2500 ms.' });
    expect(m.stats().rest.teapots).toBe(1);
    expect(() => m.failRest({ status: 200 })).toThrow(RangeError);
  });

  it('holdRest keeps requests unanswered until releaseRest', async () => {
    const m = await mock();
    m.holdRest(1);
    let answered = false;
    const held = rest(m, '/v1/market/all').then((r) => ((answered = true), r));
    expect((await rest(m, '/v1/ticker?markets=KRW-BTC')).status).toBe(200); // only the first is held
    expect(answered).toBe(false);
    m.releaseRest();
    expect((await held).status).toBe(200);
  });

  it('/v1/orderbook/instruments: tick size and supported levels as strings; weeks, months, years candles', async () => {
    const m = await mock();
    const r = await rest(m, '/v1/orderbook/instruments?markets=KRW-BTC,BTC-ETH');
    expect(r.headers.get('remaining-req')).toBe('group=orderbook; min=600; sec=9');
    expect(r.json).toEqual([
      { market: 'KRW-BTC', quote_currency: 'KRW', tick_size: '1000', supported_levels: ['0', '1000', '10000', '100000', '1000000', '10000000'] },
      { market: 'BTC-ETH', quote_currency: 'BTC', tick_size: '0.00000001', supported_levels: ['0'] },
    ]);
    for (const unit of ['weeks', 'months', 'years']) {
      const c = await rest(m, `/v1/candles/${unit}?market=KRW-BTC`);
      expect(c.status).toBe(200);
      expect(c.json[0].first_day_of_period).toBe(c.json[0].candle_date_time_utc.slice(0, 10));
    }
  });

  it('answers unknown paths with 404', async () => {
    const m = await mock();
    expect((await rest(m, '/v1/nope')).status).toBe(404);
  });
});
