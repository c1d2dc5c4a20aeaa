/**
 * The live inspector page (`upbit-ws watch|start --inspect`): a local HTTP server on 127.0.0.1
 * that shows the hub's actor tree with each actor's current state, the hub's status and the recent
 * events, pushed to the page by Server-Sent Events, coalesced to at most 10 pushes a second.
 *
 * How to read: `createInspectServer()` returns `inspect` (pass it to `createUpbitHub({ inspect })`;
 * the hub hands it redacted copies only, so no secret reaches this file) and `listen()`.
 * Inspection events feed two things: `createOfflineInspector()` (src/actors/inspect.ts) keeps the
 * recent events, and `ActorTree` (below) keeps the live actors by session id with their parent.
 * Every change marks the page dirty; `Coalescer` turns any burst of changes into at most one push
 * per `minIntervalMs`. `guard()` refuses any request whose Host or Origin is not this server's
 * own address (DNS-rebinding protection: a page on evil.example resolving to 127.0.0.1 must not
 * read the tree), and the page itself loads nothing from outside (CSP `default-src 'none'`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { InspectionEvent } from 'xstate';
import { createOfflineInspector, redact } from '../actors/inspect.js';
import type { UpbitHub } from '../actors/hub.js';
import { createBridge, type Bridge } from './bridge.js';
import { BOARD_PAGE } from './board-page.js';
import { hubView } from './hub-view.js';
import { INSPECT_PAGE } from './inspect-page.js';
import { activePaths, chartOutlines, machineOf } from './statechart.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Calls `flush` at most once per `minIntervalMs`, soon after the first `mark()` of a burst. */
export class Coalescer {
  private last = -Infinity;
  private timer: unknown;
  constructor(
    private readonly flush: () => void,
    private readonly minIntervalMs: number,
    private readonly clock: Clock = realClock,
  ) {}

  mark(): void {
    if (this.timer !== undefined) return; // a push is already scheduled: it will carry this change
    const wait = Math.max(0, this.last + this.minIntervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.last = this.clock.now();
      this.flush();
    }, wait);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export interface TreeNode {
  readonly id: string;
  readonly state: string;
  readonly status: string;
  /** The machine it runs (a key of `/charts.json`), when it is one. */
  readonly machine?: string;
  /** Active state paths (`session`, `session.open`, ...), for the statechart highlight. */
  readonly active?: string[];
  readonly children: TreeNode[];
}

/** A state value as text: `session.open.{keepalive.idle, activity.watching}`. */
export function stateText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  const entries = Object.entries(value as Record<string, unknown>);
  const parts = entries.map(([k, v]) => {
    const inner = stateText(v);
    return inner ? `${k}.${inner}` : k;
  });
  return parts.length === 1 ? parts[0] : `{${parts.join(', ')}}`;
}

interface Live {
  id: string;
  sessionId: string;
  parent: string | undefined;
  state: string;
  status: string;
  active: string[];
}

/** The live actors, by session id, with their parents (the hub's actors form one tree). */
export class ActorTree {
  private readonly actors = new Map<string, Live>();
  private supervisor: string | undefined;

  /** Returns true when something a viewer sees changed. */
  apply(ev: InspectionEvent): boolean {
    const ref = ev.actorRef as unknown as { id?: string; sessionId: string; _parent?: { sessionId: string } };
    const id = ref.id ?? ref.sessionId;
    if (ev.type === '@xstate.actor') {
      if (id === 'supervisor') this.supervisor = ref.sessionId;
      this.actors.set(ref.sessionId, { id, sessionId: ref.sessionId, parent: ref._parent?.sessionId, state: '', status: 'active', active: [] });
      return true;
    }
    if (ev.type === '@xstate.snapshot') {
      const live = this.actors.get(ref.sessionId);
      if (!live) return false;
      const s = (ev as { snapshot: { value?: unknown; status?: string } }).snapshot;
      const state = stateText(s.value);
      const status = s.status ?? live.status;
      if (state === live.state && status === live.status) return false;
      live.state = state;
      live.status = status;
      live.active = activePaths(s.value);
      if (status === 'stopped' || status === 'done' || status === 'error') this.actors.delete(ref.sessionId);
      return true;
    }
    return false;
  }

  /** Roots first; children in creation order. Actors whose parent is gone hang under the root. */
  tree(): TreeNode[] {
    const byParent = new Map<string | undefined, Live[]>();
    for (const a of this.actors.values()) {
      const parent = a.parent && this.actors.has(a.parent) ? a.parent : a.id === 'supervisor' ? undefined : this.supervisor && this.actors.has(this.supervisor) ? this.supervisor : undefined;
      byParent.set(parent, [...(byParent.get(parent) ?? []), a]);
    }
    const build = (a: Live): TreeNode => {
      const machine = machineOf(a.id);
      const children = (byParent.get(a.sessionId) ?? []).map(build);
      return machine ? { id: a.id, state: a.state, status: a.status, machine, active: a.active, children } : { id: a.id, state: a.state, status: a.status, children };
    };
    return (byParent.get(undefined) ?? []).map(build);
  }
}

