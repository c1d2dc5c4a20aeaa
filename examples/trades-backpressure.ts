/**
 * A trade tape whose callback never blocks: the callback only pushes into a bounded queue (O(1));
 * a separate async loop drains it at its own pace (here: one awaited write per trade, as a file or
 * database would need). When the consumer falls behind, the oldest trades are dropped and counted
 * instead of letting memory grow: the hub's socket and the other components never wait for us.
 *
 *   npx tsx examples/trades-backpressure.ts --mock
 *   npx tsx examples/trades-backpressure.ts wss://api.upbit.com/websocket/v1
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createUpbitHub, type Stamped, type Trade } from '../src/index.js';
import { isProgram, lineBudget, runExample, type ExampleOptions } from './_run.js';

/** A bounded FIFO that drops its oldest entry when full. */
export class DropOldest<T> {
  private readonly items: T[] = [];
  dropped = 0;
  private wake: (() => void) | undefined;
  constructor(readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(item);
    this.wake?.();
  }
  /** The next item, waiting for one if empty; undefined once `signal` aborts. */
  async take(signal: AbortSignal): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      this.wake = undefined;
    }
    return this.items.shift();
  }
}

export async function main(options: ExampleOptions & { codes?: string[]; capacity?: number } = {}): Promise<{ dropped: number }> {
  const codes = options.codes ?? ['KRW-BTC', 'KRW-ETH'];
  const { emit, done } = lineBudget(options);
  const queue = new DropOldest<Stamped<Trade>>(options.capacity ?? 1_000);
  const stop = new AbortController();

  await using hub = createUpbitHub({ url: options.url });
  await using tape = hub.client('trade-tape');
  await tape.subscribeTrade(codes, (t) => queue.push(t)); // the whole callback

  const consumer = (async () => {
    for (let t = await queue.take(stop.signal); t; t = await queue.take(stop.signal)) {
      await nextTurn(); // stand-in for slow I/O
      emit(`${t.code} ${t.askBid} ${t.tradeVolume.toFixed()} @ ${t.tradePrice.toFixed()} (seq ${t.sequentialId}, dropped so far ${queue.dropped})`);
    }
  })();
  await done;
  stop.abort();
  await consumer;
  return { dropped: queue.dropped };
}

if (isProgram(import.meta.url)) await runExample(main);
