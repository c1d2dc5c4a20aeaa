/**
 * What every example shares: its options, a line counter that ends it, and the command-line
 * runner. Not an example itself.
 *
 *   npx tsx examples/ticker-board.ts --mock                 an embedded mock exchange
 *   npx tsx examples/ticker-board.ts wss://api.upbit.com/websocket/v1
 *   ... --count 50                                          stop after 50 lines (default 20)
 *
 * Private examples read UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY (with --mock: the mock's keys).
 * Ctrl-C stops an example cleanly. The tests (test/examples) call each `main(options)` directly.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockUpbit, type MockUpbit } from '../src/mock/index.js';

export interface ExampleOptions {
  /** Public WebSocket. @default Upbit's */
  readonly url?: string;
  /** Private WebSocket. @default Upbit's */
  readonly privateUrl?: string;
  readonly credentials?: { readonly accessKey: string; readonly secretKey: string };
  /** Where lines go. @default console.log */
  readonly out?: (line: string) => void;
  /** Stop after this many lines. @default 20 */
  readonly count?: number;
  /** Stop early (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** `emit` prints a line; `done` resolves after `count` lines or when `signal` aborts. */
export function lineBudget(options: ExampleOptions) {
  const out = options.out ?? ((line: string) => console.log(line));
  const count = options.count ?? 20;
  let printed = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  if (options.signal?.aborted) finish();
  options.signal?.addEventListener('abort', () => finish(), { once: true });
  return {
    emit(line: string) {
      if (printed >= count) return;
      out(line);
      if (++printed >= count) finish();
    },
    done,
  };
}

/** Run an example from the command line (`--mock` or a URL). */
export async function runExample(
  main: (options: ExampleOptions) => Promise<unknown>,
  /** With --mock: something to make happen on the mock (e.g. orders); returns its stop. */
  withMock?: (mock: MockUpbit) => () => void,
): Promise<void> {
  const { values, positionals } = parseArgs({ options: { mock: { type: 'boolean' }, count: { type: 'string' } }, allowPositionals: true });
  const mock = values.mock ? await startMockUpbit({ rate: 5 }) : undefined;
  const url = mock?.url ?? positionals[0];
  const accessKey = process.env.UPBIT_ACCESS_KEY ?? mock?.keys[0].accessKey;
  const secretKey = process.env.UPBIT_SECRET_KEY ?? mock?.keys[0].secretKey;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const stopActivity = mock && withMock ? withMock(mock) : undefined;
  try {
    await main({
      url,
      privateUrl: mock?.privateUrl ?? positionals[1],
      credentials: accessKey && secretKey ? { accessKey, secretKey } : undefined,
      count: values.count ? Number(values.count) : undefined,
      signal: stop.signal,
    });
  } catch (err) {
    console.error(`${(err as Error).name}: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    stopActivity?.();
    await mock?.close();
  }
}

/** True when the module `url` is the program being run (not imported by a test). */
export const isProgram = (url: string): boolean => process.argv[1] !== undefined && fileURLToPath(url) === resolve(process.argv[1]);
