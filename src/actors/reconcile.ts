/**
 * `PrivateReconciler`: what the private socket missed, fetched through REST and merged into the
 * one myOrder / myAsset stream a component sees (issue 9 part 6).
 *
 * How to read this file: the REST shapes and their mapping to socket events are in private-rest.ts
 * (re-exported here); this file is the reconciler: `socketUp` / `socketDown` (the hub tells it), `ingest`
 * (every socket myOrder / myAsset passes through it: false = already told, drop), and `pass`
 * (one REST round: open orders, recent closed orders, accounts; emits what is new).
 *
 *   socket ──myOrder/myAsset──▶ ingest ──true──▶ router ──▶ components
 *                                 │ remembers what was told            ▲
 *   socketUp ─▶ pass (first time: silent baseline; after a gap: emit) ─┤ emit(event, source: 'rest')
 *   socketDown ─▶ after pollAfterMs: pass every pollIntervalMs ────────┘  until socketUp
 *
 * De-duplication, both ways (the first to tell wins, whichever source it is):
 *   - myOrder `trade` events by trade uuid;
 *   - other myOrder events by order uuid and state: an event is new when the order is unknown, or
 *     reaches a terminal state (done / cancel / prevented) not told yet, or a later state
 *     (watch < wait < trade < terminal), or a larger executed volume (fills during the gap of an order
 *     still open); nothing is told about an order after its terminal state, except socket fills;
 *   - myAsset per currency by (balance, locked): a socket event is dropped only when every currency
 *     in it equals what was already told; a REST event carries only the currencies that changed.
 * Ordering: a REST answer describes the moment its request left. A key (order uuid, currency) that
 * the socket spoke about after that moment is left to the socket (it is newer). REST events
 * carry no trade uuid (the order lists have none), so a fill seen only by REST is an order event
 * with the new executed volume, never a `trade` event.
 *
 * Rate: one pass = 3 requests in Upbit's `default` (exchange) group, 30/s per pocket; polling every
 * 2 s (the default) uses 1.5 req/s, 5 % of it. Calls go through the REST client's limiter anyway.
 * Needs API keys (the calls are signed); with `getToken()` only, the hub does not create one.
 */
import { Decimal, type Asset, type MyAsset, type MyOrder } from '../io/index.js';
import type { TimerClock } from './markets.js';
import { assetFromRest, orderFromRest, type PrivateRest, type RestAccount, type RestMyOrder, type RestOrder, type RestPrivateEvent } from './private-rest.js';

export * from './private-rest.js';

// ─── the reconciler ─────────────────────────────────────────────────────────────────────────────

export interface ReconcilerOptions {
  readonly rest: PrivateRest;
  /** Where REST events go: into the same stream as the socket's (after `ingest`). */
  readonly emit: (event: RestPrivateEvent) => void;
  /** Wall clock in ms. @default Date.now */
  readonly now?: () => number;
  /** Timers. @default real timers */
  readonly clock?: TimerClock;
  /** Poll once the private socket has been down this long. @default 5_000 */
  readonly pollAfterMs?: number;
  /** Then poll this often (3 `default`-group requests per poll). @default 2_000 */
  readonly pollIntervalMs?: number;
  /** Closed orders are asked from this long before the gap began (clock skew, late closes). @default 60_000 */
  readonly closedLookbackMs?: number;
  /** Failed reconciles after a reconnect are retried this often, every `pollIntervalMs`. @default 3 */
  readonly retries?: number;
  /** Orders remembered for de-duplication (oldest forgotten first). @default 10_000 */
  readonly memory?: number;
  /** A failed REST call or an unreadable REST row (typed `UpbitError`s from the client, `UpbitDecodeError` here). */
  readonly onError?: (err: unknown) => void;
}

export interface ReconcilerMetrics {
  passes: number;
  polls: number;
  failures: number;
  restOrders: number;
  restAssets: number;
  /** Socket events dropped because REST (or the socket itself) had told them already. */
  socketDuplicates: number;
}

const RANK: Readonly<Record<string, number>> = { watch: 0, wait: 1, trade: 2, done: 3, cancel: 3, prevented: 3 };
const TERMINAL = 3;

interface KnownOrder {
  rank: number;
  executed: Decimal;
  /** Whether the consumer was told this state (a silent baseline is not telling). */
  told: boolean;
  /** `seq` of the last socket event about it. */
  touched: number;
}
interface KnownAsset {
  balance: Decimal;
  locked: Decimal;
  told: boolean;
  touched: number;
}

const ZERO = new Decimal(0);
const realClock: TimerClock = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) };

