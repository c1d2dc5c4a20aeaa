/**
 * Model-based paths (xstate/graph) for connection.machine and recovery.machine.
 *
 * How it works: the traversal runs the machine's pure transition function over a list of
 * events (timers appear as their `xstate.after.*` events, found with getNextTransitions) and
 * yields one path per reachable state. Each path is then replayed on a REAL actor with fakes:
 * socket events go through the fake socket the actor actually created, `prepare` results
 * through the promise it actually invoked, recovery replies through the fake recovery child.
 * Timers are modelled as events, so the replay sends `xstate.after.*` itself (the clock-driven
 * tests in connection/recovery.test.ts check the timing). After every step the real actor must
 * be in the state (and epoch / attempt count) the model predicted.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, getInitialSnapshot, getNextSnapshot, getNextTransitions, SimulatedClock } from 'xstate';
import type { AnyEventObject, EventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { connectionMachine } from '../../src/machines/connection.machine.js';
import type { PrepareOutput } from '../../src/machines/connection.machine.js';
import { recoveryMachine } from '../../src/machines/recovery.machine.js';
import type { FailureInfo } from '../../src/machines/types.js';
import { deferredSlot, fakeSocket, flush } from './helpers.js';

type Snap = { value: unknown; context: Record<string, unknown> };
const timers = (s: Snap): AnyEventObject[] =>
  [...new Set(getNextTransitions(s as never).map((t) => t.eventType))].filter((t) => t.startsWith('xstate.after.')).map((type) => ({ type }));

// ---------------------------------------------------------------------------------------------
// connection
// ---------------------------------------------------------------------------------------------

const CONN_INPUT = { url: 'wss://model', stallCheckInterval: 5_000, stallTimeout: 10_000 };

function fakeRecovery() {
  const received: EventObject[] = [];
  let reply: ((e: AnyEventObject) => void) | undefined;
  const logic = fromCallback(({ sendBack, receive }) => {
    reply = sendBack;
    receive((e) => void received.push(e));
  });
  return { logic, received, reply: (e: AnyEventObject) => reply?.(e) };
}

const connectionEvents = (s: Snap): AnyEventObject[] => {
  const epoch = s.context.epoch as number;
  return [
    { type: 'CONNECT' },
    { type: 'DISCONNECT' },
    { type: 'RETRY' },
    { type: 'SUBSCRIPTIONS_CHANGED', active: true },
    { type: 'SUBSCRIPTIONS_CHANGED', active: false },
    { type: 'SEND', data: 'req' },
    { type: 'RECOVERY.GO', attempt: 0 },
    { type: 'RECOVERY.GIVE_UP', reason: 'fatal', attempts: 0, info: { kind: 'error', error: 'x' } },
    { type: 'xstate.done.actor.prepare', output: {} },
    { type: 'xstate.error.actor.prepare', error: new Error('prepare failed') },
    { type: 'SOCKET.OPEN', epoch },
    { type: 'SOCKET.OPEN', epoch: epoch - 1 },
    { type: 'SOCKET.CLOSED', epoch, code: 1006, reason: '', wasClean: false },
    { type: 'SOCKET.ERROR', epoch, error: 'x' },
    { type: 'SOCKET.PONG', epoch },
    { type: 'SOCKET.ACTIVITY', epoch, frames: 0 },
    { type: 'SOCKET.ACTIVITY', epoch, frames: 3 },
    { type: 'SOCKET.SERVER_ERROR', epoch, error: { name: 'INVALID_AUTH', message: '' } },
    { type: 'SOCKET.SERVER_ERROR', epoch, error: { name: 'WRONG_FORMAT', message: '' } },
    ...timers(s),
  ];
};

// Epoch in the key: more paths (reconnects); traversal stops at epoch 3.
const connectionKey = (s: Snap) => JSON.stringify([s.value, s.context.quietMs, s.context.hasSubscriptions, s.context.epoch]);

describe('model: connection', () => {
  const recovery = fakeRecovery();
  const model = connectionMachine.provide({ actors: { recovery: recovery.logic as unknown as typeof recoveryMachine } });
  const paths = getShortestPaths(model, {
    input: CONN_INPUT,
    events: connectionEvents as never,
    serializeState: connectionKey as never,
    stopWhen: ((s: Snap) => (s.context.epoch as number) >= 3) as never,
  });

  it('reaches every state of the chart', () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const v of ['"idle"', '"waiting"', '"preparing"', '"closed"', '"failed"', '{"session":"connecting"}', '{"session":"closing"}',
      '{"session":{"open":{"keepalive":"idle","activity":"watching"}}}', '{"session":{"open":{"keepalive":"awaitingPong","activity":"watching"}}}']) {
      expect(reached).toContain(v);
    }
  });

  it.each(paths.map((p) => [p.steps.map((s) => s.event.type).join(' → '), p] as const))('%s', async (_name, path) => {
    const rec = fakeRecovery();
    const sock = fakeSocket({ autoPong: false, autoClose: false });
    const prep = deferredSlot<PrepareOutput, { name: string; url: string }>();
    const actor = createActor(connectionMachine.provide({ actors: { recovery: rec.logic as unknown as typeof recoveryMachine, socket: sock.logic, prepare: prep.logic } }), {
      clock: new SimulatedClock(),
      input: CONN_INPUT,
    }).start();
    let expected = getInitialSnapshot(model, CONN_INPUT);
    for (const step of path.steps) {
      const e = step.event as AnyEventObject;
      if (e.type === 'xstate.init') continue;
      expected = getNextSnapshot(model, expected, e as never);
      if (e.type.startsWith('RECOVERY.')) rec.reply(e);
      else if (e.type === 'xstate.done.actor.prepare') prep.last.resolve(e.output as PrepareOutput);
      else if (e.type === 'xstate.error.actor.prepare') prep.last.reject(e.error);
      else if (e.type.startsWith('SOCKET.') && sock.sockets.length && !sock.last.stopped) sock.last.emit(e as never);
      else actor.send(e as never);
      await flush();
      expect(expected.value).toEqual(step.state.value);
      expect(actor.getSnapshot().value).toEqual(expected.value);
      expect(actor.getSnapshot().context.epoch).toBe(expected.context.epoch);
      expect(actor.getSnapshot().context.quietMs).toBe(expected.context.quietMs);
      expect(actor.getSnapshot().context.status).toBe(expected.context.status);
    }
    // Side effects agree with the state: a live socket exactly while in `session`, with the epoch.
    const inSession = actor.getSnapshot().matches('session');
    expect(sock.sockets.filter((s) => !s.stopped)).toHaveLength(inSession ? 1 : 0);
    if (inSession) expect(sock.last.input.epoch).toBe(actor.getSnapshot().context.epoch);
    expect(sock.sockets.map((s) => s.input.epoch)).toEqual(sock.sockets.map((_, i) => i + 1));
    actor.stop();
  });
});

// ---------------------------------------------------------------------------------------------
// recovery
// ---------------------------------------------------------------------------------------------

const REC_INPUT = { jitter: 0, maxAttempts: 2 };
const lost: FailureInfo = { kind: 'close', code: 1006 };
const recoveryEvents = (s: Snap): AnyEventObject[] => [
  { type: 'CONNECT_REQUEST' },
  { type: 'FAILURE', info: lost },
  { type: 'FAILURE', info: { kind: 'server-error', name: 'INVALID_AUTH' } },
  { type: 'OPENED' },
  { type: 'CANCEL' },
  { type: 'RETRY' },
  ...timers(s),
];
const recoveryKey = (s: Snap) => JSON.stringify([s.value, s.context.attempts]);
const flowOf = (v: unknown) => (v as { flow: string }).flow;

const recoveryModel = recoveryMachine.provide({ actions: { grant: () => {}, giveUp: () => {}, announceBackoff: () => {} } });

/**
 * Replay on a real actor and, side by side, on the pure transition function (getNextSnapshot):
 * the traversal merges states by key, so counters along THIS path come from the recomputation.
 */
