/**
 * subscription.machine: coalescing, union semantics, reconnect resend, the in-machine rate limit
 * and the repair check. `sendRequest` / `listSubscriptions` are provided as recorders that note
 * the simulated time of each call.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { canonicalKey, flattenWishes, pairsKey, stableStringify, subscriptionMachine } from '../../src/machines/subscription.machine.js';
import type { SendRequestParams, SubscriptionEmitted, SubscriptionInput } from '../../src/machines/subscription.machine.js';
import type { Wish } from '../../src/machines/types.js';
import { advance } from './helpers.js';

const ticker = (...codes: string[]): Wish => ({ type: 'ticker', codes });

function start(input: SubscriptionInput = {}, provide: Parameters<typeof subscriptionMachine.provide>[0] = {}) {
  const clock = new SimulatedClock();
  const requests: Array<SendRequestParams & { at: number }> = [];
  const lists: number[] = [];
  const actor = createActor(
    subscriptionMachine.provide({
      ...provide,
      actions: {
        sendRequest: (_, params) => void requests.push({ ...params, at: clock.now() }),
        listSubscriptions: () => void lists.push(clock.now()),
        ...provide.actions,
      },
    }),
    { clock, input },
  );
  const emitted: SubscriptionEmitted[] = [];
  actor.on('*', (e) => void emitted.push(e));
  actor.start();
  /** CONNECTED with nothing wanted yet: drop the `wishes: []` call it makes (see lifecycle tests). */
  const online = (epoch = 1) => {
    actor.send({ type: 'CONNECTED', epoch });
    expect(requests.splice(0)).toEqual([{ wishes: [], reason: 'reconnect', epoch, at: clock.now() }]);
  };
  const codes = (r: SendRequestParams | undefined) => [...new Set((r?.wishes ?? []).flatMap((w) => w.codes ?? []))].sort();
  return { clock, actor, requests, lists, emitted, codes, online };
}

