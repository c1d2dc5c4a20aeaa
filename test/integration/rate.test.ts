/**
 * Upbit's message limit (5 per second, 100 per minute, per connection, protocol §7) against the
 * mock's counters: a burst of a thousand subscribe/unsubscribe calls from several components must
 * coalesce into few requests, never breach, and end with a request equal to the final union.
 */
import { hubInternals } from '../../src/actors/hub.js';
import { describe, expect, it } from 'vitest';
import type { UpbitClient } from '../../src/actors/client.js';
import type { Subscription } from '../../src/actors/subscription.js';
import { MARKETS, liveConnections, liveUnion, requestsOf, sameSet, sorted, startSystem, unionOf, waitFor, type StreamKey } from './helpers.js';
import { prng } from '../prng.js';


describe('rate limits', () => {
  it('a burst of 1,000 subscribe/unsubscribe calls: no breach, final request = final union', async () => {
    const { mock, hub, tick } = await startSystem();
    const rnd = prng(20251122);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const codes = MARKETS;
    const types = ['ticker', 'trade', 'orderbook'] as const;

    // An anchor that never leaves, so the union never becomes empty (which would close the socket).
    const anchor = hub.client('anchor');
    await anchor.subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 1);

    // The model: what each client holds (a multiset: the facade reference-counts per client) and
    // what the raw component wants.
    const clients: { client: UpbitClient; subs: { sub: Subscription; key: string }[] }[] = [];
    for (let i = 0; i < 4; i++) clients.push({ client: hub.client(`c${i}`), subs: [] });
    const raw = hub.spawnComponent('raw');
    const rawWants = new Set<string>();
    const union = (): Set<StreamKey> => {
      const keys = new Set<StreamKey>(['ticker|KRW-BTC|']);
      for (const c of clients) for (const s of c.subs) keys.add(`${s.key}|`);
      for (const k of rawWants) keys.add(`${k}|`);
      return keys;
    };

    const subscription = () => hubInternals(hub).supervisor.system.get('public.subscription')!;
    let ops = 0;
    let sawThrottled = false;
    for (let batch = 0; batch < 20; batch++) {
      const sentBefore = hub.status().metrics.requestsSent.public;
      for (let k = 0; k < 50; k++, ops++) {
        const type = pick(types);
        const code = pick(codes);
        const r = rnd();
        if (r < 0.2) {
          // through ComponentRef.send
          if (rnd() < 0.6) {
            raw.send({ type: 'SUBSCRIBE', channel: type, codes: [code] });
            rawWants.add(`${type}|${code}`);
          } else {
            raw.send({ type: 'UNSUBSCRIBE', channel: type, codes: [code] });
            rawWants.delete(`${type}|${code}`);
          }
        } else {
          const c = pick(clients);
          if (r < 0.6 || c.subs.length === 0) {
            const cb = () => {};
            const p =
              type === 'ticker' ? c.client.subscribeTicker([code], cb)
              : type === 'trade' ? c.client.subscribeTrade([code], cb)
              : c.client.subscribeOrderbook([code], cb);
            // subscribe() registers synchronously; the promise only hands back the handle.
            const entry = { sub: undefined as unknown as Subscription, key: `${type}|${code}` };
            c.subs.push(entry);
            void p.then((sub) => (entry.sub = sub));
          } else {
            const i = Math.floor(rnd() * c.subs.length);
            const [entry] = c.subs.splice(i, 1);
            await Promise.resolve(); // let the subscribe promise hand back its handle
            void entry.sub.unsubscribe();
          }
        }
      }
      // Let the registry act on this batch (send, or hold it back for lack of budget) before the
      // next one, so the burst spans many pending windows and the throttle has work to do.
      const throttled = () => subscription().getSnapshot().matches('throttled');
      await waitFor(() => hub.status().metrics.requestsSent.public > sentBefore || throttled(), {
        message: `batch ${batch} sent or throttled`,
      });
      sawThrottled ||= throttled();
    }
    expect(ops).toBe(1_000);

    // The last request (after the throttle let it through) is exactly the final union.
    const final = union();
    await waitFor(() => { const u = liveUnion(mock); return u && sameSet(u, final); }, {
      timeoutMs: 10_000,
      message: `final union ${sorted(final).join(', ')}`,
      describe: () => [...(liveUnion(mock) ?? [])],
    });
    await waitFor(() => subscription().getSnapshot().matches('idle'));
    expect(sorted(unionOf(hub.lastRequest('public')!))).toEqual(sorted(final));
    // Everything the hub sent has arrived, and nothing more is on its way.
    await waitFor(() => requestsOf(liveConnections(mock)[0]).length === hub.status().metrics.requestsSent.public);
    expect(sawThrottled).toBe(true); // the burst really outran the budget

    // Throttled, never breached: the mock counted every message against 5/s and 100/min.
    const stats = mock.stats();
    expect(stats.messageBreaches).toBe(0);
    expect(stats.connectBreaches).toBe(0);
    expect(stats.requestErrors).toBe(0);
    expect(stats.perConnection.every((c) => c.messageBreaches === 0)).toBe(true);
    const conns = liveConnections(mock);
    expect(conns).toHaveLength(1);
    const reqs = requestsOf(conns[0]);
    expect(reqs.length).toBeLessThanOrEqual(100);
    expect(sorted(unionOf(reqs[reqs.length - 1]))).toEqual(sorted(final));
    expect(conns[0].requests.every((r) => (r.parsed as { kind: string }).kind !== 'rate-limited')).toBe(true);

    // And the data that flows now is the final union's.
    const rec = new Set<string>();
    raw.on('message', (m) => rec.add(`${m.type}|${(m as { code: string }).code}`));
    await waitFor(() => [...rawWants].every((k) => rec.has(k)), { step: tick, message: 'raw component receives its final wishes' });
    for (const k of rec) expect(rawWants.has(k), k).toBe(true);
  });

  it('arrival jitter: a sixth request one window after the first still lands in a fresh server second', async () => {
    // The mock counts on its own clock when a message arrives; its clock is injectable. Model a
    // first request held up 60 ms on the way: it arrives exactly at the start of a server second,
    // and everything behind it on the same TCP stream arrives 60 ms "late" too (clamped, so nothing
    // overtakes it). Without a margin, the sixth request (sent one window after the first) lands
    // in the same server second as the other five and is refused.
    let base: { real: number; server: number } | undefined;
    const now = () => (base ? base.server + Math.max(0, Date.now() - base.real - 60) : Date.now());
    const { mock, hub } = await startSystem({}, { now });
    mock.on('message', () => {
      if (base) return;
      const t = Date.now();
      base = { real: t, server: Math.ceil(t / 1000) * 1000 };
    });

    const c = hub.client('c');
    await c.subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 1);
    // Four more changes, each sent at once (the budget has room for five per window).
    for (const code of ['KRW-ETH', 'KRW-XRP', 'KRW-SOL', 'KRW-DOGE']) {
      await c.subscribeTicker([code], () => {});
      await waitFor(() => liveUnion(mock)?.has(`ticker|${code}|`), { message: `request with ${code}` });
    }
    // The sixth has to wait for the first one's slot.
    await c.subscribeTrade(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.has('trade|KRW-BTC|') || mock.stats().messageBreaches > 0, { message: 'the sixth request' });
    expect(mock.stats().messageBreaches).toBe(0);
    expect(requestsOf(liveConnections(mock)[0])).toHaveLength(6);
  });
});
