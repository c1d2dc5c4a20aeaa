/**
 * Ticker board with a graceful shutdown: live prices of a few markets, one line per update, and
 * everything released by `await using` when the function returns (after `count` lines, or on
 * Ctrl-C), even when it throws.
 *
 *   npx tsx examples/ticker-board.ts --mock
 *   npx tsx examples/ticker-board.ts wss://api.upbit.com/websocket/v1
 */
import { createUpbitHub } from '../src/index.js';
import { isProgram, lineBudget, runExample, type ExampleOptions } from './_run.js';

export async function main(options: ExampleOptions & { codes?: string[] } = {}): Promise<void> {
  const codes = options.codes ?? ['KRW-BTC', 'KRW-ETH', 'KRW-XRP'];
  const { emit, done } = lineBudget(options);

  // Disposed in reverse order when this scope ends: the client first (its component stops, its
  // wishes leave the merged request), then the hub (sockets and timers closed).
  await using hub = createUpbitHub({ url: options.url });
  await using board = hub.client('ticker-board');

  await board.subscribeTicker(
    codes,
    // Prices are Decimal, built from the frame's digits: print them with toFixed(), never Number().
    (t) => emit(`${t.code.padEnd(8)} ${t.tradePrice.toFixed().padStart(12)}  ${t.signedChangeRate.mul(100).toFixed(2)}%`),
    { onError: (e) => emit(`error ${e.code}: ${e.message}`) },
  );
  await done;
}

if (isProgram(import.meta.url)) await runExample(main);
