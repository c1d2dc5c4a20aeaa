/**
 * `connectGateway({ servers, ...natsOptions })`: the hub's `client(id)` facade for a process that
 * reads Upbit through a gateway (server.ts) instead of opening its own Upbit sockets.
 *
 *   const gw = await connectGateway({ servers: 'nats://127.0.0.1:4222' });
 *   await using client = gw.client('bot');
 *   await client.subscribeTicker(['KRW-BTC'], (t) => console.log(t.tradePrice.toString()));
 *   await gw.close();
 *
 * How to read: `connectGateway` connects, then keeps ONE lease for this process at the gateway:
 * every heartbeat (a NATS request on `upbit.gw.ctl.lease`) carries the process's whole wish set,
 * so a lost heartbeat costs nothing and a crashed process's wishes expire with its lease. Data is
 * read per subject by reader.ts. `GatewayClient` (bottom) is the facade; each `subscribeX`
 * validates locally (a bad code throws `UpbitValidationError` to the caller), joins the lease and
 * resolves once the gateway has answered (or the request timed out: the wish stays and is retried
 * by the next heartbeat).
 *
 * Errors: gateway health changes (its Upbit socket dropped) become `UpbitConnectionError`s for
 * the subscriptions of that connection; errors the gateway reports about this consumer's wishes
 * arrive on `upbit.gw.err.<consumer>`; everything else goes to `onError`.
 */
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { nuid, type Subscription as NatsSubscription } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { UnauthorizedError, UpbitConnectionError, type UpbitError, type Wish } from '../index.js';
import { GatewayClient } from './client.js';
import { toUpbitError } from './errors.js';
import { wishKey } from './proxies.js';
import { Local, SubjectReader, type ReaderHost } from './reader.js';
import {
  CONTROL,
  DEFAULT_ACCOUNT,
  DEFAULT_STREAM,
  EPOCH_TERM,
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
}

export interface GatewayStatus {
  nats: 'connected' | 'reconnecting' | 'closed';
  /** The last health the gateway reported, or undefined before its first answer. */
  gateway: GatewayHealth | undefined;
  metrics: { received: number; staleDropped: number; replayed: number; heartbeats: number; heartbeatFailures: number };
}

export interface GatewayConnection extends AsyncDisposable {
  readonly consumerId: string;
  client(id: string): GatewayClient;
  status(): GatewayStatus;
  /** Errors no subscription claimed (lost NATS, no gateway answering, decode errors...). */
  onError(fn: (error: UpbitError | Error) => void): () => void;
  /** Leave the gateway (the union shrinks at once) and close the NATS connection. */
  close(): Promise<void>;
}

/** What a GatewayClient needs from its connection. */
export interface ClientHost {
  add(clientId: string, local: Local): Promise<void>;
  remove(clientId: string, local: Local): void;
  report(error: UpbitError | Error): void;
  releaseClient(clientId: string): void;
}

