/**
 * The `upbit-ws` CLI through its output streams, as a child process: help texts, `watch` against
 * the mock exchange (plain lines with exact decimal prices, `--seconds`, Ctrl-C), and every
 * failure (bad code, unknown option, refused connection, wrong keys) as ONE line on stderr with a
 * non-zero exit code, no stack trace and no hang.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpbit, type MockUpbit } from '../../src/mock/index.js';
import { ROOT, closedPort, expectOneLine, spawnCli } from './helpers.js';

describe('upbit-ws --help', () => {
  it('prints the command list on stdout and exits 0', async () => {
    const cli = spawnCli(['--help']);
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/^upbit-ws: live Upbit market data/);
    expect(cli.stdout()).toMatch(/^ {2}watch /m);
    expect(cli.stderr()).toBe('');
  });

  it.each(['start', 'watch', 'mock', 'gateway'])('upbit-ws %s --help prints that command\'s usage and exits 0', async (command) => {
    const cli = spawnCli([command, '--help']);
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(new RegExp(`^usage: upbit-ws ${command} `));
    expect(cli.stderr()).toBe('');
  });

  it('the installed bin (dist/, built by `prepare`) answers --help', async () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: `npm install` runs `prepare` (npm run build)').toBe(true);
    const cli = spawnCli(['watch', '--help'], { script: 'bin/upbit-ws.js' });
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/^usage: upbit-ws watch CODE\.\.\./);
  });
});

describe('upbit-ws watch against the mock', () => {
  let mock: MockUpbit;
  beforeAll(async () => {
    mock = await startMockUpbit({ manual: true, seed: 7 });
  });
  afterAll(() => mock.close());

  it('prints plain lines with exact decimal prices off a terminal, and --seconds exits 0 by itself', async () => {
    const cli = spawnCli(['watch', 'BTC-XRP', 'KRW-SHIB', '--trades', '--url', mock.url, '--seconds', '4']);
    for (const code of ['BTC-XRP', 'KRW-SHIB']) {
      const t = mock.ticker(code);
      const line = await cli.waitForLine(new RegExp(`^ticker ${code} `));
      // The digits the frame carried: no double, no exponent (0.0000229 stays 0.0000229).
      expect(line.split(' ')[2]).toBe(t.tradePrice.toFixed());
      expect(line).toMatch(new RegExp(` vol24h ${t.accTradeVolume24h.toFixed().replace('.', '\\.')}$`));
    }
    expect(mock.ticker('BTC-XRP').tradePrice.toFixed()).toMatch(/^0\.0000\d+$/); // a double would print 2.29e-5
    mock.tick();
    const trade = mock.lastTrade('KRW-SHIB');
    await cli.waitForLine(new RegExp(`^trade KRW-SHIB ${trade.askBid} ${trade.tradeVolume.toFixed()} @ ${trade.tradePrice.toFixed()}$`));
    await cli.waitForLine(/^connection public open$/);
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toBe('');
    expect(cli.stdout()).not.toMatch(/\x1b\[/); // no cursor moves in a pipe
  });

  it('Ctrl-C (SIGINT) stops cleanly with exit code 0', async () => {
    const cli = spawnCli(['watch', 'KRW-BTC', '--url', mock.url]);
    await cli.waitForLine(/^ticker KRW-BTC \d+ /);
    cli.child.kill('SIGINT');
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toBe('');
  });

  it('wrong keys: one line naming the refusal, exit 1', async () => {
    const cli = spawnCli(['watch', 'KRW-BTC', '--private', '--url', mock.url, '--private-url', mock.privateUrl], {
      env: { UPBIT_ACCESS_KEY: 'not-a-key', UPBIT_SECRET_KEY: 'not-a-secret' },
    });
    expect((await cli.exit).code).toBe(1);
    expect(expectOneLine(cli)).toMatch(/^upbit-ws: UnauthorizedError UNAUTHORIZED: .*(INVALID_AUTH|HTTP 401)/);
  });
});

describe('upbit-ws failures: one clear line, non-zero exit, no hang', () => {
  it.each([
    [['watch', 'krw-btc'], /^upbit-ws: UpbitValidationError INVALID_CODE: invalid market code "krw-btc".*\(did you mean KRW-BTC\?\)$/],
    [['start', '--markets', 'krw-btc'], /^upbit-ws: UpbitValidationError INVALID_CODE: invalid market code "krw-btc"/],
    [['watch', 'KRW-BTC', '--bogus'], /^upbit-ws: UpbitValidationError INVALID_OPTION: Unknown option '--bogus' \(see upbit-ws watch --help\)$/],
    [['watch'], /^upbit-ws: UpbitValidationError INVALID_OPTION: no market code given/],
    [['watch', 'KRW-BTC', '--seconds', 'soon'], /INVALID_OPTION: --seconds must be a number >= 0, got "soon"$/],
    [['frob'], /^upbit-ws: UpbitValidationError INVALID_OPTION: unknown command "frob"/],
    [['watch', 'KRW-NOPE', '--mock'], /INVALID_CODE: KRW-NOPE: not a market of the mock exchange/],
  ])('upbit-ws %j → exit 2', async (args, pattern) => {
    const cli = spawnCli(args);
    expect((await cli.exit).code).toBe(2);
    expect(expectOneLine(cli)).toMatch(pattern);
    expect(cli.stdout()).toBe('');
  });

  it('gateway without --nats: one line, exit 2; with a NATS that refuses: one line, exit 1', async () => {
    const missing = spawnCli(['gateway']);
    expect((await missing.exit).code).toBe(2);
    expect(expectOneLine(missing)).toBe('upbit-ws: UpbitValidationError INVALID_OPTION: --nats nats://HOST:PORT is required (see upbit-ws gateway --help)');
    const port = await closedPort();
    const refused = spawnCli(['gateway', '--nats', `nats://127.0.0.1:${port}`]);
    expect((await refused.exit).code).toBe(1);
    expect(expectOneLine(refused)).toMatch(/^upbit-ws: UpbitConnectionError CONNECTION: the gateway could not start: /);
  });

  it('a refused connection (a port just closed) → exit 1', async () => {
    const port = await closedPort();
    const url = `ws://127.0.0.1:${port}/websocket/v1`;
    const cli = spawnCli(['watch', 'KRW-BTC', '--url', url]);
    expect((await cli.exit).code).toBe(1);
    expect(expectOneLine(cli)).toBe(`upbit-ws: UpbitConnectionError CONNECTION: cannot connect to ${url}: ECONNREFUSED`);
  });
});
