/**
 * The hub's REST side (issue 9): one rate limiter, the REST client, the market directory, the data
 * pool of the pull model and the private reconciler, wired to the hub through a few callbacks.
 * hub.ts creates one `RestSide` and calls it at five points; everything else is here.
 *
 * How to read this file: `createRestSide` builds the parts, then each section is one duty:
 *
 *   budget     the registries' sending budget and the connect gate, through the ONE limiter:
 *              `budgetSlots()` is `.provide()`d to subscription.machine (guard hasBudget, action
 *              takeSlot, delay budgetRetry), `gatedPrepare()` to the connections' `prepare` slot
 *   gate       `filter(componentId, wishes)`: a wish naming a well-formed code the directory does
 *              not list is kept off the wire until the directory answers (≤ its waitMs), then
 *              refused with UNKNOWN_MARKET to that subscription only (markets-gate.ts)
 *   pull       `registerInterests` / `unregisterInterests`: pool keys per component, added to that
 *              component's wishes by `interestWishes`; the router's `tap` feeds the pool
 *   private    `privateHealth(h)` drives the reconciler; the `tap` lets it drop socket duplicates;
 *              its REST events are injected into the private stream (current epoch, source 'rest')
 *   snapshots  `snapshot(fn)`: REST calls that reject with STOPPED once the hub stopped
 *
 *   socket ─▶ Router.publish ─epoch ok─▶ tap ─┬─ public: pool.put ──────────────────────▶ routes
 *                                             └─ private: reconciler.ingest ─true─────▶ routes
 *   reconciler (REST) ─emit─▶ Router.inject('private', current epoch) ─────────────────▶ routes
 */
import { assign, fromPromise } from 'xstate';
import type { PrepareInput, PrepareOutput } from '../machines/connection.machine.js';
import type { SubscriptionContext, SubscriptionEvent } from '../machines/subscription.machine.js';
import type { Health } from '../machines/supervisor.machine.js';
import {
  RateLimiter,
  RestClient,
  UpbitAbortError,
  UpbitError,
  UpbitStoppedError,
  UpbitValidationError,
  restOriginFromUrl,
  type Credentials,
  type JwtAlgorithm,
  type LimiterClock,
  type LimiterOptions,
  type MyAsset,
  type MyOrder,
} from '../io/index.js';
import type { Wish } from '../machines/types.js';
import { RestTransport } from '../io/rest-transport.js';
import { MarketGate } from './markets-gate.js';
import { MarketDirectory, type TimerClock } from './markets.js';
import { checkInterests, DataPool, type DataPoolOptions, type PoolType } from './pool.js';
import { PrivateReconciler, type PrivateRest, type RestAccount, type RestOrder } from './reconcile.js';
import type { ConnectionName, Router } from './router.js';
import { askToken, RATE_MARGIN } from './slots.js';

/** Known-markets options (`false`: every well-formed code goes through, as before issue 9). */
export interface MarketsOptions {
  /** At most one list fetch per this many ms when a code is not listed. @default 60_000 */
  refetchAfterMs?: number;
  /** The longest a new wish waits for the list; then it goes through unchecked. @default 2_000 */
  waitMs?: number;
}

/** Private reconciliation options (needs `credentials`; off with `getToken()` only). */
export interface ReconcileOptions {
  /** Poll REST once the private socket has been down this long. @default 5_000 */
  pollAfterMs?: number;
  /** Then poll this often (3 requests of the `default` group, 30/s, per poll). @default 2_000 */
  pollIntervalMs?: number;
  /** Closed orders are asked from this long before the gap began. @default 60_000 */
  closedLookbackMs?: number;
}

export interface RestSideInput {
  url: string;
  restUrl?: string;
  limits?: Omit<LimiterOptions, 'clock'>;
  /** The hub's timers (xstate's clock shape; a SimulatedClock also gives `now`). */
  clock: TimerClock & { now?: () => number };
  now: () => number;
  credentials?: Credentials;
  jwtAlgorithm?: JwtAlgorithm;
  markets?: false | MarketsOptions;
  pull?: DataPoolOptions;
  reconcile?: false | ReconcileOptions;
  fetch?: typeof fetch;
  router: Router;
  hooks: RestSideHooks;
}

