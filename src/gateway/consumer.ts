/**
 * `connectGateway({ servers, ...natsOptions })`: the hub's `client(id)` facade for a process that
 * reads Upbit through a gateway (server.ts) instead of opening its own Upbit sockets.
 *
 *   const gw = await connectGateway({ servers: 'nats://127.0.0.1:4222', inspect });
 *   await using client = gw.client('bot');
 *   const sub = await client.subscribeTicker(['KRW-BTC'], async (t) => save(t));   // a Subscription
 *   sub.status; sub.stats(); sub.onStatus(...); sub.onError(...);
 *   await gw.close();
 *
 * The process has its own actor tree (src/machines/gateway.machine.ts: NATS link state, the
 * gateway's last health, the `components` registry → shards → `component:<client id>`), visible
 * to the `inspect` observer. NATS credentials stay inside the NATS connection: never in context.
 * Clients are the hub's `UpbitClient` over the hub's `Component`; data reaches them through the
 * hub's `Router` (each subscription's own codes, stream, level, depth, one snapshot per epoch) and
 * each subscription's `Sink` (its delivery policy, async callbacks, shedding counted).
 *
 * How to read: options and types; then `connectGateway`: (1) NATS and the actor tree, (2) status
 * of subscriptions (`wireSent` / `wireDown`, as the hub does), (3) the lease: ONE per process,
 * every heartbeat (a request on `upbit.gw.ctl.lease`) carries the process's whole wish set, so a
 * lost heartbeat costs nothing and a crashed process's wishes expire, (4) subject readers
 * (reader.ts) shared by the subscriptions of a subject, (5) the gateway's status and error
 * subjects and the NATS link's ups and downs, (6) the component host and the facade.
 *
 * Statuses: pending until a lease reply after the subscription was registered finds the gateway's
 * connection open → active; interrupted while the gateway's upstream is down or replaced, NATS is
 * lost or no gateway answers → active again with `gapMs`; failed when the gateway reports its hub
 * subscription failed (UpbitConflictError for a level held by another subscription, ...) or NATS
 * refuses the subject (UnauthorizedError). Errors go to the subscription concerned.
 *
 * Snapshots and pull reads (issue 9's facade): `makeClient` gives each client a data side that
 * speaks NATS (pull.ts): snapshots are request/reply on `upbit.gw.rest`, answered by the leader's
 * hub (rest.ts); interests are wishes in this process's lease, read through the same subject
 * readers into a DataPool of this process, fed by the Router's `tap`.
 */
import { createActor, type InspectionEvent, type Observer, type Actor, type AnyActorLogic } from 'xstate';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { nuid, type Subscription as NatsSubscription } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { UnauthorizedError, UpbitConnectionError, UpbitStoppedError, UpbitUsageError, type UpbitError, type Wish } from '../index.js';
import { UpbitClient } from '../actors/client.js';
import { Component, type ComponentHost } from '../actors/component.js';
import { redactInspection } from '../actors/inspect.js';
import { Router } from '../actors/router.js';
import type { HandleOptions, SubscriptionHandle, SubscriptionStats } from '../actors/subscription.js';
import { componentMachine, type RegisterWishesParams } from '../machines/component.machine.js';
import { componentActorId, componentsMachine, shardMachine } from '../machines/components.machine.js';
import { gatewayConsumerMachine } from '../machines/gateway.machine.js';
import type { DataPoolOptions } from '../actors/pool.js';
import { toUpbitError } from './errors.js';
import { createConsumerData } from './pull.js';
import { restOverNats } from './rest.js';
import { hubWish, wishKey } from './proxies.js';
import { Readers, type Event, type ReaderHost } from './reader.js';
import {
  CONTROL,
  DEFAULT_ACCOUNT,
  DEFAULT_STREAM,
  EPOCH_TERM,
  connOf,
  subjectsOfWish,
  type Conn,
  type GatewayHealth,
  type LeaseReply,
  type LeaseRequest,
  type RemoteError,
} from './subjects.js';

