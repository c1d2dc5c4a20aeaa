/**
 * Inspection never leaks a secret: the offline inspector, a raw observer and Stately's inspector
 * (@statelyai/inspect, over a WebSocket to a local receiver) all see the private connection's
 * life, and none of them sees the secret key, the access key or the JWT.
 */
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createOfflineInspector, connectStatelyInspector, createUpbitHub, redact } from '../../src/index.js';
import { startMockUpbit, DEFAULT_MOCK_KEY } from '../../src/mock/index.js';
import type { InspectionEvent } from 'xstate';
import { decodeJwt } from 'jose';

const until = async (cond: () => boolean, ms = 8_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/**
 * Runs a hub with private data through one inspector. Returns the JWTs the mock accepted on the
 * private handshake (so the "no secret" checks below are about tokens that really existed).
 */
async function privateSession(inspect: (e: InspectionEvent) => void): Promise<{ tokens: string[] }> {
  const mock = await startMockUpbit({ manual: true, seed: 1 });
  const hub = createUpbitHub({ url: mock.url, privateUrl: mock.privateUrl, credentials: DEFAULT_MOCK_KEY, inspect, pendingWindow: 5 });
  const client = hub.client('orders');
  let orders = 0;
  await client.subscribeMyOrder(undefined, () => orders++);
  await until(() => hub.status().private === 'open');
  await until(() => mock.connections().some((c) => c.endpoint === 'private' && c.subscriptions.length > 0));
  mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '100000000', volume: '0.001' });
  await until(() => orders > 0);
  const tokens = mock.authLog.filter((r) => r.via === 'ws' && r.result === 'ok').map((r) => r.token!);
  await hub.stop();
  await mock.close();
  return { tokens };
}

const SECRETS = [DEFAULT_MOCK_KEY.secretKey, DEFAULT_MOCK_KEY.accessKey, 'eyJ'];

/**
 * Every piece of a session's secrets found in `text`: the keys, anything JWT-shaped, each token
 * the mock accepted, and each token's signature and nonce on their own (a token cut into parts,
 * still leaks them).
 */
function leaks(text: string, tokens: readonly string[]): string[] {
  const pieces = tokens.flatMap((t) => [t, t.split('.')[2]!, String(decodeJwt(t).nonce)]);
  return [...SECRETS, ...pieces].filter((p) => text.includes(p));
}

/** The session really had a token, and the check would see it if it leaked. */
function expectTokens(tokens: readonly string[]): void {
  expect(tokens.length).toBeGreaterThanOrEqual(1);
  for (const t of tokens) {
    expect(t).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeJwt(t).access_key).toBe(DEFAULT_MOCK_KEY.accessKey);
    expect(leaks(`x${t.split('.')[2]}x`, tokens)).not.toEqual([]);
  }
}

describe('inspection', () => {
  it('redact() removes secret-named keys and JWT-shaped strings, keeps the rest', () => {
    const out = redact({
      headers: { Authorization: 'Bearer eyJhbGciOiJIUzUxMiJ9.eyJhY2Nlc3Nfa2V5IjoieCJ9.c2ln' },
      note: 'token eyJhbGciOiJIUzUxMiJ9.eyJhY2Nlc3Nfa2V5IjoieCJ9.c2ln here',
      secretKey: 's',
      price: '123.45',
      nested: [{ accessKey: 'a', code: 'KRW-BTC' }],
    });
    expect(out).toEqual({
      headers: { Authorization: '[redacted]' },
      note: 'token [redacted] here',
      secretKey: '[redacted]',
      price: '123.45',
      nested: [{ accessKey: '[redacted]', code: 'KRW-BTC' }],
    });
  });

  it('the offline inspector records the actors and never a secret', async () => {
    const inspector = createOfflineInspector();
    const { tokens } = await privateSession(inspector.inspect);
    expectTokens(tokens);
    const text = JSON.stringify({ actors: inspector.actors(), events: inspector.events() });
    // One tree, one root: every actor is known by its path from the supervisor, so the two
    // connections' `recovery` children are told apart, and the component sits under the registry.
    expect(Object.keys(inspector.actors())).toEqual(
      expect.arrayContaining([
        'supervisor',
        'supervisor/privateConnection',
        'supervisor/privateConnection/recovery',
        'supervisor/publicConnection/recovery',
        'supervisor/jwt',
        'supervisor/components/shard-0/component:orders',
      ]),
    );
    expect(new Set(inspector.events().map((e) => e.actor.split('/')[0]))).toEqual(new Set(['supervisor']));
    expect(text).toContain('"open"');
    expect(leaks(text, tokens)).toEqual([]);
    const page = await inspector.serve();
    const served = await (await fetch(`${page.url}trace.json`)).text();
    await page.close();
    expect(leaks(served, tokens)).toEqual([]);
  });

  it('a raw observer passed to the hub only sees redacted copies', async () => {
    const seen: string[] = [];
    const { tokens } = await privateSession((e) => {
      const ev = e as unknown as { event?: unknown; snapshot?: { context?: unknown }; actorRef: { getSnapshot(): { context?: unknown } } };
      seen.push(JSON.stringify([ev.event ?? null, ev.snapshot?.context ?? null, ev.actorRef.getSnapshot()?.context ?? null]));
    });
    const text = seen.join('\n');
    expectTokens(tokens);
    expect(text).toContain('Authorization'); // the header key is there, its value is not
    expect(leaks(text, tokens)).toEqual([]);
  });

  it("Stately's inspector (@statelyai/inspect) receives events, without secrets", async () => {
    const received: string[] = [];
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => ws.on('message', (d) => received.push(d.toString())));
    const { port } = wss.address() as { port: number };
    const stately = await connectStatelyInspector({ url: `ws://127.0.0.1:${port}` });
    const { tokens } = await privateSession(stately.inspect);
    expectTokens(tokens);
    await until(() => received.some((m) => m.includes('private')));
    stately.stop();
    await new Promise<void>((r) => wss.close(() => r()));
    const text = received.join('\n');
    expect(text).toContain('@xstate.snapshot');
    expect(leaks(text, tokens)).toEqual([]);
  });
});
