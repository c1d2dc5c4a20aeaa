/**
 * subscription.machine with its budget supplied by the hub's ONE rate limiter (rest-side.ts
 * `budgetSlots`, `.provide()`d to the guard `hasBudget`, the action `takeSlot` and the delay
 * `budgetRetry`). The machine, the limiter and the recorder share one SimulatedClock: no real time.
 *
 * How to read: `start()` builds the machine on a limiter; each test spreads changes over simulated
 * minutes and checks every 1 s and 60 s interval of the sends.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { RateLimiter } from '../../src/io/index.js';
import { budgetSlots } from '../../src/actors/rest-side.js';
import { subscriptionMachine, type SendRequestParams } from '../../src/machines/subscription.machine.js';
import type { Wish } from '../../src/machines/types.js';

function start(marginMs = 100) {
  const clock = new SimulatedClock();
  const limiter = new RateLimiter({
    marginMs,
    clock: { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (id) => clock.clearTimeout(id as never) },
  });
  const slots = budgetSlots(limiter);
  const sends: Array<SendRequestParams & { at: number }> = [];
  const actor = createActor(
    subscriptionMachine.provide({
      guards: slots.guards,
      delays: slots.delays,
      actions: { ...slots.actions, sendRequest: (_, params) => void sends.push({ ...params, at: clock.now() }) },
    }),
    { clock, input: { pendingWindow: 10 } },
  );
  actor.start();
  return { clock, limiter, actor, sends };
}

/** The most sends in any interval of `windowMs` (half-open, as a fixed-window server counts). */
function maxIn(times: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const ticker = (code: string): Wish => ({ type: 'ticker', codes: [code] });

describe('subscription budget through the shared rate limiter', () => {
  it('more than 100 changes a minute: never more than 5 sends in 1 s or 100 in 60 s, and nothing is lost', () => {
    const { clock, actor, sends } = start();
    actor.send({ type: 'CONNECTED', epoch: 1 });
    sends.length = 0; // CONNECTED with nothing wanted sends the empty union
    // 360 changes, one every 250 ms (240 a minute): each alone would be a request.
    const codes: string[] = [];
    for (let i = 0; i < 360; i++) {
      const code = `KRW-C${i}`;
      codes.push(code);
      actor.send({ type: 'ADD', componentId: `c${i % 7}`, wish: ticker(code) });
      clock.increment(250);
    }
    for (let t = 0; t < 180; t++) clock.increment(1_000); // let the throttled union out
    const times = sends.map((s) => s.at);
    expect(sends.length).toBeGreaterThan(100);
    expect(maxIn(times, 1_000)).toBeLessThanOrEqual(5);
    expect(maxIn(times, 60_000)).toBeLessThanOrEqual(100);
    // Changes coalesce into the next allowed request: the last one carries every code.
    const last = sends[sends.length - 1]!;
    expect(new Set(last.wishes.flatMap((w) => w.codes ?? []))).toEqual(new Set(codes));
    expect(actor.getSnapshot().value).toBe('idle');
  });

  it('a new socket (epoch) has its own budget: a reconnect is not throttled by the last socket', () => {
    const { clock, actor, sends } = start();
    actor.send({ type: 'CONNECTED', epoch: 1 });
    for (let i = 0; i < 5; i++) {
      actor.send({ type: 'ADD', componentId: 'a', wish: ticker(`KRW-A${i}`) });
      clock.increment(20);
    }
    const before = sends.length;
    expect(before).toBe(5); // the empty union + 4: the 5th change waits
    actor.send({ type: 'CONNECTED', epoch: 2 });
    expect(sends.length).toBe(before + 1);
    expect(sends[sends.length - 1]!.epoch).toBe(2);
  });

  it('the throttled registry wakes when the limiter has a slot again (budgetRetry), with no SLOT_FREE events', () => {
    const { clock, actor, sends, limiter } = start();
    actor.send({ type: 'CONNECTED', epoch: 1 });
    // Someone else used the budget of this socket: the limiter knows, the machine does not.
    for (let i = 0; i < 4; i++) limiter.tryAcquire('websocket-message', 'public#1');
    actor.send({ type: 'ADD', componentId: 'a', wish: ticker('KRW-BTC') });
    clock.increment(20);
    expect(actor.getSnapshot().value).toBe('throttled');
    const waited = limiter.delayFor('websocket-message', 'public#1');
    expect(waited).toBeGreaterThan(0);
    clock.increment(waited);
    expect(actor.getSnapshot().value).toBe('idle');
    expect(sends[sends.length - 1]!.wishes.flatMap((w) => w.codes)).toEqual(['KRW-BTC']);
  });
});