export interface ConnectGatewayOptions extends NodeConnectionOptions {
  /** The gateway's stream. @default 'UPBIT' */
  stream?: string;
  /** The gateway's `account` (private subjects). @default 'default' */
  account?: string;
  /** The gateway drops this process's wishes this long after the last heartbeat. @default 6000 */
  leaseTtlMs?: number;
  /** @default leaseTtlMs / 3 */
  heartbeatMs?: number;
  /** How long a control request waits for the gateway. @default 2000 */
  requestTimeoutMs?: number;
  /** This process's consumer id at the gateway. @default a fresh nuid */
  consumerId?: string;
  /** Inspection observer for this process's actor tree (always redacted). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Delivery: the slow-callback budget (ms) and, for tests, the scheduler and clock of every sink. */
  delivery?: HandleOptions['sink'];
  /** Wall clock in ms, for outage gaps. @default Date.now */
  now?: () => number;
  /** How long a snapshot waits for the gateway's answer (its hub may page and wait for its rate limiter). @default 30000 */
  restTimeoutMs?: number;
  /** The pull model's pool in this process (history kept per key). */
  pull?: DataPoolOptions;
}

export interface GatewayStatus {
  nats: 'connected' | 'reconnecting' | 'closed';
  /** The last health the gateway reported, or undefined before its first answer. */
  gateway: GatewayHealth | undefined;
  components: number;
  /** Delivery totals of every subscription of this process. */
  delivery: SubscriptionStats;
  metrics: { received: number; staleDropped: number; replayed: number; heartbeats: number; heartbeatFailures: number };
}

export interface GatewayConnection extends AsyncDisposable {
  readonly consumerId: string;
  /** The hub's client facade over a new component actor of this process (names unique among live clients). */
  client(id: string): UpbitClient;
  status(): GatewayStatus;
  /** Errors no subscription or client claimed (lost NATS, no gateway answering, decode errors...). */
  onError(fn: (error: UpbitError | Error, componentId?: string, subscriptionId?: string) => void): () => void;
  /** Leave the gateway (the union shrinks at once), stop the actor tree, close the NATS connection. */
  close(): Promise<void>;
}

const SIDES: readonly Conn[] = ['public', 'private'];

