/**
 * PrivateReconciler: an in-memory exchange (`FakeExchange`, REST answers under the test's control)
 * and socket events decoded by the real codec, on xstate's SimulatedClock. The same against the
 * mock exchange and the real hub: reconcile-mock.test.ts.
 *
 * `Consumer` is what a component would see: socket events that `ingest` lets through, plus the
 * reconciler's REST events, in arrival order.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  PrivateReconciler,
  assetFromRest,
  orderFromRest,
  type PrivateRest,
  type ReconcilerOptions,
  type RestAccount,
  type RestOrder,
  type RestPrivateEvent,
} from '../../src/actors/reconcile.js';
import { Decimal, UpbitDecodeError, decodeFrame, type MyAsset, type MyOrder } from '../../src/io/index.js';

// ─── an in-memory exchange ──────────────────────────────────────────────────────────────────────

type Deferred = { resolve: () => void };

class FakeExchange implements PrivateRest {
  readonly orders = new Map<string, RestOrder>();
  readonly balances = new Map<string, { balance: string; locked: string }>([['KRW', { balance: '1000000', locked: '0' }]]);
  calls = 0;
  readonly sinces: number[] = [];
  failing = false;
  /** When set, every call waits until `release()`. */
  hold = false;
  private held: Deferred[] = [];

  /** The answer describes the moment the request arrived, like a real server's; it may land later. */
  private async answer<T>(value: () => T): Promise<T> {
    this.calls++;
    const failing = this.failing;
    const v = value();
    if (this.hold) await new Promise<void>((resolve) => this.held.push({ resolve }));
    if (failing) throw new Error('REST down');
    return v;
  }
  release(): void {
    this.hold = false;
    for (const d of this.held.splice(0)) d.resolve();
  }
  accounts() {
    return this.answer(() => [...this.balances].map(([currency, b]): RestAccount => ({ currency, ...b, avg_buy_price: '0', unit_currency: 'KRW' })));
  }
  openOrders() {
    return this.answer(() => [...this.orders.values()].filter((o) => o.state === 'wait' || o.state === 'watch'));
  }
  closedOrders(q: { since: number }) {
    this.sinces.push(q.since);
    return this.answer(() => [...this.orders.values()].filter((o) => o.state === 'done' || o.state === 'cancel'));
  }

  place(uuid: string, volume = '0.5'): RestOrder {
    const o: RestOrder = {
      uuid, side: 'bid', ord_type: 'limit', price: '135000000.5', state: 'wait', market: 'KRW-BTC',
      created_at: '2026-12-01T12:00:00+09:00', volume, remaining_volume: volume, reserved_fee: '0', remaining_fee: '0',
      paid_fee: '0', locked: '0', executed_volume: '0', executed_funds: '0', trades_count: 0, time_in_force: null,
      identifier: null, smp_type: null, prevented_volume: null, prevented_locked: '0',
    };
    this.orders.set(uuid, o);
    return o;
  }
  fill(uuid: string, volume: string): RestOrder {
    const o = this.orders.get(uuid)!;
    const executed = new Decimal(o.executed_volume!).plus(volume);
    const remaining = new Decimal(o.volume!).minus(executed);
    const next = { ...o, executed_volume: executed.toFixed(), remaining_volume: remaining.toFixed(), trades_count: o.trades_count! + 1, state: remaining.isZero() ? 'done' : 'wait' };
    this.orders.set(uuid, next);
    return next;
  }
}

