import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../src/mock/index.js';
import type { ParsedRequest, RequestError } from '../../src/mock/index.js';
import { connect, connectPrivate, mock, ticket } from './helpers.js';

const pub = { endpoint: 'public', privatePublicTypes: true, invalidCodes: 'error' } as const;
const priv = { ...pub, endpoint: 'private' } as const;
const parse = (v: unknown, o: Parameters<typeof parseRequest>[1] = pub) => parseRequest(typeof v === 'string' ? v : JSON.stringify(v), o);
const errorName = (v: unknown, o?: Parameters<typeof parseRequest>[1]) => (parse(v, o) as RequestError).name;
const T = { ticket: 't' };

describe('parseRequest (pure)', () => {
  it.each([
    ['not JSON', '{oops', 'WRONG_FORMAT'],
    ['a single object instead of an array', { ticket: 't' }, 'WRONG_FORMAT'],
    ['an element that is not an object', [T, 'ticker'], 'WRONG_FORMAT'],
    ['no ticket', [{ type: 'ticker', codes: ['KRW-BTC'] }], 'NO_TICKET'],
    ['an empty array', [], 'NO_TICKET'],
    ['ticket of the wrong type', [{ ticket: true }, { type: 'ticker', codes: ['KRW-BTC'] }], 'WRONG_FORMAT'],
    ['no data type object', [T], 'NO_TYPE'],
    ['an object without type', [T, { codes: ['KRW-BTC'] }], 'NO_TYPE'],
    ['type not a string', [T, { type: 1, codes: ['KRW-BTC'] }], 'WRONG_FORMAT'],
    ['unknown type', [T, { type: 'tickers', codes: ['KRW-BTC'] }], 'INVALID_PARAM'],
    ['the removed myTrade type', [T, { type: 'myTrade' }], 'INVALID_PARAM'],
    ['an unknown candle unit', [T, { type: 'candle.2m', codes: ['KRW-BTC'] }], 'INVALID_PARAM'],
    ['codes missing', [T, { type: 'ticker' }], 'NO_CODES'],
    ['codes empty', [T, { type: 'trade', codes: [] }], 'NO_CODES'],
    ['codes not a list', [T, { type: 'ticker', codes: 'KRW-BTC' }], 'WRONG_FORMAT'],
    ['lower-case code', [T, { type: 'ticker', codes: ['krw-btc'] }], 'INVALID_PARAM'],
    ['malformed code', [T, { type: 'ticker', codes: ['KRWBTC'] }], 'INVALID_PARAM'],
    ['depth suffix on a ticker', [T, { type: 'ticker', codes: ['KRW-BTC.15'] }], 'INVALID_PARAM'],
    ['a non-numeric orderbook depth', [T, { type: 'orderbook', codes: ['KRW-BTC.x'] }], 'INVALID_PARAM'],
    ['a zero orderbook depth', [T, { type: 'orderbook', codes: ['KRW-BTC.0'] }], 'INVALID_PARAM'],
    ['non-numeric level', [T, { type: 'orderbook', codes: ['KRW-BTC'], level: 'abc' }], 'INVALID_PARAM'],
    ['negative level', [T, { type: 'orderbook', codes: ['KRW-BTC'], level: -1 }], 'INVALID_PARAM'],
    ['level of the wrong type', [T, { type: 'orderbook', codes: ['KRW-BTC'], level: true }], 'WRONG_FORMAT'],
    ['a flag that is not a boolean', [T, { type: 'ticker', codes: ['KRW-BTC'], is_only_snapshot: 'yes' }], 'WRONG_FORMAT'],
    ['both stream flags', [T, { type: 'ticker', codes: ['KRW-BTC'], is_only_snapshot: true, is_only_realtime: true }], 'INVALID_PARAM'],
    ['unknown format', [T, { type: 'ticker', codes: ['KRW-BTC'] }, { format: 'XML' }], 'INVALID_PARAM'],
    ['format not a string', [T, { type: 'ticker', codes: ['KRW-BTC'] }, { format: 1 }], 'WRONG_FORMAT'],
    ['unknown method', [T, { method: 'UNSUBSCRIBE' }], 'INVALID_PARAM'],
    ['a private type on the public endpoint', [T, { type: 'myOrder' }], 'INVALID_PARAM'],
  ])('%s → %s', (_why, request, name) => {
    expect(errorName(request)).toBe(name);
  });

  it.each([
    ['codes on myAsset', [T, { type: 'myAsset', codes: ['KRW-BTC'] }], 'WRONG_FORMAT'],
    ['an unknown announcement category', [T, { type: 'announcement', categories: ['gossip'] }], 'INVALID_PARAM'],
    ['myOrder with a lower-case code', [T, { type: 'myOrder', codes: ['krw-btc'] }], 'INVALID_PARAM'],
  ])('private endpoint: %s → %s', (_why, request, name) => {
    expect(errorName(request, priv)).toBe(name);
  });

  it('refuses public types on the private endpoint when privatePublicTypes is off', () => {
    expect(errorName([T, { type: 'ticker', codes: ['KRW-BTC'] }], { ...priv, privatePublicTypes: false })).toBe('INVALID_PARAM');
    expect(parse([T, { type: 'ticker', codes: ['KRW-BTC'] }], priv).kind).toBe('subscribe');
  });

  it('accepts objects in any order', () => {
    const orders = [
      [{ format: 'SIMPLE' }, { type: 'ticker', codes: ['KRW-BTC'] }, T],
      [{ type: 'ticker', codes: ['KRW-BTC'] }, T, { format: 'SIMPLE' }],
      [T, { format: 'SIMPLE' }, { type: 'ticker', codes: ['KRW-BTC'] }],
    ];
    for (const o of orders) expect(parse(o)).toMatchObject({ kind: 'subscribe', ticket: 't', format: 'SIMPLE' });
    expect(parse([{ method: 'LIST_SUBSCRIPTIONS' }, T])).toEqual({ kind: 'list', ticket: 't', format: undefined });
  });

  it('reads snake_case and camelCase stream flags', () => {
    const p = parse([
      T,
      { type: 'ticker', codes: ['KRW-BTC'], is_only_snapshot: true },
      { type: 'trade', codes: ['KRW-BTC'], isOnlyRealtime: true },
    ]) as Extract<ParsedRequest, { kind: 'subscribe' }>;
    expect(p.objects.map((o) => [o.isOnlySnapshot, o.isOnlyRealtime])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('takes level as a number or a numeric string; orderbook depth suffixes 1, 5, 15, 30', () => {
    const p = parse([
      T,
      { type: 'orderbook', codes: ['KRW-BTC.1', 'KRW-ETH.5', 'KRW-XRP.15', 'KRW-SOL.30'], level: '10000' },
      { type: 'orderbook', codes: ['KRW-DOGE'], level: 1 },
    ]) as Extract<ParsedRequest, { kind: 'subscribe' }>;
    expect(p.objects.map((o) => o.level?.toString())).toEqual(['10000', '1']);
  });

  it('accepts every candle unit', () => {
    for (const u of ['1s', '1m', '3m', '5m', '10m', '15m', '30m', '60m', '240m']) {
      expect(parse([T, { type: `candle.${u}`, codes: ['KRW-BTC'] }]).kind).toBe('subscribe');
    }
  });

  it('drops bad codes silently when invalidCodes is "ignore"', () => {
    const p = parse([T, { type: 'ticker', codes: ['krw-btc', 'KRW-ETH'] }], { ...pub, invalidCodes: 'ignore' });
    expect((p as Extract<ParsedRequest, { kind: 'subscribe' }>).objects[0].codes).toEqual(['KRW-ETH']);
  });

  it('accepts myOrder with no codes or [] (all markets) and announcement options', () => {
    const p = parse([T, { type: 'myOrder', codes: [] }, { type: 'announcement', categories: ['notice', 'trade'], include_body: true }], priv);
    expect(p).toMatchObject({
      kind: 'subscribe',
      objects: [{ type: 'myOrder', codes: [] }, { type: 'announcement', categories: ['notice', 'trade'], includeBody: true }],
    });
  });
});

describe('error frames on the wire', () => {
  it('answers a bad request with {"error":{"name","message"}} and keeps the connection and its streams', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'ticker', codes: ['KRW-BTC'] }]);
    expect((await c.next()).json().stream_type).toBe('SNAPSHOT');
    c.send([{ type: 'ticker', codes: ['KRW-ETH'] }]);
    const e = (await c.next()).json();
    expect(Object.keys(e)).toEqual(['error']);
    expect(e.error.name).toBe('NO_TICKET');
    expect(typeof e.error.message).toBe('string');
    m.tick();
    expect((await c.until((j) => j.type === 'ticker')).code).toBe('KRW-BTC'); // previous set still live
    expect(m.stats().requestErrors).toBe(1);
  });

  it('sends INVALID_PARAM for lower-case codes on the wire', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'ticker', codes: ['krw-btc'] }]);
    expect((await c.next()).json().error.name).toBe('INVALID_PARAM');
  });

  it('refuses private types on the public endpoint', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'myAsset' }]);
    expect((await c.next()).json().error.name).toBe('INVALID_PARAM');
  });

  it('sends WRONG_FORMAT for codes on myAsset (private endpoint)', async () => {
    const m = await mock();
    const c = await connectPrivate(m);
    c.send([ticket(), { type: 'myAsset', codes: ['KRW-BTC'] }]);
    expect((await c.next()).json().error.name).toBe('WRONG_FORMAT');
  });

  it('can close after an error when closeOnError is set', async () => {
    const m = await mock({ closeOnError: true });
    const c = await connect(m.url);
    c.send('not json');
    expect((await c.next()).json().error.name).toBe('WRONG_FORMAT');
    expect((await c.closed).code).toBe(1008);
  });

  it('answers unknown markets with silence by default, INVALID_PARAM when unknownCodes is "error"', async () => {
    const m = await mock();
    const c = await connect(m.url);
    c.send([ticket(), { type: 'ticker', codes: ['KRW-NOPE', 'KRW-BTC'] }]);
    expect((await c.next()).json().code).toBe('KRW-BTC');
    const strict = await mock({ unknownCodes: 'error' });
    const d = await connect(strict.url);
    d.send([ticket(), { type: 'ticker', codes: ['KRW-NOPE'] }]);
    expect((await d.next()).json().error.name).toBe('INVALID_PARAM');
  });
});
