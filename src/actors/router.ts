/**
 * The event bus and routing: decoded messages in, each one only to the subscriptions that asked.
 *
 *   socket actor ──publish(conn, epoch, msg)──▶ Router ──mitt.emit(type)──▶ dispatch: code → routes
 *                                                 │                             │ per subscription: dedupe,
 *                                                 └─ stale epoch? drop + count  │ level, categories, stream,
 *                                                                               ▼ snapshot once per epoch, depth cut
 *                                                                        target.deliver(msg) (its sink)
 *
 * The bus carries one event per data type (read in place on the hot path: no key string, no array
 * copy per message); under it an index `code → routes` (`*` for wishes without codes) finds the
 * routes with one Map lookup.
 * A route is one (subscription, code): it applies exactly that subscription's options, so two
 * subscriptions on one code never see each other's stream preference, depth or level.
 *
 * Snapshots: Upbit sends one per code with EVERY request (the union is re-sent whenever any wish
 * changes). A route takes one snapshot per connection epoch and ignores the rest; a realtime-only
 * route never takes any; a snapshot-only route is done with its code after its snapshot.
 */
import mittModule, { type Emitter } from 'mitt';
import { Decimal, type DataMessage, type Orderbook, type UpbitMessage } from '../io/index.js';
import { BookCut, RecentIds, sameDecimal } from './route-parts.js';
import { internalized } from '../io/scan.js';
import { ID_DIGITS } from '../io/view.js';

// mitt's types are CommonJS-shaped; at run time the ESM default export is the factory itself.
const mitt = mittModule as unknown as typeof mittModule.default;

export type ConnectionName = 'public' | 'private';

/** A message as subscriptions receive it: stamped with the epoch of the socket it arrived on. */
export type Stamped<T> = T & { readonly epoch: number };

/** What the router needs of a subscription (implemented by the subscription runtime). */
export interface RouteTarget {
  readonly type: string;
  /** Plain codes (no depth suffix); empty = every code (myOrder without codes, myAsset, announcement). */
  readonly codes: readonly string[];
  readonly snapshot: boolean;
  readonly realtime: boolean;
  /** Orderbook units per side when fewer than the wire carries. */
  readonly depth: number | undefined;
  /** Orderbook level this subscription wants (0 = native); undefined for other types. */
  readonly level: number | undefined;
  readonly categories: ReadonlySet<string> | undefined;
  deliver(msg: Stamped<DataMessage>): void;
  /** A snapshot-only subscription got its snapshot for `code`. */
  snapshotDone(code: string): void;
}

export interface RouterMetrics {
  delivered: number;
  staleDropped: number;
  unrouted: number;
  /** Trades seen before by a route (same code and sequential_id): a duplicated frame. */
  duplicatesDropped: number;
  /** Snapshots a route did not take: a second one in one epoch, or any for a realtime-only route. */
  snapshotsSkipped: number;
}

interface Route {
  readonly target: RouteTarget;
  readonly code: string;
  /** The epoch whose snapshot this route took (-1: none yet). */
  snapshotEpoch: number;
  done: boolean;
  seen: RecentIds | undefined;
  /** The subscription's level as a Decimal (orderbook routes), compared without allocating. */
  readonly level: Decimal | undefined;
  /** The depth cut (orderbook routes that asked for fewer units than the wire's maximum). */
  readonly cut: BookCut | undefined;
}

const ANY = '*';
/** code → routes of one type; the `*` routes (wishes without codes) are also held in `any`, so dispatch reads them without a second lookup. */
class ByCode extends Map<string, Route[]> {
  any: Route[] | undefined = undefined;
  override set(code: string, routes: Route[]): this {
    if (code === ANY) this.any = routes;
    return super.set(code, routes);
  }
  override delete(code: string): boolean {
    if (code === ANY) this.any = undefined;
    return super.delete(code);
  }
}