/** A socket myOrder frame for `o` (decoded by the real codec, so the values are lazy views). */
function socketOrder(o: RestOrder, state: string, tradeUuid: string | null = null): MyOrder {
  const frame = JSON.stringify({
    type: 'myOrder', code: o.market, uuid: o.uuid, ask_bid: o.side.toUpperCase(), order_type: o.ord_type, state,
    trade_uuid: tradeUuid, price: 0, volume: 1, remaining_volume: 2, executed_volume: 3, trades_count: o.trades_count,
    timestamp: 1, stream_type: 'REALTIME',
  })
    .replace('"price":0', `"price":${o.price}`)
    .replace('"volume":1', `"volume":${o.volume}`)
    .replace('"remaining_volume":2', `"remaining_volume":${o.remaining_volume}`)
    .replace('"executed_volume":3', `"executed_volume":${o.executed_volume}`);
  return decodeFrame(frame)[0] as MyOrder;
}

function socketAsset(currency: string, balance: string, locked: string): MyAsset {
  return decodeFrame(
    `{"type":"myAsset","asset_uuid":"a","assets":[{"currency":"${currency}","balance":${balance},"locked":${locked}}],"asset_timestamp":1,"timestamp":1,"stream_type":"REALTIME"}`,
  )[0] as MyAsset;
}

function setup(options: Partial<ReconcilerOptions> = {}) {
  const clock = new SimulatedClock();
  const ex = new FakeExchange();
  const seen: Array<(MyOrder | MyAsset) & { source?: 'rest' }> = [];
  const errors: unknown[] = [];
  const rec = new PrivateReconciler({
    rest: ex,
    emit: (e: RestPrivateEvent) => seen.push(e),
    clock,
    now: () => clock.now(),
    onError: (e) => errors.push(e),
    ...options,
  });
  /** A socket event, as the hub would route it. */
  const socket = (m: MyOrder | MyAsset) => {
    if (rec.ingest(m)) seen.push(m);
  };
  /** Advance simulated time, then let the passes it started finish. */
  const advance = async (ms: number) => {
    clock.increment(ms);
    await rec.idle();
  };
  const orders = (uuid: string) =>
    seen.filter((e): e is MyOrder & { source?: 'rest' } => e.type === 'myOrder' && e.uuid === uuid).map((e) => `${e.state}:${e.source ?? 'socket'}`);
  return { clock, ex, rec, seen, errors, socket, advance, orders };
}

// ─── the mapping ────────────────────────────────────────────────────────────────────────────────

describe('REST → event mapping', () => {
  it('builds exact Decimals from the REST strings, with the socket names', () => {
    const o = orderFromRest(
      { ...new FakeExchange().place('u1', '0.00000001'), executed_funds: '0.10000000000000000001', smp_type: 'cancel_maker' },
      42,
    );
    expect(o.price).toBeInstanceOf(Decimal);
    expect(o.price!.toString()).toBe('135000000.5');
    expect(o.volume!.toFixed()).toBe('0.00000001');
    expect(o.executedFunds!.toFixed()).toBe('0.10000000000000000001');
    expect(o).toMatchObject({ type: 'myOrder', code: 'KRW-BTC', askBid: 'BID', orderType: 'limit', state: 'wait', source: 'rest' });
    expect(o).toMatchObject({ tradeUuid: null, avgPrice: null, tradeFee: null, isMaker: null, timestamp: 42, streamType: 'REALTIME' });
    expect(o.orderTimestamp).toBe(Date.parse('2026-12-01T03:00:00Z'));
    expect(o.smpType).toBe('cancel_maker');
    expect(assetFromRest({ currency: 'BTC', balance: '0.00000001', locked: '1e-8' }).locked.toFixed()).toBe('0.00000001');
  });

  it('refuses rows it cannot read exactly with a typed decode error', () => {
    const base = new FakeExchange().place('u1');
    expect(() => orderFromRest({ ...base, price: 135000000.5 as unknown as string }, 0)).toThrow(UpbitDecodeError);
    expect(() => orderFromRest({ ...base, state: 'trade' }, 0)).toThrow(expect.objectContaining({ code: 'DECODE_FIELD' }));
    expect(() => orderFromRest({ ...base, side: 'buy' }, 0)).toThrow(UpbitDecodeError);
    expect(() => assetFromRest({ currency: 'KRW', balance: 'NaN', locked: '0' })).toThrow(UpbitDecodeError);
  });

  it('a bad row is reported and skipped; the rest of the pass still arrives', async () => {
    const { ex, rec, seen, errors, advance } = setup();
    ex.place('good');
    ex.orders.set('bad', { ...ex.place('bad'), price: 'twelve' });
    rec.socketDown();
    await advance(5_000);
    expect(seen.map((e) => (e.type === 'myOrder' ? e.uuid : e.type))).toEqual(['good', 'myAsset']);
    expect(errors).toEqual([expect.objectContaining({ code: 'DECODE_FIELD' })]);
  });
});

