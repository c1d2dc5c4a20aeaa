/**
 * The `upbit-ws` command line.
 *
 *   upbit-ws start [--real] [--url wss://...] [--markets KRW-BTC,KRW-ETH] [--seconds N]
 *       Live prices through the hub: several components (a ticker board, a trade tape, an
 *       orderbook panel) share one connection. Against the embedded mock exchange by default;
 *       `--real` (or UPBIT_URL) points it at Upbit.
 *   upbit-ws mock [--port 8080] [--markets ...] [--rate 50]
 *       Run the mock exchange until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import type { Ticker, Orderbook } from '../io/index.js';
import { createUpbitHub, type UpbitHub } from '../actors/hub.js';
import type { Stamped } from '../actors/router.js';

const REAL_URL = 'wss://api.upbit.com/websocket/v1';

export async function runStart(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      real: { type: 'boolean', default: false },
      url: { type: 'string' },
      markets: { type: 'string', default: 'KRW-BTC,KRW-ETH,KRW-XRP,KRW-SOL' },
      seconds: { type: 'string' },
      rate: { type: 'string', default: '4' },
    },
  });
  const markets = values.markets!.split(',').map((s) => s.trim()).filter(Boolean);
  const url = values.url ?? process.env.UPBIT_URL ?? (values.real ? REAL_URL : undefined);

  let mock: { url: string; close(): Promise<void> } | undefined;
  let wsUrl = url;
  if (!wsUrl) {
    const { startMockUpbit } = await import('../mock/index.js');
    mock = await startMockUpbit({ rate: Number(values.rate) });
    wsUrl = mock.url;
    out(`mock Upbit exchange on ${mock.url} (use --real or UPBIT_URL for the real one)`);
  } else {
    out(`connecting to ${wsUrl}`);
  }

  const hub: UpbitHub = createUpbitHub({ url: wsUrl, format: 'SIMPLE' });
  hub.onError((err) => out(`error: ${err.name} ${err.code}: ${err.message}`));
  const board = hub.client('ticker-board');
  const tape = hub.client('trade-tape');
  const book = hub.client('orderbook-panel');

  const last = new Map<string, Stamped<Ticker>>();
  let trades = 0;
  let spread = '';
  await board.subscribeTicker(markets, (t) => {
    last.set(t.code, t);
  });
  await tape.subscribeTrade(markets, () => {
    trades++;
  });
  await book.subscribeOrderbook([markets[0]], (b: Stamped<Orderbook>) => {
    const top = b.orderbookUnits[0];
    if (top) spread = `${b.code} ${top.bidPrice.toString()} / ${top.askPrice.toString()}`;
  }, { depth: 5 });

  const print = () => {
    if (last.size === 0) return;
    const cells = markets
      .map((m) => last.get(m))
      .filter((t): t is Stamped<Ticker> => t !== undefined)
      .map((t) => `${t.code} ${t.tradePrice.toString()} (${t.signedChangeRate.mul(100).toFixed(2)}%)`);
    out(`${new Date().toISOString().slice(11, 19)}  ${cells.join('  ')}  | trades ${trades} | book ${spread}`);
  };
  const timer = setInterval(print, 1000);

  let stopping = false;
  const onSignal = () => void stop();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await hub.stop();
    await mock?.close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (values.seconds) setTimeout(() => void stop(), Number(values.seconds) * 1000).unref();
  return { stop, hub };
}

export async function main(argv: string[]): Promise<void> {
  const [command = 'start', ...rest] = argv;
  if (command === 'start') await runStart(rest);
  else if (command === 'mock') {
    const { runMockCli } = await import('./mock.js');
    await runMockCli(rest);
  } else {
    process.stderr.write(`usage: upbit-ws start [--real] [--url URL] [--markets A,B] | upbit-ws mock [--port N]\n`);
    process.exitCode = 2;
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
