/**
 * The gateway's view of its remote consumers: one lease per consumer (its whole wish set, renewed
 * by heartbeats) and, while this gateway leads, one proxy component per consumer in the hub's
 * actor tree. The hub merges the proxies' wishes into its one union as it does for local
 * components, so a consumer whose lease expires (crashed) or who leaves shrinks the union.
 *
 * How to read: `RemoteConsumers` (leases: `renew`, `leave`, expiry timers), then `Proxy` (one
 * `hub.client()` with one subscription per distinct consumer wish, stream preference aside),
 * then `Owners`: several subscriptions may receive the same event, and exactly one of them (the
 * owner of its subject) publishes it. For orderbooks the owner is the subscription that asked for
 * the deepest book (consumers cut it to theirs). A hub subscription that fails (a level conflict,
 * a connection that gave up) is reported to the consumer with its wish, as `fatal`, so the
 * consumer fails exactly the subscriptions that asked for it.
 */
import { UpbitError, validateWish, type DataMessage, type Subscription, type UpbitClient, type UpbitHub, type Wish } from '../index.js';

type Stamped = DataMessage & { readonly epoch: number };

/** A canonical string for a wish (same wish → same key), for diffing wish sets. */
export const wishKey = (w: Wish): string =>
  JSON.stringify([w.type, [...(w.codes ?? [])].sort(), w.stream ?? 'both', w.depth ?? null, w.level ?? null, w.categories ?? null, w.includeBody ?? null]);

interface Lease {
  wishes: Wish[];
  timer: NodeJS.Timeout;
}

export class RemoteConsumers {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly onChange: (consumer: string, wishes: readonly Wish[] | undefined) => void) {}

  /** A heartbeat: replace this consumer's wishes and push its expiry out by `ttlMs`. */
  renew(consumer: string, wishes: Wish[], ttlMs: number): void {
    const old = this.leases.get(consumer);
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(() => this.leave(consumer), ttlMs);
    timer.unref?.();
    const changed = !old || old.wishes.map(wishKey).join('\n') !== wishes.map(wishKey).join('\n');
    this.leases.set(consumer, { wishes, timer });
    if (changed) this.onChange(consumer, wishes);
  }

  leave(consumer: string): void {
    const old = this.leases.get(consumer);
    if (!old) return;
    clearTimeout(old.timer);
    this.leases.delete(consumer);
    this.onChange(consumer, undefined);
  }

  entries(): [string, readonly Wish[]][] {
    return [...this.leases].map(([id, l]) => [id, l.wishes]);
  }

  get size(): number {
    return this.leases.size;
  }

  clear(): void {
    for (const l of this.leases.values()) clearTimeout(l.timer);
    this.leases.clear();
  }
}

/** Split wishes into the valid ones and the refused ones (with the validation error). */
export function checkWishes(raw: unknown): { valid: Wish[]; rejected: { wish: Wish; error: UpbitError }[] } {
  const valid: Wish[] = [];
  const rejected: { wish: Wish; error: UpbitError }[] = [];
  for (const w of Array.isArray(raw) ? (raw as Wish[]) : []) {
    try {
      valid.push(validateWish(w));
    } catch (error) {
      rejected.push({ wish: w, error: error as UpbitError });
    }
  }
  return { valid, rejected };
}

/**
 * The wish a proxy subscribes in the hub for one consumer wish: the same wish without its stream
 * preference. The subject is shared by every consumer, so it carries snapshots and realtime
 * events alike, and each consumer's Router applies its own stream preference. Depth, level and
 * codes stay exactly the consumer's: the hub serves each subscription its own options, and a
 * level another subscription holds comes back as that one subscription's UpbitConflictError.
 */
export function hubWish({ stream: _stream, ...w }: Wish): Wish {
  return w;
}

/** An error about one of a consumer's hub subscriptions; `fatal` when that subscription failed. */
export type ProxyError = (consumer: string, error: UpbitError, wish: Wish, fatal: boolean) => void;

/** One remote consumer inside the gateway's hub: a client whose subscriptions follow the wish set. */
export class Proxy {
  readonly client: UpbitClient;
  /** hub wish key → its subscription (one per distinct hub wish of this consumer). */
  private readonly subs = new Map<string, { wish: Wish; sub: Promise<Subscription | undefined>; failed: boolean }>();
  private closed = false;

  constructor(
    hub: UpbitHub,
    readonly consumer: string,
    private readonly deliver: (proxy: Proxy, key: string, msg: Stamped) => void,
    private readonly onError: ProxyError,
    /** A subscription failed or went: who publishes a subject may change. */
    private readonly changed: () => void,
  ) {
    this.client = hub.client(`remote:${consumer}`);
  }

  /** The live hub wishes (failed ones excluded: they receive nothing, so they must own no subject). */
  *live(): Iterable<[string, Wish]> {
    for (const [key, e] of this.subs) if (!e.failed) yield [key, e.wish];
  }

