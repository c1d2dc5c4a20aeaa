/**
 * `upbit-ws watch` (and the engine behind `upbit-ws start`): a live board of market codes fed by
 * one hub.
 *
 * How to read: `parseWatchArgs` turns argv into a `WatchConfig`; `startWatch(config, io)` checks
 * the input (codes, keys), starts the embedded mock when asked, checks once that the WebSocket
 * endpoint answers (so a wrong URL is one clear line, not an endless retry loop), then creates the
 * hub, one component per panel (ticker board, trade tape, orderbook panel, my orders), and the
 * output: a table redrawn in place on a terminal, plain lines elsewhere (board.ts). It returns a
 * `Watch` whose `done` resolves with the exit code: 0 after --seconds, Ctrl-C or `stop()`, 1 when
 * the connection or the keys fail, 2 for bad input. Every failure is ONE line on `io.err`.
 */
import type { MockUpbit } from '../mock/index.js';
import {
  UnauthorizedError,
  UpbitConnectionError,
  UpbitValidationError,
  assertMarketCode,
  openTransport,
  type UpbitError,
} from '../io/index.js';
import { createUpbitHub, type UpbitHub } from '../actors/hub.js';
import type { Subscription } from '../actors/subscription.js';
import { Board, Screen, plainLine, type OutStream } from './board.js';
import { createInspectServer } from './inspect-server.js';
import { numberOption, parseCommandArgs } from './usage.js';

export const REAL_URL = 'wss://api.upbit.com/websocket/v1';

export interface WatchConfig {
  codes: string[];
  orderbook: boolean;
  trades: boolean;
  /** Also subscribe to myOrder (needs keys). */
  private: boolean;
  url?: string;
  privateUrl?: string;
  restUrl?: string;
  /** Run an embedded mock exchange with this many trades/s per market. */
  mock?: { rate: number };
  seconds?: number;
  inspect: boolean;
  /** Off a terminal: one line per event ('events', watch) or one summary line per second ('summary', start). */
  plain: 'events' | 'summary';
  /** A first line (start: where the data comes from). */
  banner?: (url: string, mock: MockUpbit | undefined) => string;
}

/** Where a command reads its environment and writes its output; tests pass their own. */
export interface CliIo {
  readonly out: OutStream;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Install SIGINT/SIGTERM handlers that stop cleanly. @default true */
  readonly signals?: boolean;
}

export interface Watch {
  readonly hub: UpbitHub;
  readonly mock: MockUpbit | undefined;
  /** Stop everything; `done` then resolves with 0. */
  stop(): Promise<void>;
  /** The exit code, once stopped. */
  readonly done: Promise<number>;
  /** The inspector page, with --inspect. */
  readonly inspectorUrl: string | undefined;
}

export function parseWatchArgs(argv: readonly string[]): WatchConfig | 'help' {
  const { values, positionals } = parseCommandArgs(
    'watch',
    argv,
    {
      orderbook: { type: 'boolean', default: false },
      trades: { type: 'boolean', default: false },
      private: { type: 'boolean', default: false },
      url: { type: 'string' },
      'private-url': { type: 'string' },
      'rest-url': { type: 'string' },
      mock: { type: 'boolean', default: false },
      rate: { type: 'string', default: '10' },
      seconds: { type: 'string' },
      inspect: { type: 'boolean', default: false },
    },
    true,
  );
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UpbitValidationError('INVALID_OPTION', 'no market code given, e.g. upbit-ws watch KRW-BTC (see upbit-ws watch --help)');
  if (values.mock && values.url) throw new UpbitValidationError('INVALID_OPTION', '--mock and --url exclude each other');
  return {
    codes: positionals,
    orderbook: values.orderbook === true,
    trades: values.trades === true,
    private: values.private === true,
    url: values.url as string | undefined,
    privateUrl: values['private-url'] as string | undefined,
    restUrl: values['rest-url'] as string | undefined,
    mock: values.mock ? { rate: numberOption('rate', values.rate as string, 0.1)! } : undefined,
    seconds: numberOption('seconds', values.seconds as string | undefined),
    inspect: values.inspect === true,
    plain: 'events',
  };
}

