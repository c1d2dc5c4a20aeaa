/**
 * `upbit-ws mock`: run the mock Upbit exchange until Ctrl-C (SIGINT) or SIGTERM.
 *
 *   upbit-ws mock [--port 8080] [--host 127.0.0.1] [--markets KRW-BTC,KRW-ETH] [--rate 50]
 *                 [--seed 1] [--idle-timeout 120000] [--no-limits] [--no-deflate]
 *
 * Prints the public, private and REST URLs and the API key pair the private endpoint accepts.
 * `runMockCli(argv, { signal, out })` is also callable from code and tests: `signal` stops it
 * like SIGINT does; `out` receives the printed lines.
 */
import { parseArgs } from 'node:util';
import { startMockUpbit } from '../mock/index.js';
import type { MockOptions } from '../mock/index.js';

export interface MockCliIo {
  /** Stops the mock, like SIGINT. */
  readonly signal?: AbortSignal;
  /** Where lines go. @default stdout */
  readonly out?: (line: string) => void;
}

export function parseMockArgs(argv: readonly string[]): MockOptions {
  const args = argv[0] === 'mock' ? argv.slice(1) : [...argv];
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      markets: { type: 'string' },
      rate: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      'idle-timeout': { type: 'string' },
      'no-limits': { type: 'boolean', default: false },
      'no-deflate': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new RangeError(`--${name} must be a number >= 0, got ${v}`);
    return n;
  };
  return {
    port: num('port', values.port),
    host: values.host,
    markets: values.markets
      ?.split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
    rate: num('rate', values.rate) || 10,
    seed: num('seed', values.seed),
    idleTimeoutMs: values['idle-timeout'] === undefined ? undefined : num('idle-timeout', values['idle-timeout']),
    limits: values['no-limits'] ? false : undefined,
    perMessageDeflate: !values['no-deflate'],
  };
}

export async function runMockCli(argv: readonly string[], io: MockCliIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const mock = await startMockUpbit(parseMockArgs(argv));
  const key = mock.keys[0];
  out(`mock Upbit exchange (${mock.markets.length} markets)`);
  out(`  public WS:  ${mock.url}`);
  out(`  private WS: ${mock.privateUrl}`);
  out(`  REST:       ${mock.restUrl}/v1`);
  out(`  access key: ${key.accessKey}`);
  out(`  secret key: ${key.secretKey}`);
  out('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await mock.close();
  out('mock stopped');
}
