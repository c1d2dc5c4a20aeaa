/**
 * Request parsing and validation: one client text message in, a `ParsedRequest` or the Upbit
 * error it earns out. Pure: no sockets, no state.
 *
 * How to read this file: `parseRequest` walks the checks in the order below; the first failure
 * wins. Objects may come in any order (cryptofeed sends the format second; the LIST_SUBSCRIPTIONS
 * changelog puts `method` first). Names follow protocol §6.1; messages are the mock's own ([U]).
 *
 *   not JSON / not an array / an element not an object ....................... WRONG_FORMAT
 *   no `ticket` ............................................................... NO_TICKET
 *   `format` not a string / unknown ........................................... WRONG_FORMAT / INVALID_PARAM
 *   `method` other than LIST_SUBSCRIPTIONS .................................... INVALID_PARAM
 *   an object with none of ticket/format/method/type; or no type object at all . NO_TYPE
 *   `type` unknown (myTrade, indicator, ...) or private on the public endpoint . INVALID_PARAM
 *   `codes` missing/empty on ticker/trade/orderbook/candle .................... NO_CODES
 *   `codes` not a list of strings; `codes` on myAsset; flags not booleans ...... WRONG_FORMAT
 *   lower-case / malformed code, non-numeric `.N`, bad `level`, bad category ... INVALID_PARAM
 *   (an orderbook `CODE.N` with an unsupported N is served 30 units, not refused)
 */
import { ANNOUNCEMENT_CATEGORIES, assertMarketCode, DATA_TYPES, FORMATS, parseOrderbookCode, PRIVATE_TYPES } from '../io/index.js';
import type { DataType, Format } from '../io/index.js';
import { D } from './num.js';
import type { Dec } from './num.js';

export type UpbitErrorName = 'WRONG_FORMAT' | 'NO_TICKET' | 'NO_TYPE' | 'NO_CODES' | 'INVALID_PARAM';

export interface RequestError {
  readonly kind: 'error';
  readonly name: UpbitErrorName;
  readonly message: string;
}

/** One data-type object, validated. */
export interface TypeObject {
  readonly type: DataType;
  /** Codes as sent (orderbook codes may keep a `.N` suffix); undefined when none were sent. */
  readonly codes: readonly string[] | undefined;
  readonly isOnlySnapshot: boolean;
  readonly isOnlyRealtime: boolean;
  /** Orderbook only; 0 when absent. */
  readonly level: Dec | undefined;
  /** Announcement only; undefined = every category. */
  readonly categories: readonly string[] | undefined;
  readonly includeBody: boolean;
}

export type ParsedRequest =
  | { readonly kind: 'subscribe'; readonly ticket: string; readonly format: Format | undefined; readonly objects: readonly TypeObject[] }
  | { readonly kind: 'list'; readonly ticket: string; readonly format: Format | undefined };

export interface ParseOptions {
  /** Which endpoint received the request. */
  readonly endpoint: 'public' | 'private';
  /** Whether the private endpoint serves public types too. */
  readonly privatePublicTypes: boolean;
  /** 'ignore' drops bad codes instead of failing the request. */
  readonly invalidCodes: 'error' | 'ignore';
}

const KNOWN: ReadonlySet<string> = new Set(DATA_TYPES);
const CATEGORIES: ReadonlySet<string> = new Set(ANNOUNCEMENT_CATEGORIES);
const NEEDS_CODES = (t: string) => t === 'ticker' || t === 'trade' || t === 'orderbook' || t.startsWith('candle.');

class Fail {
  constructor(
    readonly name: UpbitErrorName,
    readonly message: string,
  ) {}
}
const fail = (name: UpbitErrorName, message: string): never => {
  throw new Fail(name, message);
};

/** Parse one client message (already known not to be the text `PING`). */
export function parseRequest(text: string, opts: ParseOptions): ParsedRequest | RequestError {
  try {
    return parse(text, opts);
  } catch (e) {
    if (e instanceof Fail) return { kind: 'error', name: e.name, message: e.message };
    throw e;
  }
}

function parse(text: string, opts: ParseOptions): ParsedRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail('WRONG_FORMAT', 'the request is not valid JSON');
  }
  if (!Array.isArray(json)) fail('WRONG_FORMAT', 'the request must be a JSON array of objects');
  const items = json as unknown[];
  let ticket: string | undefined;
  let format: Format | undefined;
  let method: string | undefined;
  const typed: Record<string, unknown>[] = [];
  let untyped = false;
  for (const item of items) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) fail('WRONG_FORMAT', 'every element must be an object');
    const o = item as Record<string, unknown>;
    let recognised = false;
    if ('ticket' in o) {
      recognised = true;
      if (typeof o.ticket === 'number') ticket = String(o.ticket);
      else if (typeof o.ticket === 'string' && o.ticket.length > 0) ticket = o.ticket;
      else fail('WRONG_FORMAT', 'ticket must be a non-empty string');
    }
    if ('format' in o) {
      recognised = true;
      if (typeof o.format !== 'string') fail('WRONG_FORMAT', 'format must be a string');
      if (!FORMATS.includes(o.format as Format)) fail('INVALID_PARAM', `unsupported format ${JSON.stringify(o.format)}`);
      format = o.format as Format;
    }
    if ('method' in o) {
      recognised = true;
      if (o.method !== 'LIST_SUBSCRIPTIONS') fail('INVALID_PARAM', `unsupported method ${JSON.stringify(o.method)}`);
      method = 'LIST_SUBSCRIPTIONS';
    }
    if ('type' in o) {
      recognised = true;
      typed.push(o);
    }
    if (!recognised) untyped = true;
  }
  if (ticket === undefined) fail('NO_TICKET', 'the request has no ticket');
  if (untyped) fail('NO_TYPE', 'an object has no type field');
  if (method !== undefined) {
    if (typed.length > 0) fail('WRONG_FORMAT', 'LIST_SUBSCRIPTIONS cannot be combined with data types');
    return { kind: 'list', ticket: ticket!, format };
  }
  if (typed.length === 0) fail('NO_TYPE', 'the request has no data type object');
  const objects = typed.map((o) => typeObject(o, opts));
  return { kind: 'subscribe', ticket: ticket!, format, objects };
}

