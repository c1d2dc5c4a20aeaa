/**
 * `MarketDirectory`: the markets Upbit lists, so a wish naming a well-formed code that does not
 * exist is refused before it reaches the wire (issue 9 part 4).
 *
 * How to read this file: `status(code)` is the whole decision; `fetchList` is the only caller of
 * the REST source; `validate(codes)` turns the decision into the error a subscription receives.
 *
 *   status(code) ── listed? ──────────────────────────────────────────────▶ 'known'
 *        │ not listed (or no list yet)
 *        ├─ last fetch attempt ≥ refetchAfterMs ago (or never)? ─▶ fetch once (shared by every
 *        │                                                        caller; waited for ≤ waitMs)
 *        ├─ listed now? ───────────────────────────────────────────────▶ 'known'
 *        ├─ no list at all (REST down, slow) ─────────────────────────▶ 'unavailable' (goes through)
 *        ├─ list younger than refetchAfterMs ─────────────────────────▶ 'unknown'  (refused)
 *        └─ list older, refetch failed ───────────────────────────────▶ 'unavailable' (may be new)
 *
 * Never blocks a wish on REST for longer than `waitMs`: a fetch that is slow or fails leaves the
 * decision 'unavailable', and the hub lets the wish through as it did before the directory existed.
 * Fetch attempts, failed or not, are at most one per `refetchAfterMs` (the `market` group allows
 * 10/s; one a minute is nothing). Codes that disappear on a refetch are reported to `onDelisted`.
 * Time comes from the injected `now` and `clock` (tests use xstate's SimulatedClock).
 */
import { UpbitValidationError, assertMarketCode } from '../io/index.js';

/** One listed market, as the REST client's `markets({ isDetails: true })` gives it. */
export interface MarketListing {
  readonly code: string;
  /** `market_event.warning` (투자유의), when fetched with details. */
  readonly warning?: boolean;
}

/** The one REST call the directory needs (`GET /v1/market/all?is_details=true`). */
export interface MarketSource {
  markets(signal?: AbortSignal): Promise<readonly MarketListing[]>;
}

export type MarketStatus = 'known' | 'unknown' | 'unavailable';

/** Timers (xstate's clock shape: a `SimulatedClock` fits). */
export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface MarketDirectoryOptions {
  readonly source: MarketSource;
  /** Wall clock in ms. @default Date.now */
  readonly now?: () => number;
  /** Timers for `waitMs`. @default real timers */
  readonly clock?: TimerClock;
  /** At most one list fetch per this many ms, when asked about a code not in the list. @default 60_000 */
  readonly refetchAfterMs?: number;
  /** The longest a decision waits for a fetch; after that it is 'unavailable' (the fetch goes on). @default 2_000 */
  readonly waitMs?: number;
  /** Codes listed before and missing from a refetch (delisted). */
  readonly onDelisted?: (codes: readonly string[]) => void;
  /** A failed fetch (the decision is then 'unavailable'; nothing else happens). */
  readonly onError?: (err: unknown) => void;
}

const realClock: TimerClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** The code without an orderbook depth suffix (`KRW-BTC.15` → `KRW-BTC`), validated. */
function plainCode(raw: string): string {
  const dot = typeof raw === 'string' ? raw.indexOf('.') : -1;
  const code = dot < 0 ? raw : raw.slice(0, dot);
  assertMarketCode(code);
  return code;
}

export class MarketDirectory {
  private list: Map<string, MarketListing> | undefined;
  private fetchedAt: number | undefined;
  private attemptedAt: number | undefined;
  private inflight: Promise<boolean> | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly clock: TimerClock;
  private readonly refetchAfterMs: number;
  private readonly waitMs: number;
  /** How many times the source was asked (for tests and metrics). */
  fetches = 0;

  constructor(private readonly options: MarketDirectoryOptions) {
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? realClock;
    this.refetchAfterMs = options.refetchAfterMs ?? 60_000;
    this.waitMs = options.waitMs ?? 2_000;
  }

  /** Whether `code` (a depth suffix is ignored) is listed; may fetch the list (see the file header). */
  async status(code: string): Promise<MarketStatus> {
    const c = plainCode(code);
    if (this.list?.has(c)) return 'known';
    if (this.inflight !== undefined || this.attemptedAt === undefined || this.now() - this.attemptedAt >= this.refetchAfterMs) {
      await this.waitAtMost(this.fetchList());
    }
    if (this.list === undefined) return 'unavailable';
    if (this.list.has(c)) return 'known';
    return this.now() - this.fetchedAt! < this.refetchAfterMs ? 'unknown' : 'unavailable';
  }

  /**
   * The error for a wish naming unlisted codes (`UNKNOWN_MARKET`, listing them), or undefined
   * when every code is known or cannot be checked. Throws `INVALID_CODE` for a malformed code.
   */
  async validate(codes: readonly string[]): Promise<UpbitValidationError | undefined> {
    for (const c of codes) plainCode(c);
    const statuses = await Promise.all(codes.map((c) => this.status(c)));
    const unknown = codes.filter((_, i) => statuses[i] === 'unknown');
    if (unknown.length === 0) return undefined;
    return new UpbitValidationError(
      'UNKNOWN_MARKET',
      `Upbit does not list ${unknown.length === 1 ? 'market' : 'markets'} ${unknown.join(', ')}`,
    );
  }

  /** Listed right now, by the list in hand (no fetch): true, false, or undefined without a list. */
  has(code: string): boolean | undefined {
    return this.list?.has(plainCode(code));
  }

  /** The market's warning flag from the last list (undefined when unknown or not fetched with details). */
  warning(code: string): boolean | undefined {
    return this.list?.get(plainCode(code))?.warning;
  }

  /** Every listed code (empty before the first successful fetch). */
  codes(): string[] {
    return this.list ? [...this.list.keys()] : [];
  }

  /** When the list in hand was fetched (undefined: never). */
  get listedAt(): number | undefined {
    return this.fetchedAt;
  }

  /**
   * Fetch the list now (or join the fetch under way), ignoring `refetchAfterMs`: for the hub's
   * start. Resolves true when a list arrived.
   */
  refresh(): Promise<boolean> {
    return this.fetchList();
  }

  /** Abort a fetch under way; later decisions use the list in hand. */
  dispose(): void {
    this.abort.abort();
  }

  private fetchList(): Promise<boolean> {
    if (this.inflight) return this.inflight;
    if (this.abort.signal.aborted) return Promise.resolve(false);
    this.attemptedAt = this.now();
    this.fetches++;
    const p = (async () => {
      try {
        const listed = await this.options.source.markets(this.abort.signal);
        if (!this.abort.signal.aborted) this.apply(listed);
        return true;
      } catch (err) {
        if (!this.abort.signal.aborted) this.options.onError?.(err);
        return false;
      } finally {
        this.inflight = undefined;
      }
    })();
    this.inflight = p;
    return p;
  }

  private apply(listed: readonly MarketListing[]): void {
    const next = new Map<string, MarketListing>();
    for (const m of listed) next.set(m.code, m);
    const before = this.list;
    this.list = next;
    this.fetchedAt = this.now();
    if (before === undefined) return;
    const gone = [...before.keys()].filter((c) => !next.has(c));
    if (gone.length > 0) this.options.onDelisted?.(gone);
  }

  /** `p`, or after `waitMs` on the clock, whichever comes first (the fetch itself goes on). */
  private waitAtMost(p: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      const id = this.clock.setTimeout(resolve, this.waitMs);
      void p.then(() => {
        this.clock.clearTimeout(id);
        resolve();
      });
    });
  }
}
