/**
 * Model-based tests for connection.machine and recovery.machine, against ABSTRACT models written
 * here: each is its own transition table (a pure function over a small record), derived from the
 * statechart's documented behaviour, never from the machine under test.
 *
 * How to read: for each machine, the model (state record, events, `next`, the timers it says are
 * armed), then the traversal (model-graph.ts, breadth-first over the model: one shortest path to
 * every model state; for recovery also every simple path of its connect/fail/retry core), then the replay:
 * each path runs on a REAL actor with fakes (socket events through the fake socket the actor
 * created, `prepare` through the promise it invoked, recovery replies through the fake child).
 * A model timer is fired by sending the real actor's own `xstate.after.<delay>.*` event, which must
 * be armed. After every step the real actor, read back into the model's terms, must equal the
 * model, including WHICH timers are armed; for recovery also how often it granted, backed off and
 * gave up. The clock-driven tests in connection/recovery.test.ts check the timing itself.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import type { AnyActorRef, AnyEventObject, EventObject } from 'xstate';
import { connectionMachine } from '../../src/machines/connection.machine.js';
import type { PrepareOutput } from '../../src/machines/connection.machine.js';
import { recoveryMachine } from '../../src/machines/recovery.machine.js';
import type { FailureInfo } from '../../src/machines/types.js';
import { deferredSlot, fakeSocket, flush } from './helpers.js';
import { armedDelays, fire, nameOf, shortestPaths, simplePaths } from './model-graph.js';

// ---------------------------------------------------------------------------------------------
// connection: the model
// ---------------------------------------------------------------------------------------------

const CHECK_EVERY = 5_000;
const STALL_AFTER = 10_000;
const CONN_INPUT = { url: 'wss://model', stallCheckInterval: CHECK_EVERY, stallTimeout: STALL_AFTER };

type ConnState = 'idle' | 'waiting' | 'preparing' | 'connecting' | 'open' | 'closing' | 'closed' | 'failed';
interface ConnModel {
  s: ConnState;
  /** open only: a PING is out, waiting for its PONG. */
  ping: boolean;
  epoch: number;
  subs: boolean;
  quiet: number;
  /** closing only: CONNECT arrived, connect again once closed. */
  again: boolean;
}
const CONN_EVENTS = [
  'CONNECT', 'DISCONNECT', 'RETRY', 'SUBS_ON', 'SUBS_OFF', 'SEND', 'GO', 'GIVE_UP', 'PREP_OK', 'PREP_FAIL',
  'OPEN', 'OPEN_STALE', 'CLOSED', 'CLOSED_STALE', 'ERROR', 'PONG', 'QUIET', 'BUSY', 'FATAL', 'SERVER_ERROR',
] as const;
type ConnTimer = 'connectTimeout' | 'keepaliveInterval' | 'pongTimeout' | 'stallCheckInterval' | 'closeTimeout';
type ConnEvent = (typeof CONN_EVENTS)[number] | ConnTimer;

/** Timers the chart arms in each state. */
function connTimers(m: ConnModel): ConnTimer[] {
  if (m.s === 'connecting') return ['connectTimeout'];
  if (m.s === 'closing') return ['closeTimeout'];
  if (m.s === 'open') return [m.ping ? 'pongTimeout' : 'keepaliveInterval', 'stallCheckInterval'];
  return [];
}

