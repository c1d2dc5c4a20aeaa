/**
 * Every option of the mock exchange, with its default, and `resolveOptions` that fills them in.
 *
 * How to read this file: `MockOptions` is what users pass to `startMockUpbit`; each field's JSDoc
 * names its `@default`. Options marked [U] choose between behaviours the protocol reference
 * (../shared/upbit-protocol.md) leaves unconfirmed; the default is the mock's best guess.
 * `Resolved` is the same shape with every default applied, which the rest of src/mock reads.
 */
import type { PerMessageDeflateOptions } from 'ws';
import type { MarketSpec } from './market-data.js';

/** One API key pair the mock accepts, with the starting balances of its simulated account. */
export interface MockKey {
  readonly accessKey: string;
  /** Used as the raw UTF-8 string, as Upbit does (never base64-decoded). */
  readonly secretKey: string;
  /** Starting balances by currency, exact decimal strings. @default `{ KRW: '100000000', BTC: '1', ETH: '10', USDT: '10000', XRP: '10000' }` */
  readonly balances?: Readonly<Record<string, string>>;
}

export const DEFAULT_BALANCES: Readonly<Record<string, string>> = {
  KRW: '100000000',
  BTC: '1',
  ETH: '10',
  USDT: '10000',
  XRP: '10000',
};

/** The key pair the mock accepts when `keys` is not given. */
export const DEFAULT_MOCK_KEY: MockKey = {
  accessKey: 'mock-access-key-0000000000000000000000000',
  secretKey: 'mock-secret-key-0000000000000000000000000',
};

/** Rate-limit settings (protocol §7). */
export interface MockLimitOptions {
  /** WS upgrades per second per IP (per access key when an Authorization header is sent). @default 5 */
  readonly connectsPerSecond?: number;
  /** Client → server WS messages per second per connection. @default 5 */
  readonly messagesPerSecond?: number;
  /** Client → server WS messages per minute per connection. @default 100 */
  readonly messagesPerMinute?: number;
  /** [U] Whether the text `PING` counts as a message. @default true */
  readonly countPing?: boolean;
  /** What a connect over the limit gets: HTTP 429 at the handshake, or an upgrade followed by an error frame / a close. @default 'http-429' */
  readonly onConnectLimit?: 'http-429' | 'error-frame' | 'close';
  /** [U] What a message over the limit gets: a `Too Many Requests` error frame (message dropped) or a close. @default 'error-frame' */
  readonly onMessageLimit?: 'error-frame' | 'close';
  /** Quotation REST requests per second per IP and group. @default 10 */
  readonly restPerSecond?: number;
  /** Exchange REST requests (`default` group) per second per access key. @default 30 */
  readonly exchangePerSecond?: number;
  /** [U] 429s within 10 s after which an IP gets 418 for `teapotMs`. @default 3 */
  readonly teapotAfter?: number;
  /** [U] First 418 block; doubles with every further block (max 60 s). @default 1000 */
  readonly teapotMs?: number;
  /** Requests with an `Origin` header (browsers) are limited to 1 per 10 s (REST and WS connects). @default true */
  readonly originRule?: boolean;
}

