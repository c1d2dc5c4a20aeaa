/**
 * Clients dropped without cleanup() are cleaned up after garbage collection (issue 8, point 5):
 * the hub registers every `hub.client(id)` with a FinalizationRegistry; a Subscription anchors
 * its client, so holding only the Subscription keeps the client (and its stream) alive.
 *
 * GC needs `--expose-gc` and a heap of its own, so each case runs fixtures/gc-client.ts in a child
 * process against the mock (see that file for the steps) and reads the JSON line it prints.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/gc-client.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Out {
  mode: string;
  before: { components: number; union: string[] };
  after: { components: number; union: string[]; iterated: boolean; keptStatus?: string; keptDelivered?: number; staysSubscriptions: number };
  afterBreak?: { components: number; union: string[] };
  errors: string[];
}

function run(mode: 'dropped' | 'kept' | 'iterated' | 'callback'): Out {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fixture, mode], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  const report = `status=${r.status} signal=${r.signal} error=${r.error?.message}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.error, report).toBeUndefined();
  expect(r.status, report).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Out;
}

describe('a client dropped without cleanup()', () => {
  it('with nothing left that reads it: cleaned up after GC, its component leaves hub.status() and the union shrinks', { timeout: 40_000 }, () => {
    const out = run('dropped');
    expect(out.before).toEqual({ components: 2, union: ['KRW-BTC', 'KRW-ETH'] });
    expect(out.after).toMatchObject({ components: 1, union: ['KRW-BTC'], staysSubscriptions: 1 });
    expect(out.errors).toEqual([]);
  });

  it('with a live callback subscription: NOT collected (its stream never stops silently), still delivering', { timeout: 40_000 }, () => {
    const out = run('callback');
    expect(out.before).toEqual({ components: 2, union: ['KRW-BTC', 'KRW-ETH'] });
    expect(out.after).toMatchObject({ components: 2, union: ['KRW-BTC', 'KRW-ETH'], staysSubscriptions: 1 });
    expect(out.errors).toEqual([]);
  });

  it('is NOT collected while its Subscription is held: still there, on the wire, delivering', { timeout: 40_000 }, () => {
    const out = run('kept');
    expect(out.before).toEqual({ components: 2, union: ['KRW-BTC', 'KRW-ETH'] });
    expect(out.after).toMatchObject({ components: 2, union: ['KRW-BTC', 'KRW-ETH'], keptStatus: 'active', staysSubscriptions: 1 });
    expect(out.after.keptDelivered).toBeGreaterThan(0);
    expect(out.errors).toEqual([]);
  });

  it('is NOT collected while only the async iterator of its Subscription is held', { timeout: 40_000 }, () => {
    const out = run('iterated');
    expect(out.before).toEqual({ components: 2, union: ['KRW-BTC', 'KRW-ETH'] });
    // (the fixture checked that the iterator then yielded a KRW-ETH ticker)
    expect(out.after).toMatchObject({ components: 2, union: ['KRW-BTC', 'KRW-ETH'], iterated: true, staysSubscriptions: 1 });
    // Ending the iteration unsubscribed (the union shrank), and the client is still there.
    expect(out.afterBreak).toEqual({ components: 2, union: ['KRW-BTC'] });
    expect(out.errors).toEqual([]);
  });
});