// ─── fallback and reconciliation ────────────────────────────────────────────────────────────────

describe('PrivateReconciler: polling while the private socket is down', () => {
  it('socket refused from the start: after pollAfterMs, REST events flow, then every pollIntervalMs', async () => {
    const { ex, rec, seen, advance, orders } = setup();
    ex.place('o1');
    rec.socketDown();
    await advance(4_999);
    expect(ex.calls).toBe(0);
    await advance(1);
    expect(rec.polling).toBe(true);
    expect(orders('o1')).toEqual(['wait:rest']);
    const asset = seen.find((e) => e.type === 'myAsset') as MyAsset & { source: 'rest' };
    expect(asset.source).toBe('rest');
    expect(asset.assets.map((a) => [a.currency, a.balance.toString()])).toEqual([['KRW', '1000000']]);
    expect(ex.calls).toBe(3);

    ex.fill('o1', '0.5');
    ex.balances.set('BTC', { balance: '0.5', locked: '0' });
    await advance(1_999);
    expect(ex.calls).toBe(3);
    await advance(1);
    expect(ex.calls).toBe(6);
    expect(orders('o1')).toEqual(['wait:rest', 'done:rest']);
    const last = seen.at(-1) as MyAsset;
    expect(last.assets.map((a) => a.currency)).toEqual(['BTC']); // only what changed
    await advance(2_000);
    expect(seen).toHaveLength(4); // nothing new: nothing told twice
  });

  it('socket back: one reconcile, then polling stops', async () => {
    const { ex, rec, advance } = setup();
    rec.socketDown();
    await advance(5_000);
    await advance(2_000);
    expect(rec.metrics.polls).toBe(2);
    rec.socketUp();
    await rec.idle();
    expect(rec.polling).toBe(false);
    const calls = ex.calls;
    expect(rec.metrics.passes).toBe(3);
    await advance(60_000);
    expect(ex.calls).toBe(calls);
    expect(rec.metrics.polls).toBe(2);
  });

  it('asks closed orders from before the gap began, and then from the last poll', async () => {
    const { ex, rec, advance, clock } = setup({ closedLookbackMs: 1_000 });
    rec.socketUp();
    await rec.idle();
    clock.increment(10_000);
    rec.socketDown();
    await advance(5_000);
    await advance(2_000);
    expect(ex.sinces.slice(1)).toEqual([9_000, 14_000]);
  });

  it('a failing REST is reported and polling goes on', async () => {
    const { ex, rec, errors, advance, orders } = setup();
    ex.place('o1');
    ex.failing = true;
    rec.socketDown();
    await advance(5_000);
    expect(errors).toHaveLength(1);
    ex.failing = false;
    await advance(2_000);
    expect(orders('o1')).toEqual(['wait:rest']);
  });

  it('a failed reconcile after a reconnect is retried, a bounded number of times', async () => {
    const { ex, rec, advance } = setup({ retries: 2 });
    ex.failing = true;
    rec.socketUp();
    await rec.idle();
    for (let i = 0; i < 5; i++) await advance(2_000);
    expect(rec.metrics.passes).toBe(3);
  });

  it('pause(): a socket closed on purpose is not polled', async () => {
    const { ex, rec, advance } = setup();
    rec.socketDown();
    await advance(5_000);
    rec.pause();
    await advance(60_000);
    expect(ex.calls).toBe(3);
    expect(rec.polling).toBe(false);
  });

  it('stop(): no timers, and an answer under way is dropped', async () => {
    const { ex, rec, seen, advance } = setup();
    ex.place('o1');
    ex.hold = true;
    rec.socketDown();
    await advance(5_000 - 1);
    const running = advance(1);
    rec.stop();
    ex.release();
    await running;
    await advance(60_000);
    expect(seen).toEqual([]);
    expect(ex.calls).toBe(3);
  });
});

