/**
 * `createUpbitHub(options)`: the living system. This file wires; policy lives in named modules:
 *
 *   wire.ts      what the union becomes on the wire (encoding, tickets, drift, orderbook levels)
 *   blame.ts     who an Upbit error frame concerns
 *   failures.ts  how connection trouble becomes errors people can act on, and who hears them
 *   slots.ts     real logic for the machines' slots (JWT, token vault, connection inputs)
 *   hub-api.ts   the options (each with its default), status, metrics and the `UpbitHub` interface
 *   rest-side.ts the REST side: one rate limiter (message budget, connects, REST), snapshots,
 *                known markets, the pull model's data pool, private reconciliation
 *
 * How to read: options and the public types, then `createUpbitHub`, which (1) builds the router,
 * (2) plugs the real I/O into the machines' named slots, (3) starts the supervisor (one actor
 * tree: supervisor → connections, registries, jwt, components → shards → component:<id>), and
 * (4) returns the facade. The data path is:
 *
 *   ws frame → socket actor (decode, stamp epoch) → Router (bus, code → routes) → subscription
 *   sink (policy) → your callback
 *
 * The control path is XState all the way: component actor → registerWishes → subscription
 * registry (union, pending window, rate limit) → sendRequest → Wire.request → connection SEND.
 */
import { createActor, enqueueActions, type Actor, type AnyActorLogic } from 'xstate';
import { componentMachine, type RegisterWishesParams } from '../machines/component.machine.js';
import { componentActorId, componentsMachine, shardMachine } from '../machines/components.machine.js';
import { connectionMachine } from '../machines/connection.machine.js';
import { subscriptionMachine } from '../machines/subscription.machine.js';
import { supervisorMachine, type Health } from '../machines/supervisor.machine.js';
import type { FailureInfo } from '../machines/types.js';
import {
  Credentials,
  PRIVATE_TYPES,
  UnauthorizedError,
  UpbitConnectionError,
  UpbitError,
  UpbitStoppedError,
  UpbitUsageError,
} from '../io/index.js';
import { Blame } from './blame.js';
import { UpbitClient } from './client.js';
import { Component, type ComponentHost } from './component.js';
import { Outages } from './failures.js';
import { Router, type ConnectionName, type RouteTarget } from './router.js';
import { socketLogic } from './socket.js';
import { redactInspection } from './inspect.js';
import { createRestSide } from './rest-side.js';
import { RATE_MARGIN, TokenVault, connectionInput, jwtLogic } from './slots.js';
import type { SubscriptionHandle, SubscriptionStats } from './subscription.js';
import { Levels, Tickets, Wire } from './wire.js';
import { Observability } from './observe.js';

import type { HubInternals, HubMetrics, HubStatus, UpbitHub, UpbitHubOptions } from './hub-api.js';
export type { HubInternals, HubMetrics, HubStatus, UpbitHub, UpbitHubOptions };

const internals = new WeakMap<UpbitHub, HubInternals>();
export function hubInternals(hub: UpbitHub): HubInternals {
  const i = internals.get(hub);
  if (!i) throw new UpbitUsageError('not a hub created by createUpbitHub');
  return i;
}

const SIDES: readonly ConnectionName[] = ['public', 'private'];
const sideOf = (type: string): ConnectionName => (PRIVATE_TYPES.has(type) ? 'private' : 'public');

