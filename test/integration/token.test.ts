/**
 * The private connection with a user-supplied `getToken()` instead of keys: a token per connect
 * works against the mock's JWT check; a provider that rejects with UnauthorizedError is fatal and
 * reaches the private subscribers as a typed error, while public data keeps flowing.
 *
 * Single use is checked on what the mock SAW (its `authLog`, decoded here), not inferred from the
 * mock accepting the reconnect: a reused nonce fails the test even if the server let it through.
 */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { Credentials, UnauthorizedError, signConnectToken, type UpbitError } from '../../src/io/index.js';
import { DEFAULT_MOCK_KEY } from '../../src/mock/index.js';
import { startSystem, waitFor } from './helpers.js';

describe('getToken()', () => {
  it('signs in with the tokens a provider hands out, one per connect', async () => {
    const creds = new Credentials(DEFAULT_MOCK_KEY);
    let asked = 0;
    const { mock, hub } = await startSystem({
      getToken: async () => {
        asked++;
        return signConnectToken(creds);
      },
    });
    const trader = hub.client('trader');
    const states: string[] = [];
    await trader.subscribeMyOrder(undefined, (o) => states.push(o.state));
    await waitFor(() => mock.connections().some((c) => c.endpoint === 'private' && c.subscriptions.length > 0), {
      message: 'private subscription on the mock',
    });
    mock.placeOrder({ code: 'KRW-ETH', side: 'bid', ordType: 'limit', price: '4000000', volume: '0.5', fills: 0 });
    await waitFor(() => states.includes('wait'), { message: 'myOrder wait event' });
    expect(asked).toBe(1);
    // Upbit tokens are single-use (nonce): each reconnect asks the provider again instead of reusing one.
    const epoch = hub.status().epochs.private;
    for (let i = 0; i < 3; i++) {
      const before = hub.status().epochs.private;
      mock.disconnect('private', { abrupt: true });
      await waitFor(() => hub.status().epochs.private > before && hub.status().private === 'open', { message: `reconnect ${i + 1} with a fresh token`, timeoutMs: 8_000 });
    }
    // What the mock saw: one handshake per connect, every one accepted at once, no nonce twice.
    const handshakes = mock.authLog.filter((r) => r.via === 'ws');
    const nonces = handshakes.map((r) => String(decodeJwt(r.token!).nonce));
    expect(handshakes.map((r) => r.result)).toEqual(Array(4).fill('ok'));
    expect(hub.status().epochs.private - epoch).toBe(3);
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(new Set(handshakes.map((r) => r.token)).size).toBe(handshakes.length);
    expect(asked).toBe(4);
    expect(mock.stats().authFailures).toBe(0);
  });

  it('a provider rejecting with UnauthorizedError is fatal for the private side only', async () => {
    const { mock, hub } = await startSystem({
      getToken: async () => {
        throw new UnauthorizedError('token service says no');
      },
    });
    const trader = hub.client('trader');
    const errors: UpbitError[] = [];
    await trader.subscribeMyAsset(() => {}, { onError: (e) => errors.push(e) });
    const watcher = hub.client('watcher');
    let tickers = 0;
    await watcher.subscribeTicker(['KRW-BTC'], () => tickers++);
    await waitFor(() => errors.length > 0, { message: 'auth error to the private subscriber', step: () => mock.tick() });
    expect(errors[0]).toBeInstanceOf(UnauthorizedError);
    expect(errors[0].code).toBe('UNAUTHORIZED');
    await waitFor(() => hub.status().private === 'failed', { message: 'private side failed' });
    const before = tickers;
    await waitFor(() => tickers > before + 2, { message: 'public data keeps flowing', step: () => mock.tick() });
    expect(mock.stats().authFailures).toBe(0); // never even tried the handshake with a bad token
  });
});
