/**
 * The router on its own: decoded messages in, deliveries out, per subscription. No sockets, no
 * actors: each subscription is a plain RouteTarget recording what it got.
 */
import { describe, expect, it, vi } from 'vitest';
import { Decimal, decodeFrame, type DataMessage, type UpbitMessage } from '../../src/io/index.js';
import { Router, truncateBook, type RouteTarget, type Stamped } from '../../src/actors/router.js';

const trade = (code: string, sid: string, stream = 'REALTIME') =>
  decodeFrame(
    JSON.stringify({
      type: 'trade', code, trade_price: 100, trade_volume: '1'.length, ask_bid: 'BID', prev_closing_price: 99,
      change: 'RISE', change_price: 1, trade_date: '2026-11-22', trade_time: '00:00:00', trade_timestamp: 1,
      timestamp: 1, sequential_id: Number(sid), stream_type: stream,
    }).replace(/"sequential_id":[^,]+/, `"sequential_id":${sid}`),
  )[0];

const ticker = (code: string, stream: string) =>
  decodeFrame(
    JSON.stringify({
      type: 'ticker', code, opening_price: 1, high_price: 1, low_price: 1, trade_price: 1, prev_closing_price: 1, change: 'EVEN',
      change_price: 0, signed_change_price: 0, change_rate: 0, signed_change_rate: 0, trade_volume: 1, acc_trade_volume: 1,
      acc_trade_volume_24h: 1, acc_trade_price: 1, acc_trade_price_24h: 1, trade_date: '20261122', trade_time: '000000',
      trade_timestamp: 1, ask_bid: 'BID', acc_ask_volume: 1, acc_bid_volume: 1, highest_52_week_price: 1,
      highest_52_week_date: '2026-01-01', lowest_52_week_price: 1, lowest_52_week_date: '2026-01-01', market_state: 'ACTIVE',
      is_trading_suspended: false, delisting_date: null, market_warning: 'NONE', timestamp: 1, stream_type: stream,
    }),
  )[0];

const book = (code: string, units: number, level = 0, stream = 'REALTIME') =>
  decodeFrame(
    JSON.stringify({
      type: 'orderbook', code, total_ask_size: 0, total_bid_size: 0, timestamp: 1, level, stream_type: stream,
      orderbook_units: Array.from({ length: units }, (_, i) => ({ ask_price: 101 + i, bid_price: 100 - i, ask_size: 0.1, bid_size: 0.2 })),
    }),
  )[0];

function setup() {
  const router = new Router();
  const got = new Map<string, Stamped<DataMessage>[]>();
  const done: string[] = [];
  /** One subscription with exactly these options. */
  const sub = (id: string, w: { type: string; codes?: string[]; stream?: string; depth?: number; level?: number; categories?: string[] }): RouteTarget => {
    const target: RouteTarget = {
      type: w.type,
      codes: w.codes ?? [],
      snapshot: w.stream !== 'realtime',
      realtime: w.stream !== 'snapshot',
      depth: w.depth,
      level: w.type === 'orderbook' ? (w.level ?? 0) : undefined,
      categories: w.categories ? new Set(w.categories) : undefined,
      deliver: (m) => got.set(id, [...(got.get(id) ?? []), m]),
      snapshotDone: (code) => done.push(`${id}:${code}`),
    };
    router.add(target);
    return target;
  };
  const publish = (m: UpbitMessage, epoch = 1) => router.publish('public', epoch, m);
  router.setEpoch('public', 1);
  return { router, got, sub, publish, done };
}

const streams = (got: Map<string, Stamped<DataMessage>[]>, id: string) => (got.get(id) ?? []).map((m) => m.streamType);

