/**
 * The data pool of the pull model: one shared store in the hub holding the latest values (and a
 * short history) of every (type, code) some component registered an interest in.
 *
 * How to read this file: `retain`/`release` first (reference counts per key: the hub adds a key to
 * the wire union when `retain` returns true and removes it when `release` returns true), then
 * `put` (the hot path: the router hands it every decoded public message), then the readers
 * (`ticker`, `tickers`, `orderbook`, `trades`, `latest`, `history`).
 *
 *   router.publish ─► pool.put(msg) ─► Ring (one per key, preallocated) ◄─ pool.ticker(code)  (sync, no allocation)
 *                                                                      ◄─ pool.orderbook(code, { level, depth })
 *
 * Keys: `ticker|trade|candle.*` per code; `orderbook` per (code, level). One copy per key, however
 * many readers. An orderbook key keeps what the wire carries (the deepest depth any interest
 * wants) and is cut on read to the depth asked, with exact totals (router.ts `truncateBook`); the
 * cut is cached until the next book arrives, so repeated reads allocate nothing.
 * Messages for keys nobody retained are ignored. Trades are de-duplicated by `sequentialId`
 * against the ring (a re-sent snapshot or a duplicated frame would otherwise count twice).
 */
import { assertMarketCode, CANDLE_TYPES, Decimal, UpbitValidationError, type Candle, type CandleType, type DataMessage, type Orderbook, type Ticker, type Trade } from '../io/index.js';
import { truncateBook } from './router.js';

/** The types the pool stores: public market data with a code. */
export type PoolType = 'ticker' | 'trade' | 'orderbook' | CandleType;
export type PoolMessage = Ticker | Trade | Orderbook | Candle;

const POOL_TYPES: ReadonlySet<string> = new Set(['ticker', 'trade', 'orderbook', ...CANDLE_TYPES]);

/**
 * The arguments of `registerInterests` (the hub's and a gateway consumer's), checked before anything
 * is registered; returns the orderbook level. Throws `UpbitValidationError` to the caller.
 */
export function checkInterests(codes: readonly string[], types: readonly PoolType[], level: unknown = 0): number {
  if (!Array.isArray(codes) || codes.length === 0) throw new UpbitValidationError('INVALID_CODE', 'registerInterests needs at least one market code');
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string' && POOL_TYPES.has(t))) {
    throw new UpbitValidationError('INVALID_OPTION', 'registerInterests types: ticker, trade, orderbook or candle.<unit>');
  }
  for (const c of codes) assertMarketCode(c);
  if (typeof level !== 'number' || !Number.isFinite(level) || level < 0) throw new UpbitValidationError('INVALID_OPTION', `orderbook level must be a number >= 0`);
  return level;
}

export interface DataPoolOptions {
  /** Messages kept per key (ticker, orderbook, candle), the latest included. @default 16 */
  history?: number;
  /** Trades kept per code, by count. @default 16 */
  tradeHistory?: number;
}

/** An interest's orderbook options: `level` (0 = native) and the `depth` (1..30) the reader wants. */
export interface BookInterest {
  readonly level?: number;
  readonly depth?: number;
}

/** One retained key, as `interests()` lists it (for merging into the wire union). */
export interface PoolInterest {
  readonly type: PoolType;
  readonly code: string;
  /** Orderbook only. */
  readonly level?: number;
  /** Orderbook only: the deepest depth any interest on this (code, level) wants. */
  readonly depth?: number;
}

export interface PoolMetrics {
  /** Messages stored. */
  stored: number;
  /** Messages for keys nobody retained. */
  ignored: number;
  /** Trades already in their ring (same `sequentialId`). */
  duplicates: number;
}

const MAX_DEPTH = 30;

/** A fixed ring of the last `cap` messages of one key. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  size = 0;
  latest: T | undefined = undefined;
  constructor(readonly cap: number) {
    this.items = new Array<T | undefined>(cap).fill(undefined);
  }
  push(m: T): void {
    this.items[this.next] = m;
    this.next = this.next + 1 === this.cap ? 0 : this.next + 1;
    if (this.size < this.cap) this.size++;
    this.latest = m;
  }
  /** The i-th newest (0 = latest). */
  at(i: number): T {
    const k = this.next - 1 - i;
    return this.items[k < 0 ? k + this.cap : k]!;
  }
  /** The last `n` (all when n >= size), oldest first, into `out`. */
  tail(n: number, out: T[]): T[] {
    const m = n < this.size ? n : this.size;
    out.length = m;
    for (let i = 0; i < m; i++) out[i] = this.at(m - 1 - i);
    return out;
  }
}

interface Entry {
  count: number;
  readonly ring: Ring<PoolMessage>;
}

interface BookEntry {
  count: number;
  readonly level: number;
  readonly ring: Ring<Orderbook>;
  /** Interests per depth (index 1..30). */
  readonly depths: Int32Array;
  /** Cut views of `ring.latest` per depth, valid while `cutOf[depth] === ring.latest`. */
  readonly cut: (Orderbook | undefined)[];
  readonly cutOf: (Orderbook | undefined)[];
}

