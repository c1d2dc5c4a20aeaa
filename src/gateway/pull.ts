/**
 * A gateway consumer's data side (issue 11 item 2): what UpbitClient's snapshots and pull reads
 * call (actors/client.ts `ClientData`), for a process that reads Upbit through a gateway.
 *
 *   snapshots   rest.ts `restOverNats`: request/reply on `upbit.gw.rest`, answered by the leader's hub
 *   pull        interests are this process's wishes in its lease (they join the gateway's union
 *               like subscriptions and expire with the lease); each interest reads its subjects
 *               (reader.ts, shared with subscriptions) → the consumer's Router → `tap` → DataPool
 *               (actors/pool.ts), read synchronously by getTicker / getOrderbook / getTrades
 *
 * How to read: `createConsumerData` keeps interests per client as keys `type|code|level`, each
 * key one reader user; `interestWishes()` is what consumer.ts adds to the lease; `componentRemoved`
 * and `stop` end them. Validation is local (codes, types, level); market listing and level
 * conflicts are the gateway hub's to judge (its refusals come back through the lease reply).
 */
import { UpbitAbortError, UpbitStoppedError, type Wish } from '../io/index.js';
import type { ClientData } from '../actors/client.js';
import { checkInterests, DataPool, type DataPoolOptions, type PoolType } from '../actors/pool.js';
import type { Router } from '../actors/router.js';
import type { InterestOptions } from '../actors/rest-side.js';
import type { RemoteRest } from './rest.js';
import type { Readers } from './reader.js';
import { subjectsOfWish } from './subjects.js';

export interface ConsumerDataInput {
  rest: RemoteRest;
  router: Router;
  readers: Readers;
  account: string;
  /** Send the lease now (the interests' wishes go with it). */
  heartbeat(): Promise<void>;
  pull?: DataPoolOptions;
}


export type ConsumerData = ReturnType<typeof createConsumerData>;

export function createConsumerData(input: ConsumerDataInput) {
  const { router, readers, account } = input;
  const pool = new DataPool(input.pull);
  const abort = new AbortController();
  let stopped = false;
  /** componentId → key (`type|code|level`) → the reader user of that interest. */
  const interests = new Map<string, Map<string, object>>();
  const keyOf = (type: PoolType, code: string, level: number) => `${type}|${code}|${level}`;
  const parseKey = (k: string) => {
    const [type, code, level] = k.split('|');
    return { type: type as PoolType, code: code!, level: Number(level) };
  };
  const wishOf = (type: PoolType, codes: string[], level: number): Wish =>
    (type === 'orderbook' && level !== 0 ? { type, codes, level } : { type, codes }) as Wish;

  router.tap = (conn, msg) => {
    if (conn === 'public') pool.put(msg);
    return true;
  };

  const drop = (user: object, k: string) => {
    const { type, code, level } = parseKey(k);
    readers.detach(user);
    pool.release(type, code, type === 'orderbook' ? { level } : {});
  };

  async function registerInterests(componentId: string, codes: readonly string[], types: readonly PoolType[], o: InterestOptions = {}): Promise<void> {
    if (stopped) throw new UpbitStoppedError('the gateway connection is closed');
    const level = checkInterests(codes, types, o.level);
    let mine = interests.get(componentId);
    if (!mine) interests.set(componentId, (mine = new Map()));
    const added: [object, string[]][] = [];
    for (const type of types) {
      for (const code of codes) {
        const lv = type === 'orderbook' ? level : 0;
        const k = keyOf(type, code, lv);
        if (mine.has(k)) continue;
        const user = { interest: k, componentId };
        mine.set(k, user);
        pool.retain(type, code, type === 'orderbook' ? { level: lv } : {});
        added.push([user, subjectsOfWish(wishOf(type, [code], lv), account)]);
      }
    }
    // The wishes are in the lease before the readers start (Readers sends the lease first).
    for (const [user, subjects] of added) readers.attach(user, subjects);
    await input.heartbeat();
  }

  function unregisterInterests(componentId: string, codes?: readonly string[], types?: readonly PoolType[]): void {
    const mine = interests.get(componentId);
    if (!mine) return;
    for (const [k, user] of [...mine]) {
      const { type, code } = parseKey(k);
      if ((codes && !codes.includes(code)) || (types && !types.includes(type))) continue;
      mine.delete(k);
      drop(user, k);
    }
    if (mine.size === 0) interests.delete(componentId);
    void input.heartbeat();
  }

  /** Every interest of this process as wishes (one per type and level), for the lease. */
  function interestWishes(): Wish[] {
    const byWish = new Map<string, { type: PoolType; level: number; codes: Set<string> }>();
    for (const mine of interests.values()) {
      for (const k of mine.keys()) {
        const { type, code, level } = parseKey(k);
        const w = byWish.get(`${type}|${level}`) ?? { type, level, codes: new Set<string>() };
        w.codes.add(code);
        byWish.set(`${type}|${level}`, w);
      }
    }
    return [...byWish.values()].map(({ type, level, codes }) => wishOf(type, [...codes], level));
  }

  /** Run one snapshot with this connection's close signal: STOPPED once it closed. */
  async function snapshot<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (stopped) throw new UpbitStoppedError('the gateway connection is closed');
    try {
      return await call(abort.signal);
    } catch (err) {
      if (stopped && (err instanceof UpbitAbortError || abort.signal.aborted)) throw new UpbitStoppedError('the gateway connection is closed');
      throw err;
    }
  }

  const data: ClientData = { rest: input.rest, pool, snapshot, registerInterests, unregisterInterests };
  return {
    data,
    pool,
    interestWishes,
    /** A client stopped: its interests end. True when it had some (the lease must shrink). */
    componentRemoved(componentId: string): boolean {
      const mine = interests.get(componentId);
      if (!mine) return false;
      for (const [k, user] of mine) drop(user, k);
      interests.delete(componentId);
      return true;
    },
    stop(): void {
      stopped = true;
      abort.abort(new UpbitStoppedError('the gateway connection is closed'));
      interests.clear();
      pool.clear();
      router.tap = undefined;
    },
  };
}
