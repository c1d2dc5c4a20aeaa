/**
 * The event encoder: a typed message (plain object or decoded view) to the frame Upbit would send,
 * in any of the four formats. The mock exchange uses it; `decodeFrame(encodeEvent(e, f))` gives
 * back `e` for every type and format (tested).
 *
 * Keys come from the field table; Decimals are written with `toString()`, which is an exact JSON
 * number (`1e-8`, `2500`), so nothing passes through a double here either.
 */
import type { Decimal } from 'decimal.js';
import { UpbitValidationError } from './errors.js';
import {
  ERROR_BODY,
  LIST_SUBSCRIPTIONS,
  tableOf,
  type ErrorFrame,
  type Format,
  type ListSubscriptions,
  type Row,
  type Table,
  type UpbitMessage,
} from './fields.js';

type Keyed = 'wire' | 'simple';

/** Precomputed `"key":` prefixes per table and key style. */
const prefixes = new Map<Table, { wire: string[]; simple: string[] }>();
function prefixesOf(table: Table) {
  let p = prefixes.get(table);
  if (!p) {
    p = {
      wire: table.map((r) => `${JSON.stringify(r.wire)}:`),
      simple: table.map((r) => `${JSON.stringify(r.simple)}:`),
    };
    prefixes.set(table, p);
  }
  return p;
}

function encodeValue(row: Row, v: unknown, keys: Keyed): string {
  if (v === null || v === undefined) {
    if (!row.kind.nullable) throw new UpbitValidationError('INVALID_OPTION', `field ${row.name} is required`);
    return 'null';
  }
  switch (row.kind.t) {
    case 'decimal': {
      if (typeof v === 'string') return v;
      const d = v as Decimal;
      // Decimal prints -0 as "0"; keep the sign so that the round trip is exact.
      return d.isZero() && d.isNegative() ? '-0' : d.toString();
    }
    case 'integer':
    case 'timestamp':
      return String(v as number);
    case 'int64':
      return String(v as string | bigint | number);
    case 'id':
      return typeof v === 'string' ? JSON.stringify(v) : String(v as number | bigint);
    case 'string':
    case 'enum':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'strings':
      return JSON.stringify(v);
    case 'list': {
      const of = row.kind.of;
      const parts = (v as readonly Record<string, unknown>[]).map((e) => encodeObject(of, e, keys));
      return `[${parts.join(',')}]`;
    }
  }
}

function encodeObject(table: Table, e: Record<string, unknown>, keys: Keyed): string {
  const pre = prefixesOf(table)[keys];
  let s = '{';
  for (let i = 0; i < table.length; i++) {
    const row = table[i];
    const v = e[row.name];
    if (v === undefined && row.kind.nullable) continue; // absent optional field stays absent
    if (s.length > 1) s += ',';
    s += pre[i] + encodeValue(row, v, keys);
  }
  return `${s}}`;
}

const isSimple = (f: Format) => f === 'SIMPLE' || f === 'SIMPLE_LIST';
const isList = (f: Format) => f === 'JSON_LIST' || f === 'SIMPLE_LIST';

/** One message as the frame text Upbit sends in `format`. */
export function encodeEvent(event: UpbitMessage, format: Format = 'DEFAULT'): string {
  const keys: Keyed = isSimple(format) ? 'simple' : 'wire';
  let body: string;
  switch (event.type) {
    case 'status':
      body = `{"status":${JSON.stringify(event.status)}}`;
      break;
    case 'error':
      // Upbit sends error frames with these keys in every format.
      body = `{"error":${encodeObject(ERROR_BODY, event as unknown as Record<string, unknown>, 'wire')}}`;
      break;
    case 'listSubscriptions':
      body = encodeObject(LIST_SUBSCRIPTIONS, event as unknown as Record<string, unknown>, keys);
      break;
    default: {
      const table = tableOf(event.type);
      if (!table) throw new UpbitValidationError('INVALID_TYPE', `unknown type ${String(event.type)}`);
      body = encodeObject(table, event as unknown as Record<string, unknown>, keys);
    }
  }
  return isList(format) ? `[${body}]` : body;
}

/** Several messages in one LIST frame (Upbit may batch; the client accepts it either way). */
export function encodeBatch(events: readonly UpbitMessage[], format: 'JSON_LIST' | 'SIMPLE_LIST'): string {
  return `[${events.map((e) => encodeEvent(e, isSimple(format) ? 'SIMPLE' : 'DEFAULT')).join(',')}]`;
}

export type { ErrorFrame, ListSubscriptions };