function checkDepth(depth: number | undefined): number {
  if (depth === undefined) return MAX_DEPTH;
  if (!Number.isInteger(depth) || depth < 1) throw new UpbitValidationError('INVALID_OPTION', `orderbook depth must be an integer >= 1, got ${depth}`);
  return depth > MAX_DEPTH ? MAX_DEPTH : depth;
}

function checkLevel(level: number | undefined): number {
  if (level === undefined) return 0;
  if (typeof level !== 'number' || !Number.isFinite(level) || level < 0) {
    throw new UpbitValidationError('INVALID_OPTION', `orderbook level must be a number >= 0, got ${String(level)}`);
  }
  return level;
}

/**
 * Whether a wire level (a Decimal, or null on frames without one: native) is `level`, without
 * allocating: decimal.js keeps values normalised (sign, exponent, base-1e7 words without trailing
 * zero words), so equal values have equal fields. `levelDec` is `level` as a Decimal, built once
 * per key.
 */
function isLevel(wire: Decimal | null, level: number, levelDec: Decimal): boolean {
  if (wire === null) return level === 0;
  if (wire.e !== levelDec.e || wire.d.length !== levelDec.d.length) return false;
  if (wire.d[0] === 0 && levelDec.d[0] === 0) return true; // ±0
  if (wire.s !== levelDec.s) return false;
  for (let i = 0; i < wire.d.length; i++) if (wire.d[i] !== levelDec.d[i]) return false;
  return true;
}

export class DataPool {
  readonly metrics: PoolMetrics = { stored: 0, ignored: 0, duplicates: 0 };
  private readonly historyCap: number;
  private readonly tradeHistory: number;
  /** type → code → entry, for every type but orderbook. */
  private readonly plain = new Map<string, Map<string, Entry>>();
  private readonly tickerEntries = new Map<string, Entry>();
  /** code → one entry per level retained. */
  private readonly books = new Map<string, BookEntry[]>();
  /** The Decimal of each book entry's level, for `isLevel`. */
  private readonly levelDecs = new WeakMap<BookEntry, Decimal>();
  /** Keys retained (books by code and level): while 0, `put` ignores a message without a look-up. */
  private keys = 0;

  constructor(options: DataPoolOptions = {}) {
    this.historyCap = checkCapacity('history', options.history ?? 16);
    this.tradeHistory = checkCapacity('tradeHistory', options.tradeHistory ?? 16);
    this.plain.set('ticker', this.tickerEntries);
  }

  // ─── interests ──────────────────────────────────────────────────────────────────────────────

  /**
   * One more reader of (type, code[, level]). Returns true when the key is new (the hub must add it
   * to the wire union). For orderbooks, also call `depthWanted` when the deepest depth may change.
   */
  retain(type: PoolType, code: string, book: BookInterest = {}): boolean {
    if (type === 'orderbook') {
      const level = checkLevel(book.level);
      const depth = checkDepth(book.depth);
      let list = this.books.get(code);
      if (!list) this.books.set(code, (list = []));
      let b = list.find((x) => x.level === level);
      const fresh = b === undefined;
      if (!b) {
        b = { count: 0, level, ring: new Ring(this.historyCap), depths: new Int32Array(MAX_DEPTH + 1), cut: [], cutOf: [] };
        this.levelDecs.set(b, new Decimal(level));
        list.push(b);
        this.keys++;
      }
      b.count++;
      b.depths[depth]++;
      return fresh;
    }
    let byCode = this.plain.get(type);
    if (!byCode) this.plain.set(type, (byCode = new Map()));
    const e = byCode.get(code);
    if (e) {
      e.count++;
      return false;
    }
    byCode.set(code, { count: 1, ring: new Ring(type === 'trade' ? this.tradeHistory : this.historyCap) });
    this.keys++;
    return true;
  }

  /**
   * One reader fewer. Returns true when that was the last one: the key's data is dropped and the
   * hub should remove it from the wire union. Releasing a key never retained returns false.
   */
  release(type: PoolType, code: string, book: BookInterest = {}): boolean {
    if (type === 'orderbook') {
      const level = checkLevel(book.level);
      const depth = checkDepth(book.depth);
      const list = this.books.get(code);
      const i = list ? list.findIndex((x) => x.level === level) : -1;
      if (!list || i < 0 || list[i].depths[depth] === 0) return false;
      const b = list[i];
      b.depths[depth]--;
      if (--b.count > 0) return false;
      list.splice(i, 1);
      if (list.length === 0) this.books.delete(code);
      this.keys--;
      return true;
    }
    const byCode = this.plain.get(type);
    const e = byCode?.get(code);
    if (!byCode || !e) return false;
    if (--e.count > 0) return false;
    byCode.delete(code);
    this.keys--;
    return true;
  }

