/**
 * The REST client's failure paths against the mock (real HTTP on 127.0.0.1, port 0): Upbit's
 * error bodies as typed errors, bounded retries on 5xx and network errors, the timeout and the
 * AbortSignal, and the rate limiter: a burst that the mock never answers with 429, and 429 / 418
 * injected with the mock's fault API.
 */
import { describe, expect, it } from 'vitest';
import {
  createRestClient,
  RateLimiter,
  UpbitAbortError,
  UpbitConnectionError,
  UpbitRateLimitError,
  UpbitRestError,
} from '../../src/io/index.js';
import type { RestClientOptions } from '../../src/io/index.js';
import type { MockUpbit } from '../../src/mock/index.js';
import { mock } from '../mock/helpers.js';

async function setup(options: Partial<RestClientOptions> = {}) {
  const m = await mock({ markets: ['KRW-BTC', 'KRW-ETH'] });
  const rest = createRestClient({ origin: m.restUrl, retryDelay: () => 0, ...options });
  return { m, rest };
}

const statuses = (m: MockUpbit) => m.restLog.map((r) => r.status);

describe('Upbit error bodies', () => {
  it('404 "Code not found" and 400 become UpbitRestError with status, numeric name and message', async () => {
    const { rest } = await setup();
    const err = await rest.tickers(['KRW-NOPE']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpbitRestError);
    expect(err).toMatchObject({ code: 'REST_ERROR', status: 404, serverName: 404, serverMessage: 'Code not found' });
    await expect(rest.orderbooks(['KRW-BTC'], { level: 'abc' as never })).rejects.toMatchObject({
      status: 400,
      serverName: 400,
      serverMessage: 'Type mismatch error. Check the parameters type!',
    });
  });

  it('a 4xx is not retried', async () => {
    const { m, rest } = await setup();
    await expect(rest.tickers(['KRW-NOPE'])).rejects.toBeInstanceOf(UpbitRestError);
    expect(statuses(m)).toEqual([404]);
  });
});

describe('retries', () => {
  it('5xx: retried, bounded; succeeds when the server recovers in time', async () => {
    const { m, rest } = await setup({ retries: 2 });
    m.failRest({ status: 500, count: 2 });
    const [t] = await rest.tickers(['KRW-BTC']);
    expect(t.code).toBe('KRW-BTC');
    expect(statuses(m)).toEqual([500, 500, 200]);
  });

  it('5xx: gives up after `retries` with the last UpbitRestError', async () => {
    const { m, rest } = await setup({ retries: 2 });
    m.failRest({ status: 503, count: 5 });
    await expect(rest.tickers(['KRW-BTC'])).rejects.toMatchObject({ name: 'UpbitRestError', status: 503 });
    expect(statuses(m)).toEqual([503, 503, 503]);
  });

  it('network errors: retried, then UpbitConnectionError', async () => {
    const dead = await mock();
    const origin = dead.restUrl;
    await dead.close();
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const rest = createRestClient({ origin, retries: 3, retryDelay: () => 0, fetch: counting });
    await expect(rest.tickers(['KRW-BTC'])).rejects.toBeInstanceOf(UpbitConnectionError);
    expect(calls).toBe(4);
  });
});

