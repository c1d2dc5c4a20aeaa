/**
 * NATS permissions restrict who reads what: the README's read-only user gets public data through
 * the gateway and is refused private subjects: that subscription fails with `UnauthorizedError`.
 */
import { describe, expect, it } from 'vitest';
import { connectGateway } from '../../src/gateway/index.js';
import { UnauthorizedError } from '../../src/io/index.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { startNatsServer } from './nats-server.js';
import { waitFor } from './helpers.js';

const CONFIG = `
authorization { users = [
  { user: gateway, password: gw }
  { user: bot, password: bt, permissions: {
      publish: { allow: ["upbit.gw.ctl.>", "$JS.API.INFO", "$JS.API.STREAM.INFO.UPBIT",
        "$JS.API.CONSUMER.CREATE.UPBIT.*.upbit.ticker.>", "$JS.API.CONSUMER.CREATE.UPBIT.*.upbit.trade.>",
        "$JS.API.CONSUMER.CREATE.UPBIT.*.upbit.orderbook.>", "$JS.API.CONSUMER.CREATE.UPBIT.*.upbit.candle.>",
        "$JS.API.CONSUMER.INFO.UPBIT.>", "$JS.API.CONSUMER.MSG.NEXT.UPBIT.>", "$JS.API.CONSUMER.DELETE.UPBIT.>"] }
      subscribe: { allow: ["_INBOX.>", "upbit.gw.status", "upbit.gw.err.>"] } } }
] }
`;

describe('gateway with NATS permissions', () => {
  it('a read-only user gets public data and is refused private subjects', async () => {
    const nats = await startNatsServer(CONFIG);
    const mock = await startMockUpbit({ manual: true, seed: 7 });
    const gw = await startGateway({
      nats: { servers: nats.url, user: 'gateway', pass: 'gw' },
      hub: { url: mock.url, privateUrl: mock.privateUrl, credentials: mock.keys[0], pendingWindow: 10 },
      lease: { ttlMs: 1500 },
    });
    try {
      await waitFor(() => gw.isLeader(), { message: 'leading' });
      const bot = await connectGateway({ servers: nats.url, user: 'bot', pass: 'bt' });
      const client = bot.client('bot');
      let price: string | undefined;
      await client.subscribeTicker(['KRW-BTC'], (t) => (price = t.tradePrice.toString()));
      await waitFor(() => price, { step: () => mock.tick(), message: 'public data for the read-only user' });
      // NATS refuses the subject: the subscription exists and fails, its own onError told why.
      const errors: unknown[] = [];
      const mine = await client.subscribeMyAsset(() => {}, { onError: (e) => errors.push(e) });
      await waitFor(() => mine.status === 'failed', { message: 'the private subscription failed' });
      expect(mine.error).toBeInstanceOf(UnauthorizedError);
      expect(errors).toEqual([mine.error]);
      await waitFor(() => gw.consumers().every(([, wishes]) => wishes.every((w) => w.type === 'ticker')), { message: 'the refused wish withdrawn' });
      // The NATS password is not reachable from what the consumer holds.
      expect(reaches(bot, 'bt')).toBe(false);
      expect(reaches(client, 'bt')).toBe(false);
      await bot.close();
    } finally {
      await gw.stop();
      await mock.close();
      await nats.stop();
    }
  });
});

/** Whether `secret` is reachable through properties (own, enumerable or not, recursively) of `root`. */
function reaches(root: unknown, secret: string): boolean {
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return v === secret;
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v) || depth > 8) return false;
    seen.add(v);
    for (const key of Reflect.ownKeys(v as object)) {
      let child: unknown;
      try {
        child = (v as Record<string | symbol, unknown>)[key];
      } catch {
        continue;
      }
      if (walk(child, depth + 1)) return true;
    }
    return false;
  };
  return walk(root, 0);
}