  /** The deepest depth any interest wants on (code, level), or undefined when none. */
  depthWanted(code: string, level = 0): number | undefined {
    const b = this.bookEntry(code, level);
    if (!b) return undefined;
    for (let d = MAX_DEPTH; d >= 1; d--) if (b.depths[d] > 0) return d;
    return undefined;
  }

  /** Every retained key (for merging into the wire union). */
  interests(): PoolInterest[] {
    const out: PoolInterest[] = [];
    for (const [type, byCode] of this.plain) for (const code of byCode.keys()) out.push({ type: type as PoolType, code });
    for (const [code, list] of this.books) {
      for (const b of list) out.push({ type: 'orderbook', code, level: b.level, depth: this.depthWanted(code, b.level) });
    }
    return out;
  }

  /** Forget every key and value (hub stop). */
  clear(): void {
    for (const byCode of this.plain.values()) byCode.clear();
    this.books.clear();
    this.keys = 0;
  }

  // ─── the hot path ───────────────────────────────────────────────────────────────────────────

  /** Store one decoded message if its key is retained. Allocates nothing (the ring is preallocated). */
  put(msg: DataMessage): void {
    if (this.keys === 0) {
      this.metrics.ignored++;
      return;
    }
    if (msg.type === 'orderbook') {
      const list = this.books.get(msg.code);
      if (list !== undefined) {
        const lv = msg.level;
        for (let i = 0; i < list.length; i++) {
          const b = list[i];
          if (isLevel(lv, b.level, this.levelDecs.get(b)!)) {
            b.ring.push(msg);
            this.metrics.stored++;
            return;
          }
        }
      }
      this.metrics.ignored++;
      return;
    }
    const code = (msg as { code?: string }).code;
    const byCode = this.plain.get(msg.type);
    const e = code === undefined || byCode === undefined ? undefined : byCode.get(code);
    if (e === undefined) {
      this.metrics.ignored++;
      return;
    }
    if (msg.type === 'trade') {
      const ring = e.ring as Ring<Trade>;
      const id = msg.sequentialId;
      for (let i = 0; i < ring.size; i++) {
        if (ring.at(i).sequentialId === id) {
          this.metrics.duplicates++;
          return;
        }
      }
    }
    e.ring.push(msg as PoolMessage);
    this.metrics.stored++;
  }

  // ─── readers ────────────────────────────────────────────────────────────────────────────────

  /** The latest ticker of `code`, or undefined (no interest, or nothing arrived yet). Synchronous; allocates nothing. */
  ticker(code: string): Ticker | undefined {
    const e = this.tickerEntries.get(code);
    return e === undefined ? undefined : (e.ring.latest as Ticker | undefined);
  }

  /** The latest ticker of each code that has one; codes without a value are absent. Allocates only the Map (or none, given `out`). */
  tickers(codes: readonly string[], out: Map<string, Ticker> = new Map()): Map<string, Ticker> {
    out.clear();
    for (let i = 0; i < codes.length; i++) {
      const t = this.ticker(codes[i]);
      if (t !== undefined) out.set(codes[i], t);
    }
    return out;
  }

  /**
   * The latest book of (code, level), cut to `depth` units with exact totals. The cut is cached
   * until the next book, so repeated reads allocate nothing.
   */
  orderbook(code: string, options?: BookInterest): Orderbook | undefined {
    const b = this.bookEntry(code, options?.level ?? 0);
    const m = b?.ring.latest;
    if (b === undefined || m === undefined) return undefined;
    const depth = options?.depth;
    if (depth === undefined) return m;
    const d = checkDepth(depth);
    if (b.cutOf[d] === m) return b.cut[d];
    const cut = truncateBook(m, d);
    b.cut[d] = cut;
    b.cutOf[d] = m;
    return cut;
  }

  /** The latest message of any key (ticker, trade, candle.*; orderbook at level 0). */
  latest(type: PoolType, code: string): PoolMessage | undefined {
    if (type === 'orderbook') return this.bookEntry(code, 0)?.ring.latest;
    return this.plain.get(type)?.get(code)?.ring.latest;
  }

  /** The last `n` trades of `code` (at most the trade history), oldest first, into `out` when given. */
  trades(code: string, n: number, out: Trade[] = []): Trade[] {
    const e = this.plain.get('trade')?.get(code);
    if (e === undefined) {
      out.length = 0;
      return out;
    }
    return (e.ring as Ring<Trade>).tail(n, out);
  }

  /** Every kept message of a key, oldest first (bounded by the history options). */
  history(type: PoolType, code: string, options?: { level?: number }): PoolMessage[] {
    const ring = type === 'orderbook' ? this.bookEntry(code, options?.level ?? 0)?.ring : this.plain.get(type)?.get(code)?.ring;
    return ring ? (ring as Ring<PoolMessage>).tail(ring.cap, []) : [];
  }

  private bookEntry(code: string, level: number): BookEntry | undefined {
    const list = this.books.get(code);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (list[i].level === level) return list[i];
    return undefined;
  }
}

function checkCapacity(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new UpbitValidationError('INVALID_OPTION', `${name} must be an integer >= 1, got ${n}`);
  return n;
}
