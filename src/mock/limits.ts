/**
 * Rate limits as Upbit documents them (protocol §7): fixed windows on the injectable clock.
 *
 * How to read this file: `FixedWindow` counts events per key in windows aligned to multiples of
 * the window length (`floor(now / windowMs)`); an event over the limit is refused and NOT counted.
 * `MessageBudget` is one connection's 5/s + 100/min. `RestLimiter` adds the REST groups, the
 * browser `Origin` rule and the 418 "teapot" block for clients that keep going after 429s ([U]:
 * after `teapotAfter` 429s within 10 s, block the IP for `teapotMs`, doubling per block, ≤ 60 s).
 */
import type { Resolved } from './options.js';

export class FixedWindow {
  private readonly counts = new Map<string, { window: number; n: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Count one event; `ok: false` when the window is full. `remaining` is what is left after it. */
  take(key: string): { ok: boolean; remaining: number } {
    const window = Math.floor(this.now() / this.windowMs);
    let c = this.counts.get(key);
    if (!c || c.window !== window) this.counts.set(key, (c = { window, n: 0 }));
    if (c.n >= this.limit) return { ok: false, remaining: 0 };
    c.n++;
    return { ok: true, remaining: this.limit - c.n };
  }

  /** Whether one more event would fit, without counting it. */
  can(key: string): boolean {
    const c = this.counts.get(key);
    return !c || c.window !== Math.floor(this.now() / this.windowMs) || c.n < this.limit;
  }

  reset(): void {
    this.counts.clear();
  }
}

/** One connection's message budget: 5 per second and 100 per minute, both fixed windows. */
export class MessageBudget {
  private readonly second: FixedWindow;
  private readonly minute: FixedWindow;
  constructor(opts: Resolved) {
    this.second = new FixedWindow(opts.limits.messagesPerSecond, 1000, opts.now);
    this.minute = new FixedWindow(opts.limits.messagesPerMinute, 60_000, opts.now);
  }
  /** Count one message; false when either window is full (then neither counts it). */
  take(): boolean {
    if (!this.second.can('') || !this.minute.can('')) return false;
    this.second.take('');
    this.minute.take('');
    return true;
  }
}

/** Connects per second per IP, or per access key when the handshake carries one (protocol §7.1). */
export class ConnectLimiter {
  private readonly connects: FixedWindow;
  private readonly origin: FixedWindow;
  constructor(private readonly opts: Resolved) {
    this.connects = new FixedWindow(opts.limits.connectsPerSecond, 1000, opts.now);
    this.origin = new FixedWindow(1, 10_000, opts.now);
  }
  allow(key: string, hasOrigin: boolean): boolean {
    if (!this.opts.limits.enabled) return true;
    if (hasOrigin && this.opts.limits.originRule && !this.origin.take(key).ok) return false;
    return this.connects.take(key).ok;
  }
  reset(): void {
    this.connects.reset();
    this.origin.reset();
  }
}

export type RestVerdict =
  | { readonly status: 200; readonly group: string; readonly remaining: number }
  | { readonly status: 429; readonly group: string; readonly remaining: 0 }
  | { readonly status: 418; readonly group: string; readonly remaining: 0; readonly blockedForMs: number };

export class RestLimiter {
  private readonly quotation: FixedWindow;
  private readonly exchange: FixedWindow;
  private readonly origin: FixedWindow;
  private readonly breaches = new Map<string, number[]>();
  private readonly blocks = new Map<string, { until: number; count: number }>();

  constructor(private readonly opts: Resolved) {
    this.quotation = new FixedWindow(opts.limits.restPerSecond, 1000, opts.now);
    this.exchange = new FixedWindow(opts.limits.exchangePerSecond, 1000, opts.now);
    this.origin = new FixedWindow(1, 10_000, opts.now);
  }

  /** Count one request of `group` from `ip` (exchange calls: per access key). */
  check(ip: string, group: string, accessKey: string | undefined, hasOrigin: boolean): RestVerdict {
    const L = this.opts.limits;
    const isExchange = group === 'default';
    if (hasOrigin && L.originRule && !isExchange) group = 'origin';
    if (!L.enabled) return { status: 200, group, remaining: isExchange ? L.exchangePerSecond - 1 : L.restPerSecond - 1 };
    const now = this.opts.now();
    const block = this.blocks.get(ip);
    if (block && block.until > now) return { status: 418, group, remaining: 0, blockedForMs: block.until - now };
    const verdict =
      group === 'origin'
        ? this.origin.take(ip)
        : isExchange
          ? this.exchange.take(`${accessKey ?? ip}`)
          : this.quotation.take(`${ip}|${group}`);
    if (verdict.ok) return { status: 200, group, remaining: verdict.remaining };
    const recent = (this.breaches.get(ip) ?? []).filter((t) => t > now - 10_000);
    recent.push(now);
    this.breaches.set(ip, recent);
    if (recent.length >= L.teapotAfter) {
      const count = (block?.count ?? 0) + 1;
      this.blocks.set(ip, { until: now + Math.min(L.teapotMs * 2 ** (count - 1), 60_000), count });
      this.breaches.delete(ip);
    }
    return { status: 429, group, remaining: 0 };
  }

  reset(): void {
    for (const w of [this.quotation, this.exchange, this.origin]) w.reset();
    this.breaches.clear();
    this.blocks.clear();
  }
}