/** Market codes as Upbit wants them; a lower-case code gets a hint, not a silent fix. */
export function checkCodes(codes: readonly string[]): void {
  for (const code of codes) {
    try {
      assertMarketCode(code);
    } catch (err) {
      const upper = code.toUpperCase();
      const hint = upper !== code && /^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$/.test(upper) ? ` (did you mean ${upper}?)` : '';
      throw new UpbitValidationError('INVALID_CODE', `${(err as Error).message}${hint}`);
    }
  }
}

/** Open one WebSocket to `url` and close it: resolves when the endpoint answers, rejects with one clear error. */
export function probe(url: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: UpbitError) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    let t: ReturnType<typeof openTransport> | undefined;
    try {
      t = openTransport(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false }, {
        onOpen: () => {
          t?.close(1000, 'probe');
          settle();
        },
        onFrame: () => {},
        onPong: () => {},
        onClose: () => settle(new UpbitConnectionError(`cannot connect to ${url}: closed during the handshake`)),
        onError: (e) => {
          const code = (e as NodeJS.ErrnoException).code;
          settle(new UpbitConnectionError(`cannot connect to ${url}: ${code ?? e.message}`, e));
        },
        onHttpStatus: (status) => settle(new UpbitConnectionError(`cannot connect to ${url}: HTTP ${status}`, undefined, status)),
      });
    } catch (e) {
      settle(new UpbitConnectionError(`cannot connect to ${JSON.stringify(url)}: ${(e as Error).message}`, e));
    }
  });
}

/** `upbit-ws: UnauthorizedError UNAUTHORIZED: ...`, the one line every failure prints. */
export const errorLine = (err: unknown): string => {
  const e = err as Partial<UpbitError>;
  return e && typeof e.code === 'string' ? `upbit-ws: ${e.name} ${e.code}: ${e.message}` : `upbit-ws: ${(err as Error)?.message ?? String(err)}`;
};

/** The exit code for an error: 2 for bad input, 1 for everything else. */
export const exitCodeOf = (err: unknown): number => (err instanceof UpbitValidationError ? 2 : 1);

export async function startWatch(config: WatchConfig, io: CliIo): Promise<Watch> {
  checkCodes(config.codes);
  let mock: MockUpbit | undefined;
  if (config.mock) {
    const { startMockUpbit } = await import('../mock/index.js');
    mock = await startMockUpbit({ rate: config.mock.rate });
    const unknown = config.codes.filter((c) => !mock!.markets.includes(c));
    if (unknown.length > 0) {
      await mock.close();
      throw new UpbitValidationError('INVALID_CODE', `${unknown.join(', ')}: not a market of the mock exchange (it has ${mock.markets.join(', ')})`);
    }
  }
  try {
    return await run(config, io, mock);
  } catch (err) {
    await mock?.close();
    throw err;
  }
}

