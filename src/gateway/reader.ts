/**
 * One subject, read by one consumer process: a JetStream ordered consumer with deliver policy
 * LastPerSubject, shared by every local subscription to that subject, and the per-subscription
 * filters that the gateway leaves to the consumer side (stream preference, codes of an all-market
 * subject, orderbook depth).
 *
 *   stream UPBIT ──ordered consumer (filter = subject, last per subject)──▶ SubjectReader.handle
 *       ├─ replay (seq ≤ the subject's last seq when we started) = the late joiner's snapshot:
 *       │    dropped if its Upbit-Epoch is older than the gateway's current epoch, else marked SNAPSHOT
 *       └─ decodeFrame(DEFAULT JSON) → plain event + epoch → Local.deliver (filters, depth cut) → callback
 *
 * A pull consumer only receives what it asks for, so a slow callback here slows nobody else.
 */
import { DeliverPolicy, type ConsumerMessages, type OrderedConsumerOptions, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import {
  Decimal,
  UpbitCallbackError,
  decodeFrame,
  type DataMessage,
  type UpbitError,
  type Wish,
} from '../index.js';
import { HEADER, connOf, type Conn } from './subjects.js';

export type Event = DataMessage & { readonly epoch: number };

/** One local subscription on one subject. */
export class Local {
  /** Codes whose snapshot a snapshot-only subscription already got. */
  private readonly snapshotDone = new Set<string>();
  private readonly codes: ReadonlySet<string> | undefined;
  private readonly depth: number | undefined;

  constructor(
    readonly wish: Wish,
    private readonly cb: (event: Event) => void,
    readonly onError: ((error: UpbitError) => void) | undefined,
    private readonly fallbackError: (error: UpbitError) => void,
  ) {
    const codes = wish.codes ?? [];
    this.codes = codes.length > 0 ? new Set(codes.map((c) => c.split('.')[0])) : undefined;
    if (wish.type === 'orderbook') {
      const suffixed = codes.map((c) => Number(c.split('.')[1])).find((n) => n > 0);
      this.depth = suffixed ?? wish.depth;
    }
  }

  get conn(): Conn {
    return connOf(this.wish.type);
  }

  error(error: UpbitError): void {
    if (this.onError) {
      try {
        this.onError(error);
      } catch {
        // an error listener that throws: nothing more to tell
      }
    } else this.fallbackError(error);
  }

  deliver(event: Event): void {
    const code = (event as { code?: string }).code;
    if (this.codes && code !== undefined && !this.codes.has(code)) return;
    const snapshot = (event as { streamType?: string }).streamType === 'SNAPSHOT';
    const stream = this.wish.stream ?? 'both';
    if (stream === 'realtime' && snapshot) return;
    if (stream === 'snapshot') {
      if (!snapshot || this.snapshotDone.has(code ?? '*')) return;
      this.snapshotDone.add(code ?? '*');
    }
    const out = this.depth !== undefined && event.type === 'orderbook' ? cutBook(event, this.depth) : event;
    try {
      this.cb(out);
    } catch (cause) {
      this.error(new UpbitCallbackError(`a ${event.type} listener threw`, cause));
    }
  }
}

/** The book cut to `depth` units per side, with totals that are the exact sums of what it keeps. */
function cutBook(event: Event, depth: number): Event {
  const units = (event as unknown as { orderbookUnits: { askSize: Decimal; bidSize: Decimal }[] }).orderbookUnits;
  if (units.length <= depth) return event;
  const kept = units.slice(0, depth);
  const sum = (side: 'askSize' | 'bidSize') => kept.reduce((s, u) => s.plus(u[side]), new Decimal(0));
  return { ...event, orderbookUnits: kept, totalAskSize: sum('askSize'), totalBidSize: sum('bidSize') } as unknown as Event;
}

export interface ReaderHost {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  /** The gateway's current epoch per connection (from lease replies and status broadcasts). */
  epoch(conn: Conn): number;
  readonly metrics: { received: number; staleDropped: number; replayed: number };
  report(error: UpbitError | Error): void;
}

export class SubjectReader {
  readonly locals = new Set<Local>();
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

  /** Add a local subscription; it gets the subject's latest value at once (as a snapshot). */
  add(local: Local): void {
    this.locals.add(local);
    const last = this.last;
    if (last && last.epoch >= this.host.epoch(this.conn)) local.deliver({ ...last, streamType: 'SNAPSHOT' } as Event);
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
      for (const l of this.locals) l.deliver(event);
    }
  }

  stop(): void {
    this.stopped = true;
    void this.messages?.close().catch(() => {});
  }
}
