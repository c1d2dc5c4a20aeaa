/**
 * The request encoder: every component's wishes in, the ONE request array Upbit expects out.
 *
 * Upbit replaces a connection's whole subscription set with each request (protocol §5.1), so the
 * client always sends the union. `encodeSubscription` merges wishes per type (and per orderbook
 * `level`): codes are united, de-duplicated and sorted; an orderbook code wanted at several depths
 * is asked at the deepest; stream preferences merge to the weakest flag that still serves every
 * wish (snapshot-only + realtime-only → both, and the router hands each component only what it
 * asked for). The output is deterministic: same wishes, same bytes.
 *
 *   [{"ticket":T}, {"type":"ticker","codes":[...]}, {"type":"orderbook","codes":["KRW-BTC.15"],"level":1000}, ..., {"format":F}]
 */
import { UpbitValidationError } from './errors.js';
import {
  ANNOUNCEMENT_CATEGORIES,
  CANDLE_TYPES,
  DATA_TYPES,
  type DataType,
  type Format,
  FORMATS,
  PRIVATE_TYPES,
} from './fields.js';

export type StreamPreference = 'both' | 'snapshot' | 'realtime';
export const ORDERBOOK_DEPTHS = [1, 5, 15, 30] as const;
export type OrderbookDepth = (typeof ORDERBOOK_DEPTHS)[number];

/** What one component wants from one data type. */
export interface Wish {
  readonly type: DataType;
  /** Market codes, `QUOTE-BASE` upper case (`KRW-BTC`); orderbook codes may carry a depth suffix (`KRW-BTC.15`). */
  readonly codes?: readonly string[];
  /** @default 'both' */
  readonly stream?: StreamPreference;
  /** Orderbook only: units per side, 1, 5, 15 or 30. @default 30 */
  readonly depth?: OrderbookDepth;
  /** Orderbook only: price aggregation unit (KRW markets). @default 0 */
  readonly level?: number | string;
  /** Announcement only: categories to receive. @default every category */
  readonly categories?: readonly string[];
  /** Announcement only: include the Markdown body. @default false */
  readonly includeBody?: boolean;
}

/** One data-type object of the wire request. */
export interface RequestTypeObject {
  type: DataType;
  codes?: string[];
  is_only_snapshot?: true;
  is_only_realtime?: true;
  level?: number;
  categories?: string[];
  include_body?: true;
}
export type RequestArray = [{ ticket: string }, ...(RequestTypeObject | { format: Format })[]];

const CODE = /^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$/;
const KNOWN_TYPES: ReadonlySet<string> = new Set(DATA_TYPES);

/** Validate a market code (without depth suffix). */
export function assertMarketCode(code: unknown): asserts code is string {
  if (typeof code !== 'string' || !CODE.test(code)) {
    throw new UpbitValidationError(
      'INVALID_CODE',
      `invalid market code ${JSON.stringify(code)}: expected QUOTE-BASE in upper case, like "KRW-BTC"`,
    );
  }
}

/** Split `KRW-BTC.15` into code and depth; validates both. */
export function parseOrderbookCode(raw: string): { code: string; depth: OrderbookDepth | undefined } {
  const dot = raw.indexOf('.');
  const code = dot < 0 ? raw : raw.slice(0, dot);
  assertMarketCode(code);
  if (dot < 0) return { code, depth: undefined };
  const depth = Number(raw.slice(dot + 1));
  if (!(ORDERBOOK_DEPTHS as readonly number[]).includes(depth) || raw.slice(dot + 1) !== String(depth)) {
    throw new UpbitValidationError('INVALID_OPTION', `orderbook depth in ${raw} must be one of 1, 5, 15, 30`);
  }
  return { code, depth: depth as OrderbookDepth };
}

/** A market code without a depth suffix: a suffix is an option error (orderbook only), anything else a code error. */
function assertPlainCode(c: unknown): void {
  if (typeof c === 'string' && c.includes('.') && CODE.test(c.slice(0, c.indexOf('.')))) {
    throw new UpbitValidationError('INVALID_OPTION', `depth suffix in ${c} is allowed on orderbook only`);
  }
  assertMarketCode(c);
}

/** An orderbook level as a number >= 0 (a number, or a numeric string as REST takes it), else undefined. */
function levelOf(level: unknown): number | undefined {
  const ok =
    (typeof level === 'number' && Number.isFinite(level)) ||
    (typeof level === 'string' && /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/.test(level));
  const n = ok ? Number(level) : NaN;
  return n >= 0 ? n : undefined;
}

