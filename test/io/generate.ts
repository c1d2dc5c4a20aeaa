/**
 * Codec test helpers that need no test runner (so scripts/fuzz-decode.ts can use them too): JSON
 * text surgery that never goes through JSON.parse (which would round the numbers), and a
 * table-driven event generator. Re-exported by helpers.ts.
 */
import { Decimal } from 'decimal.js';
import { CANDLE_TYPES, KINDS, type Row, type Table } from '../../src/io/fields.js';

/**
 * The top-level members (`"key":value` texts) of a JSON object text, split without parsing the
 * values, so they can be reordered, dropped or replaced with every digit intact.
 */
export function members(obj: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 1;
  for (let i = 0; i < obj.length; i++) {
    const c = obj[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) out.push(obj.slice(start, i));
    } else if (c === ',' && depth === 1) {
      out.push(obj.slice(start, i));
      start = i + 1;
    }
  }
  return out.filter((m) => m.length > 0);
}

/** The index past the object or array that opens at `start` in `text` (strings skipped), or -1 when it never closes. */
export function closingEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
  }
  return -1;
}

export const objectOf = (ms: readonly string[]) => `{${ms.join(',')}}`;
export const keyOf = (member: string) => member.slice(1, member.indexOf('"', 1));

/** `obj` without the member whose key is `key`. */
export const without = (obj: string, key: string) => objectOf(members(obj).filter((m) => keyOf(m) !== key));

/** `obj` with the value of `key` replaced by the raw JSON text `value`. */
export const withValue = (obj: string, key: string, value: string) =>
  objectOf(members(obj).map((m) => (keyOf(m) === key ? `"${key}":${value}` : m)));

/** The same JSON with whitespace (space, tab, CR, LF) around every structural character outside strings. */
export function spaced(json: string): string {
  let out = ' \r\n';
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      out += c;
      if (c === '\\') out += json[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if ('{}[],:'.includes(c)) out += ` \t${c}\n `;
    else out += c;
  }
  return `${out}\t `;
}

// ─── table-driven generation ────────────────────────────────────────────────────────────────────

/** A random JSON number text with up to 8 fraction digits, sometimes trailing zeros or an exponent. */
export function numberText(rand: () => number): string {
  const r = rand();
  if (r < 0.05) return '0';
  if (r < 0.1) return `${Math.floor(rand() * 9) + 1}e-${Math.floor(rand() * 12) + 1}`;
  if (r < 0.15) return `${Math.floor(rand() * 90) + 10}.${Math.floor(rand() * 10)}E+${Math.floor(rand() * 5)}`;
  const int = String(Math.floor(rand() * 10 ** Math.floor(rand() * 13)));
  const frac = Array.from({ length: Math.floor(rand() * 9) }, () => Math.floor(rand() * 10)).join('');
  const sign = rand() < 0.2 ? '-' : '';
  return frac ? `${sign}${int}.${frac}${rand() < 0.3 ? '0000' : ''}` : `${sign}${int}`;
}

/** One generated value for `row` as [wire JSON text, decoded value]; `null` for nullable rows now and then. */
export function sample(row: Row, rand: () => number, withNulls: boolean, simple: boolean): [string, unknown] {
  const k = row.kind;
  if (withNulls && k.nullable && rand() < 0.3) return ['null', null];
  switch (k.t) {
    case 'decimal': {
      const t = numberText(rand);
      return [t, new Decimal(t)];
    }
    case 'integer': {
      const n = Math.floor(rand() * 1000) * (rand() < 0.2 ? -1 : 1);
      return [String(n), n === 0 ? 0 : n]; // never -0: it prints as "0"
    }
    case 'timestamp': {
      const n = 1_700_000_000_000 + Math.floor(rand() * 1e10);
      return [String(n), n];
    }
    case 'int64': {
      const s = `1787728554797${String(Math.floor(rand() * 10000)).padStart(4, '0')}`;
      return [s, s];
    }
    case 'id':
    case 'string': {
      const s = `s${Math.floor(rand() * 1e6)}${rand() < 0.2 ? ' "q" \\ é 한' : ''}`;
      return [JSON.stringify(s), s];
    }
    case 'enum': {
      const v = k.values[Math.floor(rand() * k.values.length)];
      return [JSON.stringify(v), v];
    }
    case 'boolean': {
      const b = rand() < 0.5;
      return [String(b), b];
    }
    case 'strings': {
      const xs = ['KRW-BTC', 'KRW-ETH', 'BTC-XRP'].slice(0, Math.floor(rand() * 4));
      return [JSON.stringify(xs), xs];
    }
    case 'list': {
      const n = Math.floor(rand() * 4);
      const items = Array.from({ length: n }, () => generate(k.of, rand, withNulls, simple));
      return [`[${items.map(([t]) => t).join(',')}]`, items.map(([, v]) => v)];
    }
  }
}

/**
 * A random object of `table` as [frame text in DEFAULT or SIMPLE keys, expected decoded object].
 * `fixed` pins values (e.g. the `type`).
 */
export function generate(
  table: Table,
  rand: () => number,
  withNulls: boolean,
  simple: boolean,
  fixed: Record<string, [string, unknown]> = {},
): [string, Record<string, unknown>] {
  const parts: string[] = [];
  const expected: Record<string, unknown> = {};
  for (const row of table) {
    const [text, value] = fixed[row.name] ?? sample(row, rand, withNulls, simple);
    parts.push(`${JSON.stringify(simple ? row.simple : row.wire)}:${text}`);
    expected[row.name] = value;
  }
  // Key order carries no meaning (§3.1): shuffle, but keep the discriminant first half the time.
  if (rand() < 0.5) {
    for (let i = parts.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
  }
  return [`{${parts.join(',')}}`, expected];
}

/** Every data type with its table, candle units spelled out: what generated tests iterate. */
export const DATA_TABLES: readonly [string, Table][] = [
  ['ticker', KINDS.ticker],
  ['trade', KINDS.trade],
  ['orderbook', KINDS.orderbook],
  ...CANDLE_TYPES.map((t): [string, Table] => [t, KINDS.candle]),
  ['myOrder', KINDS.myOrder],
  ['myAsset', KINDS.myAsset],
  ['announcement', KINDS.announcement],
];