export interface MockOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Market codes from the built-in list (e.g. `['KRW-BTC']`) or full specs. @default the built-in list (KRW, BTC and USDT quotes) */
  readonly markets?: readonly (string | MarketSpec)[];
  /** PRNG seed: the same seed and the same calls give the same frames. @default 1 */
  readonly seed?: number;
  /** Trades per second per market when driven by timers. @default 10 */
  readonly rate?: number;
  /** No market timers: the market moves only when `tick(n)` is called. @default false */
  readonly manual?: boolean;
  /** Simulated time advanced by one step. @default 1000 / rate */
  readonly stepMs?: number;
  /** Simulated time of the first step, Unix ms. @default Date.now() at start */
  readonly startTime?: number;
  /** Candle push cadence in simulated ms (Upbit: 1 s, only when a trade changed the candle); 0 = on every trade. @default 1000 */
  readonly candleIntervalMs?: number;
  /** Clock for rate limits and refusal windows. @default Date.now */
  readonly now?: () => number;
  /** Close a connection after this long with no traffic either way (ms). @default 120000 */
  readonly idleTimeoutMs?: number;
  /** [U] How an idle connection ends: TCP drop (what S2's "connection lost" suggests) or a close frame 1000. @default 'terminate' */
  readonly idleClose?: 'terminate' | 'close';
  /** permessage-deflate: `false` to refuse it, or `ws` options. @default true (with ws defaults every frame is compressed: its 1 KiB threshold applies only without context takeover) */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** [U] Opcode of error frames and `{"status":"UP"}`. Data frames are always binary. @default 'binary' */
  readonly controlFrames?: 'binary' | 'text';
  /** [U] Lower-case or malformed codes: `INVALID_PARAM` error frame, or dropped silently. @default 'error' */
  readonly invalidCodes?: 'error' | 'ignore';
  /**
   * [U] Well-formed codes of markets that do not exist: silence, or an `INVALID_PARAM` frame whose
   * message names the code (`error`) or does not (`error-unnamed`: Upbit's texts are undocumented).
   * Either way the whole request is refused and the previous set stays. @default 'ignore'
   */
  readonly unknownCodes?: 'ignore' | 'error' | 'error-unnamed';
  /** [U] Whether `/websocket/v1/private` also serves ticker/trade/orderbook/candles. @default true */
  readonly privatePublicTypes?: boolean;
  /** [U] Close the socket after sending a request error frame. @default false */
  readonly closeOnError?: boolean;
  /** API keys accepted on the private WS and exchange REST. @default [DEFAULT_MOCK_KEY] */
  readonly keys?: readonly MockKey[];
  /** [U] A failed private handshake: HTTP 401 with an `INVALID_AUTH` body (what ccxt #22696 observed), or upgrade then `INVALID_AUTH` frame and close 1008. @default 'http-401' */
  readonly authFailure?: 'error-frame' | 'http-401';
  /** Trading fee rate of the simulated account, by quote currency. @default `{ KRW: '0.0005', BTC: '0.0025', USDT: '0.0025' }` */
  readonly feeRates?: Readonly<Record<string, string>>;
  /** Rate limits; `false` turns every limit off. */
  readonly limits?: MockLimitOptions | false;
  /** Add `"_sent": <ns since epoch>` (an unknown field the decoder ignores) to every data frame, stamped when written. @default false */
  readonly stampSendTime?: boolean;
  /** Terminate a connection whose unsent data exceeds this (a consumer that cannot keep up). [U] @default 64 MiB */
  readonly maxBufferedBytes?: number;
  /** Frames kept per connection while stalled or delayed; beyond that the oldest are dropped (counted). @default 100000 */
  readonly maxQueuedFrames?: number;
  /** Entries kept in `received` and per-connection `requests`. @default 10000 */
  readonly logLimit?: number;
}

type Req<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };

export interface Resolved
  extends Req<Omit<MockOptions, 'markets' | 'limits' | 'startTime' | 'stepMs' | 'keys' | 'feeRates'>> {
  readonly markets: readonly (string | MarketSpec)[] | undefined;
  readonly startTime: number;
  readonly stepMs: number;
  readonly keys: readonly MockKey[];
  readonly feeRates: Readonly<Record<string, string>>;
  readonly limits: Req<MockLimitOptions> & { readonly enabled: boolean };
}

const LIMIT_DEFAULTS: Req<MockLimitOptions> = {
  connectsPerSecond: 5,
  messagesPerSecond: 5,
  messagesPerMinute: 100,
  countPing: true,
  onConnectLimit: 'http-429',
  onMessageLimit: 'error-frame',
  restPerSecond: 10,
  exchangePerSecond: 30,
  teapotAfter: 3,
  teapotMs: 1000,
  originRule: true,
};

export function resolveOptions(o: MockOptions = {}): Resolved {
  const rate = o.rate ?? 10;
  if (!(rate > 0)) throw new RangeError('rate must be > 0');
  const now = o.now ?? Date.now;
  const keys = o.keys ?? [DEFAULT_MOCK_KEY];
  const seen = new Set<string>();
  for (const k of keys) {
    if (!k.accessKey || !k.secretKey) throw new TypeError('every key needs accessKey and secretKey');
    if (seen.has(k.accessKey)) throw new TypeError(`duplicate access key ${k.accessKey}`);
    seen.add(k.accessKey);
  }
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    markets: o.markets,
    seed: o.seed ?? 1,
    rate,
    manual: o.manual ?? false,
    stepMs: o.stepMs ?? 1000 / rate,
    startTime: o.startTime ?? now(),
    candleIntervalMs: o.candleIntervalMs ?? 1000,
    now,
    idleTimeoutMs: o.idleTimeoutMs ?? 120_000,
    idleClose: o.idleClose ?? 'terminate',
    perMessageDeflate: o.perMessageDeflate ?? true,
    controlFrames: o.controlFrames ?? 'binary',
    invalidCodes: o.invalidCodes ?? 'error',
    unknownCodes: o.unknownCodes ?? 'ignore',
    privatePublicTypes: o.privatePublicTypes ?? true,
    closeOnError: o.closeOnError ?? false,
    keys,
    authFailure: o.authFailure ?? 'http-401',
    feeRates: { KRW: '0.0005', BTC: '0.0025', USDT: '0.0025', ...o.feeRates },
    limits:
      o.limits === false
        ? { ...LIMIT_DEFAULTS, enabled: false }
        : { ...LIMIT_DEFAULTS, ...stripUndefined(o.limits ?? {}), enabled: true },
    stampSendTime: o.stampSendTime ?? false,
    maxBufferedBytes: o.maxBufferedBytes ?? 64 * 1024 * 1024,
    maxQueuedFrames: o.maxQueuedFrames ?? 100_000,
    logLimit: o.logLimit ?? 10_000,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
