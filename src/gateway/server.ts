/**
 * `startGateway(options)`: a hub that serves remote components over NATS JetStream.
 *
 * How to read: options; then `startGateway`, which (1) connects to NATS and makes sure the data
 * stream and the lease bucket exist, (2) listens to the control subjects (consumer leases, leaves)
 * on every gateway, leader or standby, so a standby always knows the union, (3) runs the leader
 * lease (lease.ts): on acquire it starts a hub and one proxy per consumer (proxies.ts), on lose it
 * stops the hub (closing the Upbit sockets) before the lease can expire, and (4) publishes:
 *
 *   Upbit ─ws─▶ hub ─▶ proxy (owner of the subject) ─encodeEvent(DEFAULT)─▶ nc.publish(subject,
 *     headers: Upbit-Payload-Version, Upbit-Epoch[, Nats-Msg-Id]) ─▶ stream UPBIT ─▶ consumers
 *
 * Data goes out with core-NATS publishes into the stream (no per-message ack round trip); the
 * stream stores it, de-duplicates trades by message id and orders each subject by its sequence.
 * Consumers read with their own JetStream consumers, so a slow one never slows the gateway.
 * The leader polls `hub.status()` and broadcasts health and epochs on `upbit.gw.status`.
 */
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { headers, nuid, type Msg } from '@nats-io/nats-core';
import { jetstreamManager, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createUpbitHub, encodeEvent, type DataMessage, type UpbitError, type UpbitHub, type UpbitHubOptions, type Wish } from '../index.js';
import { LeaderLease, type LeaseOptions } from './lease.js';
import { serveRest } from './rest.js';
import { Owners, Proxy, RemoteConsumers, checkWishes } from './proxies.js';
import {
  CONTROL,
  DEFAULT_ACCOUNT,
  DEFAULT_BUCKET,
  DEFAULT_STREAM,
  HEADER,
  PAYLOAD_VERSION,
  STREAM_SUBJECTS,
  assertToken,
  connOf,
  gatewayEpoch,
  subjectOf,
  type Conn,
  type GatewayHealth,
  type LeaseReply,
  type LeaseRequest,
  type RemoteError,
} from './subjects.js';

export interface GatewayStreamOptions {
  /** @default 'UPBIT' */
  name?: string;
  /** Messages kept per subject (the last one serves late joiners). @default 1000 */
  maxMsgsPerSubject?: number;
  /** Oldest message kept, in ms. @default 3_600_000 (1 h) */
  maxAgeMs?: number;
  /** Bytes kept in total; -1 = unlimited. @default -1 */
  maxBytes?: number;
  /** @default 'file' */
  storage?: 'file' | 'memory';
  /** Trade de-duplication window, ms (at most maxAgeMs). @default 120_000 */
  duplicateWindowMs?: number;
}

export interface GatewayOptions {
  /** NATS connection options, passed through: `servers`, `user`/`pass`, `token`, `tls`, `authenticator`... */
  nats: NodeConnectionOptions;
  /** The hub the leader runs (url, privateUrl, restUrl, credentials or getToken, format, timers...). */
  hub?: UpbitHubOptions;
  /** The `<account>` token of `upbit.private.<account>.<type>` (for NATS permissions). @default 'default' */
  account?: string;
  stream?: GatewayStreamOptions;
  /** The standby lease (bucket `upbit_gateway`, key `leader`). */
  lease?: LeaseOptions & { bucket?: string };
  /** This gateway's name in the lease and in status messages. @default a fresh nuid */
  id?: string;
  /** How often the leader checks its hub's health and epochs. @default 100 */
  healthIntervalMs?: number;
  /** Build the hub (tests, or a hub with custom options). @default createUpbitHub */
  createHub?: (options: UpbitHubOptions) => UpbitHub;
}

export interface GatewayMetrics {
  published: number;
  publishErrors: number;
  heartbeats: number;
  takeovers: number;
}