async function run(config: WatchConfig, io: CliIo, mock: MockUpbit | undefined): Promise<Watch> {
  const url = mock?.url ?? config.url ?? io.env.UPBIT_URL ?? REAL_URL;
  const privateUrl = mock?.privateUrl ?? config.privateUrl ?? `${url.replace(/\/$/, '')}/private`;
  let credentials: { accessKey: string; secretKey: string } | undefined;
  if (config.private) {
    const accessKey = io.env.UPBIT_ACCESS_KEY ?? mock?.keys[0].accessKey;
    const secretKey = io.env.UPBIT_SECRET_KEY ?? mock?.keys[0].secretKey;
    if (!accessKey || !secretKey) throw new UnauthorizedError('--private needs UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY in the environment');
    credentials = { accessKey, secretKey };
  }
  await probe(url);
  // The inspector page sees this hub's actors through `inspect` (redacted copies only).
  let hubRef: UpbitHub | undefined;
  const inspector = config.inspect ? createInspectServer({ status: () => hubRef?.status(), hub: () => hubRef }) : undefined;
  const hub = createUpbitHub({ url, privateUrl, restUrl: mock?.restUrl ?? config.restUrl, credentials, format: 'SIMPLE', inspect: inspector?.inspect });
  hubRef = hub;
  let page: { url: string; close(): Promise<void> } | undefined;
  try {
    page = await inspector?.listen();
  } catch (err) {
    await hub.stop();
    throw new UpbitConnectionError(`cannot serve the inspector on 127.0.0.1: ${(err as Error).message}`, err);
  }

  const tty = io.out.isTTY === true;
  const board = new Board(config.codes, config, Date.now());
  const screen = new Screen(io.out);
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  const line = (text: string) => {
    if (!stopping) io.out.write(`${text}\n`);
  };
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const timers: ReturnType<typeof setInterval>[] = [];
  // The panels' subscriptions (each holds its client) live until stop(): a client nobody holds is
  // cleaned up after garbage collection (hub.client).
  const held: Subscription<unknown>[] = [];
  const onSignal = () => void stop();
  // A reader that went away (`upbit-ws watch ... | head`) ends the watch quietly.
  const onOutError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') void stop();
    else fail(new UpbitConnectionError(`cannot write the output: ${err.message}`, err));
  };
  io.out.on?.('error', onOutError);

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const t of timers) clearInterval(t);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.out.off?.('error', onOutError);
      if (tty) screen.end();
      await hub.stop();
      held.length = 0;
      await page?.close();
      await mock?.close();
      resolveDone(exitCode);
    })());
  const fail = (err: UpbitError) => {
    if (stopping) return;
    exitCode = exitCodeOf(err);
    io.err(errorLine(err));
    void stop();
  };
  const warn = (err: UpbitError) => {
    if (tty) board.warning = `${err.code}: ${err.message}`;
    else io.err(`upbit-ws: warning: ${err.code}: ${err.message}`);
  };
  // Errors no subscription owns (a malformed frame...): worth a word, not worth stopping.
  hub.onError(warn);

  if (config.banner) line(config.banner(url, mock));
  if (page) line(`inspector ${page.url}`);

  const event = (kind: 'ticker' | 'trade' | 'orderbook' | 'myOrder') => (e: never) => {
    if (!tty && config.plain === 'events') line(plainLine(kind, e));
  };
  // One component per panel: they share the hub's one public (and one private) connection.
  // An outage the hub is recovering from is a warning (the table shows the connection state); a
  // subscription that FAILED (retries exhausted, keys refused, the server refused it) ends the watch.
  const onError = { onError: (err: UpbitError) => (err instanceof UpbitConnectionError ? warn(err) : fail(err)) };
  const watchStatus = (sub: Subscription<unknown>) => {
    held.push(sub);
    sub.onStatus((status, info) => status === 'failed' && info.error && fail(info.error));
  };
  try {
    watchStatus(await hub.client('ticker-board').subscribeTicker(config.codes, (t) => (board.onTicker(t), event('ticker')(t as never)), onError));
    if (config.trades) {
      watchStatus(await hub.client('trade-tape').subscribeTrade(config.codes, (t) => (board.onTrade(t), event('trade')(t as never)), onError));
    }
    if (config.orderbook) {
      const panel = hub.client('orderbook-panel');
      watchStatus(await panel.subscribeOrderbook(config.codes, (b) => (board.onOrderbook(b), event('orderbook')(b as never)), { ...onError, depth: 5 }));
    }
    if (config.private) {
      watchStatus(await hub.client('my-orders').subscribeMyOrder(undefined, (o) => (board.onMyOrder(o), event('myOrder')(o as never)), onError));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const connection = () => {
    const s = hub.status();
    const priv = config.private ? `  private ${s.private}` : '';
    return `${url}  public ${s.public} (epoch ${s.epochs.public})${priv}  components ${s.components}  frames ${s.metrics.frames}`;
  };
  if (tty) {
    let frames = 0;
    timers.push(
      setInterval(() => {
        if (++frames % 4 === 0) board.tick(Date.now());
        screen.draw(board.table(connection()));
      }, 250),
    );
  } else {
    let last = '';
    timers.push(
      setInterval(() => {
        const s = hub.status();
        const state = `connection public ${s.public}${config.private ? ` private ${s.private}` : ''}`;
        if (state !== last) line((last = state));
        if (config.plain === 'summary') line(board.summary(new Date().toISOString().slice(11, 19)));
      }, config.plain === 'summary' ? 1000 : 250),
    );
  }
  if (config.seconds !== undefined) timers.push(setTimeout(() => void stop(), config.seconds * 1000));
  if (io.signals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { hub, mock, stop, done, inspectorUrl: page?.url };
}
