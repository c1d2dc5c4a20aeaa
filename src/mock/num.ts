/**
 * The mock's exact numbers.
 *
 * Two representations: the simulator keeps prices and volumes as bigint units of 10^-8 ("sats")
 * and turnover as units of 10^-16, which is exact and cheap; messages carry `Decimal`s made by
 * `fromSats`/`fromSats2`. `D` is a decimal.js constructor with 64 significant digits (the account's
 * sums and products of 8-decimal values stay exact) and plain notation (`0.00000001`, never
 * `1e-8`). Values built here are ordinary `Decimal` instances: the codec writes them with `toString()`.
 */
import { Decimal, decimalAt } from '../io/index.js';

export const D = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -64, toExpPos: 64 });
export type Dec = Decimal;

export const ZERO: Dec = new D(0);

/** Round down to `dp` decimal places (volumes never round up). */
export function floorDp(x: Dec, dp: number): Dec {
  return x.toDecimalPlaces(dp, Decimal.ROUND_DOWN);
}

/** An integer that may exceed 2^53, written as raw JSON digits (sequential_id). */
export class RawNumber {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** `Decimal.isDecimal` for any clone. */
export function isDec(v: unknown): v is Dec {
  return Decimal.isDecimal(v);
}

/** `units × 10^-scale` as exact decimal text: `scaledText(123n, 2)` = "1.23". */
export function scaledText(units: bigint, scale: number): string {
  const neg = units < 0n;
  const s = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const frac = s.slice(s.length - scale).replace(/0+$/, '');
  return `${neg ? '-' : ''}${s.slice(0, s.length - scale)}${frac ? `.${frac}` : ''}`;
}

/** The trick below relies on decimal.js internals: check it once, fall back to `new D` if it fails. */
const FAST = (() => {
  try {
    const x = decimalAt('0.00000001', 0, 10);
    (x as unknown as { constructor: unknown }).constructor = D;
    return x.constructor === D && x.toString() === '0.00000001' && x.plus(1).toString() === '1.00000001';
  } catch {
    return false;
  }
})();

/**
 * Decimal text to a `D` instance without re-parsing: io's `decimalAt` fills decimal.js's fields
 * directly (3× faster than `new D(text)`); decimal.js keeps each instance's constructor as an own
 * property, so pointing it at `D` gives the instance D's precision and plain notation.
 */
function fast(text: string): Dec {
  if (!FAST) return new D(text);
  const x = decimalAt(text, 0, text.length);
  (x as unknown as { constructor: unknown }).constructor = D;
  return x;
}

/** Integer units of 10^-8 ("sats") as an exact Decimal. */
export function fromSats(units: bigint): Dec {
  return fast(scaledText(units, 8));
}

/** Integer units of 10^-16 (price × volume) as an exact Decimal. */
export function fromSats2(units: bigint): Dec {
  return fast(scaledText(units, 16));
}

/** A Decimal (or decimal text) as integer units of 10^-8, rounded half-up beyond 8 decimals. */
export function toSats(x: Dec | string | number): bigint {
  return BigInt(new D(x).mul(100_000_000).toFixed(0));
}

export const SATS = 100_000_000n;
