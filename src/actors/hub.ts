/**
 * `createUpbitHub(options)`: the living system.
 *
 * How to read: options, then `createUpbitHub`, which (1) builds the router (bus), (2) plugs the
 * real I/O into the machines' named slots (socket, prepare/JWT, sendRequest), (3) starts the
 * supervisor, and (4) returns the facade. The data path is:
 *
 *   ws frame → socket actor (decode, stamp epoch) → Router (mitt, by type|code) → route (stream
 *   filter) → Delivery (per component) → your callback
 *
 * The control path is XState all the way: component.machine → registerWishes → subscription
 * machine (union, pending window, rate limit) → sendRequest → encodeSubscription → connection
 * machine SEND → socket.
 */
import { createActor, enqueueActions, type Actor, type ActorOptions, type AnyActorLogic, type InspectionEvent, type Observer } from 'xstate';
import { componentMachine } from '../machines/component.machine.js';
import { connectionMachine, type ConnectionInput } from '../machines/connection.machine.js';
import type { TokenResult } from '../machines/jwt.machine.js';
import { subscriptionMachine, type SendRequestParams } from '../machines/subscription.machine.js';
import { supervisorMachine, type Health } from '../machines/supervisor.machine.js';
import type { RecoveryInput } from '../machines/recovery.machine.js';
import {
  Credentials,
  PRIVATE_TYPES,
  UnauthorizedError,
  UpbitConnectionError,
  encodeSubscription,
  stringifyRequest,
  type CredentialsInput,
  type Format,
  type JwtAlgorithm,
  type UpbitError,
  type Wish,
} from '../io/index.js';
import { UpbitClient } from './client.js';
import { Component, type ComponentRef } from './component.js';
import { scopeError } from './delivery.js';
import { Router, type ConnectionName, type RouterMetrics } from './router.js';
import { socketLogic } from './socket.js';
import { redactInspection } from './inspect.js';
import { RATE_MARGIN, connectionInput, jwtLogic, pairsOf, prepareWithToken } from './slots.js';
import type WebSocket from 'ws';

export interface UpbitHubOptions {
  /** Public WebSocket. @default 'wss://api.upbit.com/websocket/v1' */
  url?: string;
  /** Private WebSocket (myOrder, myAsset, announcement). @default 'wss://api.upbit.com/websocket/v1/private' */
  privateUrl?: string;
  /** REST base, for the private fallback. @default 'https://api.upbit.com' */
  restUrl?: string;
  /** API keys: a fresh JWT (HS512 unless `jwtAlgorithm`) is signed for every private connect. */
  credentials?: CredentialsInput;
  /** Or your own token source, asked once per private connect (see `tokenReuse`). Reject with `UnauthorizedError` for a fatal refusal. */
  getToken?: () => Promise<string | TokenResult>;
  /**
   * Whether a `getToken()` token may serve several connects. Upbit tokens carry a one-time nonce,
   * so by default every private connect asks `getToken()` again. Set true only for tokens your
   * gateway accepts repeatedly; they are then cached and renewed at 80 % of their lifetime.
   * @default false
   */
  tokenReuse?: boolean;
  /** @default 'HS512' */
  jwtAlgorithm?: JwtAlgorithm;
  /** Wire format. SIMPLE frames are about 40 % smaller. @default 'SIMPLE' */
  format?: Format;
  /** Timers for every machine (pass a `SimulatedClock` in tests). @default real timers */
  clock?: ActorOptions<AnyActorLogic>['clock'];
  /** Wall clock in ms, for token expiry. @default Date.now */
  now?: () => number;
  /** Inspection observer: `createOfflineInspector().inspect`, or @statelyai/inspect's `inspector.inspect`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Offer permessage-deflate. @default true */
  perMessageDeflate?: boolean;
  /** WebSocket class. @default the `ws` package */
  WebSocket?: typeof WebSocket;
  /** Connection timers (keepaliveInterval, pongTimeout, stallTimeout, ...) and backoff. `stallTimeout` applies to the public connection only (private streams are legitimately quiet). */
  connection?: Omit<ConnectionInput, 'url' | 'name' | 'notifyParent' | 'initialEpoch' | 'recovery'>;
  recovery?: RecoveryInput;
  /** Coalescing window for subscription changes (0..100 ms). @default 100 */
  pendingWindow?: number;
}

export interface HubStatus {
  public: Health;
  private: Health;
  epochs: Record<ConnectionName, number>;
  components: number;
  metrics: HubMetrics;
}

export interface HubMetrics extends RouterMetrics {
  frames: number;
  bytes: number;
  decodeErrors: number;
  serverErrors: number;
  requestsSent: Record<ConnectionName, number>;
}

