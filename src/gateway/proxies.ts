/**
 * The gateway's view of its remote consumers: one lease per consumer (its whole wish set, renewed
 * by heartbeats) and, while this gateway leads, one proxy component per consumer in the hub's
 * actor tree. The hub merges the proxies' wishes into its one union as it does for local
 * components, so a consumer whose lease expires (crashed) or who leaves shrinks the union.
 *
 * How to read: `RemoteConsumers` (leases: `renew`, `leave`, expiry timers), then `Proxy` (one
 * `hub.client()` kept in step with a wish set), then `Owners`: several proxies may receive the
 * same event, and exactly one of them (the owner of its subject) publishes it. For orderbooks the
 * owner is the proxy that asked for the deepest book, so the published book is the wire's full
 * depth (consumers cut it to theirs).
 */
import { validateWish, type DataMessage, type Subscription, type UpbitClient, type UpbitError, type UpbitHub, type Wish } from '../index.js';

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
 * The wishes a proxy subscribes in the hub: stream preferences dropped (consumers apply theirs),
 * and each orderbook code once per level at the deepest depth this consumer wants, so two local
 * subscriptions at depths 5 and 15 make one wish at 15 (the hub keeps one depth per code).
 */
export function forHub(wishes: readonly Wish[]): Wish[] {
  const out = new Map<string, Wish>();
  const books = new Map<string, number>(); // `${level}|${code}` → depth
  for (const { stream: _stream, ...w } of wishes) {
    if (w.type !== 'orderbook') {
      out.set(wishKey(w), w);
      continue;
    }
    for (const raw of w.codes ?? []) {
      const [code, suffix] = raw.split('.');
      const key = `${w.level ?? 0}|${code}`;
      books.set(key, Math.max(books.get(key) ?? 0, suffix ? Number(suffix) : (w.depth ?? 30)));
    }
  }
  for (const [key, depth] of books) {
    const [level, code] = key.split('|');
    const w: Wish = { type: 'orderbook', codes: [code], ...(depth < 30 ? { depth: depth as Wish['depth'] } : {}), ...(level !== '0' ? { level } : {}) };
    out.set(wishKey(w), w);
  }
  return [...out.values()];
}

/** One remote consumer inside the gateway's hub: a client whose subscriptions follow the wish set. */
export class Proxy {
  readonly client: UpbitClient;
  private readonly subs = new Map<string, Promise<Subscription | undefined>>();
  wishes: readonly Wish[] = [];

  constructor(
    hub: UpbitHub,
    readonly consumer: string,
    private readonly deliver: (proxy: Proxy, msg: Stamped) => void,
    private readonly onError: (consumer: string, error: UpbitError, wish: Wish) => void,
  ) {
    this.client = hub.client(`remote:${consumer}`);
  }

  /** Subscribe what is new, unsubscribe what went. The gateway always asks for both streams. */
  sync(wishes: readonly Wish[]): void {
    this.wishes = wishes;
    const next = new Map(forHub(wishes).map((w) => [wishKey(w), w]));
    for (const [key, sub] of this.subs) {
      if (next.has(key)) continue;
      this.subs.delete(key);
      void sub.then((s) => s?.unsubscribe());
    }
    for (const [key, w] of next) {
      if (this.subs.has(key)) continue;
      this.subs.set(key, this.subscribe(w).catch((error: UpbitError) => (this.onError(this.consumer, error, w), undefined)));
    }
  }

  private subscribe(w: Wish): Promise<Subscription> {
    const cb = (msg: unknown) => this.deliver(this, msg as Stamped);
    const opts = { onError: (e: UpbitError) => this.onError(this.consumer, e, w) };
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

/** Which proxy publishes each subject: the first (oldest) proxy covering it, the deepest for books. */
export class Owners {
  private readonly cache = new Map<string, Proxy | undefined>();
  constructor(private readonly proxies: () => Iterable<Proxy>) {}

  invalidate(): void {
    this.cache.clear();
  }

  isOwner(proxy: Proxy, subject: string, msg: { type: string; code?: string; level?: unknown }): boolean {
    // myOrder shares one subject across codes, and proxies may want different codes of it.
    const key = msg.type === 'myOrder' ? `${subject}|${msg.code ?? ''}` : subject;
    let owner = this.cache.get(key);
    if (owner === undefined) {
      let best = 0;
      for (const p of this.proxies()) {
        let depth = 0;
        for (const w of p.wishes) depth = Math.max(depth, coverage(w, msg));
        if (depth > best) {
          best = depth;
          owner = p;
        }
      }
      this.cache.set(key, owner);
    }
    return owner === proxy;
  }
}