/** The connection's transition table. `lost` = back to waiting, where recovery decides. */
function connNext(m: ConnModel, e: ConnEvent): ConnModel {
  const to = (s: ConnState, extra: Partial<ConnModel> = {}): ConnModel => ({ ...m, s, ping: false, again: false, ...extra });
  // Anywhere: subscription news, sends (rejected or forwarded), and anything from an old socket.
  if (e === 'SUBS_ON' || e === 'SUBS_OFF') return { ...m, subs: e === 'SUBS_ON', quiet: 0 };
  if (e === 'SEND' || e === 'OPEN_STALE' || e === 'CLOSED_STALE') return m;
  switch (m.s) {
    case 'idle':
    case 'closed':
      return e === 'CONNECT' ? to('waiting') : m;
    case 'waiting':
      return e === 'GO' ? to('preparing') : e === 'GIVE_UP' ? to('failed') : e === 'DISCONNECT' ? to('closed') : m;
    case 'preparing':
      if (e === 'PREP_OK') return to('connecting', { epoch: m.epoch + 1, quiet: 0 });
      return e === 'PREP_FAIL' ? to('waiting') : e === 'DISCONNECT' ? to('closed') : m;
    case 'failed':
      return e === 'RETRY' ? to('waiting') : m;
    case 'closing':
      // The socket stays until it reports its close (or the close times out); a CONNECT meanwhile
      // connects again afterwards, a DISCONNECT takes that back. Server errors change nothing.
      if (e === 'CLOSED' || e === 'ERROR' || e === 'closeTimeout') return m.again ? to('waiting') : to('closed');
      if (e === 'CONNECT') return { ...m, again: true };
      if (e === 'DISCONNECT') return { ...m, again: false };
      return m;
    default:
      break;
  }
  // connecting | open: a lost socket or a fatal error frame goes back to waiting; DISCONNECT closes.
  if (e === 'CLOSED' || e === 'ERROR' || e === 'FATAL') return to('waiting');
  if (e === 'DISCONNECT') return to('closing');
  if (m.s === 'connecting') {
    if (e === 'connectTimeout') return to('waiting');
    return e === 'OPEN' ? to('open', { quiet: 0 }) : m;
  }
  switch (e) {
    case 'keepaliveInterval':
      return { ...m, ping: true };
    case 'PONG':
      return { ...m, ping: false };
    case 'pongTimeout':
      return to('waiting');
    // The fake socket answers every CHECK_ACTIVITY with frames > 0: the link was busy.
    case 'stallCheckInterval':
    case 'BUSY':
      return { ...m, quiet: 0 };
    case 'QUIET':
      if (!m.subs) return { ...m, quiet: 0 };
      return m.quiet + CHECK_EVERY >= STALL_AFTER ? to('waiting') : { ...m, quiet: m.quiet + CHECK_EVERY };
    default:
      return m;
  }
}

const CONN_INITIAL: ConnModel = { s: 'idle', ping: false, epoch: 0, subs: false, quiet: 0, again: false };
const connKey = (m: ConnModel) => JSON.stringify(m);

/** The real actor, read back into the model's terms. */
function connAbstract(actor: AnyActorRef): ConnModel {
  const snap = actor.getSnapshot() as { value: unknown; context: Record<string, unknown> };
  const v = snap.value as string | { session: string | { open: { keepalive: string } } };
  const session = typeof v === 'object' ? v.session : undefined;
  const s = (typeof v === 'string' ? v : typeof session === 'string' ? session : 'open') as ConnState;
  const ping = typeof session === 'object' && session.open.keepalive === 'awaitingPong';
  const c = snap.context;
  return { s, ping, epoch: c.epoch as number, subs: c.hasSubscriptions as boolean, quiet: c.quietMs as number, again: c.connectAfterClose as boolean };
}

function fakeRecovery() {
  const received: EventObject[] = [];
  let reply: ((e: AnyEventObject) => void) | undefined;
  const logic = fromCallback(({ sendBack, receive }) => {
    reply = sendBack;
    receive((e) => void received.push(e));
  });
  return { logic, received, reply: (e: AnyEventObject) => reply?.(e) };
}

