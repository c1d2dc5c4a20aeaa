/**
 * Your orders and balances, live, over the private WebSocket: every myOrder event (wait, trade,
 * done, cancel) and every myAsset change. Keys are signed into a fresh JWT per connect; they never
 * appear in output, errors or inspection. Wrong keys arrive as an UnauthorizedError on `onError`.
 *
 *   npx tsx examples/my-orders.ts --mock       (the mock's keys; place orders with its API)
 *   UPBIT_ACCESS_KEY=... UPBIT_SECRET_KEY=... npx tsx examples/my-orders.ts \
 *     wss://api.upbit.com/websocket/v1 wss://api.upbit.com/websocket/v1/private
 */
import { createUpbitHub } from '../src/index.js';
import type { MockUpbit } from '../src/mock/index.js';
import { isProgram, lineBudget, runExample, type ExampleOptions } from './_run.js';

export async function main(options: ExampleOptions = {}): Promise<void> {
  const { emit, done } = lineBudget(options);
  await using hub = createUpbitHub({ url: options.url, privateUrl: options.privateUrl, credentials: options.credentials });
  await using account = hub.client('account');
  const onError = (e: { code: string; message: string }) => emit(`error ${e.code}: ${e.message}`);

  await account.subscribeMyOrder(
    undefined, // every market
    (o) => emit(`order ${o.code} ${o.askBid} ${o.state} price ${o.price?.toFixed() ?? '-'} volume ${o.volume?.toFixed() ?? '-'} executed ${o.executedVolume?.toFixed() ?? '-'}`),
    { onError },
  );
  await account.subscribeMyAsset(
    (a) => emit(`assets ${a.assets.map((x) => `${x.currency} ${x.balance.toFixed()} (locked ${x.locked.toFixed()})`).join(', ')}`),
    { onError },
  );
  await done;
}

// With --mock, somebody trades: every second a limit buy rests, then fills.
const someOrders = (mock: MockUpbit) => {
  const timer = setInterval(() => {
    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '130000000', volume: '0.001', fills: 0 });
    mock.fillOrder(order.uuid);
  }, 1_000);
  return () => clearInterval(timer);
};

if (isProgram(import.meta.url)) await runExample(main, someOrders);
