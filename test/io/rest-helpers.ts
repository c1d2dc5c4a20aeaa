/**
 * Helpers of the REST client tests: the mock's served JSON with every number kept as its source
 * text (never through a double), and a table-driven check that a decoded REST object carries
 * exactly what was served, row by row.
 */
import { expect } from 'vitest';
import { toDecimal } from '../../src/io/decimal.js';
import type { Table } from '../../src/io/fields.js';
import type { MockUpbit } from '../../src/mock/index.js';
import { expectExact } from './helpers.js';

type Raw = Record<string, unknown>;

/** JSON.parse with every number replaced by its source text. */
export function parseKeepingDigits(text: string): unknown {
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (_, s: string | undefined, n: string) => s ?? `"${n}"`));
}

/** GET `path` from the mock, outside the client: status and the body with digit strings. */
export async function served(m: MockUpbit, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Raw[] }> {
  const r = await fetch(`${m.restUrl}${path}`, { headers });
  return { status: r.status, body: parseKeepingDigits(await r.text()) as Raw[] };
}

/** Every row of `table`: the decoded value equals the served text (Decimals field for field). */
export function expectServed(decoded: readonly object[], raw: readonly Raw[], table: Table): void {
  expect(decoded.length).toBe(raw.length);
  decoded.forEach((d, i) => expectRow(d as Raw, raw[i], table, `[${i}]`));
}

function expectRow(d: Raw, r: Raw, table: Table, path: string): void {
  for (const row of table) {
    const v = d[row.name];
    const s = r[row.wire];
    const at = `${path}.${row.name}`;
    if (s === undefined || s === null) {
      expect(v, at).toBeNull();
      continue;
    }
    switch (row.kind.t) {
      case 'decimal':
        expectExact(v, toDecimal(s as string), at);
        expect((v as { toFixed(): string }).toFixed(), at).toBe(s);
        break;
      case 'integer':
      case 'timestamp':
        expect(v, at).toBe(Number(s));
        break;
      case 'list':
        expect((v as Raw[]).length, at).toBe((s as Raw[]).length);
        (s as Raw[]).forEach((e, k) => expectRow((v as Raw[])[k], e, (row.kind as { of: Table }).of, `${at}[${k}]`));
        break;
      default:
        expect(v, at).toEqual(s);
    }
  }
}