describe('model: connection', () => {
  const events = (m: ConnModel): ConnEvent[] => [...CONN_EVENTS, ...connTimers(m)];
  // Epoch in the key: more paths (reconnects); traversal stops at epoch 3.
  const paths = shortestPaths(CONN_INITIAL, events, connNext, connKey, (m) => m.epoch >= 3);

  it('the model reaches every state of the chart', () => {
    const reached = new Set(paths.map((p) => `${p.model.s}${p.model.ping ? '+ping' : ''}`));
    expect([...reached].sort()).toEqual(['closed', 'closing', 'connecting', 'failed', 'idle', 'open', 'open+ping', 'preparing', 'waiting']);
    expect(paths.some((p) => p.model.s === 'closing' && p.model.again)).toBe(true);
    expect(paths.some((p) => p.model.s === 'open' && p.model.quiet === CHECK_EVERY)).toBe(true);
  });

  it.each(paths.map((p) => [nameOf(p.steps), p] as const))('%s', async (_name, path) => {
    const rec = fakeRecovery();
    const sock = fakeSocket({ autoPong: false, autoClose: false });
    const prep = deferredSlot<PrepareOutput, { name: string; url: string }>();
    const actor = createActor(connectionMachine.provide({ actors: { recovery: rec.logic as unknown as typeof recoveryMachine, socket: sock.logic, prepare: prep.logic } }), {
      clock: new SimulatedClock(),
      input: CONN_INPUT,
    }).start();
    const live = () => (sock.sockets.length > 0 && !sock.last.stopped ? sock.last : undefined);
    let before = CONN_INITIAL;
    expect(connAbstract(actor)).toEqual(before);
    for (const { event: e, model } of path.steps) {
      const epoch = before.epoch;
      switch (e) {
        case 'CONNECT':
        case 'DISCONNECT':
        case 'RETRY':
          actor.send({ type: e });
          break;
        case 'SUBS_ON':
        case 'SUBS_OFF':
          actor.send({ type: 'SUBSCRIPTIONS_CHANGED', active: e === 'SUBS_ON' });
          break;
        case 'SEND':
          actor.send({ type: 'SEND', data: 'req' });
          break;
        case 'GO':
          rec.reply({ type: 'RECOVERY.GO', attempt: 0 });
          break;
        case 'GIVE_UP':
          rec.reply({ type: 'RECOVERY.GIVE_UP', reason: 'fatal', attempts: 0, info: { kind: 'error', error: 'x' } });
          break;
        case 'PREP_OK':
          if (prep.calls.length > 0) prep.last.resolve({});
          break;
        case 'PREP_FAIL':
          if (prep.calls.length > 0) prep.last.reject(new Error('prepare failed'));
          break;
        case 'OPEN':
        case 'OPEN_STALE':
          live()?.emit({ type: 'SOCKET.OPEN', epoch: e === 'OPEN' ? epoch : epoch - 1 });
          break;
        case 'CLOSED':
        case 'CLOSED_STALE':
          live()?.emit({ type: 'SOCKET.CLOSED', epoch: e === 'CLOSED' ? epoch : epoch - 1, code: 1006, reason: '', wasClean: false });
          break;
        case 'ERROR':
          live()?.emit({ type: 'SOCKET.ERROR', error: 'x' });
          break;
        case 'PONG':
          live()?.emit({ type: 'SOCKET.PONG' });
          break;
        case 'QUIET':
        case 'BUSY':
          live()?.emit({ type: 'SOCKET.ACTIVITY', frames: e === 'QUIET' ? 0 : 3 });
          break;
        case 'FATAL':
        case 'SERVER_ERROR':
          live()?.emit({ type: 'SOCKET.SERVER_ERROR', error: { name: e === 'FATAL' ? 'INVALID_AUTH' : 'WRONG_FORMAT', message: '' } });
          break;
        default:
          fire(actor, e);
      }
      await flush();
      expect(connAbstract(actor), `after ${e}`).toEqual(model);
      expect(armedDelays(actor), `timers after ${e}`).toEqual([...connTimers(model)].sort());
      before = model;
    }
    // Side effects agree with the model: a live socket exactly while in a session state, with its
    // epoch; one socket per epoch, numbered from 1.
    const inSession = ['connecting', 'open', 'closing'].includes(before.s);
    expect(sock.sockets.filter((s) => !s.stopped)).toHaveLength(inSession ? 1 : 0);
    if (inSession) expect(sock.last.input.epoch).toBe(before.epoch);
    expect(sock.sockets.map((s) => s.input.epoch)).toEqual(sock.sockets.map((_, i) => i + 1));
    actor.stop();
  });
});

// ---------------------------------------------------------------------------------------------
// recovery: the model
// ---------------------------------------------------------------------------------------------

const MAX_ATTEMPTS = 2;
const REC_INPUT = { jitter: 0, maxAttempts: MAX_ATTEMPTS };

interface RecModel {
  flow: 'idle' | 'backoff' | 'pending' | 'failed';
  gate: 'open' | 'cooling';
  uptime: 'down' | 'up' | 'stable';
  attempts: number;
  /** Replies so far (not part of the traversal key). */
  grants: number;
  backoffs: number;
  giveUps: number;
}
const REC_EVENTS = ['CONNECT_REQUEST', 'LOST', 'FATAL', 'OPENED', 'CANCEL', 'RETRY'] as const;
type RecTimer = 'backoffDelay' | 'connectGap' | 'stableUptime';
type RecEvent = (typeof REC_EVENTS)[number] | RecTimer;

function recTimers(m: RecModel): RecTimer[] {
  const out: RecTimer[] = [];
  if (m.flow === 'backoff') out.push('backoffDelay');
  if (m.gate === 'cooling') out.push('connectGap');
  if (m.uptime === 'up') out.push('stableUptime');
  return out;
}

