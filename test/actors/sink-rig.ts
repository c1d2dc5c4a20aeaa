/**
 * A deterministic rig for `Sink` tests: a manual `schedule` queue (one `turn()` = one event-loop
 * turn), a fake clock (`advance(ms)` also fires due timers), a recorded `onError`, and a callback
 * whose behaviour each test picks. No real time passes anywhere.
 */
import { Sink, keyOf, type DeliveryPolicy, type SinkHooks } from '../../src/actors/sink.js';
import type { UpbitError } from '../../src/io/index.js';

export interface Msg {
  readonly type: string;
  readonly code?: string;
  readonly n: number;
  readonly candleDateTimeUtc?: string;
}

export const tick = (code: string, n: number): Msg => ({ type: 'ticker', code, n });
export const candle = (code: string, start: string, n: number): Msg => ({ type: 'candle.1m', code, n, candleDateTimeUtc: start });

interface Timer {
  at: number;
  fn: () => void;
  live: boolean;
}

/** What the callback does with a message: return a value (a promise makes it async), throw, or advance the clock. */
export type Behave = (msg: Msg, rig: Rig) => unknown;

export class Rig {
  clock = 0;
  readonly tasks: Array<() => void> = [];
  readonly timers: Timer[] = [];
  readonly errors: UpbitError[] = [];
  readonly calls: Msg[] = [];
  /** Resolvers of the promises `deferred` handed out, oldest first. */
  readonly pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  readonly sink: Sink<Msg>;
  behave: Behave = () => undefined;

  constructor(policy: DeliveryPolicy, opts: { iterate?: boolean; hooks?: Partial<SinkHooks<Msg>> } = {}) {
    this.sink = new Sink<Msg>(policy, {
      callback: opts.iterate
        ? undefined
        : (m) => {
            this.calls.push(m);
            return this.behave(m, this);
          },
      onError: (e) => this.errors.push(e),
      keyOf,
      label: 'test/ticker#1',
      schedule: (fn) => this.tasks.push(fn),
      now: () => this.clock,
      // Turn by turn, as the tests below count them; the pause after a slow turn has its own test.
      pauseSlowTurns: false,
      setTimer: (fn, ms) => {
        const t: Timer = { at: this.clock + ms, fn, live: true };
        this.timers.push(t);
        return () => {
          t.live = false;
        };
      },
      ...opts.hooks,
    });
  }

  /** The callback takes `ms` of (fake) time. */
  static takes = (ms: number): Behave => (_m, rig) => {
    rig.clock += ms;
  };

  /** The callback returns a promise settled by the test through `pending`. */
  static deferred: Behave = (_m, rig) =>
    new Promise<void>((resolve, reject) => {
      rig.pending.push({ resolve, reject });
    });

  push(...msgs: Msg[]): void {
    for (const m of msgs) this.sink.push(m);
  }

  /** Run the tasks scheduled so far (one event-loop turn); returns how many ran. */
  turn(): number {
    const now = this.tasks.splice(0);
    for (const f of now) f();
    return now.length;
  }

  /** Run turns until nothing is scheduled. */
  flush(): void {
    for (let i = 0; this.tasks.length > 0; i++) {
      if (i > 100_000) throw new Error('runaway drain');
      this.turn();
    }
  }

  /** Advance the fake clock, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.clock = Math.max(this.clock, due.at);
      due.fn();
    }
    this.clock = end;
  }

  liveTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }

  ns(): number[] {
    return this.calls.map((m) => m.n);
  }
}

/** Let promise callbacks (settlements) run. */
export async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
