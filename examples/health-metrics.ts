/**
 * Health, metrics and logs: a hub with a console logger (info and up), the health verdict as it
 * changes, and, every `every` ticker updates, the public connection's figures and the Prometheus
 * line of the messages received, i.e. what `/metrics` would serve to a scraper.
 *
 *   npx tsx examples/health-metrics.ts --mock
 *   npx tsx examples/health-metrics.ts wss://api.upbit.com/websocket/v1 --count 12
 */
import { createUpbitHub, type Logger } from '../src/index.js';
import { isProgram, lineBudget, runExample, type ExampleOptions } from './_run.js';

export async function main(options: ExampleOptions & { codes?: string[]; every?: number } = {}): Promise<void> {
  const codes = options.codes ?? ['KRW-BTC', 'KRW-ETH'];
  const every = options.every ?? 10;
  const { emit, done } = lineBudget(options);

  // pino works as is (`logger: pino()`); this one prints info, warn and error as lines.
  const line = (level: string) => (obj: object, msg?: string) => emit(`log ${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger: Logger = { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };

  await using hub = createUpbitHub({ url: options.url, logger, health: { downUnhealthyMs: 30_000, shedDegraded: 0.01 } });
  hub.on('health', (h) => emit(`health ${h.status}${h.reasons.length ? `: ${h.reasons.join('; ')}` : ''}`));
  await using board = hub.client('board');

  let updates = 0;
  const report = async () => {
    const c = hub.stats().connections.public;
    emit(`public ${c.state}: ${c.messages} messages, ${c.bytes} bytes, ${c.reconnects} reconnects, ${c.subscriptionsOnWire} pairs on the wire, epoch ${c.epoch}`);
    const text = await hub.prometheus();
    emit(text.split('\n').find((l) => l.startsWith('upbit_ws_messages_received_total{connection="public"}')) ?? '');
    emit(`health ${hub.health().status}`);
  };
  await board.subscribeTicker(codes, () => {
    if (++updates % every === 0) void report();
  });
  await done;
}

if (isProgram(import.meta.url)) await runExample(main);
