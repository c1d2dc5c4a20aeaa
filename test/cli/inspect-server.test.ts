/**
 * The inspector server without a browser: pushes coalesced to at most one per window, the
 * Host/Origin check (DNS-rebinding protection), the actor tree of a real hub against the mock
 * (and its change after a forced disconnect), the SSE stream, and no secret in what it serves.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpbitHub } from '../../src/actors/hub.js';
import { Coalescer, createInspectServer, stateText, type Clock, type TreeNode } from '../../src/cli/inspect-server.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { waitFor } from '../integration/helpers.js';

/** A clock whose timers fire only when the test advances it. */
function manualClock() {
  let t = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: Clock = {
    now: () => t,
    setTimeout: (fn, ms) => (timers.set(next, { at: t + ms, fn }), next++),
    clearTimeout: (id) => void timers.delete(id as number),
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      t = due[1].at;
      due[1].fn();
    }
    t = end;
  };
  return { clock, advance };
}

describe('Coalescer', () => {
  it('turns a burst into one push and never pushes twice within the window', () => {
    const { clock, advance } = manualClock();
    const at: number[] = [];
    const c = new Coalescer(() => at.push(clock.now()), 100, clock);
    for (let i = 0; i < 1000; i++) c.mark();
    advance(0);
    expect(at).toEqual([0]); // the first change goes out at once
    for (let ms = 0; ms < 1000; ms += 5) {
      c.mark();
      advance(5);
    }
    // 1 s of changes every 5 ms: at most 10 pushes a second, each ≥ 100 ms after the previous.
    expect(at.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(100);
    c.stop();
  });
});

describe('stateText', () => {
  it('writes nested and parallel state values as one line', () => {
    expect(stateText('idle')).toBe('idle');
    expect(stateText({ session: { open: { keepalive: 'idle', activity: 'watching' } } })).toBe('session.open.{keepalive.idle, activity.watching}');
  });
});

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('the inspector server', () => {
  it('answers only requests addressed to itself (Host and Origin), and only GET', async () => {
    const page = await createInspectServer().listen();
    closers.push(page.close);
    const { port } = new URL(page.url);
    const own = `127.0.0.1:${port}`;
    expect((await get(page.url)).status).toBe(200);
    expect((await get(page.url, { host: `localhost:${port}` })).status).toBe(200);
    expect((await get(page.url, { origin: `http://${own}` })).status).toBe(200);
    // DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends its own Host/Origin.
    expect(await get(page.url, { host: `evil.example:${port}` })).toEqual({ status: 403, body: 'forbidden: wrong Host or Origin\n' });
    expect((await get(`${page.url}state.json`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`${page.url}events`, { host: 'evil.example' })).status).toBe(403);
    expect((await get(page.url, { host: `127.0.0.1:${Number(port) + 1}` })).status).toBe(403);
    expect((await get(page.url, { origin: `https://${own}` })).status).toBe(403);
    expect((await get(page.url, {}, 'POST')).status).toBe(405);
  });

  it('shows the live actor tree of a hub, its change after a forced disconnect, and no secret', async () => {
    const mock = await startMockUpbit({ rate: 5 });
    closers.push(() => mock.close());
    const server = createInspectServer({ status: () => hub.status() });
    const hub = createUpbitHub({ url: mock.url, privateUrl: mock.privateUrl, credentials: mock.keys[0], inspect: server.inspect });
    closers.push(() => hub.stop());
    const page = await server.listen();
    closers.push(page.close);
    const chart = hub.client('chart');
    await chart.subscribeTicker(['KRW-BTC'], () => {});
    await chart.subscribeMyOrder(undefined, () => {});

    const find = (nodes: TreeNode[], id: string): TreeNode | undefined => {
      for (const n of nodes) {
        const hit = n.id === id ? n : find(n.children, id);
        if (hit) return hit;
      }
      return undefined;
    };
    const tree = () => server.payload().tree;
    await waitFor(() => find(tree(), 'publicConnection')?.state.startsWith('session.open') && find(tree(), 'privateConnection')?.state.startsWith('session.open'), {
      message: 'both connections open in the tree',
    });
    const [root] = tree();
    expect(root.id).toBe('supervisor');
    const pub = find(tree(), 'publicConnection')!;
    expect(pub.children.map((c) => c.id).sort()).toEqual(['recovery', 'socket']);
    expect(find(tree(), 'components')!.children.map((c) => c.id)).toEqual(['shard-0']);
    expect(find(tree(), 'shard-0')!.children.map((c) => c.id)).toEqual(['component:chart']);

    // What a page receives over SSE: the same payload, and never a key, secret or token.
    const first = await new Promise<string>((resolve, reject) => {
      const req = request(`${page.url}events`, (res) => {
        res.setEncoding('utf8').once('data', (d: string) => (resolve(d), req.destroy()));
      });
      req.on('error', reject).end();
    });
    expect(first).toMatch(/^retry: 1000\ndata: \{"tree":\[\{"id":"supervisor"/);
    const served = first + (await get(`${page.url}state.json`)).body;
    expect(served).not.toContain(mock.keys[0].secretKey);
    expect(served).not.toContain(mock.keys[0].accessKey);
    expect(served).not.toMatch(/eyJ[\w-]{5,}\./);

    mock.refuseConnections();
    mock.disconnect('public');
    await waitFor(() => find(tree(), 'publicConnection')?.state === 'waiting', { message: 'publicConnection waiting after the disconnect' });
    expect(find(tree(), 'publicConnection')!.children.map((c) => c.id)).toEqual(['recovery']); // the socket actor is gone
    mock.acceptConnections();
    await waitFor(() => find(tree(), 'publicConnection')?.state.startsWith('session.open'), { timeoutMs: 10_000, message: 'open again' });
  });
});