describe('canonical keys', () => {
  it('stableStringify sorts keys and drops undefined', () => {
    expect(stableStringify({ b: 1, a: [{ d: 1, c: undefined }] })).toBe('{"a":[{"d":1}],"b":1}');
  });
  it('canonicalKey ignores owner, code order and duplicates; default stream is both', () => {
    const a = flattenWishes({ x: [ticker('KRW-ETH', 'KRW-BTC')], y: [ticker('KRW-BTC')] });
    const b = flattenWishes({ z: [{ type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'], stream: 'both' }] });
    expect(canonicalKey(a)).toBe(canonicalKey(b));
    expect(canonicalKey([ticker('KRW-BTC')])).not.toBe(canonicalKey([{ ...ticker('KRW-BTC'), stream: 'snapshot' }]));
    const leveled = { type: 'orderbook', codes: ['KRW-BTC'], level: 1000 };
    expect(canonicalKey([leveled])).not.toBe(canonicalKey([{ type: 'orderbook', codes: ['KRW-BTC'] }]));
  });
  it('pairsKey compares only (type, code)', () => {
    expect(pairsKey([{ type: 'ticker', codes: ['B', 'A'] }, { type: 'myAsset' }])).toBe(pairsKey([{ type: 'myAsset', codes: [] }, { type: 'ticker', codes: ['A', 'B'] }]));
  });
});

describe('subscription: coalescing', () => {
  it('20 ADDs in one tick become ONE request with the whole union', () => {
    const t = start();
    t.online(1);
    for (let i = 0; i < 20; i++) t.actor.send({ type: 'ADD', componentId: `c${i}`, wish: ticker(`KRW-C${i}`) });
    expect(t.requests).toHaveLength(0);
    advance(t.clock, 99, 1);
    expect(t.requests).toHaveLength(0);
    advance(t.clock, 1, 1);
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]).toMatchObject({ reason: 'change', epoch: 1, at: 100 });
    expect(t.requests[0]!.wishes).toHaveLength(20);
    expect(t.requests[0]!.wishes[3]).toEqual({ type: 'ticker', codes: ['KRW-C3'], componentId: 'c3' });
  });

  it('the window is not extended by later changes and is clamped to 100 ms', () => {
    const t = start({ pendingWindow: 5000 });
    t.online(1);
    for (let ms = 0; ms < 250; ms += 10) {
      t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker(`KRW-X${ms}`) });
      advance(t.clock, 10, 1);
    }
    expect(t.requests.map((r) => r.at)).toEqual([100, 200]);
  });

  it('identical union → no request (a duplicate ADD; a provider guard may merge more, see the hub)', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    expect(t.requests).toHaveLength(1);
    expect(t.actor.getSnapshot().context.wishes.toJSON()).toEqual({ a: [ticker('KRW-BTC')] });
  });

  it('a new owner that wants a snapshot re-sends the same union once (Upbit sends snapshots per request)', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    t.actor.send({ type: 'ADD', componentId: 'b', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    expect(t.requests).toHaveLength(2);
    expect(t.codes(t.requests[1])).toEqual(['KRW-BTC']);
    advance(t.clock, 1_000);
    expect(t.requests).toHaveLength(2); // once, not again
  });

  it('reference counting: a code wanted by two components stays until both leave', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC', 'KRW-ETH') });
    t.actor.send({ type: 'ADD', componentId: 'b', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    t.actor.send({ type: 'REMOVE', componentId: 'b' });
    advance(t.clock, 100);
    expect(t.requests).toHaveLength(1); // KRW-BTC still wanted by a: same request, not sent
    t.actor.send({ type: 'REMOVE', componentId: 'a', wish: ticker('KRW-BTC', 'KRW-ETH') });
    advance(t.clock, 100);
    expect(t.requests).toHaveLength(2);
    expect(t.requests[1]!.wishes).toEqual([]);
  });

  it('shrinks on REMOVE; SET replaces a component\'s wishes; empty SET removes it', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'SET', componentId: 'a', wishes: [ticker('KRW-BTC'), { type: 'trade', codes: ['KRW-BTC'] }] });
    t.actor.send({ type: 'ADD', componentId: 'b', wish: ticker('KRW-XRP') });
    advance(t.clock, 100);
    t.actor.send({ type: 'REMOVE', componentId: 'a', wish: { type: 'trade', codes: ['KRW-BTC'] } });
    advance(t.clock, 100);
    expect(t.requests[1]!.wishes).toEqual([{ ...ticker('KRW-BTC'), componentId: 'a' }, { ...ticker('KRW-XRP'), componentId: 'b' }]);
    t.actor.send({ type: 'SET', componentId: 'a', wishes: [] });
    advance(t.clock, 100);
    expect(t.codes(t.requests[2])).toEqual(['KRW-XRP']);
    expect(Object.keys(t.actor.getSnapshot().context.wishes.toJSON())).toEqual(['b']);
  });

  it('emits desiredChanged only when the union becomes non-empty / empty', () => {
    const t = start();
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    t.actor.send({ type: 'ADD', componentId: 'b', wish: ticker('KRW-ETH') });
    t.actor.send({ type: 'REMOVE', componentId: 'a' });
    t.actor.send({ type: 'REMOVE', componentId: 'b' });
    t.actor.send({ type: 'REMOVE', componentId: 'b' });
    expect(t.emitted.filter((e) => e.type === 'desiredChanged')).toEqual([
      { type: 'desiredChanged', active: true },
      { type: 'desiredChanged', active: false },
    ]);
  });

  it('a provided unionChanged guard decides instead of the canonical key', () => {
    const t = start({}, { guards: { unionChanged: () => false } });
    t.actor.send({ type: 'CONNECTED', epoch: 1 });
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    advance(t.clock, 200);
    expect(t.requests).toHaveLength(0);
    expect(t.actor.getSnapshot().value).toBe('idle');
  });

  it('by default emits `request` (no provider needed)', () => {
    const clock = new SimulatedClock();
    const actor = createActor(subscriptionMachine, { clock, input: {} });
    const seen: SubscriptionEmitted[] = [];
    actor.on('request', (e) => void seen.push(e));
    actor.start();
    actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    actor.send({ type: 'CONNECTED', epoch: 7 });
    expect(seen).toEqual([{ type: 'request', reason: 'reconnect', epoch: 7, wishes: [{ ...ticker('KRW-BTC'), componentId: 'a' }] }]);
  });
});

