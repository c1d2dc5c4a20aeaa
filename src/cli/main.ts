/**
 * The `upbit-ws` command line: `start`, `watch`, `mock` (usage.ts has every option).
 *
 * How to read: `main(argv, io)` dispatches and returns the exit code; it is the only place that
 * catches: any error becomes ONE line on stderr (`errorLine`) and an exit code (0 done, 1
 * connection/auth, 2 bad input), never a stack trace. `runStart` is the main job (`npm start`):
 * the watch engine (watch.ts) with several markets and every panel, against an embedded mock
 * unless `--real`, `--url` or UPBIT_URL. The bottom lines run `main` when this file is the
 * program (tsx src/cli/main.ts, or bin/upbit-ws.js through dist/).
 */
import { UpbitConnectionError, UpbitError, UpbitValidationError } from '../io/index.js';
import { COMMANDS, USAGE, numberOption, parseCommandArgs, type Command } from './usage.js';
import { REAL_URL, errorLine, exitCodeOf, parseWatchArgs, startWatch, type CliIo, type Watch } from './watch.js';

export type { CliIo, Watch } from './watch.js';

const DEFAULT_MARKETS = 'KRW-BTC,KRW-ETH,KRW-XRP,KRW-SOL';

export const processIo = (): CliIo => ({
  out: process.stdout,
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});

/** `upbit-ws start`: returns the running watch, or 'help' when --help was asked. */
export async function runStart(argv: readonly string[], io: CliIo = processIo()): Promise<Watch | 'help'> {
  const { values } = parseCommandArgs('start', argv, {
    real: { type: 'boolean', default: false },
    url: { type: 'string' },
    markets: { type: 'string', default: DEFAULT_MARKETS },
    seconds: { type: 'string' },
    rate: { type: 'string', default: '4' },
    inspect: { type: 'boolean', default: false },
    'no-inspect': { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  const codes = (values.markets as string).split(',').map((s) => s.trim()).filter(Boolean);
  const url = (values.url as string | undefined) ?? io.env.UPBIT_URL ?? (values.real ? REAL_URL : undefined);
  return startWatch(
    {
      codes,
      orderbook: true,
      trades: true,
      private: false,
      url,
      mock: url ? undefined : { rate: numberOption('rate', values.rate as string, 0.1)! },
      seconds: numberOption('seconds', values.seconds as string | undefined),
      inspect: values['no-inspect'] !== true, // the demo serves the inspector page unless told not to
      plain: 'summary',
      banner: (wsUrl, mock) => (mock ? `mock Upbit exchange on ${wsUrl} (use --real or UPBIT_URL for the real one)` : `connecting to ${wsUrl}`),
    },
    io,
  );
}

async function launch(command: Command, rest: readonly string[], io: CliIo): Promise<Watch | 'help' | number> {
  if (command === 'start') return runStart(rest, io);
  if (command === 'watch') {
    const config = parseWatchArgs(rest);
    return config === 'help' ? 'help' : startWatch(config, io);
  }
  if (command === 'gateway') return runGateway(rest);
  const { parseMockArgs, runMockCli } = await import('./mock.js');
  if (rest.includes('--help') || rest.includes('-h')) return 'help';
  try {
    parseMockArgs(rest); // bad options fail here, before anything starts
  } catch (err) {
    throw new UpbitValidationError('INVALID_OPTION', `${(err as Error).message.split('. ')[0]} (see upbit-ws mock --help)`);
  }
  await runMockCli(rest, { out: (l) => io.out.write(`${l}\n`) });
  return 0;
}

/** `upbit-ws gateway`: runs until SIGINT/SIGTERM (the gateway stops cleanly), then exit code 0. */
async function runGateway(rest: readonly string[]): Promise<'help' | number> {
  if (rest.includes('--help') || rest.includes('-h')) return 'help';
  const { runGatewayCli } = await import('./gateway.js');
  let started: Awaited<ReturnType<typeof runGatewayCli>>;
  try {
    started = await runGatewayCli(rest);
  } catch (err) {
    // Option mistakes (parseArgs, a missing --nats, a bad number) are bad input: one line, exit 2.
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new UpbitValidationError('INVALID_OPTION', `${err.message.split('. ')[0]} (see upbit-ws gateway --help)`);
    }
    if (err instanceof UpbitError) throw err;
    throw new UpbitConnectionError(`the gateway could not start: ${(err as Error).message}`, err);
  }
  await started.stopped;
  return 0;
}

/** Run one command; resolves with its exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' && rest[0] && rest[0] in USAGE ? (rest[0] as Command) : 'main';
    io.out.write(`${USAGE[topic]}\n`);
    return 0;
  }
  try {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UpbitValidationError('INVALID_OPTION', `unknown command ${JSON.stringify(first)} (see upbit-ws --help)`);
    }
    const command = first as Command;
    const result = await launch(command, rest, io);
    if (result === 'help') {
      io.out.write(`${USAGE[command]}\n`);
      return 0;
    }
    if (typeof result === 'number') return result;
    return await result.done;
  } catch (err) {
    io.err(errorLine(err));
    return exitCodeOf(err);
  }
}

const entry = process.argv[1]?.replace(/\\/g, '/') ?? '';
if (/\/src\/cli\/main\.ts$/.test(entry)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
