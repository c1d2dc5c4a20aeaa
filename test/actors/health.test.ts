/**
 * The pure parts of observability: the health rules and their thresholds (HealthMonitor), the
 * delay quantiles, the messages/s window, and the logger wrapper's redaction.
 */
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../src/actors/health.js';
import { hubLog } from '../../src/actors/logging.js';
import { ConnectionMeter, Quantiles } from '../../src/actors/metrics.js';

const needed = { public: true, private: false };
const sub = (delivered: number, dropped = 0, coalesced = 0) => ({ name: 'chart/s1', type: 'ticker', delivered, dropped, coalesced });

describe('HealthMonitor', () => {
  it('a connection nobody needs is never a reason', () => {
    const m = new HealthMonitor({}, 0);
    m.state('public', 'open', 0);
    m.retrying('private', { kind: 'timeout', what: 'connect' }, 0);
    expect(m.evaluate({ now: 60_000, needed, subscriptions: [] })).toEqual({ status: 'healthy', reasons: [] });
  });

  it('retrying is degraded with its cause and age; down past the threshold is unhealthy; open again is healthy', () => {
    const m = new HealthMonitor({}, 0);
    m.state('public', 'open', 0);
    m.state('public', 'waiting', 1_000);
    m.retrying('public', { kind: 'error', error: { code: 'ECONNREFUSED' } }, 1_000);
    expect(m.evaluate({ now: 13_000, needed, subscriptions: [] })).toEqual({
      status: 'degraded',
      reasons: ['public connection retrying (ECONNREFUSED) for 12 s'],
    });
    expect(m.evaluate({ now: 31_000, needed, subscriptions: [] }).status).toBe('unhealthy');
    m.state('public', 'open', 32_000);
    expect(m.evaluate({ now: 32_000, needed, subscriptions: [] }).status).toBe('healthy');
  });

  it('thresholds are configurable', () => {
    const m = new HealthMonitor({ downUnhealthyMs: 5_000, shedDegraded: 0.5 }, 0);
    m.state('public', 'connecting', 0);
    expect(m.evaluate({ now: 4_999, needed, subscriptions: [] }).status).toBe('healthy');
    expect(m.evaluate({ now: 5_000, needed, subscriptions: [] }).reasons).toEqual(['public connection down for 5 s']);
    const s = new HealthMonitor({ shedDegraded: 0.5 }, 0);
    expect(s.evaluate({ now: 1, needed: { public: false, private: false }, subscriptions: [sub(60, 40)] }).status).toBe('healthy');
    expect(s.evaluate({ now: 2, needed: { public: false, private: false }, subscriptions: [sub(60, 100)] }).status).toBe('degraded');
  });

  it('failed is unhealthy and says to retry', () => {
    const m = new HealthMonitor({}, 0);
    m.failed('public', { kind: 'error', error: { status: 401 } });
    expect(m.evaluate({ now: 1, needed, subscriptions: [] }).reasons).toEqual(['public connection failed (HTTP 401): fix the cause, then call hub.retry()']);
  });

  it('shedding is measured over the last window: 30 % coalesced → degraded; a minute of clean delivery → healthy', () => {
    const m = new HealthMonitor({}, 0);
    const none = { public: false, private: false };
    expect(m.evaluate({ now: 0, needed: none, subscriptions: [sub(0)] }).status).toBe('healthy');
    const h = m.evaluate({ now: 10_000, needed: none, subscriptions: [sub(70, 0, 30)] });
    expect(h).toEqual({ status: 'degraded', reasons: ['subscription chart/s1 (ticker) coalescing away 30 % of its messages: its callback is too slow or its policy too tight'] });
    // exactly 1 % is not more than 1 %
    const one = new HealthMonitor({}, 0);
    expect(one.evaluate({ now: 1, needed: none, subscriptions: [sub(99, 1)] }).status).toBe('healthy');
    m.evaluate({ now: 71_000, needed: none, subscriptions: [sub(1_070, 0, 30)] });
    expect(m.evaluate({ now: 72_000, needed: none, subscriptions: [sub(1_080, 0, 30)] }).status).toBe('healthy');
  });
});

describe('metrics pieces', () => {
  it('Quantiles: nearest rank over the kept samples', () => {
    const q = new Quantiles(100);
    expect(q.quantile(0.5)).toBeUndefined();
    for (let i = 1; i <= 100; i++) q.add(i);
    expect(q.quantile(0.5)).toBe(50);
    expect(q.quantile(0.99)).toBe(99);
    for (let i = 0; i < 100; i++) q.add(1_000); // the ring forgets the old samples
    expect(q.quantile(0.5)).toBe(1_000);
    expect(q.count).toBe(200);
  });

  it('messages per second over the interval since the oldest kept reading', () => {
    const m = new ConnectionMeter();
    expect(m.rate(0)).toBe(0);
    m.messages = 500;
    expect(m.rate(2_000)).toBe(250);
    m.messages = 600;
    // the reading at 2 000 is the newest one at least 10 s old: the baseline; the one at 0 is gone
    expect(m.rate(12_500)).toBeCloseTo(100 / 10.5);
  });
});

describe('hubLog', () => {
  it('passes level, redacted object and message; silent without a logger; a throwing logger is swallowed', () => {
    const calls: unknown[][] = [];
    const log = hubLog({
      debug: (o, m) => calls.push(['debug', o, m]),
      info: (o, m) => calls.push(['info', o, m]),
      warn: (o, m) => calls.push(['warn', o, m]),
      error: () => {
        throw new Error('broken logger');
      },
    });
    log.log('warn', { connection: 'private', authorization: 'Bearer abc', note: 'sent eyJhbGciOi.eyJzdWIiOi.sig' }, 'x');
    log.log('debug', { secretKey: 's3cr3t', bytes: 10 }, 'y');
    expect(() => log.log('error', {}, 'z')).not.toThrow();
    expect(calls).toEqual([
      ['warn', { connection: 'private', authorization: '[redacted]', note: 'sent [redacted]' }, 'x'],
      ['debug', { secretKey: '[redacted]', bytes: 10 }, 'y'],
    ]);
    expect(hubLog(undefined).enabled).toBe(false);
  });
});