describe('timeout and abort', () => {
  it('a server that does not answer: TIMEOUT', async () => {
    const { m, rest } = await setup({ timeoutMs: 100 });
    m.holdRest();
    const err = await rest.tickers(['KRW-BTC']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpbitAbortError);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
    m.releaseRest();
  });

  it('the per-call timeoutMs overrides the client one', async () => {
    const { m, rest } = await setup({ timeoutMs: 60_000 });
    m.holdRest();
    await expect(rest.candles('1m', 'KRW-BTC', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    m.releaseRest();
  });

  it('an AbortSignal: ABORTED, in flight or before the call', async () => {
    let sent!: () => void;
    const inFlight = new Promise<void>((r) => (sent = r));
    const watching: typeof fetch = (input, init) => {
      sent();
      return fetch(input, init);
    };
    const { m, rest } = await setup({ fetch: watching });
    m.holdRest();
    const ac = new AbortController();
    const call = rest.markets({ signal: ac.signal });
    await inFlight;
    ac.abort();
    await expect(call).rejects.toMatchObject({ name: 'UpbitAbortError', code: 'ABORTED' });
    m.releaseRest();
    await expect(rest.markets({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('an abort while waiting for the limiter: ABORTED, and the slot is not used', async () => {
    const limiter = new RateLimiter({ limits: { ticker: 1 } });
    const { m, rest } = await setup({ limiter });
    await rest.tickers(['KRW-BTC']);
    const ac = new AbortController();
    const waiting = rest.tickers(['KRW-BTC'], { signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(m.stats().rest.requests).toBe(1);
  });
});

describe('rate limits', () => {
  it('a burst of 50 calls: all answered, and the mock counts no 429', async () => {
    const { m, rest } = await setup();
    const results = await Promise.all(Array.from({ length: 50 }, () => rest.tickers(['KRW-BTC'])));
    expect(results).toHaveLength(50);
    expect(m.stats().rest).toMatchObject({ requests: 50, breaches: 0, teapots: 0 });
  }, 20_000);

  it('429 (injected): backs off for the next window, then retries and succeeds', async () => {
    const { m, rest } = await setup();
    m.failRest({ status: 429, count: 1 });
    const [t] = await rest.tickers(['KRW-BTC']);
    expect(t.code).toBe('KRW-BTC');
    expect(statuses(m)).toEqual([429, 200]);
    const [a, b] = m.restLog;
    expect(b.at - a.at).toBeGreaterThanOrEqual(1000); // waited out the second
  });

  it('429: bounded; past rateLimitRetries it is UpbitRateLimitError RATE_LIMITED', async () => {
    const { m, rest } = await setup({ rateLimitRetries: 0 });
    m.failRest({ status: 429, count: 1 });
    const err = await rest.tickers(['KRW-BTC']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpbitRateLimitError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429, group: 'ticker' });
  });

  it('418 (injected): waits out the block, then succeeds; every quotation group is blocked', async () => {
    const blocked: string[] = [];
    const limiter = new (class extends RateLimiter {
      override block(group: Parameters<RateLimiter['block']>[0], ms: number, key?: string): void {
        blocked.push(`${group} ${ms}`);
        super.block(group, ms, key);
      }
    })();
    const { m, rest } = await setup({ limiter });
    m.failRest({ status: 418, retryAfterMs: 1000 });
    await rest.tickers(['KRW-BTC']);
    expect(statuses(m)).toEqual([418, 200]);
    expect(m.restLog[1].at - m.restLog[0].at).toBeGreaterThanOrEqual(1000);
    expect(blocked.sort()).toEqual(['candle 1000', 'market 1000', 'orderbook 1000', 'ticker 1000', 'trade 1000']);
  });

  it('418 longer than the deadline: UpbitRateLimitError RATE_LIMITED at once, no further request', async () => {
    const { m, rest } = await setup({ timeoutMs: 2000 });
    m.failRest({ status: 418, retryAfterMs: 30_000 });
    const err = await rest.tickers(['KRW-BTC']).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UpbitRateLimitError', code: 'RATE_LIMITED', status: 418, retryInMs: 30_000 });
    // the block holds for the next caller too: it fails fast instead of calling the server
    await expect(rest.orderbooks(['KRW-BTC'])).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(statuses(m)).toEqual([418]);
  });

  it('no slot before the call\'s timeout: RATE_LIMITED at once, nothing sent', async () => {
    const limiter = new RateLimiter({ limits: { candle: [{ limit: 1, windowMs: 60_000 }] } });
    const { m, rest } = await setup({ limiter, timeoutMs: 1000 });
    await rest.candles('1m', 'KRW-BTC');
    await expect(rest.candles('1m', 'KRW-BTC')).rejects.toMatchObject({ name: 'UpbitRateLimitError', code: 'RATE_LIMITED', group: 'candle' });
    expect(m.stats().rest.requests).toBe(1);
  });

  it('reads Remaining-Req: a server with fewer left than we counted makes the next call wait', async () => {
    const m = await mock({ markets: ['KRW-BTC'], now: () => 1_000_000 }); // the mock's second never ends
    const limiter = new RateLimiter();
    const rest = createRestClient({ origin: m.restUrl, limiter });
    await rest.tickers(['KRW-BTC']); // sec=9
    expect(limiter.delayFor('ticker')).toBe(0);
    // Someone else on this IP uses 8 more: the server has 0 left, we counted 8.
    for (let i = 0; i < 8; i++) await fetch(`${m.restUrl}/v1/ticker?markets=KRW-BTC`).then((r) => r.arrayBuffer());
    await rest.tickers(['KRW-BTC']); // answered with sec=0
    expect(limiter.delayFor('ticker')).toBeGreaterThan(0);
    expect(limiter.tryAcquire('ticker').ok).toBe(false);
    expect(m.stats().rest.breaches).toBe(0);
  });
});
