/**
 * A crashed subscription registry is re-spawned by the supervisor and given every component's
 * wishes again: the union goes back on the wire and data keeps flowing.
 */
import { hubInternals } from '../../src/actors/hub.js';
import { describe, expect, it } from 'vitest';
import { liveConnection, liveUnion, sameSet, startSystem, waitFor } from './helpers.js';

describe('supervision', () => {
  it('re-spawns a crashed registry and re-registers every wish', async () => {
    const { mock, hub, pump } = await startSystem();
    pump();
    const restarts: string[] = [];
    hubInternals(hub).supervisor.on('childRestarted', (e) => restarts.push(e.id));
    const a = hub.client('a');
    const b = hub.client('b');
    let tickers = 0;
    let trades = 0;
    await a.subscribeTicker(['KRW-BTC'], () => tickers++);
    await b.subscribeTrade(['KRW-ETH'], () => trades++);
    const union = ['ticker|KRW-BTC|', 'trade|KRW-ETH|'];
    await waitFor(() => sameSet(liveUnion(mock) ?? [], union), { message: 'first union' });
    const requestsBefore = liveConnection(mock)!.requests.length;

    // A malformed event makes the registry throw inside its transition: the actor is dead.
    const registry = hubInternals(hub).supervisor.system.get('public.subscription')!;
    registry.send({ type: 'SET', componentId: 'x', wishes: null });
    await waitFor(() => restarts.includes('publicSubscription'), { message: 'the supervisor re-spawning the registry' });
    expect(hubInternals(hub).supervisor.system.get('public.subscription')).not.toBe(registry);

    // The new registry learns every wish again and re-sends the union on the same socket.
    await waitFor(() => liveConnection(mock)!.requests.length > requestsBefore, { message: 'a request from the new registry' });
    expect(sameSet(liveUnion(mock) ?? [], union)).toBe(true);
    const [t0, r0] = [tickers, trades];
    await waitFor(() => tickers > t0 && trades > r0, { message: 'both components still receiving' });

    // And it works as a registry: a new wish joins the union.
    const c = hub.client('c');
    await c.subscribeTicker(['KRW-XRP'], () => {});
    await waitFor(() => sameSet(liveUnion(mock) ?? [], [...union, 'ticker|KRW-XRP|']), { message: 'a new wish after the restart' });
  });
});