export class PrivateReconciler {
  readonly metrics: ReconcilerMetrics = { passes: 0, polls: 0, failures: 0, restOrders: 0, restAssets: 0, socketDuplicates: 0 };
  private state: 'idle' | 'up' | 'down' | 'stopped' = 'idle';
  private isPolling = false;
  private timer: unknown;
  private running: Promise<void> | undefined;
  /** A pass asked for while one runs: undefined none, true silent, false emitting. */
  private pending: boolean | undefined;
  private attempts = 0;
  private primed = false;
  /** Until when the stream is known complete (socket up until then, or a pass started then). */
  private coveredUntil: number | undefined;
  private seq = 0;
  private assetEvents = 0;
  private readonly orders = new Map<string, KnownOrder>();
  private readonly assets = new Map<string, KnownAsset>();
  private readonly trades = new Set<string>();
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly clock: TimerClock;
  private readonly o: Required<Pick<ReconcilerOptions, 'pollAfterMs' | 'pollIntervalMs' | 'closedLookbackMs' | 'retries' | 'memory'>>;

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? realClock;
    this.o = {
      pollAfterMs: options.pollAfterMs ?? 5_000,
      pollIntervalMs: options.pollIntervalMs ?? 2_000,
      closedLookbackMs: options.closedLookbackMs ?? 60_000,
      retries: options.retries ?? 3,
      memory: options.memory ?? 10_000,
    };
  }

  /** Whether REST polling is on (the socket has been down longer than `pollAfterMs`). */
  get polling(): boolean {
    return this.isPolling;
  }

  /** The private socket is not delivering (never opened yet, refused, or lost): poll after `pollAfterMs`. */
  socketDown(): void {
    if (this.state === 'stopped' || this.state === 'down') return;
    this.state = 'down';
    this.coveredUntil = this.now();
    this.attempts = 0;
    this.setTimer(this.o.pollAfterMs, () => this.poll());
  }

  /** The private socket is open (subscribed): polling stops; one pass (a silent baseline the first time). */
  socketUp(): void {
    if (this.state === 'stopped' || this.state === 'up') return;
    this.state = 'up';
    this.isPolling = false;
    this.setTimer(undefined);
    this.attempts = 0;
    this.kick(!this.primed);
  }

  /** No private wishes any more (the hub closes the socket on purpose): no polling; memory kept for the next `socketUp`. */
  pause(): void {
    if (this.state === 'stopped') return;
    this.state = 'idle';
    this.isPolling = false;
    this.setTimer(undefined);
  }

  /** A socket myOrder / myAsset: true to deliver it, false when it tells nothing new (drop it). */
  ingest(msg: MyOrder | MyAsset): boolean {
    const seq = ++this.seq;
    if (msg.type === 'myAsset') return this.ingestAsset(msg, seq);
    const k = this.orders.get(msg.uuid);
    const rank = RANK[msg.state] ?? 0;
    const executed = msg.executedVolume ?? ZERO;
    let fresh: boolean;
    if (msg.state === 'trade' && msg.tradeUuid !== null) fresh = this.rememberTrade(msg.tradeUuid);
    else fresh = !k || !k.told || rank > k.rank || (rank < TERMINAL && executed.gt(k.executed));
    this.remember(msg.uuid, {
      rank: k && k.rank > rank ? k.rank : rank,
      executed: k && k.executed.gt(executed) ? k.executed : executed,
      told: true,
      touched: seq,
    });
    if (!fresh) this.metrics.socketDuplicates++;
    return fresh;
  }

  /** Stop timers, abort REST calls under way, emit nothing more. */
  stop(): void {
    this.state = 'stopped';
    this.isPolling = false;
    this.setTimer(undefined);
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** Resolves when no pass is running (for tests and an orderly hub stop). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  // ─── passes ───────────────────────────────────────────────────────────────────────────────

  private poll(): void {
    if (this.state !== 'down') return;
    this.isPolling = true;
    this.metrics.polls++;
    this.kick(false);
  }

  private kick(silent: boolean): void {
    this.pending = this.pending === undefined ? silent : this.pending && silent;
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending !== undefined && this.state !== 'stopped') {
        const silent = this.pending;
        this.pending = undefined;
        const ok = await this.pass(silent);
        if (ok) this.attempts = 0;
        else if (this.state === 'up' && this.attempts++ < this.o.retries) {
          this.setTimer(this.o.pollIntervalMs, () => this.state === 'up' && this.kick(silent));
        }
      }
    } finally {
      this.running = undefined;
    }
    if (this.state === 'down' && this.isPolling && this.timer === undefined) this.setTimer(this.o.pollIntervalMs, () => this.poll());
  }

  /** One REST round; true when it completed. */
  private async pass(silent: boolean): Promise<boolean> {
    const { rest } = this.options;
    const signal = this.abort.signal;
    const startSeq = this.seq;
    const startedAt = this.now();
    const since = (this.coveredUntil ?? startedAt) - this.o.closedLookbackMs;
    this.metrics.passes++;
    try {
      const [open, closed, accounts] = await Promise.all([rest.openOrders(signal), rest.closedOrders({ since }, signal), rest.accounts(signal)]);
      if (this.stopped) return false;
      const listed = new Set<string>();
      // Closed first: an order in both lists (it closed between the two calls) is told once, as closed.
      for (const o of [...closed, ...open]) {
        listed.add(o.uuid);
        this.applyOrder(o, startSeq, silent);
      }
      const vanished = [...this.orders].filter(([uuid, k]) => k.rank < TERMINAL && k.touched <= startSeq && !listed.has(uuid)).map(([uuid]) => uuid);
      if (vanished.length > 0 && rest.ordersByUuid) {
        for (let i = 0; i < vanished.length; i += 100) {
          const found = await rest.ordersByUuid(vanished.slice(i, i + 100), signal);
          if (this.stopped) return false;
          for (const o of found) this.applyOrder(o, startSeq, silent);
        }
      }
      this.applyAccounts(accounts, startSeq, silent);
      this.coveredUntil = startedAt;
      this.primed = true;
      return true;
    } catch (err) {
      if (this.stopped) return false;
      this.metrics.failures++;
      this.options.onError?.(err);
      return false;
    }
  }

  private applyOrder(o: RestOrder, startSeq: number, silent: boolean): void {
    const k = this.orders.get(o.uuid);
    if (k && (k.touched > startSeq || k.rank === TERMINAL)) return; // the socket is newer / nothing after the end
    let msg: RestMyOrder;
    try {
      msg = orderFromRest(o, this.now());
    } catch (err) {
      this.options.onError?.(err);
      return;
    }
    const rank = RANK[msg.state];
    const executed = msg.executedVolume ?? ZERO;
    if (k && !(rank > k.rank || executed.gt(k.executed))) return;
    this.remember(o.uuid, { rank, executed, told: !silent, touched: k?.touched ?? 0 });
    if (silent) return;
    this.metrics.restOrders++;
    this.options.emit(msg);
  }

  private applyAccounts(rows: readonly RestAccount[], startSeq: number, silent: boolean): void {
    const changed: Asset[] = [];
    const seen = new Set<string>();
    const update = (a: Asset, k: KnownAsset | undefined) => {
      if (k && (k.touched > startSeq || (k.balance.eq(a.balance) && k.locked.eq(a.locked)))) return;
      this.assets.set(a.currency, { balance: a.balance, locked: a.locked, told: !silent, touched: k?.touched ?? 0 });
      changed.push(a);
    };
    for (const row of rows) {
      let a: Asset;
      try {
        a = assetFromRest(row);
      } catch (err) {
        this.options.onError?.(err);
        continue;
      }
      seen.add(a.currency);
      update(a, this.assets.get(a.currency));
    }
    // A currency Upbit no longer lists was spent to zero.
    for (const [currency, k] of this.assets) if (!seen.has(currency)) update(Object.freeze({ currency, balance: ZERO, locked: ZERO }), k);
    if (silent || changed.length === 0) return;
    const t = this.now();
    this.metrics.restAssets++;
    this.options.emit(
      Object.freeze({
        type: 'myAsset',
        assetUuid: `rest-${t}-${++this.assetEvents}`,
        assets: Object.freeze(changed),
        assetTimestamp: t,
        timestamp: t,
        streamType: 'REALTIME',
        source: 'rest',
      }),
    );
  }

  // ─── memory ───────────────────────────────────────────────────────────────────────────────

  private ingestAsset(msg: MyAsset, seq: number): boolean {
    let fresh = false;
    for (const a of msg.assets) {
      const k = this.assets.get(a.currency);
      if (!k || !k.told || !k.balance.eq(a.balance) || !k.locked.eq(a.locked)) fresh = true;
      this.assets.set(a.currency, { balance: a.balance, locked: a.locked, told: true, touched: seq });
    }
    if (!fresh) this.metrics.socketDuplicates++;
    return fresh;
  }

  private remember(uuid: string, k: KnownOrder): void {
    this.orders.delete(uuid); // re-insert: Map order is then least recently touched first
    this.orders.set(uuid, k);
    if (this.orders.size > this.o.memory) this.orders.delete(this.orders.keys().next().value!);
  }

  /** true when the trade uuid is new; remembers the last `memory` of them. */
  private rememberTrade(id: string): boolean {
    if (this.trades.has(id)) return false;
    this.trades.add(id);
    if (this.trades.size > this.o.memory) this.trades.delete(this.trades.values().next().value!);
    return true;
  }

  private setTimer(ms: number | undefined, fn?: () => void): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (ms === undefined || !fn) return;
    const id = this.clock.setTimeout(() => {
      if (this.timer === id) this.timer = undefined;
      fn();
    }, ms);
    this.timer = id;
  }
}
