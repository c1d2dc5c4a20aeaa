/**
 * The leader lease: exactly one gateway holds the Upbit connections, decided by one key in a
 * JetStream key-value bucket whose entries expire after `ttlMs` (the bucket's max age; 2.9 has no
 * per-message TTL, and needs none: a lease is one key).
 *
 *   standby ──create(key) ok──▶ leader ──update(key, rev) every renewMs──▶ leader
 *      ▲                          │ no successful renewal for holdMs (< ttlMs): give up FIRST,
 *      │                          │ then the entry expires at ≥ lastSent + ttlMs
 *      └──── create fails ◀───────┘ (someone else's key exists)
 *
 * Safety: the deadline counts from when the last SUCCESSFUL renewal was SENT, so the entry on the
 * server cannot have been written earlier; the leader calls `onLose` (which closes its Upbit
 * sockets) at that time + holdMs, strictly before the entry can expire and a standby can create
 * it. `stop()` deletes the key (guarded by its revision) so a standby takes over at once.
 *
 * The term handed to `onAcquire` is the key's KV revision: it grows with every takeover.
 */
import type { KV } from '@nats-io/kv';

export interface LeaseOptions {
  /** Key in the bucket. @default 'leader' */
  key?: string;
  /** Entry lifetime (the bucket's max age). @default 3000 */
  ttlMs?: number;
  /** How often the leader renews and a standby tries to take over. @default ttlMs / 5 */
  renewMs?: number;
  /** The leader gives up this long after its last successful renewal was sent. @default ttlMs * 0.6 */
  holdMs?: number;
}

export interface LeaseEvents {
  onAcquire(term: number): void | Promise<void>;
  /** Must close the upstream connections; awaited before the lease can be tried again. */
  onLose(reason: string): void | Promise<void>;
}

export class LeaderLease {
  readonly key: string;
  readonly ttlMs: number;
  readonly renewMs: number;
  readonly holdMs: number;
  private revision = 0;
  private leader = false;
  private stopped = false;
  private tick: NodeJS.Timeout | undefined;
  private hold: NodeJS.Timeout | undefined;
  private busy = false;
  /** Serialises acquire/lose so onLose finishes before a new onAcquire. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly kv: KV,
    private readonly id: string,
    private readonly events: LeaseEvents,
    options: LeaseOptions = {},
  ) {
    this.key = options.key ?? 'leader';
    this.ttlMs = options.ttlMs ?? 3_000;
    this.renewMs = options.renewMs ?? Math.max(50, Math.floor(this.ttlMs / 5));
    this.holdMs = options.holdMs ?? Math.floor(this.ttlMs * 0.6);
    if (!(this.renewMs < this.holdMs && this.holdMs < this.ttlMs)) {
      throw new RangeError(`lease timing must satisfy renewMs < holdMs < ttlMs (got ${this.renewMs}, ${this.holdMs}, ${this.ttlMs})`);
    }
  }

  get isLeader(): boolean {
    return this.leader;
  }
  get term(): number {
    return this.revision;
  }

  start(): void {
    void this.step();
    this.tick = setInterval(() => void this.step(), this.renewMs);
  }

  private async step(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    const sentAt = Date.now();
    try {
      if (this.leader) {
        this.revision = await this.kv.update(this.key, this.id, this.revision, this.renewMs);
        this.armHold(sentAt);
      } else {
        const rev = await this.kv.create(this.key, this.id);
        if (this.stopped) return;
        this.revision = rev;
        this.leader = true;
        this.armHold(sentAt);
        await this.serial(() => this.events.onAcquire(rev));
      }
    } catch (err) {
      // A standby's create fails while someone holds the key: normal. A leader whose update is
      // refused for a wrong revision lost the key to someone else: give up at once.
      const msg = String((err as Error)?.message ?? err);
      if (this.leader && /wrong last sequence|key exists/i.test(msg)) void this.lose(`lease taken over: ${msg}`);
    } finally {
      this.busy = false;
    }
  }

  private armHold(sentAt: number): void {
    if (this.hold) clearTimeout(this.hold);
    const left = sentAt + this.holdMs - Date.now();
    this.hold = setTimeout(() => void this.lose('lease not renewed in time'), Math.max(0, left));
  }

  private lose(reason: string): Promise<void> {
    if (!this.leader) return this.chain;
    this.leader = false;
    if (this.hold) clearTimeout(this.hold);
    this.hold = undefined;
    return this.serial(() => this.events.onLose(reason));
  }

  private serial(fn: () => void | Promise<void>): Promise<void> {
    this.chain = this.chain.then(fn).catch(() => {});
    return this.chain;
  }

  /** Stop trying; a leader closes its upstream, then deletes its key so a standby takes over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tick) clearInterval(this.tick);
    const wasLeader = this.leader;
    const rev = this.revision;
    await this.lose('stopped');
    await this.chain;
    if (wasLeader) await this.kv.delete(this.key, { previousSeq: rev }).catch(() => {});
  }
}