export class Router {
  readonly bus: Emitter<Record<string, Stamped<DataMessage>>> = mitt();
  readonly metrics: RouterMetrics = { delivered: 0, staleDropped: 0, unrouted: 0, duplicatesDropped: 0, snapshotsSkipped: 0 };
  private readonly epochs: Record<ConnectionName, number> = { public: 0, private: 0 };
  private readonly index = new Map<string, ByCode>();
  private readonly handlers = new Map<string, (msg: Stamped<DataMessage>) => void>();
  private readonly routesOf = new Map<RouteTarget, Route[]>();

  /** The connection now runs socket `epoch`; anything stamped with another epoch is stale. */
  setEpoch(conn: ConnectionName, epoch: number): void {
    this.epochs[conn] = epoch;
  }
  epoch(conn: ConnectionName): number {
    return this.epochs[conn];
  }

  /**
   * Sees every current-epoch message before routing (rest-side.ts: the data pool, the private
   * reconciler's de-duplication); returning false drops the message.
   */
  tap: ((conn: ConnectionName, msg: DataMessage) => boolean) | undefined = undefined;

  /** Hot path: one decoded data message from a socket. */
  publish(conn: ConnectionName, epoch: number, msg: UpbitMessage): void {
    if (epoch !== this.epochs[conn]) {
      this.metrics.staleDropped++;
      return;
    }
    (msg as unknown as { epoch: number }).epoch = epoch;
    if (this.tap !== undefined && !this.tap(conn, msg as DataMessage)) return;
    this.emit(msg);
  }

  /** A message from elsewhere (REST) into `conn`'s stream, stamped with its current epoch; `tap` does not see it. */
  inject(conn: ConnectionName, msg: DataMessage): void {
    const stamped = { ...msg, epoch: this.epochs[conn] } as Stamped<DataMessage>;
    this.emit(stamped);
  }

  private emit(msg: UpbitMessage): void {
    // The bus's own handler list, read in place: `emit` would copy it for every message.
    const handlers = this.bus.all.get(msg.type);
    if (handlers === undefined || handlers.length === 0) {
      this.metrics.unrouted++;
      return;
    }
    for (let i = 0; i < handlers.length; i++) (handlers[i] as (m: Stamped<DataMessage>) => void)(msg as Stamped<DataMessage>);
  }

  /** Start routing to `target` (its codes, its options). */
  add(target: RouteTarget): void {
    if (this.routesOf.has(target)) this.remove(target);
    let byCode = this.index.get(target.type);
    if (!byCode) {
      const map = (byCode = new ByCode());
      this.index.set(target.type, map);
      const handler = (msg: Stamped<DataMessage>) => this.dispatch(map, msg);
      this.handlers.set(target.type, handler);
      this.bus.on(target.type, handler);
    }
    const codes = target.codes.length > 0 ? target.codes : [ANY];
    const routes: Route[] = [];
    for (const given of new Set(codes)) {
      const code = internalized(given); // as decoded codes are (io/scan.ts): dispatch matches by identity
      const route: Route = {
        target,
        code,
        snapshotEpoch: -1,
        done: false,
        seen: undefined,
        level: target.level !== undefined ? new Decimal(target.level) : undefined,
        cut: target.depth !== undefined ? new BookCut(target.depth) : undefined,
      };
      routes.push(route);
      // Copy on write: a route removed during dispatch does not disturb the loop.
      byCode.set(code, [...(byCode.get(code) ?? []), route]);
    }
    this.routesOf.set(target, routes);
  }

  /** Stop routing to `target`. */
  remove(target: RouteTarget): void {
    const routes = this.routesOf.get(target);
    if (!routes) return;
    this.routesOf.delete(target);
    const byCode = this.index.get(target.type)!;
    for (const route of routes) {
      const left = byCode.get(route.code)!.filter((r) => r !== route);
      if (left.length > 0) byCode.set(route.code, left);
      else byCode.delete(route.code);
    }
    if (byCode.size === 0) {
      this.index.delete(target.type);
      this.bus.off(target.type, this.handlers.get(target.type));
      this.handlers.delete(target.type);
    }
  }

