/**
 * Test doubles for the machines: a scriptable fake socket, controllable promise slots, and a
 * helper that walks a SimulatedClock forward in small steps so periodic timers fire on time.
 * No real sockets, no real timers, no sleeps: `flush()` only drains the microtask queue so that
 * fromPromise actors settle.
 */
import { fromCallback, fromPromise } from 'xstate';
import type { AnyEventObject, SimulatedClock } from 'xstate';
import type { SocketCommand, SocketEvent, SocketInput } from '../../src/machines/types.js';

export interface FakeSocket {
  input: SocketInput;
  received: SocketCommand[];
  stopped: boolean;
  /** Send an event to the machine as this socket (epoch filled in unless given). */
  emit(event: DistributiveOmit<SocketEvent, 'epoch'> & { epoch?: number }): void;
  open(): void;
  close(code?: number, reason?: string): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface FakeSocketOptions {
  /** Answer PING with SOCKET.PONG at once. @default true */
  autoPong?: boolean;
  /** Frames reported on each CHECK_ACTIVITY (function of the socket). @default () => 1 */
  frames?: (s: FakeSocket) => number;
  /** Answer CLOSE with SOCKET.CLOSED at once. @default true */
  autoClose?: boolean;
}

export function fakeSocket(options: FakeSocketOptions = {}) {
  const sockets: FakeSocket[] = [];
  const autoPong = options.autoPong ?? true;
  const autoClose = options.autoClose ?? true;
  const frames = options.frames ?? (() => 1);
  const logic = fromCallback<SocketCommand, SocketInput>(({ input, sendBack, receive }) => {
    const s: FakeSocket = {
      input,
      received: [],
      stopped: false,
      emit: (event) => {
        if (!s.stopped) sendBack({ epoch: input.epoch, ...event } as AnyEventObject);
      },
      open: () => s.emit({ type: 'SOCKET.OPEN' }),
      close: (code = 1006, reason = '') => s.emit({ type: 'SOCKET.CLOSED', code, reason, wasClean: code !== 1006 }),
    };
    sockets.push(s);
    receive((cmd) => {
      s.received.push(cmd);
      if (cmd.type === 'PING' && autoPong) s.emit({ type: 'SOCKET.PONG' });
      if (cmd.type === 'CHECK_ACTIVITY') s.emit({ type: 'SOCKET.ACTIVITY', frames: frames(s) });
      if (cmd.type === 'CLOSE' && autoClose) s.close(cmd.code ?? 1000, cmd.reason ?? '');
    });
    return () => {
      s.stopped = true;
    };
  });
  return {
    logic,
    sockets,
    get last(): FakeSocket {
      const s = sockets[sockets.length - 1];
      if (!s) throw new Error('no socket created yet');
      return s;
    },
  };
}

/** A promise slot whose calls the test settles by hand. */
export function deferredSlot<TOutput, TInput = unknown>() {
  const calls: Array<{ input: TInput; resolve: (v: TOutput) => void; reject: (e: unknown) => void }> = [];
  const logic = fromPromise<TOutput, TInput>(
    ({ input }) =>
      new Promise<TOutput>((resolve, reject) => {
        calls.push({ input, resolve, reject });
      }),
  );
  return {
    logic,
    calls,
    get last() {
      const c = calls[calls.length - 1];
      if (!c) throw new Error('slot not invoked yet');
      return c;
    },
  };
}

/** Let settled promises deliver their results (microtasks + one macrotask turn). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Move the simulated clock forward by `ms` in steps of `step` ms. */
export function advance(clock: SimulatedClock, ms: number, step = 10): void {
  let left = ms;
  while (left > 0) {
    const d = Math.min(step, left);
    clock.increment(d);
    left -= d;
  }
}

/** Named error like the ones src/io throws, without importing src/io. */
export function namedError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}
