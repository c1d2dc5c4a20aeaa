/**
 * The per-route state the router keeps for the checks it makes on every message, built so that
 * the check itself allocates nothing (router.ts `offer` is the hot path):
 *
 *   RecentIds     trade de-duplication: the last TRADE_MEMORY ids, an open-addressing table over a
 *                 ring (a `Set` with that churn re-hashes every id and rebuilds its table)
 *   sameDecimal   orderbook level filter: compares two Decimals field by field (`eq(number)`
 *                 builds a Decimal per call)
 *   BookCut       depth cut: a book that already fits is delivered as it is; a longer one gets one
 *                 Proxy over a handler shared by the route, and its units and totals are cut when
 *                 first read, so a book whose units nobody reads costs no copy
 *
 * How to read: each part is independent; router.ts says when each one runs.
 */
import { Decimal, type Orderbook } from '../io/index.js';
import { ID_HALVES, idDigits } from '../io/view.js';

/** How many recent trade ids each trade route remembers for de-duplication. */
export const TRADE_MEMORY = 256;
/** Table slots: a power of two, four per remembered id (load ≤ 1/4: short probes). */
const SLOTS = TRADE_MEMORY * 4;
const MASK = SLOTS - 1;

/** FNV-1a over the id's UTF-16 units (ids that are not plain digit strings). */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The last TRADE_MEMORY trade ids a route accepted. Upbit's ids are long digit strings, kept here
 * as numbers (two exact halves and the length), which the router reads straight from the frame
 * (view.ts `ID_DIGITS`): no string per trade, none kept. Other ids are kept as they are.
 */
export class RecentIds {
  private readonly high = new Float64Array(TRADE_MEMORY);
  private readonly low = new Float64Array(TRADE_MEMORY);
  /** The id's length for a digit id, 0 for an empty ring entry, -1 for an id kept in `other`. */
  private readonly length = new Int8Array(TRADE_MEMORY);
  private readonly other: (string | undefined)[] = new Array<string | undefined>(TRADE_MEMORY).fill(undefined);
  private readonly hashes = new Int32Array(TRADE_MEMORY);
  private readonly slots = new Int16Array(SLOTS);
  private next = 0;

  /** true when `id` was new (it is remembered now). */
  add(id: string): boolean {
    return idDigits(id, 0) === id.length ? this.addDigits(id.length) : this.addId(id, -1);
  }

  /** `add` for the digit id of `len` digits whose halves are in `ID_HALVES` (a view's `[ID_DIGITS]()`, router.ts). */
  addDigits(len: number): boolean {
    return this.addId(undefined, len);
  }

  /** A digit id (`id` undefined, its halves in `ID_HALVES`), or any other id (`len` -1). */
  private addId(id: string | undefined, len: number): boolean {
    const digits = id === undefined;
    const high = ID_HALVES[0];
    const low = ID_HALVES[1];
    const h = digits ? Math.imul(low | 0, 0x9e3779b1) ^ Math.imul((low / 4294967296) | 0, 0x85ebca6b) ^ Math.imul(high | 0, 0xc2b2ae35) ^ len : hashId(id!) | 0;
    for (let s = h & MASK; ; s = (s + 1) & MASK) {
      const k = this.slots[s];
      if (k === 0) break;
      const e = k - 1;
      if (this.hashes[e] !== h || this.length[e] !== len) continue;
      if (digits ? this.low[e] === low && this.high[e] === high : this.other[e] === id) return false;
    }
    const at = this.next;
    if (this.length[at] !== 0) this.forget(at);
    this.length[at] = len;
    if (digits) {
      this.high[at] = high;
      this.low[at] = low;
    } else this.other[at] = id;
    this.hashes[at] = h;
    let s = h & MASK;
    while (this.slots[s] !== 0) s = (s + 1) & MASK;
    this.slots[s] = at + 1;
    this.next = at + 1 === TRADE_MEMORY ? 0 : at + 1;
    return true;
  }