describe('PrivateReconciler: an order filled during a reconnect gap reaches the consumer exactly once', () => {
  it('socket saw the order open; REST tells the fill after the reconnect; a late socket copy is dropped', async () => {
    const { ex, rec, socket, advance, orders } = setup();
    rec.socketUp();
    await rec.idle(); // silent baseline: nothing emitted
    const o = ex.place('o1');
    socket(socketOrder(o, 'wait'));
    rec.socketDown();
    const done = ex.fill('o1', '0.5');
    await advance(1_000); // a short gap: no polling
    rec.socketUp();
    await rec.idle();
    socket(socketOrder(done, 'done'));
    expect(orders('o1')).toEqual(['wait:socket', 'done:rest']);
    expect(rec.metrics.socketDuplicates).toBe(1);
  });

  it('the socket tells the fill first (while the REST answer is on its way): REST does not repeat it', async () => {
    const { ex, rec, socket, advance, orders } = setup();
    rec.socketUp();
    await rec.idle();
    socket(socketOrder(ex.place('o1'), 'wait'));
    rec.socketDown();
    await advance(1_000);
    ex.hold = true;
    rec.socketUp(); // the reconcile's requests leave...
    const filled = ex.fill('o1', '0.5');
    socket(socketOrder(filled, 'trade', 't1')); // ...the fill arrives on the socket...
    socket(socketOrder(filled, 'done'));
    ex.release(); // ...then REST answers with the same fill
    await rec.idle();
    expect(orders('o1')).toEqual(['wait:socket', 'trade:socket', 'done:socket']);
    expect(rec.metrics.restOrders).toBe(0);
  });

  it('a long gap: polling tells the fill; neither the reconcile nor the socket repeats it', async () => {
    const { ex, rec, socket, advance, orders } = setup();
    rec.socketUp();
    await rec.idle();
    const o = ex.place('o1');
    socket(socketOrder(o, 'wait'));
    rec.socketDown();
    await advance(5_000);
    const done = ex.fill('o1', '0.5');
    await advance(2_000);
    rec.socketUp();
    await rec.idle();
    socket(socketOrder(done, 'trade', 't1')); // a fill only the socket can name: delivered
    socket(socketOrder(done, 'done'));
    expect(orders('o1')).toEqual(['wait:socket', 'done:rest', 'trade:socket']);
  });

  it('an order that closed between the two list calls is told once, as closed', async () => {
    const { ex, rec, advance, orders } = setup();
    const open = ex.place('o1');
    ex.fill('o1', '0.5');
    ex.openOrders = async () => [open]; // the open list was read just before the fill
    rec.socketDown();
    await advance(5_000);
    expect(orders('o1')).toEqual(['done:rest']);
  });

  it('a partial fill of an order still open is told once, with its new executed volume', async () => {
    const { ex, rec, seen, socket, advance, orders } = setup();
    rec.socketUp();
    await rec.idle();
    socket(socketOrder(ex.place('o1', '1'), 'wait'));
    rec.socketDown();
    const part = ex.fill('o1', '0.25');
    await advance(1_000);
    rec.socketUp();
    await rec.idle();
    socket(socketOrder(part, 'wait'));
    expect(orders('o1')).toEqual(['wait:socket', 'wait:rest']);
    expect((seen.at(-1) as MyOrder).executedVolume!.toString()).toBe('0.25');
  });

  it('an open order missing from both lists is looked up by uuid, when the client can', async () => {
    const ex2 = new FakeExchange();
    const { ex, rec, socket, advance, orders } = setup();
    const lookups: string[][] = [];
    (ex as PrivateRest).ordersByUuid = async (uuids) => {
      lookups.push([...uuids]);
      return uuids.map((u) => ex2.orders.get(u)!).filter(Boolean);
    };
    rec.socketUp();
    await rec.idle();
    socket(socketOrder(ex.place('old'), 'wait'));
    rec.socketDown();
    ex.orders.delete('old'); // closed long ago by creation time: outside the closed-orders window
    ex2.place('old');
    ex2.fill('old', '0.5');
    await advance(1_000);
    rec.socketUp();
    await rec.idle();
    expect(lookups).toEqual([['old']]);
    expect(orders('old')).toEqual(['wait:socket', 'done:rest']);
  });
});