describe('subscription: connection lifecycle', () => {
  it('sends nothing while disconnected; CONNECTED sends the whole union at once', () => {
    const t = start();
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    t.actor.send({ type: 'ADD', componentId: 'b', wish: ticker('KRW-ETH') });
    advance(t.clock, 1000);
    expect(t.requests).toHaveLength(0);
    t.actor.send({ type: 'CONNECTED', epoch: 3 });
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]).toMatchObject({ reason: 'reconnect', epoch: 3, at: 1000 });
    expect(t.codes(t.requests[0])).toEqual(['KRW-BTC', 'KRW-ETH']);
  });

  it('re-sends the same union after every reconnect, and not again until it changes', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    t.actor.send({ type: 'DISCONNECTED' });
    t.actor.send({ type: 'CONNECTED', epoch: 2 });
    t.actor.send({ type: 'DISCONNECTED' });
    t.actor.send({ type: 'CONNECTED', epoch: 3 });
    advance(t.clock, 1000);
    expect(t.requests.map((r) => [r.reason, r.epoch])).toEqual([['change', 1], ['reconnect', 2], ['reconnect', 3]]);
  });

  it('a reconnect in the middle of a pending window sends at once, with the change included', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    advance(t.clock, 100);
    t.actor.send({ type: 'DISCONNECTED' });
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-ETH') });
    advance(t.clock, 50);
    t.actor.send({ type: 'CONNECTED', epoch: 2 });
    expect(t.requests).toHaveLength(2);
    expect(t.codes(t.requests[1])).toEqual(['KRW-BTC', 'KRW-ETH']);
    advance(t.clock, 200);
    expect(t.requests).toHaveLength(2);
  });

  it('CONNECTED with nothing wanted passes wishes: [] so the provider can close', () => {
    const t = start();
    t.actor.send({ type: 'CONNECTED', epoch: 1 });
    expect(t.requests).toEqual([{ wishes: [], reason: 'reconnect', epoch: 1, at: 0 }]);
  });
});

describe('subscription: rate limit', () => {
  it('a burst of 1,000 ADD/REMOVE: ≤ 5 per second, ≤ 100 per minute, final request = final union', () => {
    const t = start();
    t.online(1);
    const truth = new Map<string, Set<string>>();
    for (let i = 0; i < 1000; i++) {
      const componentId = `c${i % 13}`;
      const wish = ticker(`KRW-T${i % 37}`);
      const set = truth.get(componentId) ?? new Set<string>();
      if (i % 3 === 2) {
        t.actor.send({ type: 'REMOVE', componentId, wish: ticker(`KRW-T${(i - 1) % 37}`) });
        set.delete(`KRW-T${(i - 1) % 37}`);
      } else {
        t.actor.send({ type: 'ADD', componentId, wish });
        set.add(wish.codes![0]!);
      }
      truth.set(componentId, set);
      advance(t.clock, 30, 10); // 1,000 changes over 30 s
    }
    advance(t.clock, 120_000, 100);
    const at = t.requests.map((r) => r.at);
    for (let i = 5; i < at.length; i++) expect(at[i]! - at[i - 5]!).toBeGreaterThanOrEqual(1000);
    for (let i = 100; i < at.length; i++) expect(at[i]! - at[i - 100]!).toBeGreaterThanOrEqual(60_000);
    expect(at.filter((x) => x < 60_000).length).toBeLessThanOrEqual(100);
    const expected = [...new Set([...truth.values()].flatMap((s) => [...s]))].sort();
    expect(t.codes(t.requests[t.requests.length - 1])).toEqual(expected);
    expect(t.actor.getSnapshot().value).toBe('idle');
  });

  it('100 per minute: well over 100 changes in a minute, each past the pending and 5/s windows → exactly 100 requests in any 60 s, the rest coalesced, none lost', () => {
    // Every request must carry the whole union as it is when it leaves: record the truth then.
    const truth = new Set<string>();
    const carried: Array<{ at: number; codes: string[]; truth: string[] }> = [];
    const t = start({}, { actions: { sendRequest: (_, p) => void carried.push({ at: t.clock.now(), codes: t.codes(p), truth: [...truth].sort() }) } });
    const actor = t.actor;
    actor.send({ type: 'CONNECTED', epoch: 1 }); // takes slot 1 of 100 at t = 0 (wishes: [])
    // One new code every 250 ms for 150 s: 600 changes, 240 of them in the first minute. 250 ms is
    // past the 100 ms pending window and keeps the 5/s window from ever binding (4 per second).
    for (let i = 0; i < 600; i++) {
      const code = `KRW-M${i}`;
      truth.add(code);
      actor.send({ type: 'ADD', componentId: `c${i % 17}`, wish: ticker(code) });
      advance(t.clock, 250, 10);
      if (i % 50 === 49) {
        // now and then a component leaves: the union shrinks too
        const leaving = `c${(i / 50) % 17}`;
        for (const w of actor.getSnapshot().context.wishes.get(leaving) ?? []) for (const c of w.codes ?? []) truth.delete(c);
        actor.send({ type: 'REMOVE', componentId: leaving });
        advance(t.clock, 250, 10);
      }
    }
    advance(t.clock, 120_000, 100);
    const at = carried.map((r) => r.at);
    // The minute window binds: changes arrive 4/s, so without it every one would be its own request.
    const inWindow = (from: number) => at.filter((x) => x >= from && x < from + 60_000).length;
    expect(Math.max(...at.map(inWindow))).toBe(100);
    expect(inWindow(0)).toBe(100);
    for (let i = 100; i < at.length; i++) expect(at[i]! - at[i - 100]!).toBeGreaterThanOrEqual(60_000);
    // Nothing lost: every request carried the whole union of its moment, and the last one the final union.
    for (const r of carried.slice(1)) expect(r.codes).toEqual(r.truth);
    expect(carried.at(-1)!.codes).toEqual([...truth].sort());
    // The rest were coalesced: fewer requests than changes, some carrying several new codes at once.
    expect(carried.length).toBeLessThan(600);
    expect(carried.some((r, i) => i > 1 && r.codes.filter((c) => !carried[i - 1]!.codes.includes(c)).length > 1)).toBe(true);
    expect(actor.getSnapshot().value).toBe('idle');
  });

  it('changes made while throttled coalesce into the first freed slot', () => {
    const t = start({ pendingWindow: 0 });
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-A0') });
    t.actor.send({ type: 'CONNECTED', epoch: 1 }); // slot 1 at t=0
    for (let i = 1; i < 5; i++) {
      t.clock.increment(1);
      t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker(`KRW-A${i}`) });
      t.clock.increment(0);
    }
    advance(t.clock, 10, 1);
    expect(t.requests).toHaveLength(5);
    for (let i = 0; i < 10; i++) t.actor.send({ type: 'ADD', componentId: 'b', wish: ticker(`KRW-B${i}`) });
    advance(t.clock, 100, 1);
    expect(t.actor.getSnapshot().value).toBe('throttled');
    advance(t.clock, 1000, 1);
    expect(t.requests).toHaveLength(6);
    expect(t.requests[5]!.at).toBe(1000); // the first slot (taken at 0) is free again at 1000
    expect(t.codes(t.requests[5])).toHaveLength(15);
  });

  it('a new connection has a fresh budget; the old one\'s slot releases are ignored', () => {
    const t = start({ perSecond: 2 });
    t.actor.send({ type: 'CONNECTED', epoch: 1 }); // [] → 1 slot
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-A') });
    advance(t.clock, 100);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-B') });
    advance(t.clock, 100);
    expect(t.actor.getSnapshot().value).toBe('throttled');
    t.actor.send({ type: 'DISCONNECTED' });
    t.actor.send({ type: 'CONNECTED', epoch: 2 });
    expect(t.requests.map((r) => r.epoch)).toEqual([1, 1, 2]);
    expect(t.actor.getSnapshot().context.usedSecond).toBe(1);
    advance(t.clock, 1000);
    expect(t.actor.getSnapshot().context.usedSecond).toBe(0);
  });
});