/** What the REST side asks of the hub. */
export interface RestSideHooks {
  hubError(error: UpbitError): void;
  /** Fail one subscription (refused market). */
  fail(componentId: string, subscriptionId: string, error: UpbitError): void;
  /** Tell the live subscribers of these codes (delisted). */
  tellCodes(codes: readonly string[], error: UpbitError): void;
  /** Register this component's wishes again (a decision arrived, interests changed). */
  reRegister(componentId: string): void;
  /** Hold an orderbook level on `codes` (one level per code per connection, wire.ts Levels), or say why not. */
  claimLevel(holder: object, level: number, codes: readonly string[]): UpbitError | undefined;
  releaseLevel(holder: object): void;
}

/** Orderbook interest options. */
export interface InterestOptions {
  /** Orderbook price unit (0 = native). @default 0 */
  readonly level?: number;
}

type Owned = Wish & { id: string };

export type RestSide = ReturnType<typeof createRestSide>;

export function createRestSide(input: RestSideInput) {
  const { router, hooks } = input;
  const clock = input.clock;
  // The limiter's time must be its timers' time: a SimulatedClock's own `now` when it has one.
  const limiterClock: LimiterClock = {
    now: typeof clock.now === 'function' ? () => clock.now!() : input.now,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (id) => clock.clearTimeout(id),
  };
  // Upbit counts arrivals; the margin absorbs send → arrival jitter (slots.ts RATE_MARGIN).
  const limiter = new RateLimiter({ marginMs: RATE_MARGIN.second, ...input.limits, clock: limiterClock });
  const origin = input.restUrl ?? restOriginFromUrl(input.url);
  const rest = new RestClient({ origin, limiter, clock: limiterClock, fetch: input.fetch, credentials: input.credentials, jwtAlgorithm: input.jwtAlgorithm });
  const abort = new AbortController();
  let stopped = false;

  // ─── budget ─────────────────────────────────────────────────────────────────────────────────

  /**
   * The connections' `prepare`: the token for private, then a websocket-connect slot (both
   * connections share the bucket). The slot comes last so that the socket opens in the same turn
   * as the grant: a slow token never moves a connect away from the moment the limiter counted.
   */
  const gatedPrepare = (conn: ConnectionName) =>
    fromPromise<PrepareOutput, PrepareInput>(async ({ system, signal }) => {
      const out: PrepareOutput = conn === 'private' ? await askToken(system) : {};
      await limiter.acquire('websocket-connect', { signal });
      return out;
    });

  // ─── gate (known markets) ───────────────────────────────────────────────────────────────────

  const directory =
    input.markets === false
      ? undefined
      : new MarketDirectory({
          source: { markets: async (signal) => (await rest.markets({ isDetails: true, signal })).map((m) => ({ code: m.code, warning: m.marketEvent?.warning })) },
          now: limiterClock.now,
          clock,
          refetchAfterMs: input.markets?.refetchAfterMs,
          waitMs: input.markets?.waitMs,
          onDelisted: (codes) => hooks.tellCodes(codes, new UpbitValidationError('UNKNOWN_MARKET', `Upbit no longer lists ${codes.join(', ')} (delisted)`)),
        });
  const gate = directory ? new MarketGate(directory, { fail: hooks.fail, reRegister: hooks.reRegister }) : undefined;
  // Fetched once at start, so the first wishes rarely wait; a failure only means "not checked yet".
  void directory?.refresh();

  // ─── pull ───────────────────────────────────────────────────────────────────────────────────

  const pool = new DataPool(input.pull);
  /** componentId → its interest keys (`type|code|level`). */
  const interests = new Map<string, Set<string>>();
  /** `componentId|code|level` → the holder of that orderbook interest's level claim. */
  const bookClaims = new Map<string, { componentId: string; id: string }>();
  const dropInterest = (componentId: string, k: string) => {
    const { type, code, level } = parseKey(k);
    pool.release(type, code, type === 'orderbook' ? { level } : {});
    const claim = bookClaims.get(`${componentId}|${code}|${level}`);
    if (type === 'orderbook' && claim) {
      bookClaims.delete(`${componentId}|${code}|${level}`);
      hooks.releaseLevel(claim);
    }
  };
  const keyOf = (type: PoolType, code: string, level: number) => `${type}|${code}|${level}`;
  const parseKey = (k: string) => {
    const [type, code, level] = k.split('|');
    return { type: type as PoolType, code: code!, level: Number(level) };
  };

  async function registerInterests(componentId: string, codes: readonly string[], types: readonly PoolType[], o: InterestOptions = {}): Promise<void> {
    if (stopped) throw new UpbitStoppedError();
    const level = checkInterests(codes, types, o.level);
    const refused = directory ? await directory.validate(codes) : undefined;
    if (refused) throw refused;
    if (stopped) throw new UpbitStoppedError();
    let mine = interests.get(componentId);
    if (!mine) interests.set(componentId, (mine = new Set()));
    if (types.includes('orderbook')) {
      // All or nothing: a level another subscription holds on one code refuses the whole call.
      const claimed: { componentId: string; id: string }[] = [];
      for (const code of codes) {
        if (mine.has(keyOf('orderbook', code, level))) continue;
        const holder = { componentId, id: `interest:orderbook:${code}` };
        const conflict = hooks.claimLevel(holder, level, [code]);
        if (conflict) {
          for (const h of claimed) hooks.releaseLevel(h);
          if (mine.size === 0) interests.delete(componentId);
          throw conflict;
        }
        claimed.push(holder);
        bookClaims.set(`${componentId}|${code}|${level}`, holder);
      }
    }
    for (const type of types) {
      for (const code of codes) {
        const lv = type === 'orderbook' ? level : 0;
        const k = keyOf(type, code, lv);
        if (mine.has(k)) continue;
        mine.add(k);
        pool.retain(type, code, type === 'orderbook' ? { level: lv } : {});
      }
    }
    hooks.reRegister(componentId);
  }

  function unregisterInterests(componentId: string, codes?: readonly string[], types?: readonly PoolType[]): void {
    const mine = interests.get(componentId);
    if (!mine) return;
    for (const k of [...mine]) {
      const { type, code } = parseKey(k);
      if ((codes && !codes.includes(code)) || (types && !types.includes(type))) continue;
      mine.delete(k);
      dropInterest(componentId, k);
    }
    if (mine.size === 0) interests.delete(componentId);
    hooks.reRegister(componentId);
  }

  /** A component's interests as wishes (one per type and level; `id` names them in the registry). */
  function interestWishes(componentId: string): Owned[] {
    const mine = interests.get(componentId);
    if (!mine || mine.size === 0) return [];
    const byWish = new Map<string, { type: PoolType; level: number; codes: string[] }>();
    for (const k of mine) {
      const { type, code, level } = parseKey(k);
      const w = byWish.get(`${type}|${level}`) ?? { type, level, codes: [] };
      w.codes.push(code);
      byWish.set(`${type}|${level}`, w);
    }
    return [...byWish.values()].map(({ type, level, codes }) =>
      type === 'orderbook' && level !== 0
        ? ({ id: `interest:${type}:${level}`, type, codes, level } as Owned)
        : ({ id: `interest:${type}`, type, codes } as Owned),
    );
  }

  // ─── private ────────────────────────────────────────────────────────────────────────────────

  const reconciler =
    input.credentials && input.reconcile !== false
      ? new PrivateReconciler({
          rest: privateRest(origin, limiter, limiterClock, input.credentials, input.jwtAlgorithm, input.fetch),
          emit: (event) => router.inject('private', event),
          now: input.now,
          clock,
          ...input.reconcile,
          onError: (err) => hooks.hubError(err instanceof UpbitError ? err : new UpbitValidationError('INVALID_OPTION', String(err))),
        })
      : undefined;

  function privateHealth(h: Health): void {
    if (!reconciler) return;
    if (h === 'open') reconciler.socketUp();
    else if (h === 'off' || h === 'idle' || h === 'closed' || h === 'closing' || h === 'stopped') reconciler.pause();
    else reconciler.socketDown();
  }

  router.tap = (conn, msg) => {
    if (conn === 'public') {
      pool.put(msg);
      return true;
    }
    if (reconciler && (msg.type === 'myOrder' || msg.type === 'myAsset')) return reconciler.ingest(msg as MyOrder | MyAsset);
    return true;
  };

  // ─── snapshots ──────────────────────────────────────────────────────────────────────────────

  /** Run one REST call with the hub's stop signal: rejects with STOPPED once the hub stopped. */
  async function snapshot<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (stopped) throw new UpbitStoppedError();
    try {
      return await call(abort.signal);
    } catch (err) {
      if (stopped && err instanceof UpbitAbortError) throw new UpbitStoppedError();
      throw err;
    }
  }

  return {
    limiter,
    rest,
    pool,
    directory,
    reconciler,
    budgetSlots: () => budgetSlots(limiter),
    gatedPrepare,
    /** The wishes of `componentId` that may go on the wire now (public codes checked against the market list). */
    filter: (componentId: string, wishes: readonly Owned[]): Owned[] => (gate ? gate.filter(componentId, wishes) : [...wishes]),
    /** Subscriptions of `componentId` held back while their market codes are checked (they stay pending). */
    held: (componentId: string): string[] => (gate ? gate.held(componentId) : []),
    registerInterests,
    unregisterInterests,
    interestWishes,
    privateHealth,
    snapshot,
    /** The component stopped: its interests leave the pool, its gate decisions are forgotten. True when it had interests. */
    componentRemoved(componentId: string): boolean {
      const mine = interests.get(componentId);
      if (mine) for (const k of mine) dropInterest(componentId, k);
      interests.delete(componentId);
      gate?.forget(componentId);
      return mine !== undefined;
    },
    stop(): void {
      stopped = true;
      abort.abort();
      reconciler?.stop();
      directory?.dispose();
      limiter.dispose();
      pool.clear();
      interests.clear();
      router.tap = undefined;
    },
  };
}