  /** Remove ring entry `at` from the table (backward-shift deletion keeps every probe run unbroken). */
  private forget(at: number): void {
    let hole = this.hashes[at] & MASK;
    while (this.slots[hole] !== at + 1) hole = (hole + 1) & MASK;
    for (let j = (hole + 1) & MASK; ; j = (j + 1) & MASK) {
      const k = this.slots[j];
      if (k === 0) break;
      const home = this.hashes[k - 1] & MASK;
      // Entry k may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        this.slots[hole] = k;
        hole = j;
      }
    }
    this.slots[hole] = 0;
    this.length[at] = 0;
    this.other[at] = undefined;
  }
}

/**
 * `a.eq(b)` without allocating, for finite Decimals: decimal.js keeps values normalised (sign,
 * exponent, base-1e7 words without trailing zero words), so equal values have equal fields.
 */
export function sameDecimal(a: Decimal, b: Decimal): boolean {
  const ad = a.d;
  const bd = b.d;
  if (ad === null || bd === null || ad === undefined || bd === undefined) return a.eq(b); // NaN, ±Infinity
  if (a.e !== b.e || ad.length !== bd.length) return false;
  if (ad[0] === 0 && bd[0] === 0) return true; // ±0
  if (a.s !== b.s) return false;
  for (let i = 0; i < ad.length; i++) if (ad[i] !== bd[i]) return false;
  return true;
}

/** The cut of one book: its first `depth` units and their exact totals. */
interface Cut {
  readonly units: readonly unknown[];
  readonly totalAskSize: Decimal;
  readonly totalBidSize: Decimal;
}

/**
 * A route's depth cut. A book with no more than `depth` units is delivered as it is (Upbit's own
 * units and totals, the same object every other route gets). A longer one costs one Proxy; the cut
 * is made when `orderbookUnits`, a total or `toJSON` is first read through it, and kept per book
 * (so each read returns the same values).
 */
export class BookCut {
  private readonly cuts = new WeakMap<object, Cut | null>();
  private readonly handler: ProxyHandler<Orderbook>;

  constructor(readonly depth: number) {
    const cutOf = (book: Orderbook) => this.cutOf(book);
    this.handler = {
      get(target, prop) {
        if (prop === 'orderbookUnits' || prop === 'totalAskSize' || prop === 'totalBidSize') {
          const cut = cutOf(target);
          if (cut !== null) return cut[prop === 'orderbookUnits' ? 'units' : prop];
        } else if (prop === 'toJSON') {
          const cut = cutOf(target);
          if (cut !== null) {
            return () => ({
              ...(target as unknown as { toJSON(): object }).toJSON(),
              orderbookUnits: cut.units.map((u) => (u as { toJSON(): object }).toJSON()), // plain, as the book's own toJSON gives
              totalAskSize: cut.totalAskSize,
              totalBidSize: cut.totalBidSize,
            });
          }
        }
        return Reflect.get(target, prop, target);
      },
    };
  }

  /**
   * `book` as this route sees it: the book itself when it has no more units than the depth (its
   * units are a list built at decode, so counting them reads nothing), else a Proxy that cuts it.
   */
  view<T extends Orderbook>(book: T): T {
    return book.orderbookUnits.length <= this.depth ? book : new Proxy(book, this.handler as ProxyHandler<T>);
  }

  /** The cut of `book`, or null when it has no more units than the depth. */
  private cutOf(book: Orderbook): Cut | null {
    let cut = this.cuts.get(book);
    if (cut === undefined) {
      const units = book.orderbookUnits;
      if (units.length <= this.depth) cut = null;
      else {
        const kept = Object.freeze(units.slice(0, this.depth));
        let ask = new Decimal(0);
        let bid = new Decimal(0);
        for (const u of kept) {
          ask = ask.plus(u.askSize);
          bid = bid.plus(u.bidSize);
        }
        cut = { units: kept, totalAskSize: ask, totalBidSize: bid };
      }
      this.cuts.set(book, cut);
    }
    return cut;
  }
}