  /** Subscribe what is new, unsubscribe what went. */
  sync(wishes: readonly Wish[]): void {
    const next = new Map(wishes.map((w) => hubWish(w)).map((w) => [wishKey(w), w]));
    for (const [key, e] of this.subs) {
      if (next.has(key)) continue;
      this.subs.delete(key);
      void e.sub.then((s) => s?.unsubscribe());
    }
    for (const [key, w] of next) {
      if (this.subs.has(key)) continue;
      const entry = { wish: w, failed: false, sub: Promise.resolve<Subscription | undefined>(undefined) };
      this.subs.set(key, entry);
      entry.sub = this.subscribe(key, w, entry).catch((error: UpbitError) => {
        entry.failed = true;
        this.onError(this.consumer, error, w, true);
        this.changed();
        return undefined;
      });
    }
  }

  private async subscribe(key: string, w: Wish, entry: { failed: boolean }): Promise<Subscription> {
    let sub: Subscription | undefined;
    const failed = (error: UpbitError | undefined) => {
      if (entry.failed || this.closed || this.subs.get(key) !== entry) return;
      entry.failed = true;
      this.onError(this.consumer, error ?? new UpbitError('CONNECTION', 'the gateway could not serve this subscription'), w, true);
      this.changed();
    };
    // Errors that do not fail the subscription go to the consumer too, except outages: consumers
    // learn of those from the gateway's health (each told once, with the status change).
    const onError = (e: UpbitError) => {
      if (sub === undefined || (sub.status === 'failed' && sub.error === e) || e.code === 'CONNECTION') return;
      this.onError(this.consumer, e, w, false);
    };
    sub = await this.open(w, (msg: unknown) => this.deliver(this, key, msg as Stamped), onError);
    // Refused at the door (a level another subscription holds): failed already.
    if (sub.status === 'failed') failed(sub.error);
    sub.onStatus((status, info) => status === 'failed' && failed(info.error ?? sub!.error));
    return sub;
  }

  private open(w: Wish, cb: (msg: unknown) => void, onError: (e: UpbitError) => void): Promise<Subscription> {
    const opts = { onError };
    const codes = w.codes ?? [];
    switch (w.type) {
      case 'ticker':
        return this.client.subscribeTicker(codes, cb, opts);
      case 'trade':
        return this.client.subscribeTrade(codes, cb, opts);
      case 'orderbook':
        return this.client.subscribeOrderbook(codes, cb, { ...opts, depth: w.depth, level: w.level === undefined ? undefined : Number(w.level) });
      case 'myOrder':
        return this.client.subscribeMyOrder(codes, cb, opts);
      case 'myAsset':
        return this.client.subscribeMyAsset(cb, opts);
      case 'announcement':
        return this.client.subscribeAnnouncement(cb, { ...opts, categories: w.categories ? [...w.categories] : undefined, includeBody: w.includeBody });
      default: {
        const unit = w.type.slice('candle.'.length) as Parameters<UpbitClient['subscribeCandle']>[0];
        return this.client.subscribeCandle(unit, codes, cb, opts);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
    await this.client.cleanup();
  }
}

/** How deep (units per side) a wish wants `code`'s book; 0 = it does not cover the message. */
function coverage(w: Wish, msg: { type: string; code?: string; level?: unknown }): number {
  if (w.type !== msg.type) return 0;
  const codes = w.codes ?? [];
  if (w.type === 'myAsset' || w.type === 'announcement' || (w.type === 'myOrder' && codes.length === 0)) return 1;
  if (w.type === 'orderbook') {
    const level = msg.level === null || msg.level === undefined ? '0' : String(msg.level);
    if (String(w.level ?? 0) !== level && Number(w.level ?? 0) !== Number(level)) return 0;
    let best = 0;
    for (const raw of codes) {
      const [code, suffix] = raw.split('.');
      if (code === msg.code) best = Math.max(best, suffix ? Number(suffix) : (w.depth ?? 30));
    }
    return best;
  }
  return codes.includes(msg.code ?? '') ? 1 : 0;
}

/**
 * Which hub subscription publishes each subject: one publish per subject however many proxies
 * (and subscriptions of one proxy) receive the event. The owner is the first (oldest) live
 * subscription covering it, the deepest one for books, so the published book is the deepest
 * wanted (consumers cut it to theirs).
 */
export class Owners {
  private readonly cache = new Map<string, string | undefined>();
  constructor(private readonly proxies: () => Iterable<Proxy>) {}

  invalidate(): void {
    this.cache.clear();
  }

  isOwner(proxy: Proxy, key: string, subject: string, msg: { type: string; code?: string; level?: unknown }): boolean {
    // myOrder shares one subject across codes, and subscriptions may want different codes of it.
    const at = msg.type === 'myOrder' ? `${subject}|${msg.code ?? ''}` : subject;
    let owner = this.cache.get(at);
    if (owner === undefined) {
      let best = 0;
      for (const p of this.proxies()) {
        for (const [k, w] of p.live()) {
          const depth = coverage(w, msg);
          if (depth > best) {
            best = depth;
            owner = `${p.consumer}\u0000${k}`;
          }
        }
      }
      this.cache.set(at, owner);
    }
    return owner === `${proxy.consumer}\u0000${key}`;
  }
}
