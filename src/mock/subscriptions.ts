/**
 * One connection's subscription set, built from one request (each request REPLACES the whole set,
 * protocol §5.1).
 *
 * How to read this file: `SubscriptionSet.from(objects)` merges the request's data-type objects:
 * several objects of one type are united; a public stream is keyed by (type, code, level) so one
 * request can ask `KRW-BTC.15` at level 10000 and `KRW-ETH.5` at level 1000 (§2.2); when the same
 * key comes twice, the deeper depth and the union of the snapshot/realtime wishes win. `list()` is
 * the LIST_SUBSCRIPTIONS `result` (§2.4); `[U]` orderbook codes keep the suffix they were sent with.
 */
import type { DataType, SubscriptionEntry } from '../io/index.js';
import { bookCode } from './requests.js';
import { bookLevel, LEVEL_ZERO } from './market.js';
import type { BookLevel } from './market.js';
import type { Dec } from './num.js';
import type { TypeObject } from './requests.js';

export interface Stream {
  readonly type: DataType;
  /** Market code without the depth suffix. */
  readonly code: string;
  /** The code as sent, e.g. `KRW-BTC.15`. */
  requested: string;
  /** Orderbook units per side (30 unless a suffix asked less). */
  depth: number;
  /** Orderbook aggregation level (0 for every other type). */
  readonly level: Dec;
  /** The same level for the book arithmetic. */
  readonly bookLevel: BookLevel;
  /** Send a SNAPSHOT when the request is applied. */
  snapshot: boolean;
  /** Send REALTIME messages afterwards. */
  realtime: boolean;
}

/** What `connections()` shows for one subscribed type. */
export interface SubscriptionInfo {
  readonly type: string;
  readonly codes?: readonly string[];
  readonly level?: string;
  readonly isOnlySnapshot?: boolean;
  readonly isOnlyRealtime?: boolean;
  readonly categories?: readonly string[];
  readonly includeBody?: boolean;
}

export class SubscriptionSet {
  /** Public streams in request order. */
  readonly streams: Stream[] = [];
  /** `type|code` → streams (orderbook may have several levels per code). */
  readonly byKey = new Map<string, Stream[]>();
  /** myOrder: undefined = not subscribed; empty set = every market. */
  myOrder: Set<string> | undefined;
  myAsset = false;
  /** announcement: undefined = not subscribed. */
  announcement: { categories: ReadonlySet<string> | undefined; includeBody: boolean } | undefined;
  /** Types in request order, for `list()`. */
  private readonly order: string[] = [];

  static empty(): SubscriptionSet {
    return new SubscriptionSet();
  }

  static from(objects: readonly TypeObject[]): SubscriptionSet {
    const set = new SubscriptionSet();
    for (const o of objects) set.add(o);
    return set;
  }

  get size(): number {
    return this.streams.length + (this.myOrder ? 1 : 0) + (this.myAsset ? 1 : 0) + (this.announcement ? 1 : 0);
  }

  streamsFor(type: string, code: string): readonly Stream[] | undefined {
    return this.byKey.get(`${type}|${code}`);
  }

  private add(o: TypeObject): void {
    if (!this.order.includes(o.type)) this.order.push(o.type);
    switch (o.type) {
      case 'myOrder': {
        const all = !o.codes || o.codes.length === 0;
        if (all || this.myOrder?.size === 0) this.myOrder = new Set();
        else {
          this.myOrder ??= new Set();
          for (const c of o.codes!) this.myOrder.add(c);
        }
        return;
      }
      case 'myAsset':
        this.myAsset = true;
        return;
      case 'announcement': {
        const prev = this.announcement;
        const cats =
          prev && !prev.categories ? undefined : !o.categories ? undefined : new Set([...(prev?.categories ?? []), ...o.categories]);
        this.announcement = { categories: cats, includeBody: (prev?.includeBody ?? false) || o.includeBody };
        return;
      }
    }
    const lvl = o.level ? bookLevel(o.level) : LEVEL_ZERO;
    const level = lvl.value;
    for (const requested of o.codes ?? []) {
      const { code, depth } =
        o.type === 'orderbook' ? bookCode(requested) : { code: requested, depth: undefined };
      const key = `${o.type}|${code}`;
      let list = this.byKey.get(key);
      if (!list) this.byKey.set(key, (list = []));
      const d = depth ?? 30;
      const same = list.find((s) => s.level.eq(level));
      if (same) {
        if (d > same.depth) [same.depth, same.requested] = [d, requested];
        same.snapshot ||= !o.isOnlyRealtime;
        same.realtime ||= !o.isOnlySnapshot;
        continue;
      }
      const s: Stream = {
        type: o.type,
        code,
        requested,
        depth: d,
        level,
        bookLevel: lvl,
        snapshot: !o.isOnlyRealtime,
        realtime: !o.isOnlySnapshot,
      };
      list.push(s);
      this.streams.push(s);
    }
  }

  /** The LIST_SUBSCRIPTIONS `result`: one entry per type (per level for orderbook). */
  list(): SubscriptionEntry[] {
    const out: SubscriptionEntry[] = [];
    for (const type of this.order) {
      if (type === 'myAsset' || type === 'announcement') out.push(entry(type));
      else if (type === 'myOrder') out.push(entry(type, this.myOrder!.size ? [...this.myOrder!] : undefined));
      else {
        const groups = new Map<string, Stream[]>();
        for (const s of this.streams) {
          if (s.type !== type) continue;
          const k = s.level.toString();
          groups.get(k)?.push(s) ?? groups.set(k, [s]);
        }
        for (const g of groups.values()) {
          out.push(entry(type, g.map((s) => s.requested), type === 'orderbook' ? g[0].level : undefined));
        }
      }
    }
    return out;
  }

  /** A plain description for observation (`connections()`). */
  info(): SubscriptionInfo[] {
    return this.list().map((e) => {
      const i: { -readonly [K in keyof SubscriptionInfo]: SubscriptionInfo[K] } = { type: e.type };
      if (e.codes) i.codes = e.codes;
      if (e.level) i.level = e.level.toString();
      const streams = this.streams.filter((s) => s.type === e.type && (!e.level || s.level.eq(e.level)));
      if (streams.length) {
        i.isOnlySnapshot = streams.every((s) => !s.realtime);
        i.isOnlyRealtime = streams.every((s) => !s.snapshot);
      }
      if (e.type === 'announcement' && this.announcement) {
        if (this.announcement.categories) i.categories = [...this.announcement.categories];
        i.includeBody = this.announcement.includeBody;
      }
      return i;
    });
  }
}

/** An entry with absent keys left out (the encoder skips undefined optional fields). */
function entry(type: string, codes?: readonly string[], level?: Dec): SubscriptionEntry {
  const e: Record<string, unknown> = { type };
  if (codes) e.codes = codes;
  if (level) e.level = level;
  return e as unknown as SubscriptionEntry;
}