export interface UpbitHub extends AsyncDisposable {
  /** A new component actor (ids are unique among live components). */
  spawnComponent(id: string): ComponentRef;
  /** A friendly facade over a new component actor. */
  client(id: string): UpbitClient;
  status(): HubStatus;
  /** Errors nobody else listens to (decode errors, errors of components without error listeners). */
  onError(fn: (error: UpbitError, componentId?: string) => void): () => void;
  /** The last request sent on each connection (for debugging and tests). */
  lastRequest(conn: ConnectionName): string | undefined;
  /** Stop everything: components, connections, timers. */
  stop(): Promise<void>;
  /** @internal the supervisor actor (inspection, tests) */
  readonly supervisor: Actor<typeof supervisorMachine>;
  /** @internal */
  readonly router: Router;
}

const isPrivate = (w: Wish) => PRIVATE_TYPES.has(w.type);
/** The wire types a connection carries: errors about one connection concern only these. */
const typesOf = (conn: ConnectionName) => (type: string) => PRIVATE_TYPES.has(type) === (conn === 'private');

export function createUpbitHub(options: UpbitHubOptions = {}): UpbitHub {
  const format = options.format ?? 'SIMPLE';
  // Every inspector sees redacted copies only: no token or key ever reaches inspection output.
  const inspect = options.inspect ? redactInspection(options.inspect) : undefined;
  const credentials = options.credentials ? new Credentials(options.credentials) : undefined;
  const canAuth = credentials !== undefined || options.getToken !== undefined;
  const components = new Map<string, Component>();
  const errorListeners = new Set<(error: UpbitError, componentId?: string) => void>();
  const lastSent: Partial<Record<ConnectionName, { data: string; wishes: SendRequestParams['wishes'] }>> = {};
  const suspects: Record<ConnectionName, Set<string>> = { public: new Set(), private: new Set() };
  const metrics: HubMetrics = {
    delivered: 0,
    staleDropped: 0,
    unrouted: 0,
    duplicatesDropped: 0,
    frames: 0,
    bytes: 0,
    decodeErrors: 0,
    serverErrors: 0,
    requestsSent: { public: 0, private: 0 },
  };
  let ticket = 0;
  let stopped = false;

  const hubError = (error: UpbitError, componentId?: string) => {
    if (errorListeners.size === 0) return; // nobody listens: counted in metrics, never thrown
    for (const fn of [...errorListeners]) {
      try {
        fn(error, componentId);
      } catch {
        // a throwing hub error listener must not break the socket or the router
      }
    }
  };
  const toComponents = (ids: Iterable<string>, error: UpbitError) => {
    for (const id of ids) components.get(id)?.delivery.error(error);
  };
  const componentsOn = (conn: ConnectionName) =>
    [...components.values()].filter((c) => c.wishes().some((w) => isPrivate(w) === (conn === 'private'))).map((c) => c.id);

  const clock = options.clock ?? { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout) };
  /** Hub timers (drift repair), one per key, on the hub's clock; cleared by stop(). */
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

  // (1) the bus
  const router = new Router((componentId, { type, code }) =>
    components.get(componentId)?.actor.send({ type: 'SNAPSHOT_DONE', channel: type, code }),
  );

  // (2) real I/O for the machines' slots
  const socketFor = (conn: ConnectionName) =>
    socketLogic({
      conn,
      router,
      transport: { perMessageDeflate: options.perMessageDeflate, WebSocket: options.WebSocket },
      onOpen: (epoch) => router.setEpoch(conn, epoch),
      onFrame: (bytes) => {
        metrics.frames++;
        metrics.bytes += bytes;
      },
      onDecodeError: (error) => {
        metrics.decodeErrors++;
        hubError(error);
      },
      onServerError: (error) => {
        metrics.serverErrors++;
        if (error.serverName === 'INVALID_AUTH') {
          const refused = new UnauthorizedError(`Upbit refused the credentials (INVALID_AUTH)`, error);
          toComponents(componentsOn('private'), scopeError(refused, typesOf('private')));
          return;
        }
        // Upbit does not say which wish it objects to: blame what the last request added.
        const blamed = suspects[conn].size > 0 ? suspects[conn] : new Set(componentsOn(conn));
        toComponents(blamed, scopeError(error, typesOf(conn)));
        // The refused request may not have been applied: once the server's window has passed, ask
        // it what it has (LIST_SUBSCRIPTIONS) and re-send the union if it drifted.
        if (error.serverName === 'Too Many Requests' || error.serverName === "I'm a teapot") rateLimited[conn] = true;
        later(`${conn}.repair`, () => supervisor.system.get(`${conn}.subscription`)?.send({ type: 'REPAIR' }));
      },
      onServerView: (view) => {
        const result = view.result.map((r) => ({ type: r.type, codes: r.codes ?? undefined }));
        const forward = () => supervisor.system.get(`${conn}.subscription`)?.send({ type: 'SERVER_VIEW', result });
        // After a rate-limit refusal the server may be stricter than our budget: the re-send that a
        // drift triggers waits one more window, so LIST and re-send never land in one server second.
        if (!rateLimited[conn]) return forward();
        rateLimited[conn] = false;
        later(`${conn}.view`, forward);
      },
    });

  /**
   * The request a subscription actor wants sent, as the event for its connection (encoding is
   * io's job). Returned, not sent: the machine's action enqueues it, so no actor is driven from
   * inside another actor's transition.
   */
  const requestEvent = (conn: ConnectionName, params: SendRequestParams): { type: 'SEND'; data: string } | { type: 'DISCONNECT' } | undefined => {
    if (params.wishes.length === 0) {
      // Upbit has no unsubscribe: an empty union means closing the connection.
      lastSent[conn] = undefined;
      return { type: 'DISCONNECT' };
    }
    const before = new Set((lastSent[conn]?.wishes ?? []).map((w) => JSON.stringify(w)));
    suspects[conn] = new Set(params.wishes.filter((w) => !before.has(JSON.stringify(w))).map((w) => w.componentId));
    let data: string;
    try {
      data = stringifyRequest(encodeSubscription(params.wishes as unknown as Wish[], { ticket: `upbit-ws-${++ticket}`, format }));
    } catch (err) {
      toComponents(suspects[conn], err as UpbitError); // cannot happen for validated wishes; reported, never thrown
      return undefined;
    }
    lastSent[conn] = { data, wishes: params.wishes };
    metrics.requestsSent[conn]++;
    return { type: 'SEND', data };
  };

  const connectionFor = (conn: ConnectionName) =>
    conn === 'private'
      ? connectionMachine.provide({ actors: { socket: socketFor(conn), prepare: prepareWithToken } })
      : connectionMachine.provide({ actors: { socket: socketFor(conn) } });

  const logic = supervisorMachine.provide({
    actors: {
      publicConnection: connectionFor('public'),
      privateConnection: connectionFor('private'),
      subscription: subscriptionMachine.provide({
        // The registry's sliding windows run on our timers, Upbit counts on its own clock when the
        // message ARRIVES. A first message that arrives late and a sixth that arrives fast land in
        // one server second (seen against the mock under load: 20 ms vs 2 ms of latency). The
        // margin absorbs that jitter; see RATE_MARGIN.
        delays: { rateWindowSecond: 1_000 + RATE_MARGIN.second, rateWindowMinute: 60_000 + RATE_MARGIN.minute },
        guards: {
          // Compare (type, code) pairs with the suffixes stripped on both sides (§2.4 [U]).
          drifted: ({ context, event }) =>
            event.type === 'SERVER_VIEW' && pairsOf(event.result) !== pairsOf(lastSent[context.name as ConnectionName]?.wishes ?? []),
        },
        actions: {
          listSubscriptions: enqueueActions(({ context, system, enqueue }) => {
            const connection = system.get(`${context.name}.connection`);
            const send: { type: 'SEND'; data: string } = {
              type: 'SEND',
              data: JSON.stringify([{ ticket: `upbit-ws-${++ticket}` }, { method: 'LIST_SUBSCRIPTIONS' }, { format }]),
            };
            if (connection) enqueue.sendTo(connection, send);
          }),
          sendRequest: enqueueActions(({ context, system, enqueue }, params: SendRequestParams) => {
            const conn = context.name as ConnectionName;
            const connection = system.get(`${conn}.connection`);
            const event = connection ? requestEvent(conn, params) : undefined;
            if (connection && event) enqueue.sendTo(connection, event);
          }),
        },
      }),
      jwt: jwtLogic(credentials, options.getToken, options.jwtAlgorithm),
    },
  });

  // (3) the supervisor
  const supervisor = createActor(logic, {
    input: {
      public: connectionInput(options.url ?? 'wss://api.upbit.com/websocket/v1', 'public', options.connection, options.recovery),
      private: connectionInput(options.privateUrl ?? 'wss://api.upbit.com/websocket/v1/private', 'private', options.connection, options.recovery),
      jwt: { mode: credentials ? 'keys' : 'provider', now: options.now ?? Date.now, singleUse: options.tokenReuse !== true },
      subscription: { pendingWindow: options.pendingWindow },
    },
    // Only pass what was given: an explicit `clock: undefined` would replace xstate's default clock.
    ...(options.clock ? { clock: options.clock } : {}),
    ...(inspect ? { inspect } : {}),
    id: 'supervisor',
    systemId: 'supervisor',
  });
  supervisor.subscribe({ error: (err) => hubError(new UpbitConnectionError('supervisor crashed', err)) });
  supervisor.on('connectionFailed', (e) => {
    const conn = e.source === 'private' ? 'private' : 'public';
    // An INVALID_AUTH frame ended it: its UnauthorizedError already went out (onServerError).
    const info = e.error as { kind?: string; name?: string; serverError?: string } | undefined;
    if (info?.name === 'INVALID_AUTH' || info?.serverError === 'INVALID_AUTH') return;
    const cause = (e.error as { error?: unknown; name?: string } | undefined) ?? undefined;
    const error =
      conn === 'private' && e.reason === 'fatal'
        ? new UnauthorizedError('the private connection was refused; check the keys or getToken()', cause)
        : new UpbitConnectionError(`the ${conn} connection failed (${e.reason})`, cause);
    const affected = componentsOn(conn);
    if (affected.length === 0) hubError(error);
    toComponents(affected, scopeError(error, typesOf(conn)));
  });
  // A re-spawned registry starts empty: hand it every component's wishes again, at once, so they
  // are there before the CONNECTED the supervisor sends it (else it would see an empty union and
  // close the socket).
  supervisor.on('childRestarted', (e) => {
    if (!e.id.endsWith('Subscription')) return;
    for (const c of components.values()) register(c.id, [...c.wishes()]);
  });
  supervisor.start();

  // (4) components and the facade
  const componentLogic = componentMachine.provide({
    actions: {
      // Deferred to a microtask: registering drives the subscription actors, which must not be
      // driven from inside the component actor's own transition.
      registerWishes: (_, params) => queueMicrotask(() => register(params.componentId, params.wishes as unknown as Wish[])),
    },
  });

  function register(componentId: string, wishes: Wish[]) {
    const comp = components.get(componentId);
    if (!comp) return;
    let priv = wishes.filter(isPrivate);
    const pub = wishes.filter((w) => !isPrivate(w));
    if (priv.length > 0 && !canAuth) {
      comp.delivery.error(scopeError(new UnauthorizedError('myOrder, myAsset and announcement need credentials or getToken()'), typesOf('private')));
      priv = [];
    }
    router.setRoutes(componentId, [...pub, ...priv], comp.delivery);
    supervisor.system.get('public.subscription')?.send({ type: 'SET', componentId, wishes: pub });
    if (priv.length > 0) supervisor.send({ type: 'PRIVATE_NEEDED' });
    supervisor.system.get('private.subscription')?.send({ type: 'SET', componentId, wishes: priv });
  }

  const host = {
    clock: options.clock,
    inspect,
    fallbackError: (error: UpbitError, componentId: string) => hubError(error, componentId),
    onStopped: (id: string) => {
      components.delete(id);
      router.removeComponent(id);
      supervisor.system.get('public.subscription')?.send({ type: 'REMOVE', componentId: id });
      supervisor.system.get('private.subscription')?.send({ type: 'REMOVE', componentId: id });
    },
  };

  const hub: UpbitHub = {
    supervisor,
    router,
    spawnComponent(id: string) {
      if (stopped) throw new UpbitConnectionError('the hub is stopped');
      if (components.has(id)) throw new UpbitConnectionError(`a component named ${JSON.stringify(id)} is already running`);
      const c = new Component(id, componentLogic, host);
      components.set(id, c);
      return c;
    },
    client(id: string) {
      return new UpbitClient(hub.spawnComponent(id));
    },
    status() {
      const ctx = supervisor.getSnapshot().context;
      return {
        public: ctx.health.public,
        private: ctx.health.private,
        epochs: { public: router.epoch('public'), private: router.epoch('private') },
        components: components.size,
        metrics: { ...metrics, ...router.metrics, requestsSent: { ...metrics.requestsSent } },
      };
    },
    onError(fn) {
      errorListeners.add(fn);
      return () => errorListeners.delete(fn);
    },
    lastRequest(conn) {
      return lastSent[conn]?.data;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of [...components.values()]) await c.stop();
      for (const id of timers.values()) clock.clearTimeout(id as never);
      timers.clear();
      supervisor.send({ type: 'STOP' });
      supervisor.stop();
    },
    [Symbol.asyncDispose]() {
      return hub.stop();
    },
  };
  return hub;
}
