/**
 * Component actors as users hold them: `hub.spawnComponent(id)` returns a `ComponentRef`, a handle
 * over one component.machine actor that lives in the hub's actor tree (supervisor → components →
 * shard → `component:<id>`), plus its subscriptions.
 *
 *   const chart = hub.spawnComponent('chart');
 *   const id = chart.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
 *   chart.on('ticker', (t) => draw(t.tradePrice));
 *   chart.onError((e) => console.warn(e.code, e.message));
 *   chart.subscription(id)?.stats();
 *
 * How to read: the public `ComponentRef`, the `ComponentHost` the hub supplies (everything the
 * component must not own: the router, admission checks, the hub's error fallback), then the class.
 * The actor ref, the host and the subscriptions' sinks are private fields: nothing a user holds
 * reaches the actor system (whose `.system` would reach every actor's context).
 *
 * `send` checks a SUBSCRIBE before the machine sees it: a bad market code becomes an
 * `UpbitValidationError` on THIS component's error listeners and never reaches the wire.
 */
import type { Actor, AnyActorLogic } from 'xstate';
import {
  UpbitCallbackError,
  UpbitError,
  UpbitStoppedError,
  UpbitUsageError,
  validateWish,
  type DataMessage,
  type DataType,
  type MessageOf,
  type Wish,
} from '../io/index.js';
import { liveWishes, type ComponentContext, type ComponentEvent, type RegisterWishesParams, type StatusChange, type SubscribeOptions } from '../machines/component.machine.js';
import type { Router, Stamped } from './router.js';
import { SubscriptionHandle, type HandleOptions, type Subscription, type SubscriptionOwner, type SubscriptionStats } from './subscription.js';

export type { ComponentEvent };

/** A wire type (`ticker`, `candle.1m`, `myOrder`...) or `message` for every type. */
export type ChannelName = DataType | 'message';
/** What a listener on `channel` receives. */
export type ChannelMessage<C extends string> = C extends 'message' ? DataMessage : MessageOf<C>;
export type Listener<T = Stamped<DataMessage>> = (event: T) => void;
/** An error meant for this component; `subscription` names the one it concerns, when it concerns one. */
export type ErrorListener = (error: UpbitError, subscription?: Subscription) => void;

export interface ComponentRef extends AsyncDisposable {
  readonly id: string;
  /**
   * SUBSCRIBE / UNSUBSCRIBE / STOP, as in component.machine.ts. A SUBSCRIBE returns its
   * subscription id (the one given, or a generated one); a refused one returns undefined and its
   * error goes to `onError`. STOP is `stop()`.
   */
  send(event: ComponentEvent): string | undefined;
  /** Listen to what this component's subscriptions deliver: one wire type or `message` for all. */
  on<C extends ChannelName>(channel: C, fn: Listener<Stamped<ChannelMessage<C>>>): () => void;
  /** Typed errors meant for this component (every subscription's, and the component's own). */
  onError(fn: ErrorListener): () => void;
  /** One subscription by id, while it exists (failed ones stay until unsubscribed). */
  subscription(id: string): Subscription | undefined;
  subscriptions(): Subscription[];
  /** This component's live wishes. */
  wishes(): readonly Wish[];
  /** Delivery totals of its subscriptions. */
  stats(): SubscriptionStats;
  /** Stop: unsubscribe everything (the union shrinks) and stop the actor. */
  stop(): Promise<void>;
}

export interface SubscribeRequest {
  options: SubscribeOptions;
  /** Absent: the component's listeners consume it (raw SUBSCRIBE). */
  callback?: HandleOptions['callback'];
  onError?: (error: UpbitError) => void;
  policy?: HandleOptions['policy'];
}