/** Recovery's transition table: three regions, then the gate rule. */
function recNext(m: RecModel, e: RecEvent): RecModel {
  const n = { ...m };
  switch (e) {
    case 'CONNECT_REQUEST':
      if (n.flow === 'idle') n.flow = 'pending';
      break;
    case 'LOST':
    case 'FATAL':
      // Judged only while nothing else is under way; a fatal failure or the last attempt gives up.
      if (n.flow === 'idle') {
        if (e === 'FATAL' || n.attempts >= MAX_ATTEMPTS) {
          n.flow = 'failed';
          n.giveUps++;
        } else {
          n.flow = 'backoff';
          n.attempts++;
          n.backoffs++;
        }
      }
      n.uptime = 'down';
      break;
    case 'OPENED':
      if (n.uptime === 'down') n.uptime = 'up';
      break;
    case 'CANCEL':
      if (n.flow === 'backoff' || n.flow === 'pending') n.flow = 'idle';
      n.uptime = 'down';
      break;
    case 'RETRY':
      if (n.flow === 'failed') {
        n.flow = 'pending';
        n.attempts = 0;
      }
      break;
    case 'backoffDelay':
      n.flow = 'pending';
      break;
    case 'connectGap':
      n.gate = 'open';
      break;
    case 'stableUptime':
      n.uptime = 'stable';
      n.attempts = 0; // only a stable connection earns a fresh backoff
      break;
  }
  // A pending connect goes through as soon as the gate is open, and closes the gate behind it.
  if (n.flow === 'pending' && n.gate === 'open') {
    n.flow = 'idle';
    n.gate = 'cooling';
    n.grants++;
  }
  return n;
}

const REC_INITIAL: RecModel = { flow: 'idle', gate: 'open', uptime: 'down', attempts: 0, grants: 0, backoffs: 0, giveUps: 0 };
const recKey = (m: RecModel) => JSON.stringify([m.flow, m.gate, m.uptime, m.attempts]);
const lost: FailureInfo = { kind: 'close', code: 1006 };

/** Replay one model path on a real recovery actor; compare state, attempts, armed timers and replies after every step. */
function replayRecovery(steps: ReadonlyArray<{ event: RecEvent; model: RecModel }>) {
  const calls = { grants: 0, giveUps: 0, backoffs: 0 };
  const actor = createActor(
    recoveryMachine.provide({
      actions: { grant: () => void calls.grants++, giveUp: () => void calls.giveUps++, announceBackoff: () => void calls.backoffs++ },
    }),
    { clock: new SimulatedClock(), input: REC_INPUT },
  ).start();
  for (const { event: e, model } of steps) {
    if (e === 'LOST' || e === 'FATAL') actor.send({ type: 'FAILURE', info: e === 'LOST' ? lost : { kind: 'server-error', name: 'INVALID_AUTH' } });
    else if ((REC_EVENTS as readonly string[]).includes(e)) actor.send({ type: e as Exclude<RecEvent, RecTimer | 'LOST' | 'FATAL'> });
    else fire(actor, e);
    const snap = actor.getSnapshot();
    expect({ ...(snap.value as object), attempts: snap.context.attempts, ...calls }, `after ${e}`).toEqual({
      flow: model.flow,
      gate: model.gate,
      uptime: model.uptime,
      attempts: model.attempts,
      grants: model.grants,
      giveUps: model.giveUps,
      backoffs: model.backoffs,
    });
    expect(snap.context.grants).toBe(model.grants);
    expect(armedDelays(actor), `timers after ${e}`).toEqual([...recTimers(model)].sort());
  }
  actor.stop();
}

describe('model: recovery', () => {
  const all = (m: RecModel): RecEvent[] => [...REC_EVENTS, ...recTimers(m)];
  const shortest = shortestPaths(REC_INITIAL, all, recNext, recKey);
  // Simple paths explode with every event; the connect/fail/retry core stays in the hundreds.
  const core = (m: RecModel): RecEvent[] => all(m).filter((e) => !['OPENED', 'CANCEL', 'stableUptime'].includes(e));
  const simple = simplePaths(REC_INITIAL, core, recNext, recKey);

  it('the model reaches every flow/gate/uptime state and both ways of giving up', () => {
    for (const [region, states] of Object.entries({ flow: ['idle', 'backoff', 'pending', 'failed'], gate: ['open', 'cooling'], uptime: ['down', 'up', 'stable'] })) {
      for (const st of states) expect(shortest.some((p) => p.model[region as 'flow' | 'gate' | 'uptime'] === st), `${region}.${st}`).toBe(true);
    }
    const failed = simple.filter((p) => p.model.flow === 'failed');
    expect(failed.some((p) => p.steps.at(-1)!.event === 'FATAL')).toBe(true);
    expect(failed.some((p) => p.steps.at(-1)!.event === 'LOST' && p.steps.filter((s) => s.event === 'LOST').length > MAX_ATTEMPTS)).toBe(true);
    expect(failed.length).toBeGreaterThan(10);
  });

  it.each(shortest.map((p) => [nameOf(p.steps), p] as const))('shortest: %s', (_name, path) => {
    replayRecovery(path.steps);
  });

  it(`all ${simple.length} simple paths of the connect/fail/retry core replay on a real actor`, () => {
    for (const path of simple) replayRecovery(path.steps);
  });
});
