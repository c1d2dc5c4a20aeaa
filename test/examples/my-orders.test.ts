/** examples/my-orders.ts: with the mock's keys, an order's lifecycle and the balance changes arrive as lines. */
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/my-orders.js';
import { manualMock, subscribedTypes, waitFor } from './helpers.js';

describe('examples/my-orders', () => {
  it('prints wait, the lock, the fill and the new balances of an order placed on the mock', async () => {
    const mock = await manualMock();
    const lines: string[] = [];
    const run = main({ url: mock.url, privateUrl: mock.privateUrl, credentials: mock.keys[0], count: 5, out: (l) => lines.push(l) });
    await waitFor(() => ['myOrder', 'myAsset'].every((t) => subscribedTypes(mock, 'private').includes(t)), { message: 'the private subscriptions' });
    const order = mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '130000000', volume: '0.001', fills: 0 });
    mock.fillOrder(order.uuid);
    await run;
    const krw = mock.balances().KRW;
    expect(lines).toEqual([
      'order KRW-BTC BID wait price 130000000 volume 0.001 executed 0',
      'assets KRW 99869935 (locked 130065)',
      'order KRW-BTC BID trade price 130000000 volume 0.001 executed 0.001',
      `assets KRW ${krw.balance.toFixed()} (locked ${krw.locked.toFixed()}), BTC 1.001 (locked 0)`,
      'order KRW-BTC BID done price 130000000 volume 0.001 executed 0.001',
    ]);
    expect(lines.join('\n')).not.toContain(mock.keys[0].secretKey);
  });

  it('wrong keys arrive as one UNAUTHORIZED error line', async () => {
    const mock = await manualMock();
    const lines: string[] = [];
    await main({ url: mock.url, privateUrl: mock.privateUrl, credentials: { accessKey: 'nobody', secretKey: 'wrong' }, count: 1, out: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error UNAUTHORIZED: /);
  });
});