/** What the hub supplies to each component. */
export interface ComponentHost {
  readonly router: Router;
  readonly sink: HandleOptions['sink'];
  isStopped(): boolean;
  /** A reason to refuse this subscription at the door (no credentials, a level conflict), or undefined. */
  admit(sub: SubscriptionHandle): UpbitError | undefined;
  /** The subscription left (ended or failed): release what `admit` reserved. */
  released(sub: SubscriptionHandle): void;
  /** A live subscription exists on `side` (for status notifications); the hub may fail it at once. */
  attached(component: Component, sub: SubscriptionHandle): void;
  /** Errors nobody on the component listens to. */
  fallbackError(error: UpbitError, componentId: string, subscriptionId?: string): void;
  /** The component stopped: forget it, free its name. */
  removed(component: Component): void;
  /** A sampled message reached a callback (delay metrics, metrics.ts). */
  delivered?(side: 'public' | 'private', arrived: number): void;
  /** Every error about this component or one of its subscriptions, whoever hears it (for logging). */
  reported?(error: UpbitError, componentId: string, subscriptionId?: string): void;
}

export class Component implements ComponentRef, SubscriptionOwner {
  readonly id: string;
  readonly #actor: Actor<AnyActorLogic>;
  readonly #host: ComponentHost;
  readonly #subs = new Map<string, SubscriptionHandle>();
  readonly #listeners = new Map<string, Listener[]>();
  /** The `message` listeners (also in #listeners), read by `tap` without a lookup per message. */
  #anyListeners: Listener[] | undefined = undefined;
  readonly #errorListeners = new Set<ErrorListener>();
  #stopped = false;
  #seq = 0;

