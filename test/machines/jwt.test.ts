/**
 * jwt.machine: keys mode signs per request, provider mode caches and renews at 80 % of the
 * lifetime, errors are fatal (UnauthorizedError) or retried with backoff. `now` is the
 * SimulatedClock's, so wall time and timers agree.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { jwtMachine } from '../../src/machines/jwt.machine.js';
import type { JwtEmitted, JwtInput, TokenResult } from '../../src/machines/jwt.machine.js';
import { advance, deferredSlot, flush, namedError } from './helpers.js';

function start(mode: JwtInput['mode'], extra: Partial<JwtInput> = {}) {
  const clock = new SimulatedClock();
  clock.set(1_700_000_000_000); // wall-clock-like start
  const slot = deferredSlot<TokenResult, Record<string, never>>();
  const actor = createActor(jwtMachine.provide({ actors: { signToken: slot.logic, fetchToken: slot.logic } }), {
    clock,
    input: { mode, now: () => clock.now(), backoff: { jitter: 0 }, ...extra },
  });
  const emitted: JwtEmitted[] = [];
  actor.on('*', (e) => void emitted.push(e));
  actor.start();
  const tokens = () => emitted.filter((e) => e.type === 'TOKEN').map((e) => (e as { token: string }).token);
  const errors = () => emitted.filter((e): e is Extract<JwtEmitted, { type: 'TOKEN_ERROR' }> => e.type === 'TOKEN_ERROR');
  return { clock, slot, actor, emitted, tokens, errors, t0: clock.now() };
}

describe('jwt: keys mode', () => {
  it('signs a fresh token for every TOKEN_REQUEST', async () => {
    const t = start('keys');
    expect(t.actor.getSnapshot().value).toEqual({ keys: 'idle' });
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.actor.send({ type: 'TOKEN_REQUEST' }); // same signing answers both
    expect(t.slot.calls).toHaveLength(1);
    expect(t.slot.last.input).toEqual({});
    t.slot.last.resolve({ token: 'a' });
    await flush();
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'b' });
    await flush();
    expect(t.tokens()).toEqual(['a', 'b']);
    expect(t.slot.calls).toHaveLength(2);
  });

  it('UnauthorizedError is fatal; every later request gets TOKEN_ERROR fatal; RESET starts over', async () => {
    const t = start('keys');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.reject(namedError('UnauthorizedError'));
    await flush();
    expect(t.actor.getSnapshot().value).toBe('unauthorized');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.errors().map((e) => [e.fatal, (e.error as Error).name])).toEqual([[true, 'UnauthorizedError'], [true, 'UnauthorizedError']]);
    advance(t.clock, 60_000);
    expect(t.slot.calls).toHaveLength(1);
    t.actor.send({ type: 'RESET' });
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.slot.calls).toHaveLength(2);
  });

  it('other errors: TOKEN_ERROR non-fatal, then retry after 1 s, 2 s', async () => {
    const t = start('keys');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.reject(new Error('disk'));
    await flush();
    expect(t.errors()[0]).toMatchObject({ fatal: false });
    advance(t.clock, 999);
    expect(t.slot.calls).toHaveLength(1);
    advance(t.clock, 1);
    expect(t.slot.calls).toHaveLength(2);
    t.slot.last.reject(new Error('disk'));
    await flush();
    advance(t.clock, 2000);
    t.slot.last.resolve({ token: 'ok' });
    await flush();
    expect(t.tokens()).toEqual(['ok']);
    expect(t.actor.getSnapshot().context.attempts).toBe(0);
  });
});

describe('jwt: provider mode', () => {
  it('fetches lazily, serves the cache while fresh, renews at 80 % of the lifetime', async () => {
    const t = start('provider');
    expect(t.slot.calls).toHaveLength(0);
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'one', expiresAt: t.t0 + 100_000 });
    await flush();
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.tokens()).toEqual(['one', 'one']);
    expect(t.slot.calls).toHaveLength(1);
    expect(t.actor.getSnapshot().context.renewAt).toBe(t.t0 + 80_000);
    advance(t.clock, 79_999, 1000);
    expect(t.slot.calls).toHaveLength(1);
    advance(t.clock, 1, 1);
    expect(t.slot.calls).toHaveLength(2); // renewal at exactly 80 %
    expect(t.emitted.at(-1)).toEqual({ type: 'TOKEN', token: 'one', expiresAt: t.t0 + 100_000 });
    t.slot.last.resolve({ token: 'two', expiresAt: t.t0 + 80_000 + 50_000 });
    await flush();
    expect(t.tokens().at(-1)).toBe('two');
    advance(t.clock, 40_000, 1000);
    expect(t.slot.calls).toHaveLength(3);
  });

  it('while a renewal is under way, requests are served from the still-valid old token', async () => {
    const t = start('provider');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'one', expiresAt: t.t0 + 10_000 });
    await flush();
    advance(t.clock, 8_000, 1000);
    expect(t.actor.getSnapshot().matches({ provider: 'fetching' })).toBe(true);
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.tokens()).toEqual(['one', 'one']);
    t.slot.last.reject(new Error('offline'));
    await flush();
    t.actor.send({ type: 'TOKEN_REQUEST' }); // retrying, still before expiry
    expect(t.tokens()).toEqual(['one', 'one', 'one']);
    advance(t.clock, 1_000, 1000); // retry fetch at +9 s
    t.slot.last.reject(new Error('offline'));
    await flush();
    advance(t.clock, 1_000, 1000); // +10 s: expired
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.tokens()).toHaveLength(3);
  });

  it('a token without expiresAt is never renewed', async () => {
    const t = start('provider');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'forever' });
    await flush();
    expect(t.actor.getSnapshot().matches({ provider: { valid: 'forever' } })).toBe(true);
    advance(t.clock, 10 * 86_400_000, 3_600_000);
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.slot.calls).toHaveLength(1);
    expect(t.tokens()).toEqual(['forever', 'forever']);
  });

  it('a stale cache (renewAt passed without the timer, e.g. restored actor) is refreshed on request', async () => {
    const t = start('provider');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'one', expiresAt: t.t0 + 100_000 });
    await flush();
    const snapshot = t.actor.getPersistedSnapshot();
    t.actor.stop(); // process ends; its timers die with it
    t.clock.set(t.t0 + 90_000); // comes back after renewAt (t0 + 80 s)
    const slot = deferredSlot<TokenResult, Record<string, never>>();
    const restored = createActor(jwtMachine.provide({ actors: { fetchToken: slot.logic } }), {
      clock: t.clock,
      snapshot,
      input: { mode: 'provider', now: () => t.clock.now() },
    });
    restored.start();
    expect(slot.calls).toHaveLength(0); // a restored actor does not re-arm `after` timers
    restored.send({ type: 'TOKEN_REQUEST' });
    expect(slot.calls).toHaveLength(1); // renewAt is data: the request itself notices
  });

  it('expired tokens from the provider do not make it spin (renew at least 1 s later)', async () => {
    const t = start('provider');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'old', expiresAt: t.t0 - 5_000 });
    await flush();
    advance(t.clock, 999, 1);
    expect(t.slot.calls).toHaveLength(1);
    advance(t.clock, 1, 1);
    expect(t.slot.calls).toHaveLength(2);
  });

  it('singleUse: every request calls the provider, nothing is cached or renewed', async () => {
    const t = start('provider', { singleUse: true });
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.resolve({ token: 'one', expiresAt: t.t0 + 100_000 });
    await flush();
    expect(t.actor.getSnapshot().context.token).toBeNull();
    advance(t.clock, 90_000, 1000);
    expect(t.slot.calls).toHaveLength(1); // no renewal of a spent token
    t.actor.send({ type: 'TOKEN_REQUEST' });
    expect(t.slot.calls).toHaveLength(2);
    t.slot.last.resolve({ token: 'two' });
    await flush();
    expect(t.tokens()).toEqual(['one', 'two']);
  });

  it('a 401-like provider error is fatal', async () => {
    const t = start('provider');
    t.actor.send({ type: 'TOKEN_REQUEST' });
    t.slot.last.reject(Object.assign(new Error('nope'), { status: 401 }));
    await flush();
    expect(t.actor.getSnapshot().value).toBe('unauthorized');
    expect(t.errors()[0]?.fatal).toBe(true);
    t.actor.send({ type: 'RESET' });
    expect(t.actor.getSnapshot().value).toEqual({ provider: 'empty' });
  });
});
