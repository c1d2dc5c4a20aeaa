/**
 * connection.machine with a fake socket (test/machines/helpers.ts), the real recovery child, and
 * a SimulatedClock. `flush()` lets the `prepare` promise settle; time only moves via `advance`.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, setup, SimulatedClock, sendTo } from 'xstate';
import type { AnyEventObject } from 'xstate';
import { connectionMachine } from '../../src/machines/connection.machine.js';
import type { ConnectionEmitted, ConnectionInput, PrepareOutput } from '../../src/machines/connection.machine.js';
import { advance, deferredSlot, fakeSocket, flush, namedError } from './helpers.js';
import type { FakeSocketOptions } from './helpers.js';

async function start(input: Partial<ConnectionInput> = {}, socketOptions: FakeSocketOptions = {}, prepare?: ReturnType<typeof fromPromise<PrepareOutput, { name: string; url: string }>>) {
  const clock = new SimulatedClock();
  const sock = fakeSocket(socketOptions);
  const machine = connectionMachine.provide({ actors: { socket: sock.logic, ...(prepare ? { prepare } : {}) } });
  const actor = createActor(machine, { clock, input: { url: 'wss://api.upbit.com/websocket/v1', recovery: { jitter: 0 }, ...input } });
  const emitted: ConnectionEmitted[] = [];
  actor.on('*', (e) => void emitted.push(e));
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => void errors.push(e) });
  actor.start();
  const statuses = () => emitted.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
  const of = <T extends ConnectionEmitted['type']>(type: T) => emitted.filter((e): e is Extract<ConnectionEmitted, { type: T }> => e.type === type);
  /** CONNECT and run until the socket is open. */
  const connect = async () => {
    actor.send({ type: 'CONNECT' });
    await flush();
    sock.last.open();
  };
  return { clock, sock, actor, emitted, statuses, of, connect, errors, value: () => actor.getSnapshot().context.status };
}

