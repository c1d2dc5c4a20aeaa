/**
 * component.machine: the subscriptions of one component as data (own options, own status),
 * reported through `registerWishes` and `status` events; and the sharded components registry.
 * These machines arm no timers; every actor still runs on a SimulatedClock, like every machine test.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  applySnapshotDone,
  applySubscribe,
  applyUnsubscribe,
  componentMachine,
  type RegisterWishesParams,
  type StatusChange,
} from '../../src/machines/component.machine.js';
import { componentActorId, componentsMachine } from '../../src/machines/components.machine.js';

function start() {
  const registered: RegisterWishesParams[] = [];
  const actor = createActor(componentMachine.provide({ actions: { registerWishes: (_, p) => void registered.push(p) } }), {
    clock: new SimulatedClock(),
    input: { componentId: 'chart-1' },
  });
  const statuses: string[] = [];
  actor.on('status', (e: StatusChange) => void statuses.push(`${e.id}:${e.status}${e.gapMs !== undefined ? `+${e.gapMs}` : ''}`));
  actor.start();
  const last = () => registered[registered.length - 1];
  return { actor, registered, statuses, last, subs: () => actor.getSnapshot().context.subscriptions };
}

describe('component: subscriptions as data', () => {
  it('SUBSCRIBE records a subscription with exactly its options and registers one wish per subscription', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 'a', channel: 'orderbook', codes: ['KRW-BTC'], depth: 15, level: 1000 });
    t.actor.send({ type: 'SUBSCRIBE', id: 'b', channel: 'orderbook', codes: ['KRW-BTC'], depth: 5 });
    // Never merged: two subscriptions on one code keep their own depth and level.
    expect(t.last()).toEqual({
      componentId: 'chart-1',
      wishes: [
        { id: 'a', type: 'orderbook', codes: ['KRW-BTC'], depth: 15, level: 1000 },
        { id: 'b', type: 'orderbook', codes: ['KRW-BTC'], depth: 5 },
      ],
    });
    expect(t.statuses).toEqual(['a:pending', 'b:pending']);
    expect(t.subs().a).toMatchObject({ id: 'a', side: 'public', status: 'pending' });
  });

  it('UNSUBSCRIBE by id ends that subscription only', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 'snap', channel: 'ticker', codes: ['KRW-BTC'], stream: 'snapshot' });
    t.actor.send({ type: 'SUBSCRIBE', id: 'live', channel: 'ticker', codes: ['KRW-BTC'], stream: 'realtime' });
    t.actor.send({ type: 'UNSUBSCRIBE', id: 'snap' });
    expect(t.last()?.wishes).toEqual([{ id: 'live', type: 'ticker', codes: ['KRW-BTC'], stream: 'realtime' }]);
    expect(t.statuses).toContain('snap:ended');
    expect(Object.keys(t.subs())).toEqual(['live']);
  });

  it('UNSUBSCRIBE by channel drops codes from every subscription of it; none left ends it', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 'a', channel: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] });
    t.actor.send({ type: 'SUBSCRIBE', id: 'b', channel: 'trade', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
    expect(t.last()?.wishes).toEqual([
      { id: 'a', type: 'ticker', codes: ['KRW-ETH'] },
      { id: 'b', type: 'trade', codes: ['KRW-BTC'] },
    ]);
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'ticker' });
    expect(t.last()?.wishes).toEqual([{ id: 'b', type: 'trade', codes: ['KRW-BTC'] }]);
    expect(t.statuses).toContain('a:ended');
  });

  it('SNAPSHOT_DONE ends a snapshot-only subscription code by code; realtime ones are untouched', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 's', channel: 'ticker', codes: ['KRW-BTC', 'KRW-ETH.5'], stream: 'snapshot' });
    t.actor.send({ type: 'SUBSCRIBE', id: 'r', channel: 'ticker', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'SNAPSHOT_DONE', id: 'r', code: 'KRW-BTC' });
    t.actor.send({ type: 'SNAPSHOT_DONE', id: 's', code: 'KRW-BTC' });
    expect(t.subs().s?.wish.codes).toEqual(['KRW-ETH.5']);
    t.actor.send({ type: 'SNAPSHOT_DONE', id: 's', code: 'KRW-ETH' });
    expect(t.subs().s).toBeUndefined();
    expect(t.last()?.wishes).toEqual([{ id: 'r', type: 'ticker', codes: ['KRW-BTC'] }]);
  });

  it('WIRE: pending → active when sent; active → interrupted when down; back → active with the gap', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 'pub', channel: 'ticker', codes: ['KRW-BTC'], side: 'public' });
    t.actor.send({ type: 'SUBSCRIBE', id: 'priv', channel: 'myAsset', side: 'private' });
    t.actor.send({ type: 'WIRE', side: 'public', state: 'sent', at: 1_000 });
    expect(t.subs().pub?.status).toBe('active');
    expect(t.subs().priv?.status).toBe('pending'); // another connection
    const before = t.registered.length;
    t.actor.send({ type: 'WIRE', side: 'public', state: 'down', at: 5_000 });
    t.actor.send({ type: 'WIRE', side: 'public', state: 'sent', at: 7_500 });
    expect(t.statuses).toEqual(['pub:pending', 'priv:pending', 'pub:active', 'pub:interrupted', 'pub:active+2500']);
    expect(t.registered.length).toBe(before); // status changes do not re-register wishes
  });

  it('FAIL takes a subscription off the wire; RETRY (for its failure code) brings it back as pending', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 'a', channel: 'ticker', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'SUBSCRIBE', id: 'b', channel: 'trade', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'FAIL', ids: ['a'], failure: { code: 'CONNECTION', message: 'down' } });
    t.actor.send({ type: 'FAIL', ids: ['b'], failure: { code: 'SERVER_ERROR', message: 'refused' } });
    expect(t.last()?.wishes).toEqual([]);
    expect(t.subs().a).toMatchObject({ status: 'failed', failure: { code: 'CONNECTION' } });
    t.actor.send({ type: 'RETRY', codes: ['CONNECTION'] });
    expect(t.subs().a?.status).toBe('pending');
    expect(t.subs().b?.status).toBe('failed'); // a refused wish is not retried unchanged
    expect(t.last()?.wishes).toEqual([{ id: 'a', type: 'ticker', codes: ['KRW-BTC'] }]);
  });

  it('STOP ends every subscription and registers nothing', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', id: 'a', channel: 'ticker', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'STOP' });
    expect(t.last()?.wishes).toEqual([]);
    expect(t.statuses).toEqual(['a:pending', 'a:ended']);
    expect(t.actor.getSnapshot().status).toBe('done');
  });

  it('by default emits `wishes`', () => {
    const actor = createActor(componentMachine, { clock: new SimulatedClock(), input: { componentId: 'x' } }).start();
    const seen: unknown[] = [];
    actor.on('wishes', (e) => void seen.push(e.wishes));
    actor.send({ type: 'SUBSCRIBE', id: 'm', channel: 'myAsset' });
    expect(seen).toEqual([[{ id: 'm', type: 'myAsset' }]]);
  });

  it('the reducers are pure', () => {
    const none = {};
    const one = applySubscribe(none, { id: 'a', channel: 'ticker', codes: ['KRW-BTC'] }).subs;
    expect(none).toEqual({});
    const narrowed = applyUnsubscribe(one, { type: 'UNSUBSCRIBE', channel: 'ticker', codes: ['KRW-ETH'] }).subs;
    expect(narrowed).toBe(one); // nothing of it matched: unchanged
    expect(applySnapshotDone(one, 'a', 'KRW-BTC').subs).toBe(one); // not snapshot-only
    expect(one.a?.wish).toEqual({ type: 'ticker', codes: ['KRW-BTC'] });
  });
});

describe('components registry: one tree, flat cost', () => {
  it('spawns components into shards of bounded size and frees the name on RELEASE', () => {
    const registry = createActor(componentsMachine, { clock: new SimulatedClock(), input: { shardSize: 2 } }).start();
    for (const id of ['a', 'b', 'c', 'd', 'e']) registry.send({ type: 'SPAWN', id });
    expect(Object.keys(registry.getSnapshot().children)).toEqual(['shard-0', 'shard-1', 'shard-2']);
    expect(registry.getSnapshot().context.load).toEqual([2, 2, 1]);
    const c = registry.system.get(componentActorId('c'));
    expect(c?.getSnapshot().context).toEqual({ componentId: 'c', subscriptions: {} });
    // the component's parent is its shard, whose parent is the registry: one system
    expect(c?._parent?.id).toBe('shard-1');
    registry.send({ type: 'RELEASE', id: 'c' });
    expect(registry.system.get(componentActorId('c'))).toBeUndefined();
    expect(registry.getSnapshot().context.load).toEqual([2, 1, 1]);
    registry.send({ type: 'SPAWN', id: 'c' }); // the name is free again; the freed slot is reused
    expect(registry.getSnapshot().context.load).toEqual([2, 2, 1]);
    expect(Object.keys(registry.getSnapshot().children)).toHaveLength(3);
  });
});