export async function connectGateway(options: ConnectGatewayOptions): Promise<GatewayConnection> {
  const {
    stream = DEFAULT_STREAM,
    account = DEFAULT_ACCOUNT,
    leaseTtlMs = 6_000,
    requestTimeoutMs = 2_000,
    consumerId = nuid.next(),
    heartbeatMs: hb,
    inspect: observer,
    delivery,
    now = Date.now,
    restTimeoutMs = 30_000,
    pull,
    ...natsOptions
  } = options;
  const heartbeatMs = hb ?? Math.floor(leaseTtlMs / 3);

  // (1) NATS (credentials stay in here) and the actor tree
  const nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250, name: `upbit-consumer ${consumerId}`, ...natsOptions });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const enc = new TextEncoder();

  const errorListeners = new Set<(e: UpbitError | Error, componentId?: string, subscriptionId?: string) => void>();
  const report = (e: UpbitError | Error, componentId?: string, subscriptionId?: string) => {
    for (const fn of [...errorListeners]) {
      try {
        fn(e, componentId, subscriptionId);
      } catch {
        // a throwing listener must not break delivery
      }
    }
  };
  const metrics: GatewayStatus['metrics'] = { received: 0, staleDropped: 0, replayed: 0, heartbeats: 0, heartbeatFailures: 0 };
  let gateway: GatewayHealth | undefined;
  let closed = false;
  const components = new Map<string, Component>();
  const router = new Router();

  const componentLogic = componentMachine.provide({
    actions: {
      // Deferred: registering drives the lease, never from inside the component's own transition.
      registerWishes: (_, params: RegisterWishesParams) => queueMicrotask(() => register(params.componentId, params.wishes)),
    },
  });
  const logic = gatewayConsumerMachine.provide({
    actors: { components: componentsMachine.provide({ actors: { shard: shardMachine.provide({ actors: { component: componentLogic } }) } }) },
  });
  const supervisor = createActor(logic, {
    input: { consumerId, stream, account },
    ...(observer ? { inspect: redactInspection(observer) } : {}),
    id: 'gateway-consumer',
    systemId: 'gateway-consumer',
  });
  supervisor.subscribe({ error: (err) => report(new UpbitConnectionError('the consumer actor tree crashed', err)) });
  supervisor.start();

  // (2) subscription statuses, as the hub drives them
  /** Registration order: a lease reply covers the registrations made before its request left. */
  let seq = 0;
  let ackedSeq = 0;
  const registeredAt = new Map<string, number>();
  const wishesOf = new Map<string, Wish[]>();
  const awaiting: Record<Conn, Set<Component>> = { public: new Set(), private: new Set() };
  const wireSent = (side: Conn) => {
    const at = now();
    for (const c of [...awaiting[side]]) {
      if ((registeredAt.get(c.id) ?? 0) > ackedSeq) continue; // the gateway has not seen its wishes yet
      awaiting[side].delete(c);
      c.notify({ type: 'WIRE', side, state: 'sent', at });
    }
  };
  const wireDown = (side: Conn, error: UpbitError | undefined, fallback = true) => {
    const at = now();
    const using = [...components.values()].filter((c) => c.uses(side));
    if (error && fallback && using.length === 0) report(error);
    for (const c of using) {
      c.notify({ type: 'WIRE', side, state: 'down', at });
      awaiting[side].add(c);
      if (error) c.tell(side, error);
    }
  };

  const down: Record<Conn, boolean> = { public: false, private: false };
  let leaseOk = true;
  const applyHealth = (raw: GatewayHealth) => {
    if (closed) return;
    const before = gateway;
    const h: GatewayHealth = { gateway: raw.gateway, public: raw.public, private: raw.private, epochs: { ...raw.epochs } };
    gateway = h;
    supervisor.send({ type: 'HEALTH', health: h });
    for (const conn of SIDES) {
      // An outage is a health that leaves 'open', or (when the gateway's health poll missed a
      // short one) a socket replaced by a newer one: a higher epoch where one had been opened
      // (`epoch % EPOCH_TERM > 0`). Each outage is told once to the subscriptions it concerns.
      const was = before?.[conn];
      const left = was === 'open' && h[conn] !== 'open';
      const replaced = before !== undefined && before.epochs[conn] % EPOCH_TERM > 0 && h.epochs[conn] > before.epochs[conn];
      if (left || replaced) {
        const told = down[conn] && !left;
        down[conn] = h[conn] !== 'open';
        const state = h[conn] === 'open' ? 'dropped and is open again' : h[conn];
        wireDown(conn, told ? undefined : new UpbitConnectionError(`the gateway's ${conn} Upbit connection ${state}; subscriptions stay and resume after recovery`));
      }
      if (h[conn] === 'open' && leaseOk) wireSent(conn);
    }
  };

  // (3) the lease
  let inflight: Promise<void> | undefined;
  let nextRound: Promise<void> | undefined;
  const leaseWishes = (): Wish[] => {
    const byKey = new Map<string, Wish>();
    for (const list of wishesOf.values()) for (const w of list) byKey.set(wishKey(w), w);
    for (const w of consumerData.interestWishes()) byKey.set(wishKey(w), w);
    return [...byKey.values()];
  };
  function register(componentId: string, wishes: RegisterWishesParams['wishes']) {
    if (closed) return;
    const plain = wishes.map(({ id: _id, ...w }) => w as Wish);
    const c = components.get(componentId);
    if (plain.length === 0 || !c) wishesOf.delete(componentId);
    else wishesOf.set(componentId, plain);
    registeredAt.set(componentId, ++seq);
    if (c) for (const side of SIDES) if (plain.some((w) => connOf(w.type) === side)) awaiting[side].add(c);
    void heartbeat();
  }
  const sendLease = (): Promise<void> => {
    const sentSeq = seq;
    const req: LeaseRequest = { v: 1, consumer: consumerId, wishes: leaseWishes(), ttlMs: leaseTtlMs };
    return nc
      .request(CONTROL.lease, enc.encode(JSON.stringify(req)), { timeout: requestTimeoutMs })
      .then((m) => {
        if (closed) return;
        metrics.heartbeats++;
        const reply = m.json<LeaseReply>();
        leaseOk = true;
        ackedSeq = Math.max(ackedSeq, sentSeq);
        supervisor.send({ type: 'LEASE', ok: true });
        applyHealth(reply);
        for (const r of reply.rejected ?? []) {
          const key = wishKey(r.wish);
          failWhere((s) => wishKey(s.wish) === key, toUpbitError({ ...r, name: 'UpbitValidationError' }));
        }
      })
      .catch((err: Error) => {
        if (closed) return;
        metrics.heartbeatFailures++;
        if (leaseOk) {
          // Told once per episode, to the subscriptions (interrupted until a gateway answers again).
          supervisor.send({ type: 'LEASE', ok: false });
          const error = new UpbitConnectionError('no gateway answered the lease heartbeat (none running, or a takeover in progress)', err);
          if (![...components.values()].some((c) => c.uses('public') || c.uses('private'))) report(error);
          for (const side of SIDES) wireDown(side, error, false);
        }
        leaseOk = false;
      });
  };
  /** Send the wish set now, or, if a round is in flight, once more right after it (coalesced). */
  const heartbeat = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (!inflight) return (inflight = sendLease().finally(() => (inflight = undefined)));
    return (nextRound ??= inflight.then(() => {
      nextRound = undefined;
      return heartbeat();
    }));
  };
  const hbTimer = setInterval(() => void heartbeat(), heartbeatMs);

  /** The live subscriptions (of every client) that `pred` selects. */
  const liveSubs = (pred: (s: SubscriptionHandle) => boolean): [Component, SubscriptionHandle][] => {
    const out: [Component, SubscriptionHandle][] = [];
    for (const c of components.values())
      for (const s of c.subscriptions() as SubscriptionHandle[]) if (s.status !== 'ended' && s.status !== 'failed' && pred(s)) out.push([c, s]);
    return out;
  };
  /** Fail the live subscriptions `pred` selects with `error` (each hears it once). */
  const failWhere = (pred: (s: SubscriptionHandle) => boolean, error: UpbitError) => {
    const hit = liveSubs(pred);
    if (hit.length === 0) return report(error);
    const byComponent = new Map<Component, string[]>();
    for (const [c, s] of hit) byComponent.set(c, [...(byComponent.get(c) ?? []), s.id]);
    for (const [c, ids] of byComponent) c.fail(ids, error);
  };

  // (4) subject readers, one per subject, shared by the subscriptions reading it
  const readerHost: ReaderHost = {
    js,
    jsm,
    stream,
    epoch: (conn: Conn) => gateway?.epochs[conn] ?? 0,
    metrics,
    deliver: (conn: Conn, event: Event) => {
      // Live events are never stale here: the gateway's hub dropped stale ones before publishing,
      // and replays of an older epoch were dropped by the reader.
      router.setEpoch(conn, event.epoch);
      router.publish(conn, event.epoch, event as never);
    },
    report,
  };
  const readers = new Readers(readerHost, heartbeat, (subject, users, cause) => {
    const text = String((cause as Error)?.message ?? cause);
    const error = /permission|authoriz/i.test(text)
      ? new UnauthorizedError(`NATS does not let this consumer read ${subject}`, cause)
      : new UpbitConnectionError(`could not read ${subject} from the gateway's stream: ${text}`, cause);
    failWhere((s) => users.has(s), error);
  });
  const consumerData = createConsumerData({ rest: restOverNats(nc, restTimeoutMs), router, readers, account, heartbeat, pull });

  // (5) what the gateway tells this process, and the NATS link
  const natsSubs: NatsSubscription[] = [
    nc.subscribe(CONTROL.status, {
      callback: (err, m) => {
        if (err) return report(err);
        try {
          applyHealth(m.json<GatewayHealth>());
        } catch (e) {
          report(e as Error);
        }
      },
    }),
    // Errors the gateway's hub reported about one of this process's wishes: to the subscriptions that asked for it.
    nc.subscribe(CONTROL.errors(consumerId), {
      callback: (err, m) => {
        if (err) return report(err);
        const r = m.json<RemoteError>();
        const error = toUpbitError(r);
        const key = r.wish ? wishKey(r.wish) : undefined;
        const pred = (s: SubscriptionHandle) => (key !== undefined ? wishKey(hubWish(s.wish)) === key : r.type === undefined || s.wish.type === r.type);
        if (r.fatal) return failWhere(pred, error);
        const hit = liveSubs(pred);
        if (hit.length === 0) report(error);
        for (const [, s] of hit) s.reportError(error);
      },
    }),
  ];
  void (async () => {
    for await (const s of nc.status()) {
      if (closed) break;
      if (s.type === 'disconnect') {
        supervisor.send({ type: 'NATS_DOWN' });
        const error = new UpbitConnectionError('lost the NATS connection; reconnecting (subscriptions stay)');
        if (![...components.values()].some((c) => c.uses('public') || c.uses('private'))) report(error);
        for (const side of SIDES) wireDown(side, error, false);
      } else if (s.type === 'reconnect') {
        supervisor.send({ type: 'NATS_UP' });
        void heartbeat();
        readers.resume();
      }
    }
  })().catch(() => {});

  // (6) the component host and the facade
  const host: ComponentHost = {
    router,
    sink: delivery,
    isStopped: () => closed,
    admit: () => undefined, // level conflicts and credentials are the gateway's hub's to judge
    released: (sub) => readers.detach(sub),
    attached: (_component, sub) => readers.attach(sub, subjectsOfWish(sub.wish, account)),
    fallbackError: (error, componentId, subscriptionId) => report(error, componentId, subscriptionId),
    removed(component) {
      components.delete(component.id);
      for (const side of SIDES) awaiting[side].delete(component);
      supervisor.send({ type: 'RELEASE', id: component.id });
      // A pull-only client has no subscriptions to end: its interests leave the union here.
      if (consumerData.componentRemoved(component.id)) void heartbeat();
    },
  };
  const finalizer = new FinalizationRegistry<Component>((c) => void c.stop());
  /** The one place a client is built: snapshots and pull reads through `consumerData` (pull.ts). */
  const makeClient = (component: Component) =>
    new UpbitClient(component, { created: (client, c) => finalizer.register(client, c, c), data: consumerData.data });

  let closing: Promise<void> | undefined;
  const connection: GatewayConnection = {
    consumerId,
    client(id: string) {
      if (closed) throw new UpbitStoppedError('the gateway connection is closed');
      if (typeof id !== 'string' || id.length === 0) throw new UpbitUsageError('a client needs a non-empty string name');
      if (components.has(id)) throw new UpbitUsageError(`a client named ${JSON.stringify(id)} is already running`);
      supervisor.send({ type: 'SPAWN', id });
      const actor = supervisor.system.get(componentActorId(id)) as Actor<AnyActorLogic> | undefined;
      if (!actor) throw new UpbitUsageError(`client ${JSON.stringify(id)} could not be spawned`);
      const c = new Component(id, actor, host);
      components.set(id, c);
      return makeClient(c);
    },
    status() {
      const total: SubscriptionStats = { delivered: 0, dropped: 0, coalesced: 0, queued: 0, callbackErrors: 0 };
      for (const c of components.values()) {
        const st = c.stats();
        for (const k of Object.keys(total) as (keyof SubscriptionStats)[]) total[k] += st[k];
      }
      const state = supervisor.getSnapshot().value;
      return {
        nats: closed || state === 'closed' ? 'closed' : state === 'reconnecting' ? 'reconnecting' : 'connected',
        gateway,
        components: components.size,
        delivery: total,
        metrics: { ...metrics },
      };
    },
    onError(fn) {
      errorListeners.add(fn);
      return () => errorListeners.delete(fn);
    },
    close() {
      closing ??= (async () => {
        for (const c of [...components.values()]) await c.stop();
        closed = true;
        clearInterval(hbTimer);
        consumerData.stop();
        readers.stop();
        nc.publish(CONTROL.leave, enc.encode(JSON.stringify({ consumer: consumerId })));
        for (const s of natsSubs) s.unsubscribe();
        supervisor.send({ type: 'CLOSE' });
        supervisor.stop();
        await nc.drain().catch(() => nc.close());
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return connection.close();
    },
  };
  return connection;
}
