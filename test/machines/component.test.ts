/** component.machine: wish bookkeeping of one component, reported through `registerWishes`. */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { applySnapshotDone, applySubscribe, applyUnsubscribe, componentMachine } from '../../src/machines/component.machine.js';
import type { RegisterWishesParams } from '../../src/machines/component.machine.js';

function start() {
  const registered: RegisterWishesParams[] = [];
  const actor = createActor(componentMachine.provide({ actions: { registerWishes: (_, p) => void registered.push(p) } }), {
    input: { componentId: 'chart-1' },
  }).start();
  return { actor, registered, last: () => registered[registered.length - 1] };
}

describe('component', () => {
  it('SUBSCRIBE turns channel/codes/options into a wish and registers it', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', channel: 'orderbook', codes: ['KRW-BTC'], depth: 15, level: 1000 });
    expect(t.last()).toEqual({ componentId: 'chart-1', wishes: [{ type: 'orderbook', codes: ['KRW-BTC'], depth: 15, level: 1000 }] });
  });

  it('same channel and options merge codes; different options stay apart', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-ETH', 'KRW-BTC'] });
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-XRP'], stream: 'snapshot' });
    expect(t.last()?.wishes).toEqual([
      { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
      { type: 'ticker', codes: ['KRW-XRP'], stream: 'snapshot' },
    ]);
  });

  it('UNSUBSCRIBE removes codes, or the whole channel without codes', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] });
    t.actor.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
    expect(t.last()?.wishes).toEqual([{ type: 'ticker', codes: ['KRW-ETH'] }, { type: 'trade', codes: ['KRW-BTC'] }]);
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'ticker', codes: ['KRW-ETH'] });
    expect(t.last()?.wishes).toEqual([{ type: 'trade', codes: ['KRW-BTC'] }]);
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'trade' });
    expect(t.last()?.wishes).toEqual([]);
  });

  it('codeless channels (myAsset) subscribe and unsubscribe', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', channel: 'myAsset' });
    expect(t.last()?.wishes).toEqual([{ type: 'myAsset' }]);
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'myAsset', codes: ['KRW-BTC'] });
    expect(t.last()?.wishes).toEqual([{ type: 'myAsset' }]);
    t.actor.send({ type: 'UNSUBSCRIBE', channel: 'myAsset' });
    expect(t.last()?.wishes).toEqual([]);
  });

  it('SNAPSHOT_DONE ends a snapshot-only wish code by code; realtime wishes are untouched', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'], stream: 'snapshot' });
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'SNAPSHOT_DONE', channel: 'ticker', code: 'KRW-BTC' });
    expect(t.last()?.wishes).toEqual([
      { type: 'ticker', codes: ['KRW-ETH'], stream: 'snapshot' },
      { type: 'ticker', codes: ['KRW-BTC'] },
    ]);
    t.actor.send({ type: 'SNAPSHOT_DONE', channel: 'ticker', code: 'KRW-ETH' });
    expect(t.last()?.wishes).toEqual([{ type: 'ticker', codes: ['KRW-BTC'] }]);
  });

  it('STOP registers an empty list and ends in the final state', () => {
    const t = start();
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
    t.actor.send({ type: 'STOP' });
    expect(t.last()).toEqual({ componentId: 'chart-1', wishes: [] });
    expect(t.actor.getSnapshot().status).toBe('done');
    t.actor.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-ETH'] });
    expect(t.registered).toHaveLength(2);
  });

  it('by default emits `wishes`', () => {
    const actor = createActor(componentMachine, { input: { componentId: 'x' } });
    const seen: unknown[] = [];
    actor.on('wishes', (e) => void seen.push(e));
    actor.start();
    actor.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-BTC'] });
    expect(seen).toEqual([{ type: 'wishes', componentId: 'x', wishes: [{ type: 'trade', codes: ['KRW-BTC'] }] }]);
  });

  it('the reducers are pure', () => {
    const before = [{ type: 'ticker', codes: ['A'] }];
    applySubscribe(before, { channel: 'ticker', codes: ['B'] });
    applyUnsubscribe(before, 'ticker', ['A']);
    applySnapshotDone(before, 'ticker', 'A');
    expect(before).toEqual([{ type: 'ticker', codes: ['A'] }]);
  });
});