describe('Router', () => {
  it('delivers only to subscriptions that asked for the type and code', () => {
    const { router, got, sub, publish } = setup();
    sub('a', { type: 'trade', codes: ['KRW-BTC'] });
    sub('b', { type: 'trade', codes: ['KRW-ETH'] });
    publish(trade('KRW-BTC', '1'));
    publish(trade('KRW-ETH', '2'));
    publish(trade('KRW-XRP', '3'));
    expect(got.get('a')!.map((m) => (m as { code: string }).code)).toEqual(['KRW-BTC']);
    expect(got.get('b')!.map((m) => (m as { code: string }).code)).toEqual(['KRW-ETH']);
    expect(router.metrics.unrouted).toBe(1);
  });

  it('drops and counts messages from a stale epoch, and stamps the current one', () => {
    const { router, got, sub, publish } = setup();
    sub('a', { type: 'trade', codes: ['KRW-BTC'] });
    router.setEpoch('public', 2);
    publish(trade('KRW-BTC', '1'), 1);
    publish(trade('KRW-BTC', '2'), 2);
    expect(got.get('a')!.map((m) => m.epoch)).toEqual([2]);
    expect(router.metrics.staleDropped).toBe(1);
  });

  it('two subscriptions on one code each get exactly their stream preference', () => {
    const { got, sub, publish, done } = setup();
    sub('snap', { type: 'ticker', codes: ['KRW-BTC'], stream: 'snapshot' });
    sub('live', { type: 'ticker', codes: ['KRW-BTC'], stream: 'realtime' });
    sub('both', { type: 'ticker', codes: ['KRW-BTC'] });
    publish(ticker('KRW-BTC', 'SNAPSHOT'));
    publish(ticker('KRW-BTC', 'REALTIME'));
    publish(ticker('KRW-BTC', 'SNAPSHOT'));
    expect(streams(got, 'snap')).toEqual(['SNAPSHOT']);
    expect(streams(got, 'live')).toEqual(['REALTIME']);
    expect(streams(got, 'both')).toEqual(['SNAPSHOT', 'REALTIME']); // one snapshot per epoch
    expect(done).toEqual(['snap:KRW-BTC']);
  });

  it('one snapshot per subscription per epoch: a re-sent request never snapshots anyone twice', () => {
    const { router, got, sub, publish } = setup();
    sub('a', { type: 'ticker', codes: ['KRW-BTC'] });
    publish(ticker('KRW-BTC', 'SNAPSHOT'));
    publish(ticker('KRW-BTC', 'SNAPSHOT')); // another wish changed: the union was re-sent
    expect(streams(got, 'a')).toEqual(['SNAPSHOT']);
    expect(router.metrics.snapshotsSkipped).toBe(1);
    // A late subscription takes the snapshot the re-sent request brings; the first does not.
    sub('late', { type: 'ticker', codes: ['KRW-BTC'] });
    publish(ticker('KRW-BTC', 'SNAPSHOT'));
    expect(streams(got, 'late')).toEqual(['SNAPSHOT']);
    expect(streams(got, 'a')).toEqual(['SNAPSHOT']);
    // A new socket (epoch 2): everyone takes its snapshot again.
    router.setEpoch('public', 2);
    publish(ticker('KRW-BTC', 'SNAPSHOT'), 2);
    expect(streams(got, 'a')).toEqual(['SNAPSHOT', 'SNAPSHOT']);
  });

  it('never delivers the same trade twice to a subscription (duplicated frame)', () => {
    const { router, got, sub, publish } = setup();
    sub('a', { type: 'trade', codes: ['KRW-BTC'] });
    publish(trade('KRW-BTC', '17877285547970001'));
    publish(trade('KRW-BTC', '17877285547970001'));
    publish(trade('KRW-BTC', '17877285547970002'));
    expect(got.get('a')!.length).toBe(2);
    expect(router.metrics.duplicatesDropped).toBe(1);
  });

  it('tells trade ids apart exactly, whichever way it reads them (digits from the frame, or the string)', () => {
    const { router, got, sub, publish } = setup();
    sub('a', { type: 'trade', codes: ['KRW-BTC'] });
    // 2^53 + 1 and 2^53 (one double), ids of 16 and 30 digits, a negative id (read as a string), a REST-style plain object.
    const ids = ['9007199254740993', '9007199254740992', '1000000000000000', '123456789012345678901234567890', '-5'];
    for (const id of ids) publish(trade('KRW-BTC', id));
    for (const id of ids) publish(trade('KRW-BTC', id));
    const plain = { ...(trade('KRW-BTC', '9007199254740993') as unknown as { toJSON(): object }).toJSON(), epoch: 1 } as unknown as UpbitMessage;
    publish(plain); // no digit reader: the string path, the same id
    expect(got.get('a')!.map((m) => (m as unknown as { sequentialId: string }).sequentialId)).toEqual(ids);
    expect(router.metrics.duplicatesDropped).toBe(ids.length + 1);
  });

  it('cuts the orderbook to the depth each subscription asked for, with exact totals', () => {
    const { got, sub, publish } = setup();
    sub('five', { type: 'orderbook', codes: ['KRW-BTC'], depth: 5 });
    sub('full', { type: 'orderbook', codes: ['KRW-BTC'] });
    publish(book('KRW-BTC', 15));
    const five = got.get('five')![0] as Stamped<DataMessage> & { orderbookUnits: unknown[]; totalAskSize: { toString(): string } };
    const full = got.get('full')![0] as typeof five;
    expect(five.orderbookUnits).toHaveLength(5);
    expect(five.totalAskSize.toString()).toBe('0.5');
    expect(full.orderbookUnits).toHaveLength(15);
    expect((JSON.parse(JSON.stringify(five)) as { orderbookUnits: unknown[] }).orderbookUnits).toHaveLength(5);
  });

  it('filters orderbooks by level: level 0 and level 1000 subscriptions each get their own book', () => {
    const { got, sub, publish } = setup();
    sub('l0', { type: 'orderbook', codes: ['KRW-BTC'] });
    sub('l1000', { type: 'orderbook', codes: ['KRW-BTC'], level: 1000 });
    publish(book('KRW-BTC', 2, 0));
    publish(book('KRW-BTC', 2, 1000));
    expect(got.get('l0')!.map((m) => String((m as { level: unknown }).level))).toEqual(['0']);
    expect(got.get('l1000')!.map((m) => String((m as { level: unknown }).level))).toEqual(['1000']);
  });

  it('a depth route hands a book that fits on as itself, and cuts a longer one only when its units are read', () => {
    const { got, sub, publish } = setup();
    sub('five', { type: 'orderbook', codes: ['KRW-BTC'], depth: 5 });
    sub('fifteen', { type: 'orderbook', codes: ['KRW-BTC'], depth: 15 });
    const real = book('KRW-BTC', 15) as unknown as { orderbookUnits: unknown[] };
    let reads = 0;
    // A book whose units getter is counted (the router must not decode them per message).
    const units = real.orderbookUnits;
    const counted = { type: 'orderbook', code: 'KRW-BTC', streamType: 'REALTIME', level: null, get orderbookUnits() { reads++; return units; } } as unknown as UpbitMessage;
    publish(counted);
    expect(reads).toBe(2); // each depth route counts the units (a list the decoder built), nothing more
    const five = got.get('five')![0] as unknown as { orderbookUnits: unknown[] };
    const fifteen = got.get('fifteen')![0] as unknown as { orderbookUnits: unknown[] };
    expect(fifteen).toBe(counted); // it fits: the book itself, no proxy
    expect((five as unknown) === counted).toBe(false); // (not .not.toBe: its deep-equality hint would read the units)
    expect(five.orderbookUnits).toHaveLength(5);
    expect(five.orderbookUnits).toBe(five.orderbookUnits);
    expect(reads).toBe(3); // the cut, once, when read
  });

  it('the level filter builds no Decimal per message, and matches the level whatever its digits', () => {
    const { got, sub, publish } = setup();
    sub('l1000', { type: 'orderbook', codes: ['KRW-BTC'], level: 1000 });
    const eq = vi.spyOn(Decimal.prototype, 'eq');
    try {
      const frame = (level: string) =>
        decodeFrame(`{"type":"orderbook","code":"KRW-BTC","total_ask_size":0,"total_bid_size":0,"timestamp":1,"level":${level},"stream_type":"REALTIME","orderbook_units":[]}`)[0];
      for (const level of ['1000', '1000.0', '1e3', '0', '100']) publish(frame(level));
      expect(eq).not.toHaveBeenCalled();
    } finally {
      eq.mockRestore();
    }
    expect(got.get('l1000')!.map((m) => String((m as { level: unknown }).level))).toEqual(['1000', '1000', '1000']);
  });

  it('a subscription without codes gets every code beside the exact ones, until it is removed', () => {
    const { router, got, sub, publish } = setup();
    const all = sub('all', { type: 'trade' });
    sub('btc', { type: 'trade', codes: ['KRW-BTC'] });
    publish(trade('KRW-BTC', '1'));
    publish(trade('KRW-ETH', '2'));
    expect(got.get('all')!.map((m) => (m as { code: string }).code)).toEqual(['KRW-BTC', 'KRW-ETH']);
    router.remove(all);
    publish(trade('KRW-ETH', '3'));
    publish(trade('KRW-BTC', '4'));
    expect(got.get('all')).toHaveLength(2);
    expect(got.get('btc')).toHaveLength(2);
    expect(router.metrics.unrouted).toBe(1);
    expect(router.targets('trade')).toEqual([]);
  });

  it('a cut book (route or pool reader) reads everything but its units and totals from the book', () => {
    const { got, sub, publish } = setup();
    sub('five', { type: 'orderbook', codes: ['KRW-BTC'], depth: 5 });
    const b = book('KRW-BTC', 15) as unknown as { constructor: unknown; code: string };
    publish(b as unknown as UpbitMessage);
    for (const cut of [truncateBook(b as never, 5), got.get('five')![0]] as unknown as (typeof b)[]) {
      expect(cut.constructor).toBe(b.constructor);
      expect(cut.code).toBe('KRW-BTC');
      expect(() => String(cut)).not.toThrow();
      // toJSON() stays a plain object all the way down, cut units included
      const plain = (cut as unknown as { toJSON(): { orderbookUnits: object[] } }).toJSON();
      expect(plain.orderbookUnits).toHaveLength(5);
      for (const u of plain.orderbookUnits) expect(Object.getPrototypeOf(u)).toBe(Object.prototype);
    }
  });

  it('remove stops a subscription; narrow keeps the state of the codes it keeps', () => {
    const { router, got, sub, publish } = setup();
    const a = sub('a', { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] }) as RouteTarget & { codes: string[] };
    publish(ticker('KRW-BTC', 'SNAPSHOT'));
    a.codes = ['KRW-BTC'];
    router.narrow(a);
    publish(ticker('KRW-ETH', 'REALTIME'));
    publish(ticker('KRW-BTC', 'SNAPSHOT')); // kept code: still no second snapshot
    expect(streams(got, 'a')).toEqual(['SNAPSHOT']);
    router.remove(a);
    publish(ticker('KRW-BTC', 'REALTIME'));
    expect(streams(got, 'a')).toEqual(['SNAPSHOT']);
    expect(router.routeCount('ticker', 'KRW-BTC')).toBe(0);
  });
});
