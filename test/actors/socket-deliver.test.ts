/**
 * The socket actor's per-message loop (`deliverMessages`, src/actors/socket.ts) on its own: what it
 * publishes, what it counts, and how it stamps the delay sample.
 */
import { describe, expect, it } from 'vitest';
import { ARRIVED } from '../../src/actors/arrival.js';
import { ConnectionMeter } from '../../src/actors/metrics.js';
import { Router } from '../../src/actors/router.js';
import { deliverMessages } from '../../src/actors/socket.js';
import { decodeFrame, type UpbitMessage } from '../../src/io/index.js';

const frame = (codes: string[]) =>
  decodeFrame(JSON.stringify(codes.map((code) => ({ type: 'trade', code, trade_price: 1, trade_volume: 1, ask_bid: 'BID', prev_closing_price: 1, change: 'EVEN', change_price: 0, trade_date: '2026-11-22', trade_time: '00:00:00', trade_timestamp: 1, timestamp: 1, sequential_id: 1, stream_type: 'REALTIME' }))));

function rig() {
  const router = new Router();
  router.setEpoch('public', 3);
  const published: UpbitMessage[] = [];
  router.tap = (_conn, m) => (published.push(m), false);
  return { router, published, meter: new ConnectionMeter() };
}

describe('deliverMessages', () => {
  it('counts and publishes data messages, control messages go to control', () => {
    const { router, published, meter } = rig();
    const control: string[] = [];
    const msgs = [...frame(['KRW-BTC', 'KRW-ETH']), ...decodeFrame('{"status":"UP"}')];
    deliverMessages(msgs, 'public', 3, router, meter, undefined, (m) => void control.push(m.type));
    expect(published.map((m) => (m as { code: string }).code)).toEqual(['KRW-BTC', 'KRW-ETH']);
    expect(control).toEqual(['status']);
    expect(meter.messages).toBe(2);
  });

  it('gives every message the arrival slot, set only on a sampled frame (one hidden class either way)', () => {
    const { router, published, meter } = rig();
    deliverMessages(frame(['KRW-BTC']), 'public', 3, router, meter, undefined);
    deliverMessages(frame(['KRW-ETH', 'KRW-XRP']), 'public', 3, router, meter, 12.5);
    // The slot is part of every view (src/io/view.ts): stamping adds no property of its own.
    expect(published.map((m) => ARRIVED in m && Object.getOwnPropertySymbols(m).length === 0)).toEqual([true, true, true]);
    expect(published.map((m) => (m as unknown as Record<symbol, unknown>)[ARRIVED])).toEqual([undefined, 12.5, 12.5]);
  });
});