export function createUpbitHub(options: UpbitHubOptions = {}): UpbitHub {
  const format = options.format ?? 'SIMPLE';
  const now = options.now ?? Date.now;
  // Every inspector sees redacted copies only: no token or key ever reaches inspection output.
  const inspect = options.inspect ? redactInspection(options.inspect) : undefined;
  const credentials = options.credentials ? new Credentials(options.credentials) : undefined;
  const canAuth = credentials !== undefined || options.getToken !== undefined;
  const vault = new TokenVault();
  const components = new Map<string, Component>();
  const owners = new Map<RouteTarget, { component: Component; sub: SubscriptionHandle }>();
  const awaiting: Record<ConnectionName, Set<Component>> = { public: new Set(), private: new Set() };
  const errorListeners = new Set<(error: UpbitError, componentId?: string, subscriptionId?: string) => void>();
  const tickets = new Tickets();
  const wire: Record<ConnectionName, Wire> = { public: new Wire(format, tickets), private: new Wire(format, tickets) };
  const levels: Record<ConnectionName, Levels> = { public: new Levels(), private: new Levels() };
  const outages = new Outages();
  const metrics = { frames: 0, bytes: 0, decodeErrors: 0, serverErrors: 0 };
  let stopped = false;

  const hubError = (error: UpbitError, componentId?: string, subscriptionId?: string) => {
    if (componentId === undefined) observe.error(error); // component errors are logged by host.reported
    for (const fn of [...errorListeners]) {
      try {
        fn(error, componentId, subscriptionId);
      } catch {
        // a throwing hub error listener must not break the socket or the router
      }
    }
  };
  const registry = (conn: ConnectionName) => supervisor.system.get(`${conn}.subscription`);
  const using = (side: ConnectionName) => [...components.values()].filter((c) => c.uses(side));

  const clock = options.clock ?? { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout) };
  /** Hub timers (rate-limit repair), one per key, on the hub's clock; cleared by stop(). */
  const timers = new Map<string, unknown>();
  const later = (key: string, fn: () => void) => {
    if (timers.has(key) || stopped) return;
    const id = clock.setTimeout(() => {
      timers.delete(key);
      if (!stopped) fn();
    }, 1_000 + RATE_MARGIN.second);
    timers.set(key, id);
  };
  const rateLimited: Record<ConnectionName, boolean> = { public: false, private: false };
  const observe = new Observability(
    {
      state: (side) => (stopped ? 'stopped' : health[side]),
      epoch: (side) => router.epoch(side),
      wirePairs: (side) => wire[side].pairs.size,
      components: () => components.values(),
    },
    { now, clock, logger: options.logger, health: options.health, perSubscription: options.metricsPerSubscription },
  );

  // (1) the bus
  const router = new Router();
  const restSide = createRestSide({
    url: options.url ?? 'wss://api.upbit.com/websocket/v1',
    restUrl: options.restUrl,
    limits: options.limits,
    clock,
    now,
    credentials,
    jwtAlgorithm: options.jwtAlgorithm,
    markets: options.markets,
    pull: options.pull,
    reconcile: options.reconcile,
    fetch: options.fetch,
    router,
    hooks: {
      hubError: (error) => hubError(error),
      fail: (componentId, subscriptionId, error) => components.get(componentId)?.fail([subscriptionId], error),
      tellCodes: (codes, error) => {
        for (const { sub } of owners.values()) if (sub.status !== 'ended' && sub.route.codes.some((c) => codes.includes(c))) sub.reportError(error);
      },
      reRegister: (componentId) => {
        const c = components.get(componentId);
        if (c) register(componentId, c.registered());
      },
      // An orderbook interest holds its level on the public connection like a subscription does.
      claimLevel: (holder, level, codes) => levels.public.claim(holder as never, level, codes),
      releaseLevel: (holder) => levels.public.release(holder as never),
    },
  });
  const budget = restSide.budgetSlots();

  /** Fail every subscription routed for these `type|code` pairs on one side. */
  const failPairs = (pairs: readonly string[], error: UpbitError) => {
    const byComponent = new Map<Component, string[]>();
    for (const pair of pairs) {
      const bar = pair.indexOf('|');
      for (const target of router.targets(pair.slice(0, bar), pair.slice(bar + 1))) {
        const o = owners.get(target);
        if (o) byComponent.set(o.component, [...(byComponent.get(o.component) ?? []), o.sub.id]);
      }
    }
    for (const [c, ids] of byComponent) c.fail(ids, error);
  };
  const blame: Record<ConnectionName, Blame> = {
    public: makeBlame('public'),
    private: makeBlame('private'),
  };
  function makeBlame(conn: ConnectionName) {
    return new Blame({
      fail: failPairs,
      hold: (keys) => registry(conn)?.send({ type: 'HOLD', keys }),
      list: () => registry(conn)?.send({ type: 'REPAIR' }),
      unexplained: (error) => hubError(error),
    });
  }

  /** The registry put the live wishes on the wire: their subscriptions are active. */
  const wireSent = (conn: ConnectionName) => {
    const at = now();
    const list = [...awaiting[conn]];
    awaiting[conn].clear();
    for (const c of list) {
      const except = restSide.held(c.id); // market codes still being checked stay pending
      c.notify(except.length > 0 ? { type: 'WIRE', side: conn, state: 'sent', at, except } : { type: 'WIRE', side: conn, state: 'sent', at });
    }
  };
  const wireDown = (conn: ConnectionName) => {
    const at = now();
    for (const c of using(conn)) {
      c.notify({ type: 'WIRE', side: conn, state: 'down', at });
      awaiting[conn].add(c);
    }
  };

  // (2) real I/O for the machines' slots
  const socketFor = (conn: ConnectionName) =>
    socketLogic({
      conn,
      router,
      transport: { perMessageDeflate: options.perMessageDeflate, WebSocket: options.WebSocket },
      headers: (refs) => vault.resolve(refs),
      meter: observe.meters[conn],
      onClose: (code, reason, epoch, byUs) => observe.closed(conn, code, reason, epoch, byUs),
      onOpen: (epoch) => {
        observe.opened(conn, epoch);
        router.setEpoch(conn, epoch);
        blame[conn].reset();
        wire[conn].reset();
        outages.recovered(conn);
      },
      onFrame: (bytes) => {
        metrics.frames++;
        metrics.bytes += bytes;
      },
      onDecodeError: (error) => {
        metrics.decodeErrors++;
        observe.decodeError(conn, error);
        hubError(error);
      },
      onServerError: (error) => {
        metrics.serverErrors++;
        observe.refused(conn, error);
        // A refused token ends the private connection; recovery and failures.ts tell its subscribers.
        if (error.serverName === 'INVALID_AUTH') return;
        if (error.serverName === 'Too Many Requests' || error.serverName === "I'm a teapot") {
          // Our pace, not a wish. The refused request may not have been applied: once the server's
          // window has passed, ask it what it has (LIST_SUBSCRIPTIONS) and re-send if it drifted.
          rateLimited[conn] = true;
          later(`${conn}.repair`, () => registry(conn)?.send({ type: 'REPAIR' }));
          return;
        }
        blame[conn].serverError(error);
      },
      onServerView: (view) => {
        if (blame[conn].ownsViews()) return blame[conn].viewed(Tickets.parse(view.ticket));
        const result = view.result.map((r) => ({ type: r.type, codes: r.codes ?? undefined }));
        const forward = () => registry(conn)?.send({ type: 'SERVER_VIEW', result });
        // After a rate-limit refusal the server may be stricter than our budget: the re-send that a
        // drift triggers waits one more window, so LIST and re-send never land in one server second.
        if (!rateLimited[conn]) return forward();
        rateLimited[conn] = false;
        later(`${conn}.view`, forward);
      },
    });

  // `prepare` takes a websocket-connect slot of the hub's limiter first (both connections share it).
  const connectionFor = (conn: ConnectionName) => connectionMachine.provide({ actors: { socket: socketFor(conn), prepare: restSide.gatedPrepare(conn) } });

  const componentLogic = componentMachine.provide({
    actions: {
      // Deferred to a microtask: registering drives the registries, which must not be driven from
      // inside the component actor's own transition.
      registerWishes: (_, params: RegisterWishesParams) => queueMicrotask(() => register(params.componentId, params.wishes)),
    },
  });

  const logic = supervisorMachine.provide({
    actors: {
      publicConnection: connectionFor('public'),
      privateConnection: connectionFor('private'),
      subscription: subscriptionMachine.provide({
        // The registry's sliding windows run on our timers, Upbit counts on its own clock when the
        // message ARRIVES; the margin absorbs that jitter (see RATE_MARGIN).
        delays: { rateWindowSecond: 1_000 + RATE_MARGIN.second, rateWindowMinute: 60_000 + RATE_MARGIN.minute, ...budget.delays },
        guards: {
          // Send when the server would be asked for something new (two wishes that merge to the
          // same request are one), or when a new wish wants its snapshot.
          // (lastSentKey null: the server's set is unknown, after a connect or a detected drift.)
          unionChanged: ({ context }) =>
            context.lastSentKey === null ||
            context.wishes.snapshotWanted ||
            wire[context.name as ConnectionName].changed(context.wishes.flatten(context.held)),
          // The sending budget is the hub's rate limiter (rest-side.ts budgetSlots).
          ...budget.guards,
        },
        actions: {
          listSubscriptions: enqueueActions(({ context, system, enqueue }) => {
            const connection = system.get(`${context.name}.connection`);
            const send: { type: 'SEND'; data: string } = { type: 'SEND', data: wire[context.name as ConnectionName].list().data };
            if (connection) enqueue.sendTo(connection, send);
          }),
          // Returned as an event and enqueued: no actor is driven from inside another's transition.
          sendRequest: enqueueActions(({ context, system, enqueue }, params: { wishes: Parameters<Wire['request']>[0] }) => {
            const conn = context.name as ConnectionName;
            const connection = system.get(`${conn}.connection`);
            if (!connection) return;
            let event: ReturnType<Wire['request']>;
            try {
              event = wire[conn].request(params.wishes);
            } catch (err) {
              // Wishes are validated before they get here: this is a bug, reported, never a crash.
              hubError(err instanceof UpbitError ? err : new UpbitUsageError(String(err)));
              return;
            }
            if (event.type === 'SEND') blame[conn].sent(wire[conn].pairs, wire[conn].ticket);
            if (event.type === 'SEND') observe.request(conn, event.data, wire[conn].pairs.size);
            enqueue.sendTo(connection, event);
            if (event.type === 'SEND') queueMicrotask(() => wireSent(conn));
          }),
          wireCurrent: ({ context }) => queueMicrotask(() => wireSent(context.name as ConnectionName)),
          ...budget.actions,
        },
      }),
      jwt: jwtLogic(credentials, options.getToken, options.jwtAlgorithm, vault, { timeoutMs: options.tokenTimeout ?? 10_000, timer: clock }),
      components: componentsMachine.provide({ actors: { shard: shardMachine.provide({ actors: { component: componentLogic } }) } }),
    },
  });

  // (3) the supervisor: the root of the one actor tree
  const tokenProvider = credentials === undefined && options.getToken !== undefined;
  const supervisor = createActor(logic, {
    input: {
      public: connectionInput(options.url ?? 'wss://api.upbit.com/websocket/v1', 'public', options.connection, options.recovery),
      private: connectionInput(options.privateUrl ?? 'wss://api.upbit.com/websocket/v1/private', 'private', options.connection, options.recovery, tokenProvider),
      jwt: { mode: credentials ? 'keys' : 'provider', now, singleUse: options.tokenReuse !== true },
      subscription: { pendingWindow: options.pendingWindow },
    },
    // Only pass what was given: an explicit `clock: undefined` would replace xstate's default clock.
    ...(options.clock ? { clock: options.clock } : {}),
    ...(inspect ? { inspect } : {}),
    id: 'supervisor',
    systemId: 'supervisor',
  });
  supervisor.subscribe({ error: (err) => hubError(new UpbitConnectionError('supervisor crashed', err)) });
  const health: Record<ConnectionName, Health> = { public: 'idle', private: 'off' };
  supervisor.on('health', (e) => {
    for (const side of SIDES) {
      const was = health[side];
      health[side] = e.health[side];
      if (was === 'open' && e.health[side] !== 'open') wireDown(side);
      if (was !== e.health[side]) observe.state(side, e.health[side]);
    }
    restSide.privateHealth(e.health.private);
  });
  supervisor.on('connectionRetrying', (e) => {
    const side: ConnectionName = e.source === 'private' ? 'private' : 'public';
    observe.retrying(side, e.error as FailureInfo, e.attempt);
    const told = using(side);
    if (told.length === 0) return;
    const error = outages.retrying(side, e.error as FailureInfo, e.attempt);
    if (error) for (const c of told) c.tell(side, error);
  });
  supervisor.on('connectionFailed', (e) => {
    const side: ConnectionName = e.source === 'private' ? 'private' : 'public';
    observe.failed(side, e.error as FailureInfo);
    const error = outages.gaveUp(side, e.error as FailureInfo);
    const affected = using(side);
    if (affected.length === 0) hubError(error);
    for (const c of affected) c.failSide(side, error);
  });
  // A re-spawned registry starts empty: hand it every component's wishes again, at once, so they
  // are there before the CONNECTED the supervisor sends it (else it would flush an empty union).
  supervisor.on('childRestarted', (e) => {
    if (!e.id.endsWith('Subscription')) return;
    for (const c of components.values()) register(c.id, c.registered());
  });
  supervisor.start();

  // (4) components and the facade
  function register(componentId: string, wishes: RegisterWishesParams['wishes']) {
    if (stopped) return;
    const bySide: Record<ConnectionName, object[]> = { public: [], private: [] };
    // The pull model's interests ride with their component; unchecked market codes wait (rest-side.ts).
    for (const { id: _id, ...w } of restSide.filter(componentId, [...wishes, ...restSide.interestWishes(componentId)])) bySide[sideOf(w.type)].push(w);
    if (bySide.private.length > 0) supervisor.send({ type: 'PRIVATE_NEEDED' });
    const c = components.get(componentId);
    for (const side of SIDES) {
      registry(side)?.send({ type: 'SET', componentId, wishes: bySide[side] as never });
      if (c && bySide[side].length > 0) awaiting[side].add(c);
    }
  }

  const host: ComponentHost = {
    router,
    sink: options.delivery,
    isStopped: () => stopped,
    admit(sub) {
      if (sub.side === 'private' && !canAuth) {
        return new UnauthorizedError('myOrder, myAsset and announcement need credentials or getToken()');
      }
      if (sub.wish.type === 'orderbook') return levels[sub.side].claim(sub, sub.route.level ?? 0, sub.route.codes);
      return undefined;
    },
    released(sub) {
      levels[sub.side].release(sub);
      owners.delete(sub.route);
    },
    attached(component, sub) {
      owners.set(sub.route, { component, sub });
      // A subscriber arriving after its connection failed hears it at once.
      const failure = outages.failure(sub.side);
      if (failure) component.fail([sub.id], failure);
    },
    fallbackError: (error, componentId, subscriptionId) => hubError(error, componentId, subscriptionId),
    delivered: (side, arrived) => observe.delivered(side, arrived),
    reported: (error, componentId, subscriptionId) => observe.error(error, componentId, subscriptionId),
    removed(component) {
      components.delete(component.id);
      // A pull-only component has no subscriptions to end: its interests leave the union here.
      if (restSide.componentRemoved(component.id)) register(component.id, []);
      for (const side of SIDES) awaiting[side].delete(component);
      supervisor.system.get('components')?.send({ type: 'RELEASE', id: component.id });
    },
  };

  const finalizer = new FinalizationRegistry<Component>((c) => void c.stop());

  const hub: UpbitHub = {
    spawnComponent(id: string) {
      if (stopped) throw new UpbitStoppedError();
      if (typeof id !== 'string' || id.length === 0) throw new UpbitUsageError('a component needs a non-empty string name');
      if (components.has(id)) throw new UpbitUsageError(`a component named ${JSON.stringify(id)} is already running`);
      supervisor.system.get('components')?.send({ type: 'SPAWN', id });
      const actor = supervisor.system.get(componentActorId(id)) as Actor<AnyActorLogic> | undefined;
      if (!actor) throw new UpbitUsageError(`component ${JSON.stringify(id)} could not be spawned`);
      const c = new Component(id, actor, host);
      components.set(id, c);
      return c;
    },
    client(id: string) {
      const c = hub.spawnComponent(id) as Component;
      // A client dropped without cleanup() is cleaned up after garbage collection.
      return new UpbitClient(c, { created: (client, component) => finalizer.register(client, component, component), data: restSide });
    },
    status() {
      const delivery: SubscriptionStats = { delivered: 0, dropped: 0, coalesced: 0, queued: 0, callbackErrors: 0 };
      for (const c of components.values()) {
        const st = c.stats();
        for (const k of Object.keys(delivery) as (keyof SubscriptionStats)[]) delivery[k] += st[k];
      }
      return {
        state: stopped ? 'stopped' : 'running',
        public: stopped ? 'stopped' : health.public,
        private: stopped ? 'stopped' : health.private,
        epochs: { public: router.epoch('public'), private: router.epoch('private') },
        components: components.size,
        delivery,
        metrics: {
          ...metrics,
          ...router.metrics,
          requestsSent: { public: wire.public.requests, private: wire.private.requests },
        },
      };
    },
    onError(fn) {
      errorListeners.add(fn);
      return () => errorListeners.delete(fn);
    },
    retry() {
      if (stopped) throw new UpbitStoppedError();
      outages.retry();
      supervisor.send({ type: 'RETRY' });
      // Only what a connection failure failed: a wish the server refused would be refused again.
      for (const c of components.values()) c.notify({ type: 'RETRY', codes: ['CONNECTION', 'UNAUTHORIZED'] });
    },
    lastRequest(conn) {
      return wire[conn].data;
    },
    async stop() {
      if (stopped) return;
      for (const c of [...components.values()]) await c.stop();
      stopped = true;
      restSide.stop();
      for (const id of timers.values()) clock.clearTimeout(id as never);
      timers.clear();
      supervisor.send({ type: 'STOP' });
      supervisor.stop();
      observe.stop();
    },
    health: () => observe.health(),
    on(event, fn) {
      if (event !== 'health') throw new UpbitUsageError(`unknown hub event ${JSON.stringify(event)} (known: health)`);
      return observe.onHealth(fn);
    },
    stats: () => observe.stats(),
    prometheus: () => observe.prometheus(),
    [Symbol.asyncDispose]() {
      return hub.stop();
    },
  };
  internals.set(hub, { supervisor, router, blame, wire, components: () => components.values(), rest: restSide });
  return hub;
}
