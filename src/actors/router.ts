/**
 * The event bus and routing: decoded messages in, each one only to the components that asked.
 *
 *   socket actor ──publish(conn, epoch, msg)──▶ Router ──mitt.emit("ticker|KRW-BTC")──▶ route handlers
 *                                                 │                                     │ stream filter
 *                                                 └─ stale epoch? drop + count          ▼
 *                                                                               Delivery.push (component)
 *
 * Keys on the bus are `type|code` (`myOrder|*`, `myAsset|*`, `announcement|*` for wishes without
 * codes). A component has at most one route per key; the route remembers which stream types it
 * wants, so one merged wire stream serves a snapshot-only and a realtime-only component at once,
 * and a snapshot-only route ends itself after its snapshot (the registry then shrinks the union).
 */
import mittModule, { type Emitter } from 'mitt';
import { Decimal, type DataMessage, type Orderbook, type StreamPreference, type UpbitMessage, type Wish } from '../io/index.js';
import type { Delivery } from './delivery.js';

// mitt's types are CommonJS-shaped; at run time the ESM default export is the factory itself.
const mitt = mittModule as unknown as typeof mittModule.default;

export type ConnectionName = 'public' | 'private';

/** A message as components receive it: stamped with the epoch of the socket it arrived on. */
export type Stamped<T> = T & { readonly epoch: number };

interface Route {
  readonly key: string;
  readonly componentId: string;
  snapshot: boolean;
  realtime: boolean;
  /** Orderbook level this route wants (0 = native); undefined = any. */
  level: number | undefined;
  /** Orderbook units this component wants per side, when fewer than the wire's 30. */
  depth: number | undefined;
  categories: ReadonlySet<string> | undefined;
  /** Trade routes only: ids already delivered to this component. */
  readonly seen: RecentIds | undefined;
  readonly handler: (msg: Stamped<DataMessage>) => void;
}

export interface RouterMetrics {
  delivered: number;
  staleDropped: number;
  unrouted: number;
  /** Trades seen before (same code and sequential_id): a duplicated frame or a re-sent snapshot. */
  duplicatesDropped: number;
}

/** How many recent trade ids each trade route remembers for de-duplication. */
const TRADE_MEMORY = 256;

/** A bounded "seen" set: the oldest id leaves when a new one arrives. */
class RecentIds {
  private readonly ring: string[] = new Array<string>(TRADE_MEMORY);
  private readonly set = new Set<string>();
  private next = 0;
  /** true when `id` was new. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    const old = this.ring[this.next];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % TRADE_MEMORY;
    this.set.add(id);
    return true;
  }
}

export class Router {
  readonly bus: Emitter<Record<string, Stamped<DataMessage>>> = mitt();
  readonly metrics: RouterMetrics = { delivered: 0, staleDropped: 0, unrouted: 0, duplicatesDropped: 0 };
  private readonly epochs: Record<ConnectionName, number> = { public: 0, private: 0 };
  private readonly routes = new Map<string, Map<string, Route>>(); // componentId → key → route

  constructor(private readonly onSnapshotDone: (componentId: string, wish: { type: string; code: string }) => void) {}

  /** The connection now runs socket `epoch`; anything stamped with another epoch is stale. */
  setEpoch(conn: ConnectionName, epoch: number): void {
    this.epochs[conn] = epoch;
  }
  epoch(conn: ConnectionName): number {
    return this.epochs[conn];
  }

  /** Hot path: one decoded data message from a socket. */
  publish(conn: ConnectionName, epoch: number, msg: UpbitMessage): void {
    if (epoch !== this.epochs[conn]) {
      this.metrics.staleDropped++;
      return;
    }
    const m = msg as Stamped<DataMessage> & { epoch: number; code?: string };
    m.epoch = epoch;
    const all = this.bus.all;
    let hit = false;
    if (m.code !== undefined) {
      const key = `${m.type}|${m.code}`;
      if (all.has(key)) {
        this.bus.emit(key, m);
        hit = true;
      }
    }
    if (m.type === 'myOrder' || m.code === undefined) {
      const any = `${m.type}|*`;
      if (all.has(any)) {
        this.bus.emit(any, m);
        hit = true;
      }
    }
    if (!hit) this.metrics.unrouted++;
  }