describe('connection: connect, open, close', () => {
  it('idle → waiting → preparing → connecting → open, one socket with epoch 1', async () => {
    const t = await start();
    expect(t.value()).toBe('idle');
    t.actor.send({ type: 'CONNECT' });
    expect(t.value()).toBe('preparing');
    await flush();
    expect(t.value()).toBe('connecting');
    expect(t.sock.sockets).toHaveLength(1);
    expect(t.sock.last.input).toEqual({ url: 'wss://api.upbit.com/websocket/v1', epoch: 1, headers: undefined });
    t.sock.last.open();
    expect(t.value()).toBe('open');
    expect(t.statuses()).toEqual(['idle', 'waiting', 'preparing', 'connecting', 'open']);
    expect(t.of('connected')).toEqual([{ type: 'connected', epoch: 1 }]);
  });

  it('passes the headers from prepare to the socket', async () => {
    const prepare = fromPromise<PrepareOutput, { name: string; url: string }>(async ({ input }) => ({ headers: { Authorization: `Bearer for-${input.name}` } }));
    const t = await start({ name: 'private' }, {}, prepare);
    await t.connect();
    expect(t.sock.last.input.headers).toEqual({ Authorization: 'Bearer for-private' });
  });

  it('DISCONNECT sends CLOSE 1000 and ends in closed after SOCKET.CLOSED; CONNECT starts again', async () => {
    const t = await start();
    await t.connect();
    t.actor.send({ type: 'DISCONNECT' });
    expect(t.sock.sockets[0]!.received).toContainEqual({ type: 'CLOSE', code: 1000, reason: 'client disconnect' });
    expect(t.value()).toBe('closed');
    expect(t.sock.sockets[0]!.stopped).toBe(true);
    expect(t.of('disconnected')).toEqual([{ type: 'disconnected', epoch: 1, code: 1000, reason: 'client disconnect' }]);
    advance(t.clock, 60_000);
    expect(t.sock.sockets).toHaveLength(1); // no reconnect after a user close
    t.actor.send({ type: 'CONNECT' });
    advance(t.clock, 200); // connect gap since the first connect has long passed
    await flush();
    expect(t.sock.sockets).toHaveLength(2);
    expect(t.sock.last.input.epoch).toBe(2);
  });

  it('closing gives up waiting for the close frame after closeTimeout', async () => {
    const t = await start({ closeTimeout: 3000 }, { autoClose: false });
    await t.connect();
    t.actor.send({ type: 'DISCONNECT' });
    expect(t.value()).toBe('closing');
    t.actor.send({ type: 'DISCONNECT' }); // ignored while closing
    advance(t.clock, 2990);
    expect(t.value()).toBe('closing');
    advance(t.clock, 10);
    expect(t.value()).toBe('closed');
    expect(t.of('disconnected')[0]).toMatchObject({ code: 1000 });
  });

  it('CONNECT while closing connects again once the close completes; DISCONNECT cancels it', async () => {
    const t = await start({ closeTimeout: 3000 }, { autoClose: false });
    await t.connect();
    t.actor.send({ type: 'DISCONNECT' });
    t.actor.send({ type: 'CONNECT' });
    expect(t.value()).toBe('closing');
    t.sock.last.close(1000);
    expect(t.of('status').map((e) => e.status)).toContain('closed');
    expect(t.value()).not.toBe('closed');
    advance(t.clock, 400);
    await flush();
    expect(t.sock.sockets).toHaveLength(2);
    expect(t.sock.last.input.epoch).toBe(2);

    // DISCONNECT after CONNECT while closing: stays closed
    const u = await start({ closeTimeout: 3000 }, { autoClose: false });
    await u.connect();
    u.actor.send({ type: 'DISCONNECT' });
    u.actor.send({ type: 'CONNECT' });
    u.actor.send({ type: 'DISCONNECT' });
    advance(u.clock, 3000);
    expect(u.value()).toBe('closed');
  });

  it('DISCONNECT while waiting or preparing goes straight to closed', async () => {
    const prep = deferredSlot<PrepareOutput, { name: string; url: string }>();
    const t = await start({}, {}, prep.logic);
    t.actor.send({ type: 'CONNECT' });
    expect(t.value()).toBe('preparing');
    t.actor.send({ type: 'DISCONNECT' });
    expect(t.value()).toBe('closed');
    prep.last.resolve({});
    await flush();
    expect(t.sock.sockets).toHaveLength(0);
    t.actor.send({ type: 'CONNECT' });
    expect(t.value()).toBe('waiting'); // connect gap: the previous grant was at t=0
    t.actor.send({ type: 'DISCONNECT' });
    advance(t.clock, 1000);
    expect(t.value()).toBe('closed');
  });

  it('connecting that never opens times out and reconnects', async () => {
    const t = await start({ connectTimeout: 5000 });
    t.actor.send({ type: 'CONNECT' });
    await flush();
    advance(t.clock, 5000);
    expect(t.value()).toBe('waiting');
    expect(t.of('disconnected')[0]).toMatchObject({ reason: 'connect-timeout', code: 1006 });
    advance(t.clock, 1000);
    await flush();
    expect(t.sock.sockets).toHaveLength(2);
  });
});

describe('connection: SEND', () => {
  it('forwards SEND to the socket when open', async () => {
    const t = await start();
    await t.connect();
    t.actor.send({ type: 'SEND', data: '[{"ticket":"t"}]' });
    expect(t.sock.last.received).toContainEqual({ type: 'SEND', data: '[{"ticket":"t"}]' });
  });
  it('tells the listener when SEND arrives while not open', async () => {
    const t = await start();
    t.actor.send({ type: 'SEND', data: 'x' });
    t.actor.send({ type: 'CONNECT' });
    await flush();
    t.actor.send({ type: 'SEND', data: 'y' });
    expect(t.of('sendRejected')).toEqual([
      { type: 'sendRejected', data: 'x', status: 'idle' },
      { type: 'sendRejected', data: 'y', status: 'connecting' },
    ]);
    expect(t.sock.last.received).toEqual([]);
  });
});

