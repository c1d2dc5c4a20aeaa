/**
 * The router on its own: decoded messages in, deliveries out. No sockets, no actors.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, type DataMessage, type UpbitMessage } from '../../src/io/index.js';
import { Delivery } from '../../src/actors/delivery.js';
import { Router, type Stamped } from '../../src/actors/router.js';

const trade = (code: string, sid: string, stream = 'REALTIME') =>
  decodeFrame(
    JSON.stringify({
      type: 'trade', code, trade_price: 100, trade_volume: '1'.length, ask_bid: 'BID', prev_closing_price: 99,
      change: 'RISE', change_price: 1, trade_date: '2026-11-22', trade_time: '00:00:00', trade_timestamp: 1,
      timestamp: 1, sequential_id: Number(sid), stream_type: stream,
    }).replace(/"sequential_id":\d+/, `"sequential_id":${sid}`),
  )[0];

const book = (code: string, units: number, level = 0, stream = 'REALTIME') =>
  decodeFrame(
    JSON.stringify({
      type: 'orderbook', code, total_ask_size: 0, total_bid_size: 0, timestamp: 1, level, stream_type: stream,
      orderbook_units: Array.from({ length: units }, (_, i) => ({ ask_price: 101 + i, bid_price: 100 - i, ask_size: 0.1, bid_size: 0.2 })),
    }),
  )[0];

function setup() {
  const done: Array<[string, string]> = [];
  const router = new Router((id, w) => done.push([id, `${w.type}|${w.code}`]));
  const got = new Map<string, Stamped<DataMessage>[]>();
  const delivery = (id: string) => {
    const d = new Delivery(id, () => {});
    d.on('message', (m) => got.set(id, [...(got.get(id) ?? []), m]));
    return d;
  };
  const publish = (m: UpbitMessage, epoch = 1) => router.publish('public', epoch, m);
  router.setEpoch('public', 1);
  return { router, got, delivery, publish, done };
}

describe('Router', () => {
  it('delivers only to components that asked for the type and code', () => {
    const { router, got, delivery, publish } = setup();
    router.setRoutes('a', [{ type: 'trade', codes: ['KRW-BTC'] }], delivery('a'));
    router.setRoutes('b', [{ type: 'trade', codes: ['KRW-ETH'] }], delivery('b'));
    publish(trade('KRW-BTC', '1'));
    publish(trade('KRW-ETH', '2'));
    publish(trade('KRW-XRP', '3'));
    expect(got.get('a')!.map((m) => (m as { code: string }).code)).toEqual(['KRW-BTC']);
    expect(got.get('b')!.map((m) => (m as { code: string }).code)).toEqual(['KRW-ETH']);
    expect(router.metrics.unrouted).toBe(1);
  });

  it('drops and counts messages from a stale epoch, and stamps the current one', () => {
    const { router, got, delivery, publish } = setup();
    router.setRoutes('a', [{ type: 'trade', codes: ['KRW-BTC'] }], delivery('a'));
    router.setEpoch('public', 2);
    publish(trade('KRW-BTC', '1'), 1);
    publish(trade('KRW-BTC', '2'), 2);
    expect(got.get('a')!.map((m) => m.epoch)).toEqual([2]);
    expect(router.metrics.staleDropped).toBe(1);
  });

  it('serves snapshot-only and realtime-only components from one merged stream', () => {
    const { router, got, delivery, publish, done } = setup();
    router.setRoutes('snap', [{ type: 'trade', codes: ['KRW-BTC'], stream: 'snapshot' }], delivery('snap'));
    router.setRoutes('live', [{ type: 'trade', codes: ['KRW-BTC'], stream: 'realtime' }], delivery('live'));
    publish(trade('KRW-BTC', '1', 'SNAPSHOT'));
    publish(trade('KRW-BTC', '2'));
    publish(trade('KRW-BTC', '3', 'SNAPSHOT'));
    expect(got.get('snap')!.map((m) => m.streamType)).toEqual(['SNAPSHOT']);
    expect(got.get('live')!.map((m) => m.streamType)).toEqual(['REALTIME']);
    return Promise.resolve().then(() => expect(done).toEqual([['snap', 'trade|KRW-BTC']]));
  });

  it('never delivers the same trade twice to a component (duplicated frame, re-sent snapshot)', () => {
    const { router, got, delivery, publish } = setup();
    router.setRoutes('a', [{ type: 'trade', codes: ['KRW-BTC'] }], delivery('a'));
    publish(trade('KRW-BTC', '17877285547970001'));
    publish(trade('KRW-BTC', '17877285547970001'));
    publish(trade('KRW-BTC', '17877285547970001', 'SNAPSHOT'));
    publish(trade('KRW-BTC', '17877285547970002'));
    expect(got.get('a')!.length).toBe(2);
    expect(router.metrics.duplicatesDropped).toBe(2);
    // a component that joins later still gets the snapshot the others already saw
    router.setRoutes('late', [{ type: 'trade', codes: ['KRW-BTC'] }], delivery('late'));
    publish(trade('KRW-BTC', '17877285547970002', 'SNAPSHOT'));
    expect(got.get('late')!.length).toBe(1);
  });

  it('cuts the orderbook to the depth each component asked for, with exact totals', () => {
    const { router, got, delivery, publish } = setup();
    router.setRoutes('five', [{ type: 'orderbook', codes: ['KRW-BTC'], depth: 5 }], delivery('five'));
    router.setRoutes('full', [{ type: 'orderbook', codes: ['KRW-BTC.15'] }], delivery('full'));
    publish(book('KRW-BTC', 15));
    const five = got.get('five')![0] as Stamped<DataMessage> & { orderbookUnits: unknown[]; totalAskSize: { toString(): string } };
    const full = got.get('full')![0] as typeof five;
    expect(five.orderbookUnits).toHaveLength(5);
    expect(five.totalAskSize.toString()).toBe('0.5');
    expect(full.orderbookUnits).toHaveLength(15);
    expect((JSON.parse(JSON.stringify(five)) as { orderbookUnits: unknown[] }).orderbookUnits).toHaveLength(5);
  });

  it('filters orderbooks by level', () => {
    const { router, got, delivery, publish } = setup();
    router.setRoutes('l1000', [{ type: 'orderbook', codes: ['KRW-BTC'], level: 1000 }], delivery('l1000'));
    publish(book('KRW-BTC', 2, 0));
    publish(book('KRW-BTC', 2, 1000));
    expect(got.get('l1000')!.length).toBe(1);
  });

  it('removes every route of a component', () => {
    const { router, got, delivery, publish } = setup();
    router.setRoutes('a', [{ type: 'trade', codes: ['KRW-BTC'] }], delivery('a'));
    router.removeComponent('a');
    publish(trade('KRW-BTC', '1'));
    expect(got.get('a')).toBeUndefined();
  });
});
