/**
 * One subject, read by one consumer process: a JetStream ordered consumer with deliver policy
 * LastPerSubject, shared by every local subscription to that subject. What each subscription
 * gets (its codes, stream preference, level, depth cut, one snapshot per epoch, trade
 * de-duplication) is the hub's own Router (src/actors/router.ts), which consumer.ts feeds.
 *
 *   stream UPBIT ──ordered consumer (filter = subject, last per subject)──▶ SubjectReader.handle
 *       ├─ replay (seq ≤ the subject's last seq when we started) = the late joiner's snapshot:
 *       │    dropped if its Upbit-Epoch is older than the gateway's current epoch, else marked SNAPSHOT
 *       └─ decodeFrame(DEFAULT JSON) → plain event + epoch → host.deliver → Router → each
 *          subscription's Sink (its delivery policy) → callback
 *
 * `Readers` (bottom) starts and stops them as subscriptions come and go.
 *
 * A pull consumer only receives what it asks for, so a slow callback here slows nobody else (and
 * a slow callback in this process is shed by its own subscription's policy, not by the reader).
 */
import { DeliverPolicy, type ConsumerMessages, type OrderedConsumerOptions, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { decodeFrame, type DataMessage, type UpbitError } from '../index.js';
import { HEADER, type Conn } from './subjects.js';

export type Event = DataMessage & { readonly epoch: number };

export interface ReaderHost {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  /** The gateway's current epoch per connection (from lease replies and status broadcasts). */
  epoch(conn: Conn): number;
  readonly metrics: { received: number; staleDropped: number; replayed: number };
  /** One event of this subject (replays are marked SNAPSHOT). */
  deliver(conn: Conn, event: Event): void;
  report(error: UpbitError | Error): void;
}

export class SubjectReader {
  /** The local subscriptions reading this subject (consumer.ts counts them). */
  readonly users = new Set<object>();
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  /** The last event seen, for a local subscription that joins this reader later. */
  private last: Event | undefined;
  readonly conn: Conn;

  constructor(
    readonly subject: string,
    private readonly host: ReaderHost,
  ) {
    this.conn = subject.startsWith('upbit.private.') ? 'private' : 'public';
  }

  /** The subject's latest value, as a snapshot, for a subscription joining a running reader (undefined when stale or none yet). */
  latest(): Event | undefined {
    const last = this.last;
    return last && last.epoch >= this.host.epoch(this.conn) ? ({ ...last, streamType: 'SNAPSHOT' } as Event) : undefined;
  }

  /** Stream sequence of the last message handled (to resume after a reconnect). */
  private seq = 0;

  async start(): Promise<void> {
    const { jsm, stream } = this.host;
    const lastSeq = await jsm.streams
      .getMessage(stream, { last_by_subj: this.subject })
      .then((m) => m?.seq ?? 0)
      .catch(() => 0);
    await this.consume(lastSeq, { deliver_policy: DeliverPolicy.LastPerSubject });
  }

  /**
   * After a NATS reconnect: a new ordered consumer from the next sequence, at once (the old one
   * would notice the restart only after missed heartbeats). Nothing is replayed twice.
   */
  async resume(): Promise<void> {
    if (this.stopped || this.seq === 0) return;
    const old = this.messages;
    this.messages = undefined;
    await old?.close().catch(() => {});
    await this.consume(0, { opt_start_seq: this.seq + 1 });
  }

  private async consume(lastSeq: number, start: Partial<OrderedConsumerOptions>): Promise<void> {
    if (this.stopped) return;
    const consumer = await this.host.js.consumers.get(this.host.stream, { filter_subjects: this.subject, ...start });
    if (this.stopped) return;
    // Short pull expiry: missed heartbeats (a restarted server) are noticed in seconds, not 30 s.
    const messages = await consumer.consume({ max_messages: 512, expires: 2_000 });
    this.messages = messages;
    void (async () => {
      for await (const m of messages) {
        if (m.seq <= this.seq) continue; // already handled (a resumed consumer's overlap)
        this.seq = m.seq;
        this.handle(m, m.seq <= lastSeq);
      }
    })().catch((err) => {
      if (!this.stopped) this.host.report(err as Error);
    });
  }

  private handle(m: JsMsg, replay: boolean): void {
    const host = this.host;
    host.metrics.received++;
    const epoch = Number(m.headers?.get(HEADER.epoch) ?? 0);
    if (replay && epoch < host.epoch(this.conn)) {
      host.metrics.staleDropped++; // a value from before the gateway's last reconnect or takeover
      return;
    }
    let events;
    try {
      events = decodeFrame(m.data);
    } catch (err) {
      host.report(err as UpbitError);
      return;
    }
    for (const view of events) {
      if (!('type' in view) || view.type === 'status' || view.type === 'error' || view.type === 'listSubscriptions') continue;
      const fields = (view as unknown as { toJSON(): Record<string, unknown> }).toJSON();
      if (replay) host.metrics.replayed++;
      const event = { ...fields, epoch, ...(replay ? { streamType: 'SNAPSHOT' } : {}) } as unknown as Event;
      this.last = event;
      host.deliver(this.conn, event);
    }
  }

  stop(): void {
    this.stopped = true;
    void this.messages?.close().catch(() => {});
  }
}

/**
 * Every subject reader of one process, counted by the subscriptions (`users`) reading each
 * subject: the first user starts a reader (after `before()`, the lease heartbeat that makes the
 * gateway publish it), the last one to leave stops it. A user joining a running reader gets the
 * subject's latest value at once. A reader that cannot start (NATS permissions) is `failed` with
 * the users it had.
 */
export class Readers {
  private readonly bySubject = new Map<string, SubjectReader>();
  private readonly subjectsOf = new Map<object, readonly string[]>();

  constructor(
    private readonly host: ReaderHost,
    private readonly before: () => Promise<void>,
    private readonly failed: (subject: string, users: ReadonlySet<object>, cause: unknown) => void,
  ) {}

  attach(user: object, subjects: readonly string[]): void {
    this.subjectsOf.set(user, subjects);
    for (const subject of subjects) {
      const running = this.bySubject.get(subject);
      if (running) {
        running.users.add(user);
        const latest = running.latest();
        if (latest) queueMicrotask(() => this.host.deliver(running.conn, latest));
        continue;
      }
      const reader = new SubjectReader(subject, this.host);
      this.bySubject.set(subject, reader);
      reader.users.add(user);
      void this.before()
        .then(() => reader.start())
        .catch((cause: unknown) => {
          if (this.bySubject.get(subject) === reader) this.failed(subject, reader.users, cause);
        });
    }
  }

  detach(user: object): void {
    for (const subject of this.subjectsOf.get(user) ?? []) {
      const reader = this.bySubject.get(subject);
      if (!reader || !reader.users.delete(user) || reader.users.size > 0) continue;
      reader.stop();
      this.bySubject.delete(subject);
    }
    this.subjectsOf.delete(user);
  }

  /** After a NATS reconnect: every reader continues from its next sequence. */
  resume(): void {
    for (const r of this.bySubject.values()) void r.resume().catch((e: unknown) => this.host.report(e as Error));
  }

  stop(): void {
    for (const r of this.bySubject.values()) r.stop();
    this.bySubject.clear();
    this.subjectsOf.clear();
  }
}
