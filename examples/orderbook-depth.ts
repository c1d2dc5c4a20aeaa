/**
 * Orderbook depth at a price level: the 5 best levels of KRW-BTC, aggregated into 10 000 KRW
 * buckets (`level`, KRW markets only), with the totals Upbit sends. Exact decimals throughout.
 *
 *   npx tsx examples/orderbook-depth.ts --mock
 *   npx tsx examples/orderbook-depth.ts wss://api.upbit.com/websocket/v1
 */
import { createUpbitHub } from '../src/index.js';
import { isProgram, lineBudget, runExample, type ExampleOptions } from './_run.js';

export async function main(options: ExampleOptions & { code?: string; level?: number } = {}): Promise<void> {
  const code = options.code ?? 'KRW-BTC';
  const level = options.level ?? 10_000;
  const { emit, done } = lineBudget(options);
  await using hub = createUpbitHub({ url: options.url });
  await using depth = hub.client('depth');

  await depth.subscribeOrderbook(
    [code],
    (book) => {
      emit(`${book.code} level ${book.level?.toFixed() ?? 0}  asks ${book.totalAskSize.toFixed()}  bids ${book.totalBidSize.toFixed()}`);
      for (const u of book.orderbookUnits) {
        emit(`  ${u.bidSize.toFixed().padStart(14)} ${u.bidPrice.toFixed().padStart(12)} | ${u.askPrice.toFixed().padEnd(12)} ${u.askSize.toFixed()}`);
      }
    },
    { depth: 5, level, onError: (e) => emit(`error ${e.code}: ${e.message}`) },
  );
  await done;
}

if (isProgram(import.meta.url)) await runExample(main);
