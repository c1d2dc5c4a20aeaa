/**
 * Losing the public socket, for real: the mock closes it cleanly with various codes, drops it
 * without a close frame, or stalls it. After every loss the hub reconnects, the new connection's
 * last request is the union again, every component keeps receiving, and nothing stamped with an
 * old epoch is ever delivered. Then stale events are injected where an old socket's would arrive
 * (the connection machine, the router): they are dropped and counted, and change nothing.
 */
import { describe, expect, it } from 'vitest';
import { hubInternals } from '../../src/actors/hub.js';
import type { DisconnectOptions } from '../../src/mock/index.js';
import { Recorder, expected, liveConnection, liveUnion, newestConnection, requestsOf, sameSet, sorted, startSystem, unionOf, waitFor } from './helpers.js';

describe('recovery of the public socket', () => {
  it('ten forced disconnects and one stall: union restored, data keeps coming, no stale epoch delivered', async () => {
    const { mock, hub, pump } = await startSystem({
      // Small watchdogs so the stall is noticed quickly; the pump below keeps healthy links busy.
      connection: { stallCheckInterval: 25, stallTimeout: 150, keepaliveInterval: 100, pongTimeout: 1_000 },
    });
    pump(3);

    const a = hub.client('a');
    const b = hub.spawnComponent('b');
    const c = hub.client('c');
    const recs = [new Recorder(a.component, hub), new Recorder(b, hub), new Recorder(c.component, hub)];
    const aSub = await a.subscribeTicker(['KRW-BTC', 'KRW-ETH'], () => {});
    const statuses: string[] = [];
    aSub.onStatus((status, info) => statuses.push(info.gapMs === undefined ? status : `${status}+gap`));
    b.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-ETH'] });
    await c.subscribeOrderbook(['KRW-XRP'], () => {}, { depth: 15 });
    await c.subscribeTrade(['KRW-BTC'], () => {});
    const union = expected(
      { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
      { type: 'trade', codes: ['KRW-BTC', 'KRW-ETH'] },
      { type: 'orderbook', codes: ['KRW-XRP.15'] },
    );
    const restored = () => {
      const u = liveUnion(mock);
      return u !== undefined && sameSet(u, union);
    };
    await waitFor(restored, { message: 'first union' });
    await waitFor(() => recs.every((r) => r.count() > 0));

    const faults: (DisconnectOptions | 'stall')[] = [
      { code: 1000 },
      { abrupt: true },
      { code: 1001, reason: 'going away' },
      { abrupt: true },
      { code: 1011 },
      'stall',
      { code: 1012, reason: 'restart' },
      { abrupt: true },
      { code: 1013 },
      { code: 1014 },
      { abrupt: true },
    ];
    const epochs: number[] = [hub.status().epochs.public];
    for (const fault of faults) {
      const before = hub.status().epochs.public;
      const old = liveConnection(mock)!;
      expect(old, 'one live public connection').toBeDefined();
      if (fault === 'stall') mock.stall(true, old.id);
      else expect(mock.disconnect(old.id, fault)).toBe(1);

      // The reconnect is observed: a new epoch on a new connection with the full union again.
      await waitFor(() => hub.status().epochs.public > before && hub.status().public === 'open', {
        message: `reconnect after ${JSON.stringify(fault)}`,
        describe: () => hub.status(),
      });
      const epoch = hub.status().epochs.public;
      if (fault === 'stall') {
        // The stalled connection held frames back. Let them go at once: if the old socket were
        // still alive on our side, they would now arrive stamped with the old epoch.
        mock.resume(old.id);
        for (let i = 0; i < 10; i++) mock.tick();
      }
      await waitFor(() => restored() && newestConnection(mock)!.id !== old.id, { message: `union restored after ${JSON.stringify(fault)}` });
      await waitFor(() => mock.connection(old.id)!.closed, { message: 'the old connection is gone' });
      // Every component receives on the new epoch.
      const marks = recs.map((r) => r.count());
      await waitFor(() => recs.every((r, i) => r.events.slice(marks[i]).some((e) => e.epoch >= epoch)), {
        message: `data on epoch ${epoch} for every component`,
        describe: () => ({ status: hub.status(), got: recs.map((r, i) => r.count() - marks[i]) }),
      });
      // Nothing stamped with an older epoch was delivered once the new one was current.
      expect(recs.flatMap((r) => r.events.filter((e) => e.epoch !== e.currentEpoch)), `after ${JSON.stringify(fault)}`).toEqual([]);
      epochs.push(epoch);
    }

    // Each fault cost at least one new epoch; the new connection's requests are exactly the union.
    expect(new Set(epochs).size).toBe(faults.length + 1);
    const conns = mock.connections().filter((x) => x.endpoint === 'public');
    expect(conns.length).toBeGreaterThanOrEqual(faults.length + 1);
    for (const conn of conns) expect(requestsOf(conn).map((r) => sorted(unionOf(r))), `connection ${conn.id}`).toEqual([sorted(union)]);

    // Every subscription was told of every outage (once per outage, naming the cause) and of
    // nothing else. (A loaded machine may add a stall-watchdog outage of its own: at least one each.)
    const subsPerComponent = [1, 1, 2];
    recs.forEach((r, i) => {
      expect(r.errors.length).toBeGreaterThanOrEqual(faults.length * subsPerComponent[i]!);
      expect(r.errors.length % subsPerComponent[i]!).toBe(0);
      for (const e of r.errors) {
        expect(e.name).toBe('UpbitConnectionError');
        expect(e.message).toMatch(/^the public connection is down \((closed \d{4}|stalled \(no frames\)|no pong \(keepalive timeout\))/);
      }
    });
    // Its status went interrupted → active (with the gap's length) once per outage.
    expect(statuses.slice(0, 2)).toEqual(['active', 'interrupted']);
    const interruptions = statuses.filter((s) => s === 'interrupted').length;
    expect(interruptions).toBeGreaterThanOrEqual(faults.length);
    expect(statuses.filter((s) => s === 'active+gap')).toHaveLength(interruptions);
    expect(recs[0]!.errors.length).toBeGreaterThanOrEqual(interruptions); // at least one error per outage
    expect(aSub.status).toBe('active');

    for (const r of recs) {
      // Epoch stamps never go backwards, and every event carried the epoch that was current when
      // it was delivered: once a reconnect was observed, nothing from an older socket arrived.
      for (let i = 1; i < r.events.length; i++) expect(r.events[i].epoch).toBeGreaterThanOrEqual(r.events[i - 1].epoch);
      expect(r.events.filter((e) => e.epoch !== e.currentEpoch)).toEqual([]);
    }

    // Stale events, put where an old socket's would arrive, must be dropped, counted, and change
    // nothing. Above, the old sockets were already gone (the hub terminates a socket as it leaves
    // it), so nothing stale could arrive: here it does, at both places that filter by epoch.
    const { router, supervisor } = hubInternals(hub);
    const now = hub.status().epochs.public;
    const olds = epochs.slice(0, -1);
    expect(olds.length).toBeGreaterThan(0);
    const liveId = liveConnection(mock)!.id;

    // (1) The connection machine: a close, an error and a fatal error frame from every old socket
    // must not take the live connection down (isCurrentEpoch guards; the rest is counted).
    const connection = supervisor.system.get('public.connection')!;
    const staleEvents = () => (connection.getSnapshot().context as { staleEvents: number }).staleEvents;
    const counted = staleEvents();
    for (const epoch of olds) {
      connection.send({ type: 'SOCKET.CLOSED', epoch, code: 1006, reason: '', wasClean: false });
      connection.send({ type: 'SOCKET.ERROR', epoch, error: new Error('old socket') });
      connection.send({ type: 'SOCKET.SERVER_ERROR', epoch, error: { name: 'INVALID_AUTH', message: 'old socket' } });
    }
    expect(hub.status().public).toBe('open');
    expect(hub.status().epochs.public).toBe(now);
    expect(staleEvents() - counted).toBe(3 * olds.length);

    // (2) The router: a frame stamped with an old epoch is dropped and counted; the same frame
    // stamped with the current epoch (the control) is delivered, so the probe does reach the route.
    const probes = new Set<object>();
    const probe = () => {
      const m = { ...mock.ticker('KRW-BTC'), streamType: 'REALTIME' } as Parameters<typeof router.publish>[2];
      probes.add(m);
      return m;
    };
    const arrived: { epoch: number }[] = [];
    a.component.on('ticker', (t) => void (probes.has(t) && arrived.push(t)));
    const dropped = hub.status().metrics.staleDropped;
    for (const epoch of olds) router.publish('public', epoch, probe());
    expect(hub.status().metrics.staleDropped - dropped).toBe(olds.length);
    router.publish('public', now, probe());
    await waitFor(() => arrived.length > 0, { message: 'the current-epoch probe is delivered' });
    expect(arrived.map((m) => m.epoch)).toEqual([now]);

    // Still the same socket, on the same epoch, after a round trip through the market.
    const mark = recs[0].count();
    await waitFor(() => recs[0].events.slice(mark).some((e) => e.epoch === now), { message: 'data after the stale probes' });
    expect(liveConnection(mock)!.id).toBe(liveId);
    expect(hub.status().epochs.public).toBe(now);
    expect(mock.stats().connectBreaches).toBe(0);
    expect(mock.stats().messageBreaches).toBe(0);
  });
});
