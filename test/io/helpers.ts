/**
 * Shared helpers of the codec tests: exact-decimal assertions, JSON text surgery that never goes
 * through JSON.parse (which would round the numbers), and a table-driven event generator.
 */
import { Decimal } from 'decimal.js';
import { expect } from 'vitest';
import { UpbitDecodeError } from '../../src/io/errors.js';

/** Every Decimal in `expected` must be a real Decimal in `actual` with the same digits, sign and exponent. */
export function expectExact(actual: unknown, expected: unknown, path = '$'): void {
  if (expected instanceof Decimal) {
    expect(actual, path).toBeInstanceOf(Decimal);
    const a = actual as Decimal;
    // fields first: a malformed `d` can send decimal.js's own methods into a loop
    expect({ s: a.s, e: a.e, d: a.d }, path).toEqual({ s: expected.s, e: expected.e, d: expected.d });
    expect(a.toString(), path).toBe(expected.toString());
    expect(a.equals(expected), path).toBe(true);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((e, i) => expectExact((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectExact((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(actual, path).toBe(expected);
  }
}

/** Run `f`, which must throw an UpbitDecodeError with `code`; returns it. */
export function decodeErrorOf(f: () => unknown): UpbitDecodeError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UpbitDecodeError);
    return err as UpbitDecodeError;
  }
  throw new Error('expected an UpbitDecodeError, nothing was thrown');
}

export * from './generate.js';
