/**
 * The browser bridge: pages take market data from the hub, not from Upbit (a browser calling Upbit
 * directly gets one request per 10 s, the `Origin` rule). Served by the inspector's local server
 * (inspect-server.ts checks Host and Origin before anything here runs):
 *
 *   GET /stream?ticker=KRW-BTC,KRW-ETH&orderbook=KRW-BTC&trade=KRW-XRP   (Server-Sent Events)
 *
 * How to read: one bridge component (`hub.client('browser-bridge')`) holds every stream's wishes:
 * each page's stream adds one subscription per type (coalesce policy) and removes them when the
 * page goes away. Delivery to the page is coalesced too: the latest message per (type, code) waits
 * in a map and the map is flushed at most every `intervalMs` (≤ 10 pushes a second by default),
 * and not at all while the socket's buffer is full (`write()` returned false) until it drains:
 * a slow page sees fewer, fresher updates, never a growing queue. Events: `ticker`, `orderbook`,
 * `trade` (data: the message as JSON, prices as strings of the frame's digits), and `error`
 * (data: `{ code, message }`) when a subscription is refused.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpbitClient } from '../actors/client.js';
import type { UpbitHub } from '../actors/hub.js';
import type { Subscription } from '../actors/subscription.js';
import { UpbitError, UpbitUsageError } from '../io/index.js';
import type { Clock } from './inspect-server.js';

export interface BridgeOptions {
  /** Minimum time between two pushes to one page. @default 100 */
  readonly intervalMs?: number;
  /** Codes one stream may ask for, all types together. @default 100 */
  readonly maxCodes?: number;
  readonly clock?: Clock;
}

export interface Bridge {
  serve(req: IncomingMessage, res: ServerResponse): void;
  /** Open streams. */
  readonly streams: number;
  close(): void;
}

const TYPES = ['ticker', 'orderbook', 'trade'] as const;
type StreamType = (typeof TYPES)[number];
const CODE = /^[A-Z]{2,6}-[A-Z0-9]{1,20}$/;

/** The stream's request, or a one-line reason it is bad. */
export function parseStreamQuery(url: string, maxCodes = 100): { wants: Partial<Record<StreamType, string[]>> } | { error: string } {
  const params = new URL(url, 'http://bridge.invalid').searchParams;
  const wants: Partial<Record<StreamType, string[]>> = {};
  let count = 0;
  for (const [key, value] of params) {
    if (!(TYPES as readonly string[]).includes(key)) return { error: `unknown parameter ${JSON.stringify(key)} (use ticker, orderbook, trade)` };
    const codes = value.split(',').map((c) => c.trim().toUpperCase()).filter((c) => c.length > 0);
    const bad = codes.find((c) => !CODE.test(c));
    if (bad !== undefined) return { error: `bad market code ${JSON.stringify(bad)} (like KRW-BTC)` };
    wants[key as StreamType] = [...new Set([...(wants[key as StreamType] ?? []), ...codes])];
    count += codes.length;
  }
  if (count === 0) return { error: 'no market asked for: /stream?ticker=KRW-BTC,KRW-ETH&orderbook=KRW-BTC' };
  if (count > maxCodes) return { error: `too many codes (${count} > ${maxCodes})` };
  return { wants };
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

export function createBridge(hub: UpbitHub, options: BridgeOptions = {}): Bridge {
  const interval = options.intervalMs ?? 100;
  const timer = options.clock ?? realClock;
  let client: UpbitClient | undefined;
  const open = new Set<() => void>();
  let seq = 0;

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const parsed = parseStreamQuery(req.url ?? '', options.maxCodes);
    if ('error' in parsed) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`${parsed.error}\n`);
      return;
    }
    try {
      client ??= hub.client('browser-bridge');
    } catch (err) {
      // a stopped hub, or the name taken by one of your components: one line, no crash
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
      return;
    }
    const bridge = client;
    const latest = new Map<string, string>();
    const subs: Subscription<unknown>[] = [];
    let pending: unknown;
    let blocked = false;
    let closed = false;
    let lastPush = -Infinity;
    const flush = () => {
      pending = undefined;
      if (closed || blocked || latest.size === 0) return;
      lastPush = timer.now();
      const chunk = [...latest.values()].join('');
      latest.clear();
      if (!res.write(chunk)) {
        blocked = true;
        res.once('drain', () => {
          blocked = false;
          schedule();
        });
      }
    };
    const schedule = () => {
      if (pending !== undefined || closed || blocked || latest.size === 0) return;
      pending = timer.setTimeout(flush, Math.max(0, lastPush + interval - timer.now()));
    };
    const push = (type: string, key: string, data: unknown) => {
      latest.set(`${type}|${key}`, `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      schedule();
    };
    const fail = (type: string, error: UpbitError) => push('error', type, { type, code: error.code, message: error.message });
    const end = () => {
      if (closed) return;
      closed = true;
      open.delete(end);
      if (pending !== undefined) timer.clearTimeout(pending);
      for (const s of subs) void s.unsubscribe().catch(() => {});
      res.end();
    };
    open.add(end);
    req.on('close', end);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    res.write(`retry: 2000\n: streams ${JSON.stringify(parsed.wants)}\n\n`);

    const id = () => `page${++seq}`;
    const policy = { kind: 'coalesce' } as const;
    const add = (type: StreamType, codes: string[]) => {
      const cb = (m: { code: string }) => push(type, m.code, m);
      const onError = (e: UpbitError) => fail(type, e);
      const p =
        type === 'ticker'
          ? bridge.subscribeTicker(codes, cb, { policy, onError, id: id() })
          : type === 'orderbook'
            ? bridge.subscribeOrderbook(codes, cb, { policy, onError, id: id(), depth: 15 })
            : bridge.subscribeTrade(codes, cb, { policy, onError, id: id() });
      p.then(
        (s) => (closed ? void s.unsubscribe().catch(() => {}) : void subs.push(s as Subscription<unknown>)),
        (e: unknown) => fail(type, e instanceof UpbitError ? e : new UpbitUsageError(String(e))),
      );
    };
    for (const type of TYPES) if (parsed.wants[type]) add(type, parsed.wants[type]);
  };

  return {
    serve,
    get streams() {
      return open.size;
    },
    close() {
      for (const end of [...open]) end();
      void client?.cleanup().catch(() => {});
      client = undefined;
    },
  };
}