describe('connection: epochs', () => {
  it('every socket gets a new epoch; stale events are dropped and counted', async () => {
    const t = await start();
    await t.connect();
    const first = t.sock.last;
    first.close(1006);
    expect(t.value()).toBe('waiting');
    advance(t.clock, 1000);
    await flush();
    const second = t.sock.last;
    expect(second.input.epoch).toBe(2);
    // the old socket (or a late frame stamped with its epoch) must not move the machine
    t.actor.send({ type: 'SOCKET.OPEN', epoch: 1 });
    t.actor.send({ type: 'SOCKET.CLOSED', epoch: 1, code: 1006, reason: '', wasClean: false });
    expect(t.value()).toBe('connecting');
    expect(t.actor.getSnapshot().context.staleEvents).toBe(2);
    second.open();
    t.actor.send({ type: 'SOCKET.SERVER_ERROR', epoch: 1, error: { name: 'INVALID_AUTH', message: '' } });
    expect(t.value()).toBe('open');
    expect(t.actor.getSnapshot().context.staleEvents).toBe(3);
    expect(t.of('connected').map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('continues from initialEpoch', async () => {
    const t = await start({ initialEpoch: 41 });
    await t.connect();
    expect(t.sock.last.input.epoch).toBe(42);
  });
});

describe('connection: keepalive', () => {
  it('pings every keepaliveInterval while pongs come back', async () => {
    const t = await start();
    await t.connect();
    advance(t.clock, 95_000, 100);
    expect(t.sock.last.received.filter((c) => c.type === 'PING')).toHaveLength(3);
    expect(t.value()).toBe('open');
  });

  it('no pong within pongTimeout → reconnect', async () => {
    const t = await start({}, { autoPong: false });
    await t.connect();
    advance(t.clock, 30_000, 100);
    expect(t.actor.getSnapshot().matches({ session: { open: { keepalive: 'awaitingPong' } } })).toBe(true);
    advance(t.clock, 9_900, 100);
    expect(t.value()).toBe('open');
    advance(t.clock, 100, 100);
    expect(t.value()).toBe('waiting');
    expect(t.sock.sockets[0]!.stopped).toBe(true);
    expect(t.of('disconnected')).toEqual([{ type: 'disconnected', epoch: 1, code: 1006, reason: 'pong-timeout' }]);
    expect(t.of('retrying')[0]).toMatchObject({ attempt: 1, delay: 1000, error: { kind: 'timeout', what: 'pong' } });
    advance(t.clock, 1000);
    await flush();
    expect(t.sock.sockets).toHaveLength(2);
  });

  it('a pong of another epoch does not count', async () => {
    const t = await start({}, { autoPong: false });
    await t.connect();
    advance(t.clock, 30_000, 100);
    t.actor.send({ type: 'SOCKET.PONG', epoch: 0 });
    advance(t.clock, 10_000, 100);
    expect(t.value()).toBe('waiting');
  });
});

describe('connection: stall detection', () => {
  it('quiet for stallTimeout with subscriptions → reconnect with reason stall', async () => {
    const t = await start({}, { frames: () => 0 });
    await t.connect();
    t.actor.send({ type: 'SUBSCRIPTIONS_CHANGED', active: true });
    advance(t.clock, 55_000, 100);
    expect(t.value()).toBe('open');
    expect(t.actor.getSnapshot().context.quietMs).toBe(55_000);
    advance(t.clock, 5_000, 100);
    expect(t.value()).toBe('waiting');
    expect(t.of('disconnected')[0]).toMatchObject({ reason: 'stall' });
    expect(t.of('retrying')[0]?.error).toEqual({ kind: 'timeout', what: 'stall' });
  });

  it('frames reset the quiet time; no frames counted per event, only per check', async () => {
    let frames = 0;
    const t = await start({}, { frames: () => frames });
    await t.connect();
    t.actor.send({ type: 'SUBSCRIPTIONS_CHANGED', active: true });
    advance(t.clock, 50_000, 100);
    frames = 1200; // a busy ticker: one ACTIVITY event, not 1200
    advance(t.clock, 5_000, 100);
    frames = 0;
    expect(t.actor.getSnapshot().context.quietMs).toBe(0);
    advance(t.clock, 55_000, 100);
    expect(t.value()).toBe('open');
    advance(t.clock, 5_000, 100);
    expect(t.value()).toBe('waiting');
  });

  it('without subscriptions silence is normal', async () => {
    const t = await start({}, { frames: () => 0 });
    await t.connect();
    advance(t.clock, 300_000, 100);
    expect(t.value()).toBe('open');
    expect(t.actor.getSnapshot().context.quietMs).toBe(0);
  });

  it('SUBSCRIPTIONS_CHANGED restarts the quiet window', async () => {
    const t = await start({}, { frames: () => 0 });
    await t.connect();
    t.actor.send({ type: 'SUBSCRIPTIONS_CHANGED', active: true });
    advance(t.clock, 50_000, 100);
    t.actor.send({ type: 'SUBSCRIPTIONS_CHANGED', active: true });
    advance(t.clock, 55_000, 100);
    expect(t.value()).toBe('open');
  });
});

describe('connection: failures and recovery', () => {
  it('a lost socket reconnects with 1, 2, 4 s backoff', async () => {
    const t = await start();
    await t.connect();
    for (let i = 0; i < 3; i++) {
      t.sock.last.close(1006);
      advance(t.clock, 10_000, 100);
      await flush();
      t.sock.last.open();
    }
    expect(t.of('retrying').map((e) => e.delay)).toEqual([1000, 2000, 4000]);
    expect(t.sock.sockets.map((s) => s.input.epoch)).toEqual([1, 2, 3, 4]);
  });

  it('a fatal server error (INVALID_AUTH) → failed; RETRY connects again', async () => {
    const t = await start();
    await t.connect();
    t.sock.last.emit({ type: 'SOCKET.SERVER_ERROR', error: { name: 'INVALID_AUTH', message: 'bad key' } });
    expect(t.value()).toBe('failed');
    expect(t.of('serverError')).toEqual([{ type: 'serverError', epoch: 1, error: { name: 'INVALID_AUTH', message: 'bad key' }, fatal: true }]);
    expect(t.of('failed')).toEqual([{ type: 'failed', reason: 'fatal', error: { kind: 'server-error', name: 'INVALID_AUTH', message: 'bad key' } }]);
    advance(t.clock, 120_000);
    expect(t.sock.sockets).toHaveLength(1);
    t.actor.send({ type: 'CONNECT' }); // only RETRY leaves failed
    expect(t.value()).toBe('failed');
    t.actor.send({ type: 'RETRY' });
    await flush();
    expect(t.sock.sockets).toHaveLength(2);
  });

  it('a request error (WRONG_FORMAT) is reported but keeps the connection', async () => {
    const t = await start();
    await t.connect();
    t.sock.last.emit({ type: 'SOCKET.SERVER_ERROR', error: { name: 'WRONG_FORMAT', message: '' } });
    expect(t.value()).toBe('open');
    expect(t.of('serverError')[0]).toMatchObject({ fatal: false });
  });

  it('Too Many Requests followed by a close waits at least 1 s even with a tiny backoff', async () => {
    const t = await start({ recovery: { jitter: 0, baseDelay: 10 } });
    await t.connect();
    t.sock.last.emit({ type: 'SOCKET.SERVER_ERROR', error: { name: 'Too Many Requests', message: '' } });
    t.sock.last.close(1006);
    expect(t.of('retrying')[0]).toMatchObject({ delay: 1000, error: { serverError: 'Too Many Requests' } });
  });

  it('a socket error ends the session like a close', async () => {
    const t = await start();
    await t.connect();
    t.sock.last.emit({ type: 'SOCKET.ERROR', error: new Error('ECONNRESET') });
    expect(t.value()).toBe('waiting');
    expect(t.of('disconnected')[0]).toMatchObject({ reason: 'socket-error' });
  });

  it('prepare rejecting with UnauthorizedError is fatal', async () => {
    const prepare = fromPromise<PrepareOutput, { name: string; url: string }>(async () => {
      throw namedError('UnauthorizedError', 'bad keys');
    });
    const t = await start({}, {}, prepare);
    t.actor.send({ type: 'CONNECT' });
    await flush();
    expect(t.value()).toBe('failed');
    expect(t.of('failed')[0]?.reason).toBe('fatal');
    expect(t.sock.sockets).toHaveLength(0);
  });

  it('prepare failing otherwise retries with backoff', async () => {
    const prep = deferredSlot<PrepareOutput, { name: string; url: string }>();
    const t = await start({}, {}, prep.logic);
    t.actor.send({ type: 'CONNECT' });
    prep.last.reject(new Error('network'));
    await flush();
    expect(t.value()).toBe('waiting');
    advance(t.clock, 1000);
    expect(prep.calls).toHaveLength(2);
    prep.last.resolve({ headers: { a: 'b' } });
    await flush();
    expect(t.sock.last.input.headers).toEqual({ a: 'b' });
  });

  it('maxAttempts → failed with reason max-attempts → RETRY', async () => {
    const t = await start({ recovery: { jitter: 0, maxAttempts: 2 } });
    await t.connect();
    t.sock.last.close(1006);
    advance(t.clock, 1000);
    await flush();
    t.sock.last.close(1006);
    advance(t.clock, 2000);
    await flush();
    t.sock.last.close(1006);
    expect(t.value()).toBe('failed');
    expect(t.of('failed')[0]?.reason).toBe('max-attempts');
    t.actor.send({ type: 'RETRY' });
    expect(t.value()).toBe('waiting'); // the last connect was just now: connect gap
    advance(t.clock, 200);
    await flush();
    expect(t.value()).toBe('connecting');
  });

  it('attempts reset only after stableUptime in open', async () => {
    const t = await start();
    await t.connect();
    t.sock.last.close(1006);
    advance(t.clock, 1000);
    await flush();
    t.sock.last.open();
    advance(t.clock, 5000);
    t.sock.last.close(1006); // opened but not stable: 2 s
    advance(t.clock, 2000);
    await flush();
    t.sock.last.open();
    advance(t.clock, 10_000);
    t.sock.last.close(1006); // stable: back to 1 s
    expect(t.of('retrying').map((e) => e.delay)).toEqual([1000, 2000, 1000]);
  });

  it('never opens sockets faster than the connect gap', async () => {
    const t = await start({ recovery: { jitter: 0, baseDelay: 0, maxDelay: 0 } });
    const created: number[] = [];
    t.actor.send({ type: 'CONNECT' });
    for (let ms = 0; ms < 3000; ms++) {
      await flush();
      if (t.sock.sockets.length > created.length) {
        created.push(t.clock.now());
        t.sock.last.close(1006);
      }
      t.clock.increment(1);
    }
    expect(created.length).toBeGreaterThan(10);
    for (let i = 1; i < created.length; i++) expect(created[i]! - created[i - 1]!).toBeGreaterThanOrEqual(200);
  });
});

describe('connection: parent notifications', () => {
  it('with notifyParent, mirrors status/connected/disconnected/failed as CHILD.* events', async () => {
    const sock = fakeSocket();
    const seen: AnyEventObject[] = [];
    const parent = setup({ actors: { conn: connectionMachine.provide({ actors: { socket: sock.logic } }) } }).createMachine({
      invoke: { id: 'c', src: 'conn', input: { url: 'u', name: 'private', notifyParent: true, recovery: { maxAttempts: 0 } } },
      on: {
        GO: { actions: sendTo('c', { type: 'CONNECT' }) },
        '*': { actions: ({ event }) => void seen.push(event) },
      },
    });
    const a = createActor(parent, { clock: new SimulatedClock() }).start();
    a.send({ type: 'GO' });
    await flush();
    sock.last.open();
    sock.last.close(1006);
    const child = seen.filter((e) => e.type.startsWith('CHILD.'));
    expect(child.map((e) => e.type === 'CHILD.STATUS' ? `status:${e.status}` : e.type)).toEqual([
      'status:idle', 'status:waiting', 'status:preparing', 'status:connecting', 'status:open',
      'CHILD.CONNECTED', 'CHILD.DISCONNECTED', 'status:waiting', 'CHILD.FAILED', 'status:failed',
    ]);
    expect(child.every((e) => e.source === 'private')).toBe(true);
  });
});