function flag(o: Record<string, unknown>, snake: string, camel: string): boolean {
  const v = o[snake] ?? o[camel];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') fail('WRONG_FORMAT', `${snake} must be a boolean`);
  return v as boolean;
}

function typeObject(o: Record<string, unknown>, opts: ParseOptions): TypeObject {
  const type = o.type;
  if (typeof type !== 'string') fail('WRONG_FORMAT', 'type must be a string');
  const t = type as string;
  if (!KNOWN.has(t)) fail('INVALID_PARAM', `unsupported type ${JSON.stringify(t)}`);
  const isPrivate = PRIVATE_TYPES.has(t);
  if (isPrivate && opts.endpoint === 'public') {
    fail('INVALID_PARAM', `${t} is available only on /websocket/v1/private`);
  }
  if (!isPrivate && opts.endpoint === 'private' && !opts.privatePublicTypes) {
    fail('INVALID_PARAM', `${t} is available only on /websocket/v1`);
  }
  const isOnlySnapshot = flag(o, 'is_only_snapshot', 'isOnlySnapshot');
  const isOnlyRealtime = flag(o, 'is_only_realtime', 'isOnlyRealtime');
  // [U] both flags true: the mock refuses the pair rather than guess what "neither" would mean.
  if (isOnlySnapshot && isOnlyRealtime) fail('INVALID_PARAM', 'is_only_snapshot and is_only_realtime are exclusive');

  let codes: string[] | undefined;
  if (t === 'myAsset') {
    if ('codes' in o) fail('WRONG_FORMAT', 'myAsset takes no codes');
  } else if (t !== 'announcement' && o.codes !== undefined && o.codes !== null) {
    if (!Array.isArray(o.codes) || o.codes.some((c) => typeof c !== 'string')) {
      fail('WRONG_FORMAT', 'codes must be a list of strings');
    }
    if (NEEDS_CODES(t) && (o.codes as string[]).length === 0) fail('NO_CODES', `${t} needs at least one code`);
    codes = (o.codes as string[]).filter((c) => validCode(t, c, opts));
  }
  if (NEEDS_CODES(t) && codes === undefined) fail('NO_CODES', `${t} needs codes`);

  let level: Dec | undefined;
  if (t === 'orderbook') {
    const raw = o.level;
    if (raw === undefined || raw === null) level = new D(0);
    else if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw))) {
      if (typeof raw === 'number' && !(Number.isFinite(raw) && raw >= 0)) fail('INVALID_PARAM', 'level must be >= 0');
      level = new D(raw);
    } else if (typeof raw === 'string') fail('INVALID_PARAM', `level ${JSON.stringify(raw)} is not a number`);
    else fail('WRONG_FORMAT', 'level must be a number');
  }

  let categories: string[] | undefined;
  let includeBody = false;
  if (t === 'announcement') {
    if (o.categories !== undefined && o.categories !== null) {
      if (!Array.isArray(o.categories) || o.categories.some((c) => typeof c !== 'string')) {
        fail('WRONG_FORMAT', 'categories must be a list of strings');
      }
      for (const c of o.categories as string[]) {
        if (!CATEGORIES.has(c)) fail('INVALID_PARAM', `unknown announcement category ${JSON.stringify(c)}`);
      }
      categories = (o.categories as string[]).length ? [...(o.categories as string[])] : undefined;
    }
    includeBody = flag(o, 'include_body', 'includeBody');
  }
  return { type: t as DataType, codes, isOnlySnapshot, isOnlyRealtime, level, categories, includeBody };
}

/**
 * An orderbook code with its optional `.N` depth suffix. N in 1/5/15/30 is that many units; any
 * other positive integer N is served the full 30 units, not refused (Upbit's behaviour today).
 */
export function bookCode(raw: string): { code: string; depth: number | undefined } {
  const m = /^(.*)\.([1-9][0-9]*)$/.exec(raw);
  if (!m) return parseOrderbookCode(raw);
  const { code, depth } = parseOrderbookCode(m[1]);
  void depth;
  const n = Number(m[2]);
  return { code, depth: n === 1 || n === 5 || n === 15 || n === 30 ? n : 30 };
}

/** Upper-case `QUOTE-BASE`, plus `.N` on orderbook codes (unsupported N: 30 units). */
function validCode(type: string, code: string, opts: ParseOptions): boolean {
  try {
    if (type === 'orderbook') bookCode(code);
    else assertMarketCode(code);
    return true;
  } catch (e) {
    if (opts.invalidCodes === 'ignore') return false;
    const why = e instanceof Error ? e.message : String(e);
    return fail('INVALID_PARAM', why);
  }
}