/** Check one wish; returns it unchanged or throws `UpbitValidationError` naming what is wrong. */
export function validateWish(w: Wish): Wish {
  if (!w || typeof w.type !== 'string' || !KNOWN_TYPES.has(w.type)) {
    const t = w?.type;
    const hint = typeof t === 'string' && t.startsWith('candle.') ? `; candle units are ${CANDLE_TYPES.join(', ')}` : '';
    throw new UpbitValidationError('INVALID_TYPE', `unknown type ${JSON.stringify(t)}${hint}`);
  }
  if (w.stream !== undefined && w.stream !== 'both' && w.stream !== 'snapshot' && w.stream !== 'realtime') {
    throw new UpbitValidationError('INVALID_OPTION', `stream must be 'both', 'snapshot' or 'realtime'`);
  }
  const isBook = w.type === 'orderbook';
  if (!isBook && (w.depth !== undefined || w.level !== undefined)) {
    throw new UpbitValidationError('INVALID_OPTION', `depth and level apply to orderbook only, not ${w.type}`);
  }
  if (w.type !== 'announcement' && (w.categories !== undefined || w.includeBody !== undefined)) {
    throw new UpbitValidationError('INVALID_OPTION', `categories and includeBody apply to announcement only`);
  }
  if (w.codes !== undefined && !Array.isArray(w.codes)) {
    throw new UpbitValidationError('INVALID_OPTION', `codes must be an array of market codes`);
  }
  const codes = w.codes ?? [];
  switch (w.type) {
    case 'myAsset':
    case 'announcement':
      if (codes.length > 0) throw new UpbitValidationError('INVALID_OPTION', `${w.type} takes no codes`);
      break;
    case 'myOrder':
      for (const c of codes) assertPlainCode(c);
      break;
    default:
      if (codes.length === 0) throw new UpbitValidationError('INVALID_CODE', `${w.type} needs at least one market code`);
      for (const c of codes) {
        if (isBook) parseOrderbookCode(c);
        else assertPlainCode(c);
      }
  }
  if (isBook) {
    if (w.depth !== undefined && !(ORDERBOOK_DEPTHS as readonly number[]).includes(w.depth)) {
      throw new UpbitValidationError('INVALID_OPTION', `orderbook depth must be one of 1, 5, 15, 30`);
    }
    if (w.level !== undefined && levelOf(w.level) === undefined) {
      throw new UpbitValidationError('INVALID_OPTION', `orderbook level must be a number >= 0`);
    }
  }
  if (w.categories) {
    for (const c of w.categories) {
      if (!(ANNOUNCEMENT_CATEGORIES as readonly string[]).includes(c)) {
        throw new UpbitValidationError('INVALID_OPTION', `unknown announcement category ${JSON.stringify(c)}`);
      }
    }
  }
  return w;
}

interface Group {
  type: DataType;
  level: number | undefined;
  codes: Map<string, number>; // code → depth (30 when unspecified)
  allCodes: boolean; // myOrder without codes = every market
  snapshot: boolean; // some wish needs the snapshot
  realtime: boolean; // some wish needs realtime
  categories: Set<string> | undefined; // undefined = every category
  includeBody: boolean;
}

const TYPE_ORDER = new Map<string, number>(DATA_TYPES.map((t, i) => [t, i]));

/**
 * Merge `desired` into the one request Upbit expects. Validates every wish first.
 * @throws UpbitValidationError
 */
export function encodeSubscription(
  desired: Iterable<Wish>,
  options: { ticket: string; format?: Format },
): RequestArray {
  const format = options.format ?? 'DEFAULT';
  if (!FORMATS.includes(format)) throw new UpbitValidationError('INVALID_OPTION', `unknown format ${format}`);
  if (typeof options.ticket !== 'string' || options.ticket.length === 0) {
    throw new UpbitValidationError('INVALID_OPTION', 'ticket must be a non-empty string');
  }
  const groups = new Map<string, Group>();
  for (const w of desired) {
    validateWish(w);
    // Level 0 is the default: a wish for level 0 and one without a level are the same stream.
    const asked = w.type === 'orderbook' && w.level !== undefined ? levelOf(w.level) : undefined;
    const level = asked === 0 ? undefined : asked;
    const key = `${w.type}|${level ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        type: w.type,
        level,
        codes: new Map(),
        allCodes: false,
        snapshot: false,
        realtime: false,
        categories: new Set(),
        includeBody: false,
      };
      groups.set(key, g);
    }
    const stream = w.stream ?? 'both';
    if (stream !== 'realtime') g.snapshot = true;
    if (stream !== 'snapshot') g.realtime = true;
    if (w.type === 'myOrder' && (w.codes === undefined || w.codes.length === 0)) g.allCodes = true;
    for (const raw of w.codes ?? []) {
      const { code, depth } = w.type === 'orderbook' ? parseOrderbookCode(raw) : { code: raw, depth: undefined };
      const d = depth ?? w.depth ?? 30;
      g.codes.set(code, Math.max(g.codes.get(code) ?? 0, d));
    }
    if (w.type === 'announcement') {
      if (!w.categories || w.categories.length === 0) g.categories = undefined;
      else if (g.categories) for (const c of w.categories) g.categories.add(c);
      if (w.includeBody) g.includeBody = true;
    }
  }
  const ordered = [...groups.values()].sort(
    (a, b) => TYPE_ORDER.get(a.type)! - TYPE_ORDER.get(b.type)! || (a.level ?? -1) - (b.level ?? -1),
  );
  const out: RequestArray = [{ ticket: options.ticket }];
  for (const g of ordered) {
    const o: RequestTypeObject = { type: g.type };
    if (g.type !== 'myAsset' && g.type !== 'announcement' && !(g.type === 'myOrder' && g.allCodes)) {
      o.codes = [...g.codes.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([code, depth]) => (g.type === 'orderbook' && depth !== 30 ? `${code}.${depth}` : code));
    }
    // Stream flags exist for the public types only (§2.2); private types are realtime by nature.
    const flagged = !PRIVATE_TYPES.has(g.type);
    if (flagged && g.snapshot && !g.realtime) o.is_only_snapshot = true;
    if (flagged && g.realtime && !g.snapshot) o.is_only_realtime = true;
    if (g.level !== undefined) o.level = g.level;
    if (g.type === 'announcement') {
      if (g.categories) o.categories = [...g.categories].sort();
      if (g.includeBody) o.include_body = true;
    }
    out.push(o);
  }
  out.push({ format });
  return out;
}

/** The request as the text frame to send. */
export function stringifyRequest(request: RequestArray): string {
  return JSON.stringify(request);
}