describe('PrivateReconciler: socket duplicates', () => {
  it('a fill (trade uuid) and a state are told once even when the socket repeats them', async () => {
    const { ex, socket, orders } = setup();
    const o = ex.place('o1');
    socket(socketOrder(o, 'wait'));
    socket(socketOrder(o, 'wait'));
    const f = ex.fill('o1', '0.1');
    socket(socketOrder(f, 'trade', 't1'));
    socket(socketOrder(f, 'trade', 't1'));
    const g = ex.fill('o1', '0.1');
    socket(socketOrder(g, 'trade', 't2'));
    expect(orders('o1')).toEqual(['wait:socket', 'trade:socket', 'trade:socket']);
  });
});

describe('PrivateReconciler: balances', () => {
  it('emits only the currencies that changed in the gap; a socket copy of them is dropped, real news is not', async () => {
    const { ex, rec, seen, socket, advance } = setup();
    ex.balances.set('BTC', { balance: '0.1', locked: '0' });
    rec.socketUp();
    await rec.idle();
    rec.socketDown();
    ex.balances.set('BTC', { balance: '0.6', locked: '0' });
    ex.balances.delete('KRW'); // spent to zero: Upbit drops the row
    await advance(1_000);
    rec.socketUp();
    await rec.idle();
    const got = seen.map((e) => (e as MyAsset).assets.map((a) => `${a.currency}=${a.balance.toFixed()}/${a.locked.toFixed()}`));
    expect(got).toEqual([['BTC=0.6/0', 'KRW=0/0']]);
    socket(socketAsset('BTC', '0.6', '0'));
    expect(seen).toHaveLength(1);
    socket(socketAsset('BTC', '0.7', '0'));
    expect(seen).toHaveLength(2);
  });

  it('a balance the socket told after the REST request left is not overwritten by the older REST answer', async () => {
    const { ex, rec, seen, socket, advance } = setup();
    rec.socketUp();
    await rec.idle();
    rec.socketDown();
    ex.balances.set('KRW', { balance: '900000', locked: '100000' }); // changed in the gap
    ex.balances.set('BTC', { balance: '0.1', locked: '0' });
    await advance(1_000);
    ex.hold = true;
    rec.socketUp(); // the reconcile reads the balances now...
    socket(socketAsset('KRW', '800000', '100000')); // ...then the socket tells a newer KRW balance
    ex.release();
    await rec.idle();
    const got = seen.map((e) => `${(e as { source?: string }).source ?? 'socket'}:${(e as MyAsset).assets.map((a) => `${a.currency}=${a.balance.toFixed()}`).join(',')}`);
    expect(got).toEqual(['socket:KRW=800000', 'rest:BTC=0.1']);
  });

  it('a silent baseline does not count as told: the first socket event of a currency is delivered', async () => {
    const { rec, seen, socket } = setup();
    rec.socketUp();
    await rec.idle();
    socket(socketAsset('KRW', '1000000', '0'));
    expect(seen).toHaveLength(1);
  });
});