/**
 * subscription.machine's budget slots on a shared limiter (`websocket-message`: 5/s and 100/min).
 * Upbit's message limit is per connection, so each socket (name + epoch) has its own bucket.
 */
export function budgetSlots(limiter: RateLimiter) {
  const key = (c: SubscriptionContext) => `${c.name}#${c.epoch ?? -1}`;
  return {
    guards: { hasBudget: ({ context }: { context: SubscriptionContext }) => limiter.delayFor('websocket-message', key(context)) === 0 },
    actions: {
      takeSlot: assign<SubscriptionContext, SubscriptionEvent, unknown, SubscriptionEvent, never>(({ context }) => {
        limiter.tryAcquire('websocket-message', key(context));
        return { sent: context.sent + 1 };
      }),
    },
    delays: { budgetRetry: ({ context }: { context: SubscriptionContext }) => Math.max(1, limiter.delayFor('websocket-message', key(context))) },
  };
}

/** The signed reads the reconciler needs, as Upbit's raw JSON (every number a string: exact). */
function privateRest(origin: string, limiter: RateLimiter, clock: LimiterClock, credentials: Credentials, alg: JwtAlgorithm | undefined, f: typeof fetch | undefined): PrivateRest {
  const t = new RestTransport({
    origin,
    fetch: (f ?? globalThis.fetch).bind(globalThis),
    limiter,
    clock,
    timeoutMs: 10_000,
    retries: 2,
    rateLimitRetries: 3,
    retryDelay: (n) => 250 * 2 ** (n - 1),
    credentials,
    jwtAlgorithm: alg ?? 'HS512',
  });
  const get = async <T>(path: string, query: readonly (readonly [string, string | number | undefined])[], signal?: AbortSignal) =>
    JSON.parse((await t.get(path, query, 'default', { signal }, true)).toString('utf8')) as T;
  return {
    accounts: (signal) => get<RestAccount[]>('/v1/accounts', [], signal),
    openOrders: (signal) => get<RestOrder[]>('/v1/orders/open', [['limit', 100]], signal),
    closedOrders: ({ since }, signal) => get<RestOrder[]>('/v1/orders/closed', [['start_time', new Date(since).toISOString()], ['limit', 1000]], signal),
  };
}