describe('subscription: repair', () => {
  it('REPAIR lists subscriptions; a drifted SERVER_VIEW triggers a resend with reason repair', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC', 'KRW-ETH') });
    advance(t.clock, 100);
    t.actor.send({ type: 'REPAIR' });
    expect(t.lists).toEqual([100]);
    t.actor.send({ type: 'SERVER_VIEW', result: [{ type: 'ticker', codes: ['KRW-BTC'] }] });
    expect(t.requests.map((r) => r.reason)).toEqual(['change', 'repair']);
    expect(t.actor.getSnapshot().context.sent).toBe(4);
  });

  it('no drift → nothing sent; an unrequested SERVER_VIEW is ignored', () => {
    const t = start();
    t.online(1);
    t.actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-ETH', 'KRW-BTC') });
    advance(t.clock, 100);
    t.actor.send({ type: 'SERVER_VIEW', result: [] });
    t.actor.send({ type: 'REPAIR' });
    t.actor.send({ type: 'SERVER_VIEW', result: [{ type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] }] });
    t.actor.send({ type: 'SERVER_VIEW', result: [] });
    expect(t.requests).toHaveLength(1);
  });

  it('REPAIR counts against the budget and waits for a slot; ignored while disconnected', () => {
    const t = start({ perSecond: 1 });
    t.actor.send({ type: 'REPAIR' });
    expect(t.lists).toEqual([]);
    t.actor.send({ type: 'CONNECTED', epoch: 1 });
    t.actor.send({ type: 'REPAIR' });
    expect(t.actor.getSnapshot().value).toBe('throttled');
    advance(t.clock, 1000);
    expect(t.lists).toEqual([1000]);
  });
});