export interface InspectServerOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Minimum time between two pushes. @default 100 (≤ 10 updates/s) */
  readonly minIntervalMs?: number;
  /** Extra live data shown on the page (e.g. `() => hub.status()`); redacted before it is sent. */
  readonly status?: () => unknown;
  /**
   * The hub this page shows (given lazily: the server is created before the hub, whose `inspect`
   * option it feeds). Adds health, metrics, the wire sets beside each component's wishes,
   * `/metrics`, `/healthz`, and the browser bridge (`/stream`, `/board`).
   */
  readonly hub?: () => UpbitHub | undefined;
  readonly clock?: Clock;
}

export interface InspectServer {
  /** Pass to `createUpbitHub({ inspect })`. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Start serving on 127.0.0.1. */
  listen(): Promise<{ readonly url: string; close(): Promise<void> }>;
  /** What the next push would send (also at `/state.json`). */
  payload(): { tree: TreeNode[]; status: unknown; events: unknown[]; hub?: unknown };
  /** Pushes sent so far (all clients count once per push). */
  readonly pushes: number;
}

export function createInspectServer(options: InspectServerOptions = {}): InspectServer {
  const offline = createOfflineInspector({ maxEvents: 500 });
  const tree = new ActorTree();
  const clients = new Set<ServerResponse>();
  let pushes = 0;

  let bridge: Bridge | undefined;
  const liveHub = () => options.hub?.();
  const payload = () => ({
    hub: (() => {
      const h = liveHub();
      return h ? redact(hubView(h)) : undefined;
    })(),
    tree: tree.tree(),
    status: options.status ? redact(options.status()) : undefined,
    events: offline
      .events()
      .filter((e) => e.kind === '@xstate.event')
      .slice(-40)
      .map((e) => ({ at: e.at, actor: e.actor, source: e.source, type: (e.event as { type?: string } | undefined)?.type })),
  });
  const coalescer = new Coalescer(
    () => {
      pushes++;
      const data = `data: ${JSON.stringify(payload())}\n\n`;
      for (const res of clients) res.write(data);
    },
    options.minIntervalMs ?? 100,
    options.clock,
  );
  const inspect = (ev: InspectionEvent) => {
    offline.inspect(ev);
    tree.apply(ev);
    if (ev.type !== '@xstate.microstep' && ev.type !== '@xstate.action') coalescer.mark();
  };

  const listen = () =>
    new Promise<{ url: string; close(): Promise<void> }>((resolve, reject) => {
      let own: Set<string> = new Set();
      const server = createServer((req, res) => {
        if (!guard(req, res, own)) return;
        route(req, res);
      });
      const route = (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
        if (path === '/') {
          res.writeHead(200, {
            ...headers,
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
          });
          res.end(INSPECT_PAGE);
        } else if (path === '/events') {
          res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', connection: 'keep-alive' });
          res.write(`retry: 1000\ndata: ${JSON.stringify(payload())}\n\n`);
          clients.add(res);
          req.on('close', () => clients.delete(res));
        } else if (path === '/charts.json') {
          res.writeHead(200, { ...headers, 'content-type': 'application/json' });
          res.end(JSON.stringify(chartOutlines()));
        } else if (path === '/metrics' && liveHub()) {
          liveHub()!
            .prometheus()
            .then((text) => res.writeHead(200, { ...headers, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text))
            .catch((err: Error) => res.writeHead(500, headers).end(`${err.message}\n`));
        } else if (path === '/healthz' && liveHub()) {
          const h = liveHub()!.health();
          res.writeHead(h.status === 'unhealthy' ? 503 : 200, { ...headers, 'content-type': 'application/json' });
          res.end(JSON.stringify(h));
        } else if (path === '/stream' && liveHub()) {
          bridge ??= createBridge(liveHub()!, { clock: options.clock });
          bridge.serve(req, res);
        } else if (path === '/board') {
          res.writeHead(200, {
            ...headers,
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
          });
          res.end(BOARD_PAGE);
        } else if (path === '/state.json') {
          res.writeHead(200, { ...headers, 'content-type': 'application/json' });
          res.end(JSON.stringify(payload()));
        } else {
          res.writeHead(404, headers).end('not found\n');
        }
      };
      // Metrics change without inspection events: with a hub, the page is refreshed once a second too.
      const clock = options.clock ?? realClock;
      let refresh: unknown;
      const tick = () => {
        refresh = clock.setTimeout(tick, 1_000);
        if (clients.size > 0) coalescer.mark();
      };
      server.on('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        own = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
        if (options.hub) tick();
        resolve({
          url: `http://127.0.0.1:${port}/`,
          close: () =>
            new Promise<void>((done) => {
              coalescer.stop();
              if (refresh !== undefined) clock.clearTimeout(refresh);
              bridge?.close();
              for (const res of clients) res.end();
              clients.clear();
              server.close(() => done());
              server.closeAllConnections();
            }),
        });
      });
    });

  return {
    inspect,
    listen,
    payload,
    get pushes() {
      return pushes;
    },
  };
}

/**
 * Only requests addressed to this server, by a page of this server (or by no page at all, like
 * curl), get an answer: Host must be 127.0.0.1:<port> or localhost:<port>, and Origin, when
 * present, http:// plus one of those. Anything else is 403, and only GET is served.
 */
export function guard(req: IncomingMessage, res: ServerResponse, own: ReadonlySet<string>): boolean {
  const host = req.headers.host ?? '';
  const origin = req.headers.origin;
  const originOk = origin === undefined || (origin.startsWith('http://') && own.has(origin.slice('http://'.length)));
  if (!own.has(host) || !originOk) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: wrong Host or Origin\n');
    return false;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return false;
  }
  return true;
}