  /** Drop the routes of codes `target` no longer lists; the others keep their state. */
  narrow(target: RouteTarget): void {
    const routes = this.routesOf.get(target);
    if (!routes) return;
    const keep = new Set(target.codes.length > 0 ? target.codes : [ANY]);
    const byCode = this.index.get(target.type)!;
    for (const route of routes) {
      if (keep.has(route.code)) continue;
      const left = byCode.get(route.code)!.filter((r) => r !== route);
      if (left.length > 0) byCode.set(route.code, left);
      else byCode.delete(route.code);
    }
    this.routesOf.set(target, routes.filter((r) => keep.has(r.code)));
  }

  /** The subscriptions routed for one type and code (`*`: those without codes). */
  targets(type: string, code = ANY): RouteTarget[] {
    return (this.index.get(type)?.get(code) ?? []).map((r) => r.target);
  }

  /** Routes for one type|code (tests, metrics). */
  routeCount(type: string, code = ANY): number {
    return this.index.get(type)?.get(code)?.length ?? 0;
  }

  private dispatch(byCode: ByCode, msg: Stamped<DataMessage>): void {
    const code = (msg as { code?: string }).code;
    const exact = code !== undefined ? byCode.get(code) : undefined;
    const any = byCode.any;
    if (exact === undefined && any === undefined) {
      this.metrics.unrouted++;
      return;
    }
    if (exact !== undefined) for (let i = 0; i < exact.length; i++) this.offer(exact[i]!, msg);
    if (any !== undefined) for (let i = 0; i < any.length; i++) this.offer(any[i]!, msg);
  }

  /** One route's view of one message: exactly its subscription's options. */
  private offer(route: Route, msg: Stamped<DataMessage>): void {
    if (route.done) return;
    const t = route.target;
    if (msg.type === 'trade') {
      // Upbit trade ids are unique: one seen before is a duplicated frame, or the last trade
      // re-sent as the snapshot of a re-subscription. Twice would double-count volume.
      // A view reads the id's digits straight from its frame (view.ts ID_DIGITS): no string made.
      const seen = (route.seen ??= new RecentIds());
      const digits = (msg as { [ID_DIGITS]?: () => number })[ID_DIGITS];
      const n = digits !== undefined ? digits.call(msg) : -1;
      if (!(n > 0 ? seen.addDigits(n) : seen.add(msg.sequentialId))) {
        this.metrics.duplicatesDropped++;
        return;
      }
    } else if (msg.type === 'orderbook') {
      if (route.level !== undefined) {
        const level = msg.level;
        if (level !== null && !sameDecimal(level, route.level)) return;
      }
    } else if (msg.type === 'announcement') {
      if (t.categories !== undefined && !t.categories.has(msg.category)) return;
    }
    if (msg.streamType === 'SNAPSHOT') {
      if (!t.snapshot || route.snapshotEpoch === msg.epoch) {
        this.metrics.snapshotsSkipped++;
        return;
      }
      route.snapshotEpoch = msg.epoch;
      if (!t.realtime) route.done = true;
    } else if (!t.realtime) return;
    this.metrics.delivered++;
    t.deliver(route.cut !== undefined && msg.type === 'orderbook' ? route.cut.view(msg) : msg);
    // Told after the delivery: a snapshot-only subscription ends with its last snapshot delivered.
    if (route.done) t.snapshotDone(route.code);
  }
}

/**
 * The same book cut to `depth` units, at once (the data pool's readers, pool.ts; routes cut lazily,
 * route-parts.ts `BookCut`).
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
      orderbookUnits: kept.map((u) => (u as unknown as { toJSON(): object }).toJSON()), // plain, as the book's own toJSON gives
      totalAskSize: total('askSize'),
      totalBidSize: total('bidSize'),
    }),
  };
  return new Proxy(msg, {
    // Own keys only: `in` would also match what `own` inherits (toString, valueOf, constructor...).
    get: (target, prop) => (typeof prop === 'string' && Object.hasOwn(own, prop) ? own[prop]() : Reflect.get(target, prop, target)),
  });
}