function replayRecovery(steps: ReadonlyArray<{ event: EventObject; state: Snap }>) {
  const calls = { grant: 0, giveUp: 0, backoff: 0 };
  const actor = createActor(
    recoveryMachine.provide({
      actions: { grant: () => void calls.grant++, giveUp: () => void calls.giveUp++, announceBackoff: () => void calls.backoff++ },
    }),
    { clock: new SimulatedClock(), input: REC_INPUT },
  ).start();
  let model = getInitialSnapshot(recoveryModel, REC_INPUT);
  const expected = { grant: 0, giveUp: 0, backoff: 0 };
  for (const step of steps) {
    if (step.event.type === 'xstate.init') continue;
    const prev = model;
    model = getNextSnapshot(recoveryModel, model, step.event as never);
    actor.send(step.event as never);
    expect(model.value).toEqual(step.state.value);
    expect(actor.getSnapshot().value).toEqual(model.value);
    expect(actor.getSnapshot().context.attempts).toBe(model.context.attempts);
    if (flowOf(prev.value) !== 'failed' && flowOf(model.value) === 'failed') expected.giveUp++;
    if (flowOf(prev.value) !== 'backoff' && flowOf(model.value) === 'backoff') expected.backoff++;
  }
  expected.grant = model.context.grants;
  expect(calls).toEqual(expected);
  actor.stop();
}

describe('model: recovery', () => {
  const model = recoveryModel;
  const shortest = getShortestPaths(model, { input: REC_INPUT, events: recoveryEvents as never, serializeState: recoveryKey as never });
  // Simple paths explode with every event (thousands); the connect/fail/retry core is 364 paths.
  const core = (s: Snap): AnyEventObject[] =>
    recoveryEvents(s).filter((e) => !['OPENED', 'CANCEL'].includes(e.type) && !e.type.includes('stableUptime'));
  const simple = getSimplePaths(model, { input: REC_INPUT, events: core as never, serializeState: recoveryKey as never });

  it('reaches every flow/gate/uptime state and both give-up reasons', () => {
    const values = shortest.map((p) => p.state.value as Record<string, string>);
    for (const [region, states] of Object.entries({ flow: ['idle', 'backoff', 'pending', 'failed'], gate: ['open', 'cooling'], uptime: ['down', 'up', 'stable'] })) {
      for (const st of states) expect(values.some((v) => v[region] === st)).toBe(true);
    }
    expect(simple.filter((p) => flowOf(p.state.value) === 'failed').length).toBeGreaterThan(10);
  });

  it.each(shortest.map((p) => [p.steps.map((s) => s.event.type).join(' → '), p] as const))('shortest: %s', (_name, path) => {
    replayRecovery(path.steps as never);
  });

  it(`all ${simple.length} simple paths of the connect/fail/retry core replay on a real actor`, () => {
    for (const path of simple) replayRecovery(path.steps as never);
  });
});