  constructor(id: string, actor: Actor<AnyActorLogic>, host: ComponentHost) {
    this.id = id;
    this.#actor = actor;
    this.#host = host;
    actor.on('status', (e) => this.#onStatus(e as StatusChange));
    actor.subscribe({ error: (err) => this.componentError(asUpbitError(err), false) });
  }

  // ── the public API ──────────────────────────────────────────────────────────────────────────

  send(event: ComponentEvent): string | undefined {
    switch (event.type) {
      case 'SUBSCRIBE': {
        const { type: _t, ...options } = event;
        try {
          return this.subscribe({ options }).id;
        } catch (err) {
          this.componentError(asUpbitError(err), false);
          return undefined;
        }
      }
      case 'UNSUBSCRIBE':
        if (event.id !== undefined) this.unsubscribe(event.id);
        else if (!this.#stopped) this.#unsubscribeCodes(event);
        return undefined;
      case 'STOP':
        void this.stop();
        return undefined;
      default:
        // WIRE / FAIL / RETRY / SNAPSHOT_DONE are the hub's and the router's, not the user's.
        this.componentError(new UpbitUsageError(`${(event as { type: string }).type} is not an event users send; use SUBSCRIBE, UNSUBSCRIBE or STOP`), false);
        return undefined;
    }
  }

  on<C extends ChannelName>(channel: C, fn: Listener<Stamped<ChannelMessage<C>>>): () => void {
    const list = this.#listeners.get(channel) ?? [];
    // Copy on write: a listener that unsubscribes during dispatch does not disturb the loop.
    this.#setListeners(channel, [...list, fn as unknown as Listener]);
    return () => this.#setListeners(channel, (this.#listeners.get(channel) ?? []).filter((f) => f !== (fn as unknown as Listener)));
  }

  #setListeners(channel: string, list: Listener[]): void {
    if (list.length > 0) this.#listeners.set(channel, list);
    else this.#listeners.delete(channel);
    if (channel === 'message') this.#anyListeners = list.length > 0 ? list : undefined;
  }

  onError(fn: ErrorListener): () => void {
    this.#errorListeners.add(fn);
    return () => this.#errorListeners.delete(fn);
  }

  subscription(id: string): Subscription | undefined {
    return this.#subs.get(id);
  }

  subscriptions(): Subscription[] {
    return [...this.#subs.values()];
  }

  wishes(): readonly Wish[] {
    return [...this.#subs.values()].filter((s) => s.status !== 'failed' && s.status !== 'ended').map((s) => s.wish);
  }

  stats(): SubscriptionStats {
    const total: SubscriptionStats = { delivered: 0, dropped: 0, coalesced: 0, queued: 0, callbackErrors: 0 };
    for (const s of this.#subs.values()) {
      const st = s.stats();
      for (const k of Object.keys(total) as (keyof SubscriptionStats)[]) total[k] += st[k];
    }
    return total;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const s of this.#subs.values()) s.halt();
    this.#actor.send({ type: 'STOP' }); // every subscription ends; the registries hear wishes: []
    this.#listeners.clear();
    this.#anyListeners = undefined;
    this.#host.removed(this);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  // ── used by the client facade and the hub ───────────────────────────────────────────────────

  /** Create one subscription; throws a typed error when it cannot exist at all. */
  subscribe(request: SubscribeRequest): SubscriptionHandle {
    if (this.#stopped || this.#host.isStopped()) {
      throw new UpbitStoppedError(this.#host.isStopped() ? 'the hub is stopped' : `component ${JSON.stringify(this.id)} is stopped`);
    }
    const { options } = request;
    const { id: givenId, channel, side: _side, ...rest } = options;
    if (typeof channel !== 'string') throw new UpbitUsageError('SUBSCRIBE needs a channel (ticker, trade, orderbook, candle.1m, myOrder, ...)');
    const wish = validateWish(stripUndefined({ ...rest, type: channel as DataType }) as Wish);
    if (givenId !== undefined && this.#subs.has(givenId)) {
      throw new UpbitUsageError(`component ${JSON.stringify(this.id)} already has a subscription ${JSON.stringify(givenId)}`);
    }
    let id = givenId;
    while (id === undefined || this.#subs.has(id)) id = `s${++this.#seq}`;
    const sub = new SubscriptionHandle(this, {
      id,
      wish,
      callback: request.callback ?? 'listeners',
      onError: request.onError,
      policy: request.policy,
      sink: this.#host.sink,
    });
    this.#subs.set(id, sub);
    const refused = this.#host.admit(sub);
    if (refused) {
      // Refused at the door: never in the union, never routed.
      sub.setStatus('failed', { error: refused });
      sub.reportError(refused);
      return sub;
    }
    this.#host.router.add(sub.route);
    const { type: _type, ...wishOptions } = wish;
    this.#actor.send({ type: 'SUBSCRIBE', id, channel, side: sub.side, ...wishOptions });
    this.#host.attached(this, sub);
    return sub;
  }

  /** Fail these subscriptions with `error` (each hears it once), taking them off the wire. */
  fail(ids: readonly string[], error: UpbitError): void {
    const live = ids.filter((id) => {
      const s = this.#subs.get(id);
      return s !== undefined && s.status !== 'failed' && s.status !== 'ended';
    });
    if (live.length === 0) return;
    for (const id of live) this.#subs.get(id)!.setStatus('failed', { error });
    this.#actor.send({ type: 'FAIL', ids: live, failure: { code: error.code, message: error.message } });
    for (const id of live) this.#subs.get(id)!.reportError(error);
  }

  /** Fail every live subscription of one side (its connection gave up). */
  failSide(side: 'public' | 'private', error: UpbitError): void {
    this.fail([...this.#subs.values()].filter((s) => s.side === side).map((s) => s.id), error);
  }

  /** The live wishes as the machine holds them (to re-register with a re-spawned registry). */
  registered(): RegisterWishesParams['wishes'] {
    return liveWishes(this.#actor.getSnapshot().context as ComponentContext);
  }

  /** Report an error to live subscriptions of one side (connection trouble); each hears it once. */
  tell(side: 'public' | 'private', error: UpbitError): void {
    for (const s of this.#subs.values()) if (s.side === side && s.status !== 'ended' && s.status !== 'failed') s.reportError(error);
  }

  /** Whether any live subscription rides on `side`. */
  uses(side: 'public' | 'private'): boolean {
    for (const s of this.#subs.values()) if (s.side === side && s.status !== 'ended') return true;
    return false;
  }

  /** Machine-level events from the hub (WIRE, RETRY). */
  notify(event: Extract<ComponentEvent, { type: 'WIRE' | 'RETRY' }>): void {
    if (!this.#stopped && this.#subs.size > 0) this.#actor.send(event);
  }

  // ── SubscriptionOwner ───────────────────────────────────────────────────────────────────────

  tap(msg: Stamped<DataMessage>, sub: SubscriptionHandle): void {
    if (this.#listeners.size === 0) return; // a client's callback subscriptions: nobody listens on the component
    const typed = this.#listeners.get(msg.type);
    if (typed !== undefined) for (let i = 0; i < typed.length; i++) this.#call(typed[i]!, msg, sub);
    const any = this.#anyListeners;
    if (any !== undefined) for (let i = 0; i < any.length; i++) this.#call(any[i]!, msg, sub);
  }

  componentError(error: UpbitError, taken: boolean, sub?: SubscriptionHandle): void {
    this.#host.reported?.(error, this.id, sub?.id);
    if (this.#errorListeners.size === 0) {
      if (!taken) this.#host.fallbackError(error, this.id, sub?.id);
      return;
    }
    for (const fn of [...this.#errorListeners]) {
      try {
        fn(error, sub);
      } catch (cause) {
        // An error listener that throws: hand it upward once, never loop.
        this.#host.fallbackError(new UpbitCallbackError(`an error listener of component ${this.id} threw`, cause), this.id);
      }
    }
  }

  unsubscribe(id: string): void {
    const s = this.#subs.get(id);
    if (this.#stopped || !s) return;
    const known = (this.#actor.getSnapshot().context as { subscriptions: Record<string, unknown> }).subscriptions[id];
    if (known) {
      this.#actor.send({ type: 'UNSUBSCRIBE', id });
      return;
    }
    // Refused at the door: the machine never had it.
    this.#subs.delete(id);
    s.setStatus('ended', {});
  }

  snapshotDone(id: string, code: string): void {
    if (!this.#stopped) this.#actor.send({ type: 'SNAPSHOT_DONE', id, code });
  }
  /** @internal a sampled delivery (see arrival.ts). */
  delivered(side: 'public' | 'private', arrived: number): void {
    this.#host.delivered?.(side, arrived);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  #call(fn: Listener, msg: Stamped<DataMessage>, sub: SubscriptionHandle): void {
    try {
      fn(msg);
    } catch (cause) {
      sub.reportError(new UpbitCallbackError(`a ${msg.type} listener of component ${this.id} threw`, cause));
    }
  }

  #unsubscribeCodes(event: Extract<ComponentEvent, { type: 'UNSUBSCRIBE' }>): void {
    this.#actor.send(event);
    // Subscriptions that kept some codes: narrow their routes to what the machine kept.
    const records = (this.#actor.getSnapshot().context as { subscriptions: Record<string, { wish: Wish }> }).subscriptions;
    for (const s of this.#subs.values()) {
      const kept = records[s.id]?.wish;
      if (kept && kept !== s.wish && s.status !== 'ended') this.#rewire(s, kept);
    }
  }

  #rewire(s: SubscriptionHandle, wish: Wish): void {
    s.setWish(wish);
    this.#host.router.narrow(s.route); // kept codes keep their state (no second snapshot)
  }

  #onStatus(e: StatusChange): void {
    const s = this.#subs.get(e.id);
    if (!s) return;
    if (e.status === 'ended' || e.status === 'failed') {
      this.#host.router.remove(s.route);
      this.#host.released(s);
    }
    if (e.status === 'pending' && s.status === 'failed') {
      // RETRY: back on the wire.
      this.#host.router.add(s.route);
      this.#host.attached(this, s);
    }
    if (e.status === 'ended') this.#subs.delete(e.id);
    s.setStatus(e.status, { gapMs: e.gapMs, error: s.error });
  }
}

export function asUpbitError(err: unknown): UpbitError {
  if (err instanceof UpbitError) return err;
  return new UpbitCallbackError(err instanceof Error ? err.message : String(err), err);
}

function stripUndefined<T extends object>(w: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(w)) if (v !== undefined) out[k] = v;
  return out as T;
}