export interface Gateway extends AsyncDisposable {
  readonly id: string;
  isLeader(): boolean;
  /** Health and epochs as consumers see them (`off` while standing by). */
  health(): GatewayHealth;
  /** Live remote consumers and their wishes. */
  consumers(): [string, readonly Wish[]][];
  /** The leader's hub (undefined on a standby). */
  hub(): UpbitHub | undefined;
  readonly metrics: GatewayMetrics;
  onError(fn: (error: UpbitError | Error) => void): () => void;
  stop(): Promise<void>;
}

export async function ensureStream(jsm: JetStreamManager, o: GatewayStreamOptions = {}): Promise<string> {
  const name = o.name ?? DEFAULT_STREAM;
  const maxAge = o.maxAgeMs ?? 3_600_000;
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    subjects: STREAM_SUBJECTS,
    retention: RetentionPolicy.Limits,
    storage: o.storage === 'memory' ? StorageType.Memory : StorageType.File,
    discard: DiscardPolicy.Old,
    max_msgs_per_subject: o.maxMsgsPerSubject ?? 1_000,
    max_age: maxAge * 1_000_000,
    max_bytes: o.maxBytes ?? -1,
    duplicate_window: Math.min(o.duplicateWindowMs ?? 120_000, maxAge) * 1_000_000,
    allow_direct: true,
  };
  try {
    await jsm.streams.info(name);
    const { storage: _s, ...mutable } = config; // storage cannot change on an existing stream
    await jsm.streams.update(name, mutable);
  } catch (err) {
    if (!/stream not found/i.test(String((err as Error).message))) throw err;
    await jsm.streams.add(config);
  }
  return name;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const id = options.id ?? nuid.next();
  const account = options.account ?? DEFAULT_ACCOUNT;
  assertToken('account', account);
  const errorListeners = new Set<(e: UpbitError | Error) => void>();
  const report = (e: UpbitError | Error) => {
    for (const fn of [...errorListeners]) {
      try {
        fn(e);
      } catch {
        // a throwing listener must not break the gateway
      }
    }
  };
  const metrics: GatewayMetrics = { published: 0, publishErrors: 0, heartbeats: 0, takeovers: 0 };

  // (1) NATS, the stream, the bucket. Reconnect forever: nats-server restarts are survived.
  const nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250, name: `upbit-gateway ${id}`, ...options.nats });
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, options.stream);
  const ttlMs = options.lease?.ttlMs ?? 3_000;
  const kv = await new Kvm(nc).create(options.lease?.bucket ?? DEFAULT_BUCKET, { ttl: ttlMs, history: 1 });

  // (2) consumer leases, on every gateway
  let hub: UpbitHub | undefined;
  let term = 0;
  const proxies = new Map<string, Proxy>();
  const owners = new Owners(() => proxies.values());
  const enc = new TextEncoder();

  const publish = (proxy: Proxy, key: string, msg: DataMessage & { epoch: number }) => {
    const subject = subjectOf(msg as { type: string; code?: string; level?: unknown }, account);
    if (!owners.isOwner(proxy, key, subject, msg as { type: string; code?: string; level?: unknown })) return;
    try {
      const h = headers();
      h.set(HEADER.version, PAYLOAD_VERSION);
      h.set(HEADER.epoch, String(gatewayEpoch(term, msg.epoch)));
      if (msg.type === 'trade') h.set(HEADER.msgId, `${msg.code}:${String(msg.sequentialId)}`);
      nc.publish(subject, encodeEvent(msg, 'DEFAULT'), { headers: h });
      metrics.published++;
    } catch (err) {
      metrics.publishErrors++;
      report(err as Error);
    }
  };
  /** An error about one hub subscription of `consumer`, with its wish: the consumer finds the subscriptions concerned. */
  const remoteError = (consumer: string, error: UpbitError, wish: Wish, fatal: boolean) => {
    const body: RemoteError = { type: wish.type, wish, fatal, name: error.name, code: error.code, message: error.message };
    nc.publish(CONTROL.errors(consumer), enc.encode(JSON.stringify(body)));
  };
  const applyConsumer = (consumer: string, wishes: readonly Wish[] | undefined) => {
    owners.invalidate();
    if (!hub) return;
    let proxy = proxies.get(consumer);
    if (wishes === undefined) {
      if (proxy) {
        proxies.delete(consumer);
        void proxy.close().catch(report);
      }
      return;
    }
    if (!proxy) proxies.set(consumer, (proxy = new Proxy(hub, consumer, publish, remoteError, () => owners.invalidate())));
    proxy.sync(wishes);
    owners.invalidate();
  };
  const remotes = new RemoteConsumers(applyConsumer);

  const health = (): GatewayHealth => {
    const s = hub?.status();
    return {
      gateway: id,
      public: s ? String(s.public) : 'off',
      private: s ? String(s.private) : 'off',
      epochs: { public: s ? gatewayEpoch(term, s.epochs.public) : 0, private: s ? gatewayEpoch(term, s.epochs.private) : 0 },
    };
  };
  let lastHealth = '';
  const broadcast = (force = false) => {
    if (!hub) return;
    const h = health();
    const text = JSON.stringify(h);
    if (!force && text === lastHealth) return;
    lastHealth = text;
    nc.publish(CONTROL.status, enc.encode(text));
  };

  const onLease = (msg: Msg) => {
    let req: LeaseRequest;
    try {
      req = msg.json<LeaseRequest>();
      if (typeof req.consumer !== 'string' || req.consumer.length === 0) throw new TypeError('consumer id missing');
    } catch (err) {
      report(new TypeError(`bad lease request: ${(err as Error).message}`));
      return;
    }
    metrics.heartbeats++;
    const { valid, rejected } = checkWishes(req.wishes);
    const ttl = Math.min(Math.max(Number(req.ttlMs) || 5_000, 200), 60_000);
    remotes.renew(req.consumer, valid, ttl);
    if (!hub) return; // standbys record, only the leader answers
    const reply: LeaseReply = {
      ok: true,
      ...health(),
      rejected: rejected.map((r) => ({ wish: r.wish, code: r.error.code, message: r.error.message })),
    };
    msg.respond(enc.encode(JSON.stringify(reply)));
  };
  const subs = [
    nc.subscribe(CONTROL.lease, { callback: (err, msg) => (err ? report(err) : onLease(msg)) }),
    nc.subscribe(CONTROL.leave, {
      callback: (err, msg) => {
        if (err) return report(err);
        try {
          remotes.leave(msg.json<{ consumer: string }>().consumer);
        } catch (e) {
          report(e as Error);
        }
      },
    }),
    // Snapshots for consumers, through the leader hub's one rate limiter (rest.ts).
    serveRest(nc, () => hub, report),
  ];

  // (3) the leader lease
  const healthTimer = setInterval(() => broadcast(), options.healthIntervalMs ?? 100);
  const lease = new LeaderLease(
    kv,
    id,
    {
      onAcquire: (rev) => {
        term = rev;
        metrics.takeovers++;
        const h = (options.createHub ?? createUpbitHub)(options.hub ?? {});
        h.onError((e) => report(e));
        hub = h;
        // Re-subscribe the union this gateway already knows from the consumers' heartbeats.
        for (const [consumer, wishes] of remotes.entries()) applyConsumer(consumer, wishes);
        broadcast(true);
      },
      onLose: async () => {
        const h = hub;
        hub = undefined;
        const ps = [...proxies.values()];
        proxies.clear();
        owners.invalidate();
        for (const p of ps) await p.close().catch(() => {});
        await h?.stop();
      },
    },
    options.lease,
  );
  lease.start();
  // After a nats-server restart, tell consumers the epochs again.
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') broadcast(true);
  })().catch(() => {});

  let stopping: Promise<void> | undefined;
  const gateway: Gateway = {
    id,
    metrics,
    isLeader: () => hub !== undefined,
    health,
    consumers: () => remotes.entries(),
    hub: () => hub,
    onError(fn) {
      errorListeners.add(fn);
      return () => errorListeners.delete(fn);
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(healthTimer);
        await lease.stop(); // closes the hub first, then frees the key for a standby
        for (const s of subs) s.unsubscribe();
        remotes.clear();
        await nc.drain().catch(() => nc.close());
      })();
      return stopping;
    },
    [Symbol.asyncDispose]() {
      return gateway.stop();
    },
  };
  return gateway;
}
