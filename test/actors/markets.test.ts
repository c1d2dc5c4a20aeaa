/**
 * MarketDirectory: in-memory market sources on xstate's SimulatedClock (no real time), then one
 * test against the mock exchange's real `/v1/market/all` over HTTP.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { SimulatedClock } from 'xstate';
import { MarketDirectory, type MarketListing, type MarketSource } from '../../src/actors/markets.js';
import { UpbitValidationError } from '../../src/io/index.js';
import { startMockUpbit } from '../../src/mock/index.js';

/** A source whose answers the test controls: each call waits for `answer()` / `fail()` unless `auto`. */
class FakeSource implements MarketSource {
  calls = 0;
  listed: string[];
  auto = true;
  broken = false;
  private pending: Array<{ resolve: (v: MarketListing[]) => void; reject: (e: unknown) => void }> = [];
  constructor(codes: string[]) {
    this.listed = codes;
  }
  markets(): Promise<readonly MarketListing[]> {
    this.calls++;
    if (this.broken) return Promise.reject(new Error('REST down'));
    if (this.auto) return Promise.resolve(this.listed.map((code) => ({ code, warning: code === 'KRW-RISKY' })));
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  answer(): void {
    for (const p of this.pending.splice(0)) p.resolve(this.listed.map((code) => ({ code })));
  }
}

function setup(codes = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP', 'KRW-RISKY']) {
  const clock = new SimulatedClock();
  const source = new FakeSource(codes);
  const delisted: string[][] = [];
  const errors: unknown[] = [];
  const dir = new MarketDirectory({
    source,
    clock,
    now: () => clock.now(),
    onDelisted: (c) => delisted.push([...c]),
    onError: (e) => errors.push(e),
  });
  return { clock, source, dir, delisted, errors };
}

/** Let pending promise callbacks run (no time passes on any clock). */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('MarketDirectory', () => {
  it('fetches the list once for many concurrent questions, and knows listed codes', async () => {
    const { dir, source } = setup();
    const answers = await Promise.all([dir.status('KRW-BTC'), dir.status('KRW-ETH.15'), dir.status('KRW-XRP')]);
    expect(answers).toEqual(['known', 'known', 'known']);
    expect(source.calls).toBe(1);
    expect(dir.warning('KRW-RISKY')).toBe(true);
    expect(dir.warning('KRW-BTC')).toBe(false);
  });

  it('refuses a well-formed unlisted code with UNKNOWN_MARKET, naming only the unknown codes', async () => {
    const { dir } = setup();
    const err = await dir.validate(['KRW-BTC', 'KRW-NOPE', 'KRW-ETH']);
    expect(err).toBeInstanceOf(UpbitValidationError);
    expect(err).toMatchObject({ code: 'UNKNOWN_MARKET', name: 'UpbitValidationError' });
    expect(err!.message).toContain('KRW-NOPE');
    expect(err!.message).not.toContain('KRW-BTC');
    expect(await dir.validate(['KRW-BTC', 'KRW-ETH'])).toBeUndefined();
  });

  it('rejects a malformed code as INVALID_CODE, not as unknown', async () => {
    const { dir } = setup();
    await expect(dir.validate(['krw-btc'])).rejects.toMatchObject({ code: 'INVALID_CODE' });
  });

  it('refetches at most once a minute when asked about unknown codes, and learns new listings', async () => {
    const { dir, source, clock } = setup();
    expect(await dir.status('KRW-NEW')).toBe('unknown');
    expect(await dir.status('KRW-NEW')).toBe('unknown');
    clock.increment(59_999);
    expect(await dir.status('KRW-OTHER')).toBe('unknown');
    expect(source.calls).toBe(1);
    source.listed = [...source.listed, 'KRW-NEW'];
    clock.increment(1);
    expect(await dir.status('KRW-NEW')).toBe('known');
    expect(source.calls).toBe(2);
    expect(await dir.status('KRW-OTHER')).toBe('unknown');
    expect(source.calls).toBe(2);
  });

  it('lets wishes through (unavailable) when the list cannot be fetched, and does not hammer REST', async () => {
    const { dir, source, clock, errors } = setup();
    source.broken = true;
    expect(await dir.status('KRW-BTC')).toBe('unavailable');
    expect(await dir.validate(['KRW-NOPE'])).toBeUndefined();
    expect(source.calls).toBe(1);
    expect(errors).toHaveLength(1);
    source.broken = false;
    clock.increment(60_000);
    expect(await dir.status('KRW-NOPE')).toBe('unknown');
    expect(source.calls).toBe(2);
  });

  it('never waits on a slow list fetch for longer than waitMs', async () => {
    const { dir, source, clock } = setup();
    source.auto = false;
    let decided: string | undefined;
    void dir.status('KRW-BTC').then((s) => (decided = s));
    await flush();
    expect(decided).toBeUndefined();
    clock.increment(2_000);
    await flush();
    expect(decided).toBe('unavailable');
    source.answer(); // the fetch still lands and is used afterwards
    await flush();
    expect(await dir.status('KRW-BTC')).toBe('known');
    expect(source.calls).toBe(1);
  });

  it('with a stale list and a failed refetch, an unlisted code is unavailable (it may be new); listed ones stay known', async () => {
    const { dir, source, clock } = setup();
    await dir.refresh();
    clock.increment(120_000);
    source.broken = true;
    expect(await dir.status('KRW-NEW')).toBe('unavailable');
    expect(await dir.status('KRW-BTC')).toBe('known');
  });

  it('reports codes that disappear on a refetch as delisted', async () => {
    const { dir, source, clock, delisted } = setup();
    await dir.refresh();
    source.listed = ['KRW-BTC', 'KRW-ETH', 'KRW-RISKY'];
    clock.increment(60_000);
    expect(await dir.status('KRW-XRP')).toBe('known'); // a listed code never triggers a refetch
    expect(delisted).toEqual([]);
    expect(await dir.status('KRW-NEW')).toBe('unknown'); // an unknown one does, at most once a minute
    expect(delisted).toEqual([['KRW-XRP']]);
    expect(await dir.status('KRW-XRP')).toBe('unknown');
    expect(dir.has('KRW-XRP')).toBe(false);
  });
});

describe('MarketDirectory against the mock exchange', () => {
  it('reads the real /v1/market/all', async () => {
    const mock = await startMockUpbit();
    onTestFinished(() => mock.close());
    const source: MarketSource = {
      async markets(signal) {
        const res = await fetch(`${mock.restUrl}/v1/market/all?is_details=true`, { signal });
        const body = (await res.json()) as Array<{ market: string; market_event?: { warning: boolean } }>;
        return body.map((m) => ({ code: m.market, warning: m.market_event?.warning }));
      },
    };
    const dir = new MarketDirectory({ source });
    onTestFinished(() => dir.dispose());
    expect(await dir.status(mock.markets[0])).toBe('known');
    expect(await dir.status('KRW-NOSUCHCOIN')).toBe('unknown');
    expect(dir.codes().sort()).toEqual([...mock.markets].sort());
  });
});
