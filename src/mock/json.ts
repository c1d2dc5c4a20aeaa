/**
 * Exact JSON for REST bodies, and REST objects derived from the WS field table.
 *
 * `toJson` writes a Decimal as its exact digits (a JSON number: REST quotation prices are numbers,
 * protocol §9) and a `RawNumber` as raw digits (sequential_id); exchange endpoints pass Decimals
 * through `asString` first, because Upbit sends balances and order amounts as strings.
 *
 * `wireFields(table, message, names)` copies the picked fields of a typed message under their
 * DEFAULT wire names, so REST shapes reuse the one field table instead of spelling names again;
 * only REST-only names (`market`, `trade_date_kst`, ...) are written in rest.ts.
 */
import type { Row, Table } from '../io/index.js';
import { isDec, RawNumber } from './num.js';

export function toJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (isDec(v)) return v.toFixed();
  if (v instanceof RawNumber) return v.text;
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) parts.push(`${JSON.stringify(k)}:${toJson(x)}`);
  }
  return `{${parts.join(',')}}`;
}

type Mode = 'number' | 'string';

function convert(row: Row, v: unknown, mode: Mode): unknown {
  if (v === null || v === undefined) return null;
  switch (row.kind.t) {
    case 'decimal':
      return mode === 'string' && isDec(v) ? v.toFixed() : v;
    case 'int64':
      return new RawNumber(String(v));
    case 'list': {
      const of = row.kind.of;
      return (v as readonly Record<string, unknown>[]).map((e) => wireFields(of, e, of.map((r) => r.name), mode));
    }
    default:
      return v;
  }
}

/** The picked fields of `message` (camelCase names, checked by the caller's types) under their wire names, in table order. */
export function wireFields<T extends Table>(
  table: T,
  message: object,
  names: readonly T[number]['name'][],
  mode: Mode = 'number',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const m = message as Record<string, unknown>;
  for (const row of table) if (names.includes(row.name)) out[row.wire] = convert(row, m[row.name], mode);
  return out;
}

/** The wire name of one row, looked up by its camelCase name. */
export function wireName<T extends Table>(table: T, name: T[number]['name']): string {
  return table.find((r) => r.name === name)!.wire;
}

/**
 * A REST object from a REST row table (src/io/rest-fields.ts): every row whose value is given,
 * in table order, under its wire name (`code` goes out as `market`). Rows left undefined are
 * omitted, as Upbit omits keys a unit does not have (`unit` on day candles, say).
 */
export function restObject<T extends Table>(
  table: T,
  values: { readonly [K in T[number]['name']]?: unknown },
  mode: Mode = 'number',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const v = values as Record<string, unknown>;
  for (const row of table) if (v[row.name] !== undefined) out[row.wire] = convert(row, v[row.name], mode);
  return out;
}
