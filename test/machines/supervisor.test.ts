/**
 * supervisor.machine: spawning, the connection ↔ subscription wiring, health, re-spawn of
 * crashed children with a cap, and STOP. Real child machines, fake socket, SimulatedClock.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import type { AnyActorRef } from 'xstate';
import { connectionMachine } from '../../src/machines/connection.machine.js';
import type { PrepareOutput } from '../../src/machines/connection.machine.js';
import { subscriptionMachine } from '../../src/machines/subscription.machine.js';
import type { SendRequestParams } from '../../src/machines/subscription.machine.js';
import { supervisorMachine } from '../../src/machines/supervisor.machine.js';
import type { componentsMachine } from '../../src/machines/components.machine.js';
import type { SupervisorEmitted, SupervisorInput } from '../../src/machines/supervisor.machine.js';
import type { SocketCommand, SocketInput } from '../../src/machines/types.js';
import { advance, fakeSocket, flush, namedError } from './helpers.js';

function start(input: Partial<SupervisorInput> = {}) {
  const clock = new SimulatedClock();
  const pub = fakeSocket();
  const priv = fakeSocket();
  const requests: Array<SendRequestParams & { side: string }> = [];
  const componentsStarted: number[] = [];
  const machine = supervisorMachine.provide({
    actors: {
      publicConnection: connectionMachine.provide({ actors: { socket: pub.logic } }),
      privateConnection: connectionMachine.provide({
        actors: { socket: priv.logic, prepare: fromPromise<PrepareOutput, { name: string; url: string }>(async () => ({ headers: { Authorization: 'Bearer t' } })) },
      }),
      subscription: subscriptionMachine.provide({
        actions: { sendRequest: ({ context }, p) => void requests.push({ ...p, side: context.name }) },
      }),
      // A stand-in registry that can be made to crash (the real one is tested on its own).
      components: fromCallback<{ type: string }>(({ receive }) => {
        componentsStarted.push(clock.now());
        receive((e) => {
          if (e.type === 'CRASH') throw namedError('ComponentBug');
        });
      }) as unknown as typeof componentsMachine,
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { public: { url: 'wss://pub', recovery: { jitter: 0 } }, private: { url: 'wss://priv' }, jwt: { mode: 'keys', now: () => clock.now() }, ...input },
  });
  const emitted: SupervisorEmitted[] = [];
  actor.on('*', (e) => void emitted.push(e));
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => void errors.push(e) });
  actor.start();
  const get = (systemId: string) => actor.system.get(systemId) as AnyActorRef;
  const children = () => Object.keys(actor.getSnapshot().children).sort();
  return { clock, pub, priv, actor, emitted, errors, get, children, requests, componentsStarted };
}

describe('supervisor', () => {
  it('spawns the public side and the components registry; private only when needed', () => {
    const t = start();
    expect(t.children()).toEqual(['components', 'publicConnection', 'publicSubscription']);
    expect(t.get('public.connection')).toBeDefined();
    expect(t.get('jwt')).toBeUndefined();
    expect(t.actor.getSnapshot().context.health).toEqual({ public: 'idle', private: 'off' });
    t.actor.send({ type: 'PRIVATE_NEEDED' });
    t.actor.send({ type: 'PRIVATE_NEEDED' }); // once
    expect(t.children()).toEqual(['components', 'jwt', 'privateConnection', 'privateSubscription', 'publicConnection', 'publicSubscription']);
    expect(t.get('private.subscription')).toBeDefined();
    expect(t.actor.getSnapshot().context.health.private).toBe('idle');
  });

  it('input.privateNeeded spawns the private side at start', () => {
    const t = start({ privateNeeded: true });
    expect(t.children()).toContain('jwt');
    expect(t.children()).toContain('privateConnection');
  });

  it('wires wishes → CONNECT → open → CONNECTED → one request, and tracks health', async () => {
    const t = start();
    t.get('public.subscription').send({ type: 'ADD', componentId: 'a', wish: { type: 'ticker', codes: ['KRW-BTC'] } });
    expect(t.get('public.connection').getSnapshot().context.hasSubscriptions).toBe(true);
    await flush();
    expect(t.actor.getSnapshot().context.health.public).toBe('connecting');
    t.pub.last.open();
    expect(t.actor.getSnapshot().context.health.public).toBe('open');
    expect(t.requests).toEqual([{ side: 'public', reason: 'reconnect', epoch: 1, wishes: [{ type: 'ticker', codes: ['KRW-BTC'], componentId: 'a' }] }]);
    advance(t.clock, 500);
    expect(t.requests).toHaveLength(1);
    t.pub.last.close(1006);
    expect(t.get('public.subscription').getSnapshot().context.epoch).toBeNull();
    advance(t.clock, 1000);
    await flush();
    t.pub.last.open();
    expect(t.requests.map((r) => [r.reason, r.epoch])).toEqual([['reconnect', 1], ['reconnect', 2]]);
    const health = t.emitted.filter((e) => e.type === 'health').map((e) => (e as { health: { public: string } }).health.public);
    expect(health).toEqual(['idle', 'waiting', 'preparing', 'connecting', 'open', 'waiting', 'preparing', 'connecting', 'open']);
  });

  it('the private side connects with prepared headers when its subscription wants something', async () => {
    const t = start({ privateNeeded: true });
    t.get('private.subscription').send({ type: 'ADD', componentId: 'w', wish: { type: 'myOrder' } });
    await flush();
    t.priv.last.open();
    expect(t.priv.last.input).toEqual({ url: 'wss://priv', epoch: 1, headers: { Authorization: 'Bearer t' } });
    expect(t.requests.map((r) => r.side)).toEqual(['private']);
    expect(t.actor.getSnapshot().context.health).toEqual({ public: 'idle', private: 'open' });
  });

  it('re-spawns a crashed child, counts restarts, and gives up at the cap', () => {
    const t = start({ maxRestarts: 2 });
    t.get('components').send({ type: 'CRASH' } as never);
    t.get('components').send({ type: 'CRASH' } as never);
    expect(t.componentsStarted).toHaveLength(3);
    expect(t.actor.getSnapshot().context.restarts.components).toBe(2);
    t.get('components').send({ type: 'CRASH' } as never);
    expect(t.componentsStarted).toHaveLength(3);
    expect(t.emitted.filter((e) => e.type !== 'health')).toEqual([
      { type: 'childRestarted', id: 'components', restarts: 1 },
      { type: 'childRestarted', id: 'components', restarts: 2 },
      { type: 'childGaveUp', id: 'components', error: expect.objectContaining({ name: 'ComponentBug' }) },
    ]);
    expect(t.actor.getSnapshot().status).toBe('active');
    expect(t.errors).toEqual([]);
  });

  it('a re-spawned connection continues the epoch and reconnects when subscriptions are wanted', async () => {
    const t = start();
    t.get('public.subscription').send({ type: 'ADD', componentId: 'a', wish: { type: 'trade', codes: ['KRW-BTC'] } });
    await flush();
    t.pub.last.open();
    const crashing = t.pub.last;
    // what XState delivers when a child dies (a real crash is the next-but-one test)
    t.actor.send({ type: 'xstate.error.actor.publicConnection', error: new Error('simulated crash') });
    expect(t.actor.getSnapshot().context.restarts.publicConnection).toBe(1);
    expect(crashing.stopped).toBe(true);
    advance(t.clock, 200);
    await flush();
    expect(t.pub.last).not.toBe(crashing);
    expect(t.pub.last.input.epoch).toBe(2);
    expect(t.get('public.connection').getSnapshot().context.hasSubscriptions).toBe(true);
  });

  it('a re-spawned subscription is told CONNECTED when its connection is open', async () => {
    const t = start();
    t.get('public.subscription').send({ type: 'ADD', componentId: 'a', wish: { type: 'trade', codes: ['KRW-BTC'] } });
    await flush();
    t.pub.last.open();
    t.actor.send({ type: 'xstate.error.actor.publicSubscription', error: new Error('simulated crash') });
    const fresh = t.get('public.subscription');
    expect(fresh.getSnapshot().context.epoch).toBe(1);
    expect(t.requests.at(-1)).toMatchObject({ wishes: [], reason: 'reconnect', epoch: 1 });
    expect(t.emitted.at(-1)).toEqual({ type: 'childRestarted', id: 'publicSubscription', restarts: 1 });
  });

  it('a real child crash (socket throws) is caught and restarted', async () => {
    const clock = new SimulatedClock();
    let n = 0;
    const throwing = fromCallback<SocketCommand, SocketInput>(({ receive }) => {
      n++;
      receive(() => {
        throw new Error('socket bug');
      });
    });
    const actor = createActor(
      supervisorMachine.provide({ actors: { publicConnection: connectionMachine.provide({ actors: { socket: throwing } }) } }),
      { clock, input: { public: { url: 'u' } } },
    ).start();
    actor.system.get('public.connection').send({ type: 'CONNECT' });
    await flush();
    expect(n).toBe(1);
    actor.system.get('public.connection').send({ type: 'DISCONNECT' }); // CLOSE → socket throws
    expect(actor.getSnapshot().context.restarts.publicConnection).toBe(1);
    expect(actor.getSnapshot().status).toBe('active');
  });

  it('reports a connection that gave up', async () => {
    const t = start({ public: { url: 'u', recovery: { maxAttempts: 0 } } });
    t.get('public.connection').send({ type: 'CONNECT' });
    await flush();
    t.pub.last.close(1006);
    expect(t.emitted.filter((e) => e.type === 'connectionFailed')).toEqual([
      { type: 'connectionFailed', source: 'public', reason: 'max-attempts', error: { kind: 'close', code: 1006, reason: '', serverError: undefined } },
    ]);
    expect(t.actor.getSnapshot().context.health.public).toBe('failed');
  });

  it('STOP stops every child and ends', async () => {
    const t = start({ privateNeeded: true });
    t.get('public.connection').send({ type: 'CONNECT' });
    await flush();
    t.actor.send({ type: 'STOP' });
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.pub.last.stopped).toBe(true);
    expect(t.emitted.at(-1)).toEqual({ type: 'stopped' });
    expect(t.get('jwt')).toBeUndefined();
  });
});
