/**
 * The simulated orderbook and the orderbook message a subscriber sees.
 *
 * A `Book` is an immutable full top-30 book (index 0 = best) in integer units of 10^-8 (bigint),
 * built by the simulator on first use after each trade. `orderbookMessage` cuts it to the
 * subscriber's depth (`KRW-BTC.15` → 15 units) and, for a non-zero `level`, aggregates prices into
 * buckets of that size (bids round down, asks round up) as Upbit does for KRW markets. Totals are
 * over the returned units (protocol §3.3). Decimals are made only here, at the message boundary.
 */
import type { Orderbook, OrderbookUnit } from '../io/index.js';
import { fromSats } from './num.js';
import type { Dec } from './num.js';

export interface Level {
  readonly price: bigint;
  readonly size: bigint;
}
export interface Book {
  readonly code: string;
  /** Ascending prices from the best ask. */
  readonly asks: readonly Level[];
  /** Descending prices from the best bid. */
  readonly bids: readonly Level[];
}

export const BOOK_DEPTH = 30;

/** `level` is the aggregation unit both as sats (for the arithmetic) and as the Decimal sent back. */
export function orderbookMessage(
  book: Book,
  depth: number,
  level: { readonly sats: bigint; readonly value: Dec },
  streamType: 'SNAPSHOT' | 'REALTIME',
  timestamp: number,
): Orderbook {
  const flat = level.sats === 0n;
  const asks = flat ? book.asks.slice(0, depth) : aggregate(book.asks, level.sats, depth, true);
  const bids = flat ? book.bids.slice(0, depth) : aggregate(book.bids, level.sats, depth, false);
  const n = Math.min(asks.length, bids.length);
  const units: OrderbookUnit[] = [];
  let totalAsk = 0n;
  let totalBid = 0n;
  for (let i = 0; i < n; i++) {
    const a = asks[i];
    const b = bids[i];
    units.push({ askPrice: fromSats(a.price), bidPrice: fromSats(b.price), askSize: fromSats(a.size), bidSize: fromSats(b.size) });
    totalAsk += a.size;
    totalBid += b.size;
  }
  return {
    type: 'orderbook',
    code: book.code,
    totalAskSize: fromSats(totalAsk),
    totalBidSize: fromSats(totalBid),
    orderbookUnits: units,
    timestamp,
    level: level.value,
    streamType,
  };
}

/** Bucket the levels by `step`; buckets deeper than the raw book get a size derived from their price. */
function aggregate(levels: readonly Level[], step: bigint, depth: number, up: boolean): Level[] {
  const out: Level[] = [];
  for (const l of levels) {
    const r = l.price % step;
    const bucket = r === 0n ? l.price : up ? l.price - r + step : l.price - r;
    const last = out[out.length - 1];
    if (last && last.price === bucket) out[out.length - 1] = { price: bucket, size: last.size + l.size };
    else out.push({ price: bucket, size: l.size });
  }
  if (out.length > depth) out.length = depth;
  const unit = levels.length ? levels[0].size : 1n;
  while (out.length < depth && out.length > 0) {
    const prev = out[out.length - 1].price;
    const price = up ? prev + step : prev - step;
    if (price <= 0n) break;
    out.push({ price, size: unit * (1n + (price / step) % 50n) });
  }
  return out;
}
