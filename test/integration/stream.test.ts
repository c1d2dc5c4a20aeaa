/**
 * Stream preferences over one merged wire stream: a snapshot-only and a realtime-only component
 * on the same ticker share one request without flags; the router gives each exactly its part.
 */
import { describe, expect, it } from 'vitest';
import { Recorder, expected, liveConnection, requestsOf, sameSet, startSystem, unionOf, waitFor } from './helpers.js';

describe('stream preference', () => {
  it("'snapshot' gets one SNAPSHOT and nothing after; 'realtime' never sees a SNAPSHOT", async () => {
    const { mock, hub, tick } = await startSystem();
    const snap = hub.client('snap');
    const snapRec = new Recorder(snap.component, hub);
    const snapCalls: string[] = [];
    const live = hub.spawnComponent('live');
    const liveRec = new Recorder(live, hub);

    // Same tick: one request for both.
    const p = snap.subscribeTicker(['KRW-BTC'], (t) => snapCalls.push(t.streamType), { stream: 'snapshot' });
    live.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'], stream: 'realtime' });
    await p;

    await waitFor(() => liveConnection(mock) && requestsOf(liveConnection(mock)!).length >= 1, { message: 'first request' });
    const first = JSON.parse(requestsOf(liveConnection(mock)!)[0]) as Record<string, unknown>[];
    const ticker = first.find((o) => o.type === 'ticker')!;
    expect(ticker).toEqual({ type: 'ticker', codes: ['KRW-BTC'] }); // no is_only_snapshot / is_only_realtime
    expect(first).toHaveLength(3); // ticket, ticker, format

    await waitFor(() => snapRec.count() === 1, { message: 'the snapshot' });
    // Plenty of realtime traffic afterwards.
    await waitFor(() => liveRec.count() >= 30, { step: tick, message: 'realtime for the realtime component' });

    expect(snapRec.events.map((e) => e.streamType)).toEqual(['SNAPSHOT']);
    expect(snapCalls).toEqual(['SNAPSHOT']);
    expect(liveRec.events.every((e) => e.streamType === 'REALTIME')).toBe(true);
    expect(snap.component.wishes()).toEqual([]); // the snapshot-only wish is done

    // Its wish done, the union shrinks to the realtime one; a re-sent request never re-snapshots
    // anyone (the realtime component would otherwise see a SNAPSHOT).
    const reqs = requestsOf(liveConnection(mock)!);
    expect(reqs.length).toBeLessThanOrEqual(2);
    if (reqs.length === 2) expect(sameSet(unionOf(reqs[1]), expected({ type: 'ticker', codes: ['KRW-BTC'], flags: 'R' }))).toBe(true);
    expect(snapRec.errors).toEqual([]);
    expect(liveRec.errors).toEqual([]);
  });

  it('a snapshot-only component joining a live realtime stream gets its snapshot; the realtime one still none', async () => {
    const { mock, hub, tick } = await startSystem();
    const live = hub.client('live');
    const liveRec = new Recorder(live.component, hub);
    await live.subscribeTicker(['KRW-BTC'], () => {}, { stream: 'realtime' });
    await waitFor(() => liveRec.count() >= 5, { step: tick });
    expect(unionOf(requestsOf(liveConnection(mock)!)[0])).toEqual(expected({ type: 'ticker', codes: ['KRW-BTC'], flags: 'R' }));

    const snap = hub.client('snap');
    const snapRec = new Recorder(snap.component, hub);
    await snap.subscribeTicker(['KRW-BTC'], () => {}, { stream: 'snapshot' });
    await waitFor(() => snapRec.count() === 1, { message: 'the late snapshot' });
    const mark = liveRec.count();
    await waitFor(() => liveRec.count() >= mark + 20, { step: tick });

    expect(snapRec.events.map((e) => e.streamType)).toEqual(['SNAPSHOT']);
    expect(liveRec.events.every((e) => e.streamType === 'REALTIME')).toBe(true);
    // The merged request dropped the realtime-only flag so the snapshot could be served.
    const reqs = requestsOf(liveConnection(mock)!).map(unionOf);
    expect(reqs[1]).toEqual(expected({ type: 'ticker', codes: ['KRW-BTC'] }));
  });
});
