/**
 * Two components, one connection: a chart wants tickers of KRW-BTC and KRW-ETH, an alert wants
 * trades of KRW-BTC. Upbit replaces the whole subscription on every request, so the hub merges
 * every component's wishes into ONE request on ONE socket and routes each frame to the components
 * that asked for it. When the alert leaves, the merged request shrinks; the chart is untouched.
 *
 *   npx tsx examples/shared-connection.ts --mock
 *   npx tsx examples/shared-connection.ts wss://api.upbit.com/websocket/v1
 */
import { createUpbitHub } from '../src/index.js';
import { isProgram, lineBudget, runExample, type ExampleOptions } from './_run.js';

export async function main(options: ExampleOptions = {}): Promise<{ chartTickers: number; alertTrades: number }> {
  const { emit, done } = lineBudget(options);
  await using hub = createUpbitHub({ url: options.url });
  await using chart = hub.client('chart');
  const alert = hub.client('alert');
  let chartTickers = 0;
  let alertTrades = 0;

  await chart.subscribeTicker(['KRW-BTC', 'KRW-ETH'], (t) => {
    chartTickers++;
    emit(`chart  ticker ${t.code} ${t.tradePrice.toFixed()}`);
  });
  await alert.subscribeTrade(['KRW-BTC'], (t) => {
    alertTrades++;
    emit(`alert  trade  ${t.code} ${t.askBid} ${t.tradeVolume.toFixed()} @ ${t.tradePrice.toFixed()}`);
  });
  await done;

  const s = hub.status();
  (options.out ?? console.log)(`public connection ${s.public}, epoch ${s.epochs.public}, ${s.components} components, ${s.metrics.requestsSent.public} requests`);
  await alert.cleanup(); // the union shrinks to the chart's tickers
  return { chartTickers, alertTrades };
}

if (isProgram(import.meta.url)) await runExample(main);
