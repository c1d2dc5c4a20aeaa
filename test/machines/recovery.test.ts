/**
 * recovery.machine: the pure policy (backoffDelay, classifyClose, retryFloor) as tables, then
 * the machine driven on a SimulatedClock with its replies (`grant`, `announceBackoff`, `giveUp`)
 * provided as recorders.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { backoffDelay, classifyClose, DEFAULT_BACKOFF, recoveryMachine, retryFloor } from '../../src/machines/recovery.machine.js';
import type { RecoveryInput } from '../../src/machines/recovery.machine.js';
import type { FailureInfo } from '../../src/machines/types.js';
import { advance, namedError } from './helpers.js';

const lost: FailureInfo = { kind: 'close', code: 1006 };

function start(input: RecoveryInput = {}) {
  const clock = new SimulatedClock();
  const grants: number[] = [];
  const backoffs: Array<{ attempt: number; delay: number }> = [];
  const giveUps: Array<{ reason: string; attempts: number }> = [];
  const actor = createActor(
    recoveryMachine.provide({
      actions: {
        grant: () => void grants.push(clock.now()),
        announceBackoff: ({ context }) => void backoffs.push({ attempt: context.attempts, delay: context.delay }),
        giveUp: ({ context }, params) => void giveUps.push({ reason: params.reason, attempts: context.attempts }),
      },
    }),
    { clock, input: { jitter: 0, ...input } },
  );
  actor.start();
  return { clock, actor, grants, backoffs, giveUps };
}

describe('backoffDelay', () => {
  const exact = { ...DEFAULT_BACKOFF, jitter: 0 };
  it('doubles from 1 s and caps at maxDelay', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => backoffDelay(a, exact))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  it('takes jitter·random() off the delay, deterministically', () => {
    const o = { ...DEFAULT_BACKOFF, jitter: 0.2, random: () => 0.5 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([900, 1800, 3600, 7200, 14400, 27000]);
  });
  it('full jitter stays within [0, raw] and jitter is clamped to 0..1', () => {
    expect(backoffDelay(3, { ...DEFAULT_BACKOFF, jitter: 1, random: () => 0.999 })).toBe(8);
    expect(backoffDelay(0, { ...DEFAULT_BACKOFF, jitter: 7, random: () => 0.5 })).toBe(500);
    expect(backoffDelay(0, { ...DEFAULT_BACKOFF, jitter: -1, random: () => 0.5 })).toBe(1000);
  });
  it('honours baseDelay, factor and maxDelay', () => {
    const o = { baseDelay: 100, factor: 3, maxDelay: 1000, jitter: 0, random: () => 0 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, o))).toEqual([100, 300, 900, 1000]);
  });
});

describe('classifyClose', () => {
  const close = (code: number, extra: Partial<Extract<FailureInfo, { kind: 'close' }>> = {}): FailureInfo => ({ kind: 'close', code, ...extra });
  it.each([
    ['user DISCONNECT 1000', close(1000, { byUser: true }), 'fatal'],
    ['server 1000 (idle timeout)', close(1000), 'retryable'],
    ['1001 going away', close(1001), 'retryable'],
    ['1005 no status', close(1005), 'retryable'],
    ['1006 abnormal', close(1006), 'retryable'],
    ['1008 policy (rate block)', close(1008), 'retryable'],
    ['1011 internal error', close(1011), 'retryable'],
    ['1012 restart', close(1012), 'retryable'],
    ['1013 try later', close(1013), 'retryable'],
    ['1014 bad gateway', close(1014), 'retryable'],
    ['1002 protocol error', close(1002), 'fatal'],
    ['1003 unsupported', close(1003), 'fatal'],
    ['1007 invalid payload', close(1007), 'fatal'],
    ['1009 too big', close(1009), 'fatal'],
    ['1015 TLS', close(1015), 'fatal'],
    ['3000 unauthorized', close(3000), 'fatal'],
    ['3003 forbidden', close(3003), 'fatal'],
    ['3008 timeout', close(3008), 'retryable'],
    ['4001 app auth', close(4001), 'fatal'],
    ['4403 app auth', close(4403), 'fatal'],
    ['0 terminated', close(0), 'retryable'],
    ['close after INVALID_AUTH frame', close(1000, { serverError: 'INVALID_AUTH' }), 'fatal'],
    ['close after Too Many Requests', close(1006, { serverError: 'Too Many Requests' }), 'retryable'],
    ['INVALID_AUTH', { kind: 'server-error', name: 'INVALID_AUTH' }, 'fatal'],
    ['WRONG_FORMAT', { kind: 'server-error', name: 'WRONG_FORMAT' }, 'retryable'],
    ['NO_TICKET', { kind: 'server-error', name: 'NO_TICKET' }, 'retryable'],
    ['Too Many Requests', { kind: 'server-error', name: 'Too Many Requests' }, 'retryable'],
    ["I'm a teapot", { kind: 'server-error', name: "I'm a teapot" }, 'retryable'],
    ['UnauthorizedError', { kind: 'error', error: namedError('UnauthorizedError') }, 'fatal'],
    ['UpbitServerError INVALID_AUTH', { kind: 'error', error: { name: 'UpbitServerError', serverName: 'INVALID_AUTH' } }, 'fatal'],
    ['handshake 401', { kind: 'error', error: { statusCode: 401 } }, 'fatal'],
    ['handshake 403', { kind: 'error', error: { status: 403 } }, 'fatal'],
    ['handshake 429', { kind: 'error', error: { statusCode: 429 } }, 'retryable'],
    ['plain Error', { kind: 'error', error: new Error('ECONNRESET') }, 'retryable'],
    ['non-object error', { kind: 'error', error: 'boom' }, 'retryable'],
    ['pong timeout', { kind: 'timeout', what: 'pong' }, 'retryable'],
    ['stall', { kind: 'timeout', what: 'stall' }, 'retryable'],
  ] as Array<[string, FailureInfo, string]>)('%s → %s', (_name, info, expected) => {
    expect(classifyClose(info)).toBe(expected);
  });
});

describe('retryFloor', () => {
  it('stretches only slow-down signals', () => {
    expect(retryFloor({ kind: 'server-error', name: 'Too Many Requests' })).toBe(1000);
    expect(retryFloor({ kind: 'close', code: 1006, serverError: 'Too Many Requests' })).toBe(1000);
    expect(retryFloor({ kind: 'error', error: { statusCode: 429 } })).toBe(1000);
    expect(retryFloor({ kind: 'server-error', name: "I'm a teapot" })).toBe(60_000);
    expect(retryFloor({ kind: 'error', error: { status: 418 } })).toBe(60_000);
    expect(retryFloor({ kind: 'close', code: 1008 })).toBe(60_000);
    expect(retryFloor(lost)).toBe(0);
    expect(retryFloor({ kind: 'timeout', what: 'stall' })).toBe(0);
  });
});

describe('recovery machine', () => {
  it('grants a first connect at once', () => {
    const { actor, grants } = start();
    actor.send({ type: 'CONNECT_REQUEST' });
    expect(grants).toEqual([0]);
    expect(actor.getSnapshot().value).toEqual({ flow: 'idle', gate: 'cooling', uptime: 'down' });
  });

  it('backs off 1, 2, 4, 8, 16 s then stays at the 30 s cap', () => {
    const { actor, clock, grants, backoffs } = start();
    actor.send({ type: 'CONNECT_REQUEST' });
    for (let i = 0; i < 7; i++) {
      actor.send({ type: 'FAILURE', info: lost });
      advance(clock, 31_000, 100);
    }
    expect(backoffs.map((b) => b.delay)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffs.map((b) => b.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // each grant comes exactly `delay` after its failure (failures at 0, 31 s, 62 s, ...)
    expect(grants.slice(1).map((t, i) => t - i * 31_000)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('applies deterministic jitter from the injected random()', () => {
    const { actor, clock, backoffs } = start({ jitter: 0.5, random: () => 0.25 });
    actor.send({ type: 'CONNECT_REQUEST' });
    for (let i = 0; i < 3; i++) {
      actor.send({ type: 'FAILURE', info: lost });
      advance(clock, 10_000, 100);
    }
    expect(backoffs.map((b) => b.delay)).toEqual([875, 1750, 3500]);
  });

  it('does not grant before the backoff has elapsed', () => {
    const { actor, clock, grants } = start();
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: lost });
    clock.increment(999);
    expect(grants).toHaveLength(1);
    expect(actor.getSnapshot().matches({ flow: 'backoff' })).toBe(true);
    clock.increment(1);
    expect(grants).toEqual([0, 1000]);
  });

  it('keeps a connect gap even when the backoff is 0', () => {
    const { actor, clock, grants } = start({ baseDelay: 0 });
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: lost }); // at once: backoff 0, but the gate is cooling
    advance(clock, 200, 1);
    actor.send({ type: 'FAILURE', info: lost });
    advance(clock, 1000, 1);
    expect(grants).toEqual([0, 200, 400]);
    for (let i = 1; i < grants.length; i++) expect(grants[i]! - grants[i - 1]!).toBeGreaterThanOrEqual(200);
  });

  it('never grants more than 5 connects per second under constant failure', () => {
    const { actor, clock, grants } = start({ baseDelay: 0 });
    actor.send({ type: 'CONNECT_REQUEST' });
    for (let t = 0; t < 5000; t += 1) {
      if (grants.length > 0 && actor.getSnapshot().matches({ flow: 'idle' })) actor.send({ type: 'FAILURE', info: lost });
      clock.increment(1);
    }
    for (let i = 5; i < grants.length; i++) expect(grants[i]! - grants[i - 5]!).toBeGreaterThanOrEqual(1000);
    expect(grants.length).toBeGreaterThanOrEqual(20);
  });

  it('a connect gap of 0 disables the gate', () => {
    const { actor, grants } = start({ connectGap: 0 });
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'CANCEL' });
    actor.send({ type: 'CONNECT_REQUEST' });
    expect(grants).toEqual([0, 0]);
  });

  it('resets attempts only after stableUptime of continuous open', () => {
    const { actor, clock, backoffs } = start();
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: lost }); // 1 s
    advance(clock, 1000);
    actor.send({ type: 'OPENED' });
    advance(clock, 9_990); // short of stable
    actor.send({ type: 'FAILURE', info: lost }); // still counts: 2 s
    advance(clock, 2000);
    actor.send({ type: 'OPENED' });
    advance(clock, 10_000); // stable
    expect(actor.getSnapshot().context.attempts).toBe(0);
    expect(actor.getSnapshot().value).toMatchObject({ uptime: 'stable' });
    actor.send({ type: 'FAILURE', info: lost }); // back to 1 s
    expect(backoffs.map((b) => b.delay)).toEqual([1000, 2000, 1000]);
  });

  it('gives up after maxAttempts and leaves failed only by RETRY', () => {
    const { actor, clock, grants, giveUps } = start({ maxAttempts: 2 });
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: lost });
    advance(clock, 1000);
    actor.send({ type: 'FAILURE', info: lost });
    advance(clock, 2000);
    actor.send({ type: 'FAILURE', info: lost });
    expect(giveUps).toEqual([{ reason: 'max-attempts', attempts: 2 }]);
    expect(actor.getSnapshot().matches({ flow: 'failed' })).toBe(true);
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: lost });
    advance(clock, 60_000);
    expect(actor.getSnapshot().matches({ flow: 'failed' })).toBe(true);
    expect(grants).toHaveLength(3);
    actor.send({ type: 'RETRY' });
    expect(grants).toHaveLength(4);
    expect(actor.getSnapshot().context.attempts).toBe(0);
  });

  it('a fatal failure gives up at once', () => {
    const { actor, giveUps, backoffs } = start();
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: { kind: 'server-error', name: 'INVALID_AUTH' } });
    expect(giveUps).toEqual([{ reason: 'fatal', attempts: 0 }]);
    expect(backoffs).toEqual([]);
    expect(actor.getSnapshot().context.lastFailure).toEqual({ kind: 'server-error', name: 'INVALID_AUTH' });
  });

  it('Too Many Requests waits at least its floor', () => {
    const { actor, backoffs } = start({ baseDelay: 100 });
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: { kind: 'close', code: 1006, serverError: 'Too Many Requests' } });
    expect(backoffs[0]?.delay).toBe(1000);
  });

  it('CANCEL stops a backoff or a pending grant', () => {
    const { actor, clock, grants } = start();
    actor.send({ type: 'CONNECT_REQUEST' });
    actor.send({ type: 'FAILURE', info: lost });
    actor.send({ type: 'CANCEL' });
    advance(clock, 5000);
    expect(grants).toHaveLength(1);
    actor.send({ type: 'CONNECT_REQUEST' });
    expect(grants).toHaveLength(2);
    actor.send({ type: 'CANCEL' }); // nothing pending: harmless
    expect(actor.getSnapshot().matches({ flow: 'idle' })).toBe(true);
  });

  it('replies to its parent with RECOVERY.* events by default', async () => {
    const { setup, sendTo } = await import('xstate');
    const seen: string[] = [];
    const parent = setup({ actors: { recovery: recoveryMachine } }).createMachine({
      invoke: { id: 'r', src: 'recovery', input: { jitter: 0, maxAttempts: 1 } },
      on: {
        ASK: { actions: sendTo('r', { type: 'CONNECT_REQUEST' }) },
        FAIL: { actions: sendTo('r', { type: 'FAILURE', info: lost }) },
        '*': { actions: ({ event }) => void seen.push(event.type) },
      },
    });
    const clock = new SimulatedClock();
    const a = createActor(parent, { clock }).start();
    a.send({ type: 'ASK' });
    a.send({ type: 'FAIL' });
    advance(clock, 1000);
    a.send({ type: 'FAIL' });
    expect(seen.filter((t) => t.startsWith('RECOVERY.'))).toEqual(['RECOVERY.GO', 'RECOVERY.BACKOFF', 'RECOVERY.GO', 'RECOVERY.GIVE_UP']);
  });
});