export async function connectGateway(options: ConnectGatewayOptions): Promise<GatewayConnection> {
  const { stream = DEFAULT_STREAM, account = DEFAULT_ACCOUNT, leaseTtlMs = 6_000, requestTimeoutMs = 2_000, consumerId = nuid.next(), heartbeatMs: hb, ...natsOptions } =
    options;
  const heartbeatMs = hb ?? Math.floor(leaseTtlMs / 3);
  const nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250, name: `upbit-consumer ${consumerId}`, ...natsOptions });
  const js: JetStreamClient = jetstream(nc);
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const enc = new TextEncoder();

  const errorListeners = new Set<(e: UpbitError | Error) => void>();
  const report = (e: UpbitError | Error) => {
    for (const fn of [...errorListeners]) {
      try {
        fn(e);
      } catch {
        // ignore
      }
    }
  };
  const metrics: GatewayStatus['metrics'] = { received: 0, staleDropped: 0, replayed: 0, heartbeats: 0, heartbeatFailures: 0 };
  let gateway: GatewayHealth | undefined;
  let natsState: GatewayStatus['nats'] = 'connected';
  let closed = false;
  const clients = new Set<string>();
  /** client id → its local subscriptions; subject → reader. */
  const locals = new Map<string, Set<Local>>();
  const readers = new Map<string, SubjectReader>();
  const readerHost: ReaderHost = {
    js,
    jsm,
    stream,
    epoch: (conn: Conn) => gateway?.epochs[conn] ?? 0,
    metrics,
    report,
  };
  const allLocals = () => [...locals.values()].flatMap((s) => [...s]);

  // ── health: the gateway's Upbit sockets, as consumers are told of them ──
  const down: Record<Conn, boolean> = { public: false, private: false };
  const applyHealth = (raw: GatewayHealth) => {
    const before = gateway;
    const h: GatewayHealth = { gateway: raw.gateway, public: raw.public, private: raw.private, epochs: { ...raw.epochs } };
    gateway = h;
    for (const conn of ['public', 'private'] as const) {
      // An outage is a health that leaves 'open', or (when the gateway's health poll missed a
      // short one) a socket replaced by a newer one: a higher epoch where one had been opened
      // (`epoch % EPOCH_TERM > 0`). Each outage is told once to the subscriptions it concerns.
      const was = before?.[conn];
      const left = was === 'open' && h[conn] !== 'open';
      const replaced = before !== undefined && before.epochs[conn] % EPOCH_TERM > 0 && h.epochs[conn] > before.epochs[conn];
      if (!left && !replaced) continue;
      const told = down[conn] && !left;
      down[conn] = h[conn] !== 'open';
      if (told) continue; // this outage was told when the connection left 'open'
      const state = h[conn] === 'open' ? 'dropped and is open again' : h[conn];
      const error = new UpbitConnectionError(`the gateway's ${conn} Upbit connection ${state}; subscriptions stay and resume after recovery`);
      const affected = allLocals().filter((l) => l.conn === conn);
      if (affected.length === 0) report(error);
      for (const l of affected) l.error(error);
    }
  };

  // ── the lease ──
  let inflight: Promise<void> | undefined;
  let nextRound: Promise<void> | undefined;
  let leaseOk = true;
  const wishes = (): Wish[] => {
    const byKey = new Map<string, Wish>();
    for (const l of allLocals()) byKey.set(wishKey(l.wish), l.wish);
    return [...byKey.values()];
  };
  const sendLease = (): Promise<void> => {
    const req: LeaseRequest = { v: 1, consumer: consumerId, wishes: wishes(), ttlMs: leaseTtlMs };
    return nc
      .request(CONTROL.lease, enc.encode(JSON.stringify(req)), { timeout: requestTimeoutMs })
      .then((m) => {
        metrics.heartbeats++;
        leaseOk = true;
        const reply = m.json<LeaseReply>();
        applyHealth(reply);
        for (const r of reply.rejected ?? []) {
          const key = wishKey(r.wish);
          for (const l of allLocals()) if (wishKey(l.wish) === key) l.error(toUpbitError({ ...r, name: 'UpbitValidationError' }));
        }
      })
      .catch((err: Error) => {
        metrics.heartbeatFailures++;
        if (leaseOk && !closed) report(new UpbitConnectionError('no gateway answered the lease heartbeat (none running, or a takeover in progress)', err));
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
    nc.subscribe(CONTROL.errors(consumerId), {
      callback: (err, m) => {
        if (err) return report(err);
        const r = m.json<RemoteError>();
        const error = toUpbitError(r);
        const affected = allLocals().filter((l) => r.type === undefined || l.wish.type === r.type);
        if (affected.length === 0) report(error);
        for (const l of affected) l.error(error);
      },
    }),
  ];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        natsState = 'reconnecting';
        const error = new UpbitConnectionError('lost the NATS connection; reconnecting (subscriptions stay)');
        const all = allLocals();
        if (all.length === 0) report(error);
        for (const l of all) l.error(error);
      } else if (s.type === 'reconnect') {
        natsState = 'connected';
        void heartbeat();
        for (const r of readers.values()) void r.resume().catch(report);
      }
    }
  })().catch(() => {});

  const host: ClientHost = {
    async add(clientId, local) {
      let set = locals.get(clientId);
      if (!set) locals.set(clientId, (set = new Set()));
      set.add(local);
      const started: Promise<void>[] = [];
      for (const subject of subjectsOfWish(local.wish, account)) {
        let reader = readers.get(subject);
        if (!reader) {
          readers.set(subject, (reader = new SubjectReader(subject, readerHost)));
          const r = reader;
          started.push(heartbeat().then(() => r.start()));
        }
        reader.add(local);
      }
      await heartbeat();
      try {
        await Promise.all(started);
      } catch (cause) {
        // Typically NATS permissions: this user may not read the subject. The wish goes again.
        host.remove(clientId, local);
        const text = String((cause as Error)?.message ?? cause);
        throw /permission|authoriz/i.test(text)
          ? new UnauthorizedError(`NATS does not let this consumer read ${subjectsOfWish(local.wish, account).join(', ')}`, cause)
          : new UpbitConnectionError(`could not read ${local.wish.type} from the gateway's stream: ${text}`, cause);
      }
    },
    remove(clientId, local) {
      locals.get(clientId)?.delete(local);
      for (const [subject, reader] of readers) {
        if (!reader.locals.delete(local) || reader.locals.size > 0) continue;
        reader.stop();
        readers.delete(subject);
      }
      void heartbeat();
    },
    report,
    releaseClient(clientId) {
      clients.delete(clientId);
      locals.delete(clientId);
    },
  };

  let closing: Promise<void> | undefined;
  const connection: GatewayConnection = {
    consumerId,
    client(id: string) {
      if (closed) throw new UpbitConnectionError('the gateway connection is closed');
      if (clients.has(id)) throw new UpbitConnectionError(`a client named ${JSON.stringify(id)} is already running`);
      clients.add(id);
      return new GatewayClient(id, host);
    },
    status: () => ({ nats: closed ? 'closed' : natsState, gateway, metrics: { ...metrics } }),
    onError(fn) {
      errorListeners.add(fn);
      return () => errorListeners.delete(fn);
    },
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(hbTimer);
        for (const r of readers.values()) r.stop();
        readers.clear();
        nc.publish(CONTROL.leave, enc.encode(JSON.stringify({ consumer: consumerId })));
        for (const s of natsSubs) s.unsubscribe();
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
