/**
 * Help texts of every `upbit-ws` command, and `parseCommandArgs`, the one place the CLI parses
 * options (node:util parseArgs) and turns a parse failure into a typed, one-line error.
 *
 * How to read: `USAGE` holds the texts (the README's CLI reference is copied from them); parse
 * errors become `UpbitValidationError('INVALID_OPTION', ...)`, which main.ts prints as one line
 * with exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UpbitValidationError } from '../io/index.js';

export type Command = 'start' | 'watch' | 'mock' | 'gateway';
export const COMMANDS: readonly Command[] = ['start', 'watch', 'mock', 'gateway'];

export const USAGE: Record<Command | 'main', string> = {
  main: `upbit-ws: live Upbit market data through one shared WebSocket

usage: upbit-ws <command> [options]

commands:
  start   the demo: an embedded mock exchange and a live board of several markets
  watch   a live table of market codes (ticker, and optionally orderbook and trades)
  mock    run the mock Upbit exchange until Ctrl-C
  gateway share one hub's Upbit connections with other processes over NATS JetStream

  upbit-ws <command> --help   options of one command
  upbit-ws --help             this text

exit codes: 0 done (also after --seconds or Ctrl-C), 1 connection or auth failure,
2 bad input (unknown option, bad market code)`,

  watch: `usage: upbit-ws watch CODE... [options]

A live table of the given markets (e.g. KRW-BTC KRW-ETH): price, change, 24 h volume,
updates/s and the connection state, redrawn in place in a terminal. When stdout is not a
terminal, one plain line per event instead (exact decimal prices).

options:
  --orderbook        also show the best bid and ask
  --trades           also show the last trade
  --private          also show your orders (myOrder); keys from UPBIT_ACCESS_KEY and
                     UPBIT_SECRET_KEY (with --mock: the mock's keys unless those are set)
  --url URL          public WebSocket (default: UPBIT_URL or wss://api.upbit.com/websocket/v1)
  --private-url URL  private WebSocket (default: the public URL + /private)
  --rest-url URL     REST base (default: https://api.upbit.com)
  --mock             run an embedded mock exchange and watch it
  --seconds N        stop after N seconds (exit code 0)
  --inspect          serve the live inspector page (actor tree, statecharts, health,
                     metrics, events; /metrics, /healthz, /stream, /board) on
                     127.0.0.1 and print its address
  -h, --help         this text`,

  start: `usage: upbit-ws start [options]

The demo: several components (a ticker board, a trade tape, an orderbook panel) share one
connection of one hub and feed a live board, and the inspector page shows the actors.
Against an embedded mock exchange unless --real, --url or UPBIT_URL says otherwise.

options:
  --real             watch the real Upbit (wss://api.upbit.com/websocket/v1)
  --url URL          watch this public WebSocket instead
  --markets A,B,...  market codes (default KRW-BTC,KRW-ETH,KRW-XRP,KRW-SOL)
  --rate N           trades per second per market of the embedded mock (default 4)
  --seconds N        stop after N seconds (exit code 0)
  --no-inspect       do not serve the live inspector page (served by default on
                     127.0.0.1, its address printed)
  -h, --help         this text`,

  gateway: `usage: upbit-ws gateway --nats nats://HOST:PORT [options]

A hub that serves remote components (connectGateway from 'upbit-ws/gateway') over NATS
JetStream, until SIGINT/SIGTERM. Two gateways on one NATS form a leader and a standby.

options:
  --nats URL                  NATS server (required)
  --url URL                   public WebSocket (default: Upbit's)
  --private-url URL           private WebSocket
  --rest-url URL              REST base
  --mock                      run an embedded mock exchange upstream
  --account NAME              subject part for private events (upbit.private.NAME.*)
  --id NAME                   this gateway's name in the standby lease
  --lease-ttl MS              standby lease lifetime
  --max-msgs-per-subject N    retention per subject
  --max-age MS                retention by age
  --inspect                   serve the inspector page, /metrics and /healthz on 127.0.0.1
  -h, --help                  this text`,

  mock: `usage: upbit-ws mock [options]

Run the mock Upbit exchange (public and private WebSocket, REST) until Ctrl-C. Prints its
URLs and the API key pair its private endpoint accepts.

options:
  --port N           port (default 0: a free one)
  --host H           address (default 127.0.0.1)
  --markets A,B,...  simulated markets (default: the built-in list)
  --rate N           trades per second per market (default 10)
  --seed N           PRNG seed (default 1)
  --idle-timeout MS  drop a connection idle this long (default 120000)
  --no-limits        turn every rate limit off
  --no-deflate       refuse permessage-deflate
  -h, --help         this text`,
};

/** parseArgs with `--help` added and its errors turned into one clear typed error. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  command: Command,
  argv: readonly string[],
  options: O,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    // node's messages are good but long ("Unknown option '--x'. To specify a positional ...").
    const message = (err as Error).message.split('. ')[0];
    throw new UpbitValidationError('INVALID_OPTION', `${message} (see upbit-ws ${command} --help)`);
  }
}

/** A number option: finite and >= min, else a typed error naming the option. */
export function numberOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new UpbitValidationError('INVALID_OPTION', `--${name} must be a number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}
