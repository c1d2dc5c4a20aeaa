/**
 * Connection trouble reaches the subscribers of that connection, never silence: nothing listening,
 * a handshake that never completes, retries exhausted, `hub.retry()`, a subscriber arriving after
 * the failure, and a `getToken()` that throws, never settles or hands out tokens the server refuses.
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { UnauthorizedError, UpbitConnectionError, createUpbitHub, type UpbitError, type UpbitHub, type UpbitHubOptions } from '../../src/index.js';
import { FAST, startSystem, waitFor } from './helpers.js';

/** A hub with FAST timers pointed at `url` (nothing of the mock), stopped when the test ends. */
function hubAt(url: string, extra: UpbitHubOptions = {}): { hub: UpbitHub; hubErrors: UpbitError[] } {
  const hub = createUpbitHub({ ...FAST, url, privateUrl: `${url}/private`, ...extra, connection: { ...FAST.connection, ...extra.connection }, recovery: { ...FAST.recovery, ...extra.recovery } });
  const hubErrors: UpbitError[] = [];
  hub.onError((e) => hubErrors.push(e));
  onTestFinished(() => hub.stop());
  return { hub, hubErrors };
}

/** A TCP port that was open a moment ago and is closed now. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A server that accepts TCP and never answers the WebSocket upgrade. */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as { port: number }).port, server };
}

describe('connection trouble reaches the subscribers', () => {
  it('nothing listening: ECONNREFUSED at the first failed attempt, again when retries are exhausted; hub.retry() leaves failed', async () => {
    const port = await closedPort();
    const { hub, hubErrors } = hubAt(`ws://127.0.0.1:${port}/websocket/v1`, { recovery: { maxAttempts: 3 } });
    const client = hub.client('chart');
    const errors: UpbitError[] = [];
    const statuses: string[] = [];
    const sub = await client.subscribeTicker(['KRW-BTC'], () => {}, { onError: (e) => errors.push(e) });
    sub.onStatus((s) => statuses.push(s));
    await waitFor(() => errors.length >= 2, { message: 'told at the first attempt and when retries ran out' });
    expect(errors[0]).toBeInstanceOf(UpbitConnectionError);
    expect(errors[0]!.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(errors[0]!.message).toContain('retrying');
    expect(errors[1]!.message).toMatch(/failed \(ECONNREFUSED 127\.0\.0\.1:\d+\); call hub\.retry\(\)/);
    expect(errors).toHaveLength(2); // not once per attempt
    expect(sub.status).toBe('failed');
    expect(sub.error).toBe(errors[1]);
    expect(hub.status().public).toBe('failed');
    expect(hubErrors).toEqual([]); // told to who it concerns

    // A subscriber arriving after the failure is told at once.
    const lateErrors: UpbitError[] = [];
    const late = await hub.client('late').subscribeTrade(['KRW-ETH'], () => {}, { onError: (e) => lateErrors.push(e) });
    expect(late.status).toBe('failed');
    expect(lateErrors).toEqual([errors[1]]);

    // hub.retry(): the connection tries again, failed subscriptions are pending again.
    hub.retry();
    expect(sub.status).toBe('pending');
    expect(late.status).toBe('pending');
    await waitFor(() => errors.length === 3, { message: 'the retry fails again, and says so' });
    expect(statuses).toContain('pending');
  });

  it('a handshake that never completes: "handshake timeout", to the subscribers of that connection only', async () => {
    const { port } = await silentServer();
    const { hub } = hubAt(`ws://127.0.0.1:${port}/websocket/v1`, { connection: { connectTimeout: 200 } });
    const errors: UpbitError[] = [];
    await hub.client('c').subscribeTicker(['KRW-BTC'], () => {}, { onError: (e) => errors.push(e) });
    await waitFor(() => errors.length > 0, { message: 'the handshake timeout' });
    expect(errors[0]!.message).toContain('handshake timeout');
    expect(hub.status().public).not.toBe('open');
  });

  it('recovery: interrupted while down, active again with the gap, no error after it is back', async () => {
    const { hub, mock, tick } = await startSystem();
    const errors: UpbitError[] = [];
    const infos: string[] = [];
    const sub = await hub.client('c').subscribeTrade(['KRW-BTC'], () => {}, { onError: (e) => errors.push(e) });
    sub.onStatus((s, info) => infos.push(info.gapMs === undefined ? s : `${s}+gap`));
    await waitFor(() => sub.status === 'active');
    mock.refuseConnections({ count: 2, status: 503 });
    mock.disconnect('public', { abrupt: true });
    await waitFor(() => infos.includes('active+gap'), { step: tick, message: 'back after the refusals' });
    expect(infos).toEqual(['active', 'interrupted', 'active+gap']);
    expect(errors).toHaveLength(1); // the outage, once; the refused attempts in it are not re-told
    expect(errors[0]!.message).toMatch(/the public connection is down/);
  });
});

describe('getToken()', () => {
  it('one that never settles: the private subscribers hear a timeout; public data is untouched', async () => {
    const { hub, tick } = await startSystem({ getToken: () => new Promise(() => {}), tokenTimeout: 100 });
    const errors: UpbitError[] = [];
    await hub.client('trader').subscribeMyAsset(() => {}, { onError: (e) => errors.push(e) });
    let tickers = 0;
    const pub = await hub.client('watcher').subscribeTicker(['KRW-BTC'], () => void tickers++);
    await waitFor(() => errors.length > 0, { message: 'the getToken timeout' });
    expect(errors[0]!.message).toContain('getToken() did not settle within 100 ms');
    await waitFor(() => tickers > 3, { step: tick });
    expect(pub.status).toBe('active');
  });

  it('one that throws: the private subscribers hear the user\'s own message', async () => {
    const { hub } = await startSystem({
      getToken: async () => {
        throw new Error('token vault is offline');
      },
    });
    const errors: UpbitError[] = [];
    await hub.client('trader').subscribeMyOrder(undefined, () => {}, { onError: (e) => errors.push(e) });
    await waitFor(() => errors.length > 0);
    expect(errors[0]!.message).toContain('token vault is offline');
    expect(errors[0]).toBeInstanceOf(UpbitConnectionError); // retried, not fatal
  });

  it('tokens the server refuses: asked again (twice), then UnauthorizedError; never a loop', async () => {
    let asked = 0;
    const { hub, mock } = await startSystem({
      getToken: async () => {
        asked++;
        return 'not-a-jwt';
      },
    });
    const errors: UpbitError[] = [];
    const sub = await hub.client('trader').subscribeMyAsset(() => {}, { onError: (e) => errors.push(e) });
    await waitFor(() => sub.status === 'failed', { message: 'failed after bounded retries', timeoutMs: 8_000 });
    expect(asked).toBe(3); // the first token and two more
    expect(errors.at(-1)).toBeInstanceOf(UnauthorizedError);
    expect(hub.status().private).toBe('failed');
    // It stopped asking: public traffic goes on for a while and nobody knocks on the private door.
    const refusedBefore = mock.stats().refused;
    let tickers = 0;
    await hub.client('watcher').subscribeTicker(['KRW-BTC'], () => void tickers++);
    await waitFor(() => tickers > 20, { step: () => mock.tick() });
    expect(mock.stats().refused).toBe(refusedBefore);
    expect(asked).toBe(3);
  });
});