  /** Replace a component's routes with those its wishes need. */
  setRoutes(componentId: string, wishes: readonly Wish[], delivery: Delivery): void {
    const next = new Map<
      string,
      { snapshot: boolean; realtime: boolean; level?: number; depth?: number; categories?: Set<string> | null }
    >();
    for (const w of wishes) {
      const stream: StreamPreference = w.stream ?? 'both';
      const keys =
        w.codes && w.codes.length > 0 ? w.codes.map((c) => `${w.type}|${c.split('.')[0]}`) : [`${w.type}|*`];
      for (const key of keys) {
        const r = next.get(key) ?? { snapshot: false, realtime: false };
        if (stream !== 'realtime') r.snapshot = true;
        if (stream !== 'snapshot') r.realtime = true;
        if (w.type === 'orderbook') {
          r.level = Number(w.level ?? 0);
          // Depth this component asked for (suffix or option); the wire carries the deepest wanted.
          const suffix = w.codes?.find((c) => c.split('.')[0] === key.slice(10))?.split('.')[1];
          const depth = suffix !== undefined ? Number(suffix) : (w.depth ?? 30);
          r.depth = Math.max(r.depth ?? 0, depth);
        }
        if (w.type === 'announcement') {
          if (!w.categories || w.categories.length === 0) r.categories = null;
          else if (r.categories !== null) r.categories = new Set([...(r.categories ?? []), ...w.categories]);
        }
        next.set(key, r);
      }
    }
    const mine = this.routes.get(componentId) ?? new Map<string, Route>();
    for (const [key, route] of mine) {
      if (!next.has(key)) {
        this.bus.off(key, route.handler);
        mine.delete(key);
      }
    }
    for (const [key, want] of next) {
      let route = mine.get(key);
      if (!route) {
        route = this.makeRoute(key, componentId, delivery);
        mine.set(key, route);
        this.bus.on(key, route.handler);
      }
      route.snapshot = want.snapshot;
      route.realtime = want.realtime;
      route.level = want.level;
      route.depth = want.depth !== undefined && want.depth < 30 ? want.depth : undefined;
      route.categories = want.categories ?? undefined;
    }
    if (mine.size > 0) this.routes.set(componentId, mine);
    else this.routes.delete(componentId);
  }

  removeComponent(componentId: string): void {
    const mine = this.routes.get(componentId);
    if (!mine) return;
    for (const [key, route] of mine) this.bus.off(key, route.handler);
    this.routes.delete(componentId);
  }

  private makeRoute(key: string, componentId: string, delivery: Delivery): Route {
    const route: Route = {
      key,
      componentId,
      snapshot: true,
      realtime: true,
      level: undefined,
      depth: undefined,
      categories: undefined,
      seen: key.startsWith('trade|') ? new RecentIds() : undefined,
      handler: (msg) => {
        if (route.seen !== undefined && msg.type === 'trade' && !route.seen.add(msg.sequentialId)) {
          // Upbit trade ids are unique: one seen before is a duplicated frame, or the last trade
          // re-sent as the snapshot of a re-subscription. Twice would double-count volume.
          this.metrics.duplicatesDropped++;
          return;
        }
        if (route.level !== undefined && msg.type === 'orderbook') {
          const lv = msg.level;
          if (lv !== null && !lv.eq(route.level)) return;
        }
        if (route.categories !== undefined && msg.type === 'announcement' && !route.categories.has(msg.category)) return;
        if (msg.streamType === 'SNAPSHOT') {
          if (!route.snapshot) return;
          if (!route.realtime) {
            // A snapshot-only wish ends with its snapshot: stop routing, let the registry shrink.
            route.snapshot = false;
            const code = (msg as { code?: string }).code;
            if (code !== undefined) queueMicrotask(() => this.onSnapshotDone(componentId, { type: msg.type, code }));
          }
        } else if (!route.realtime) return;
        this.metrics.delivered++;
        delivery.push(route.depth !== undefined && msg.type === 'orderbook' ? truncateBook(msg, route.depth) : msg);
      },
    };
    return route;
  }
}

/**
 * The same book cut to `depth` units, for a component that asked for fewer than the wire carries.
 * A proxy over the original view (every other field is read from it, with it as the receiver),
 * whose totals are the exact sums of the units it keeps, as Upbit's totals are of the units it sends.
 */
export function truncateBook<T extends Orderbook>(msg: T, depth: number): T {
  const units = msg.orderbookUnits;
  if (units.length <= depth) return msg;
  const kept = Object.freeze(units.slice(0, depth));
  const total = (side: 'askSize' | 'bidSize') => kept.reduce((sum, u) => sum.plus(u[side]), new Decimal(0));
  const own: Record<string, () => unknown> = {
    orderbookUnits: () => kept,
    totalAskSize: () => total('askSize'),
    totalBidSize: () => total('bidSize'),
    toJSON: () => () => ({
      ...(msg as unknown as { toJSON(): object }).toJSON(),
      orderbookUnits: kept,
      totalAskSize: total('askSize'),
      totalBidSize: total('bidSize'),
    }),
  };
  return new Proxy(msg, {
    get: (target, prop) => (typeof prop === 'string' && prop in own ? own[prop]() : Reflect.get(target, prop, target)),
  });
}
