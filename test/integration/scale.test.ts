/**
 * Scale, in counts (never times; speed is bench/cases): 1,000 components holding 10,000
 * subscriptions between them subscribe against the mock, then clean up.
 *
 * How to read: `run(n)` builds n components of 10 subscriptions each (ticker / trade / orderbook
 * over 100 markets, so every (type, code) has many owners), waits until the mock's live union is
 * exactly what they asked for, cleans everything up, and waits until the union is empty (the hub
 * closes the socket: Upbit has no unsubscribe). It returns what the mock and the registry's
 * `WishIndex.work` counters saw, plus how many owner entries any walk over the index's owner map
 * yielded (`CountingMap`). `check` holds at both 100 and 1,000 components: requests stay few
 * (coalesced by the registry), the union is built per flush and never per change, a change
 * touches only its owner's wishes, and the work per change is the same at both sizes. A registry
 * that recomputed the union, or copied every owner, on each change fails `check` at 100 already.
 */
import { describe, expect, it } from 'vitest';
import { hubInternals } from '../../src/actors/hub.js';
import type { UpbitClient } from '../../src/actors/client.js';
import type { WishIndex } from '../../src/machines/subscription.machine.js';
import type { MarketSpec } from '../../src/mock/index.js';
import { expected, liveConnections, liveUnion, requestsOf, sameSet, startSystem, unionOf, waitFor } from './helpers.js';

const MARKETS: MarketSpec[] = Array.from({ length: 100 }, (_, i) => ({ code: `KRW-S${String(i).padStart(3, '0')}`, price: '1000' }));
const TYPES = ['ticker', 'trade', 'orderbook'] as const;
const PER_COMPONENT = 10;

/** Subscription j of component i: a type and a market, spread so every pair has many owners. */
const wishOf = (i: number, j: number) => ({ type: TYPES[(i + j) % 3]!, code: MARKETS[(i * 7 + j * 13) % MARKETS.length]!.code });

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * The index's owner map, counting every entry any iteration of it yields (`for…of`, spreads,
 * `new Map(m)`, `forEach`, `keys/values/entries`): work over ALL owners, wherever it is done,
 * shows up here whether or not the index counts it itself.
 */
class CountingMap<K, V> extends Map<K, V> {
  yielded = 0;
  private *count<T>(it: Iterable<T>): IterableIterator<T> {
    for (const x of it) {
      this.yielded++;
      yield x;
    }
  }
  // (typed as Map's own iterators: only iteration is used on them)
  override entries(): ReturnType<Map<K, V>['entries']> {
    return this.count(super.entries()) as ReturnType<Map<K, V>['entries']>;
  }
  override keys(): ReturnType<Map<K, V>['keys']> {
    return this.count(super.keys()) as ReturnType<Map<K, V>['keys']>;
  }
  override values(): ReturnType<Map<K, V>['values']> {
    return this.count(super.values()) as ReturnType<Map<K, V>['values']>;
  }
  override [Symbol.iterator]() {
    return this.entries();
  }
  override forEach(fn: (v: V, k: K, m: Map<K, V>) => void, self?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(self, v, k, this);
  }
}

function countOwners(index: WishIndex): CountingMap<string, unknown> {
  const original: unknown = Reflect.get(index, 'owners');
  // Fails loudly if the index keeps its owners elsewhere (this count would silently measure nothing).
  expect(original).toBeInstanceOf(Map);
  const owners = new CountingMap<string, unknown>(original as Map<string, unknown>);
  Object.defineProperty(index, 'owners', { value: owners });
  return owners;
}

async function run(components: number) {
  const { mock, hub } = await startSystem({ pendingWindow: 100 }, { markets: MARKETS });
  const index = () => (hubInternals(hub).supervisor.system.get('public.subscription')!.getSnapshot().context as { wishes: WishIndex }).wishes;
  const requests = () => mock.connections().filter((c) => c.endpoint === 'public').flatMap((c) => requestsOf(c));

  // The socket is open before the crowd arrives, so its changes meet a live registry (pending
  // windows, the 5/s budget), not one request on connect.
  const owners = countOwners(index());
  const probe = hub.client('probe');
  await probe.subscribeTicker([MARKETS[0]!.code]);
  await waitFor(() => liveUnion(mock)?.size === 1, { message: 'the probe is on the wire' });
  const before = { ...index().work };

  // Components arrive a hundred per event-loop turn.
  const clients: UpbitClient[] = [];
  const want = new Set<string>([`ticker|${MARKETS[0]!.code}`]);
  for (let i = 0; i < components; i++) {
    const client = hub.client(`c${i}`);
    clients.push(client);
    for (let j = 0; j < PER_COMPONENT; j++) {
      const { type, code } = wishOf(i, j);
      want.add(`${type}|${code}`);
      if (type === 'ticker') void client.subscribeTicker([code]);
      else if (type === 'trade') void client.subscribeTrade([code]);
      else void client.subscribeOrderbook([code]);
    }
    if (i % 100 === 99) await turn();
  }
  const union = expected(...[...want].map((k) => ({ type: k.split('|')[0]!, codes: [k.split('|')[1]!] })));
  await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, union); }, {
    timeoutMs: 15_000,
    message: `the live union is exactly the ${union.size} pairs wanted`,
    describe: () => ({ live: liveUnion(mock)?.size, want: union.size }),
  });
  const subscribed = { owners: index().size, requests: requests().length };

  // Everyone leaves, a hundred per turn, the probe last: the union empties.
  for (let i = 0; i < clients.length; i++) {
    void clients[i]!.cleanup();
    if (i % 100 === 99) await turn();
  }
  await probe.cleanup();
  await waitFor(() => index().size === 0 && liveConnections(mock).length === 0, {
    timeoutMs: 15_000,
    message: 'every owner gone and the public socket closed (the union is empty)',
    describe: () => ({ owners: index().size, live: liveConnections(mock).length, status: hub.status().public }),
  });
  const after = index().work;
  const work = {
    changes: after.changes - before.changes,
    touched: after.touched - before.touched,
    unions: after.unions - before.unions,
    visited: after.visited - before.visited,
  };
  expect(owners.yielded).toBeGreaterThan(0); // the union builds did walk the counted map
  return { union, subscribed, work, ownersIterated: owners.yielded, requests: requests(), status: hub.status(), breaches: mock.stats().messageBreaches };
}

/** What must hold at any size: `n` components came, asked for the exact union with few requests, and left. */
function check(r: Awaited<ReturnType<typeof run>>, n: number): void {
  // Every component was there at once (plus the probe), and all of them left.
  expect(r.subscribed.owners).toBe(n + 1);
  expect(r.status.components).toBe(0);
  // One change per subscription and one per cleanup, each a SET of one owner's list.
  expect(r.work.changes).toBe(n * PER_COMPONENT + n + 1);
  // The union is built per flush, never per change.
  expect(r.work.unions).toBeLessThanOrEqual(r.work.changes / 50);
  // A change touches its own owner's wishes only: at most its list before and after; only union
  // builds walk over the owners (each at most every owner once).
  expect(r.work.touched).toBeLessThanOrEqual(r.work.changes * 2 * PER_COMPONENT);
  expect(r.ownersIterated).toBeLessThanOrEqual(r.work.unions * (n + 1));
  // Coalesced: at least a hundred changes per request on the wire; the server's limits held.
  expect(r.requests.length).toBeGreaterThanOrEqual(2);
  expect(r.requests.length).toBeLessThanOrEqual(r.work.changes / 100);
  expect(r.breaches).toBe(0);
  // The request that completed the subscriptions carried exactly the union; while everyone left,
  // each request asked for a subset of the one before.
  const unions = r.requests.map(unionOf);
  expect(sameSet(unions[r.subscribed.requests - 1]!, r.union)).toBe(true);
  for (let k = r.subscribed.requests; k < unions.length; k++) expect([...unions[k]!].every((p) => unions[k - 1]!.has(p))).toBe(true);
}

describe('scale: 1,000 components, 10,000 subscriptions', () => {
  it('subscribe and clean up: few requests, the exact union, an empty union at the end, flat work per change', async () => {
    const small = await run(100);
    check(small, 100);
    const large = await run(1_000);
    check(large, 1_000);
    // Flat: the work per change is the same with ten times the owners.
    expect(large.work.touched / large.work.changes).toBeLessThanOrEqual((small.work.touched / small.work.changes) * 1.05);
  }, 60_000);
});
