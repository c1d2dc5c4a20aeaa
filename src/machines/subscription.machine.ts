/**
 * The subscription registry of ONE connection: every component's wishes, sent as ONE union.
 *
 * How to read: pure helpers first (canonical keys), then the machine. Why a union: Upbit
 * replaces a connection's whole subscription set on every request and has no unsubscribe
 * (protocol §5.1), so every request must carry everything every component still wants.
 *
 *   ADD / SET / REMOVE ─▶ idle ─▶ pending ─(pendingWindow ≤ 100 ms)─▶ flushing ─▶ sendRequest
 *                                   ▲ more changes coalesce here        │ no budget
 *                                                                       ▼
 *                        throttled ─(SLOT_FREE.sec / SLOT_FREE.min)─▶ flushing
 *   CONNECTED {epoch} ─▶ flushing (reason 'reconnect', fresh budget: the limit is per connection)
 *   REPAIR ─▶ listSubscriptions ... SERVER_VIEW {result} ─[drifted]─▶ flushing (reason 'repair')
 *
 * Rate limit (5 per 1 000 ms and 100 per 60 000 ms, sliding): each request (and each
 * LIST_SUBSCRIPTIONS) takes a slot in both windows and raises a delayed `SLOT_FREE.*` that gives
 * it back exactly one window later. No clock is read: the delayed events ARE the clock. Changes
 * made while no slot is free are never dropped: they coalesce into the next allowed request.
 * Those windows are the DEFAULT budget. The budget is three named slots, so a hub can hand it to
 * one shared rate limiter with `.provide()` (hub: src/actors/rest-side.ts `budgetSlots`):
 *   guard `hasBudget` (may a request go now?), action `takeSlot` (one was sent: count it),
 *   delay `budgetRetry` (while `throttled`, look again after this long; the default windows
 *   wake `throttled` with their SLOT_FREE events already, so the default is one window).
 *
 * Reference counting falls out of the union: (type, code) stays while any component wants it.
 * An EMPTY union is passed on too: `sendRequest` is called with `wishes: []` when the union
 * shrinks to nothing, and on CONNECTED when nothing is wanted (a race: everyone left while the
 * socket was opening). Upbit cannot unsubscribe, so the provider should close the connection
 * (DISCONNECT) instead of sending anything; the call still counts against the budget.
 *
 * `sendRequest` gets the flattened owned wishes; merging and encoding are the provider's job.
 * The default `unionChanged` guard compares `canonicalKey(...)` of the union with the last one
 * sent, so a provider whose merge is not a function of the exploded (type, code, options) set
 * must provide its own guard.
 */
import { and, assign, emit, enqueueActions, not, setup } from 'xstate';
import type { OwnedWish, RequestReason, Wish } from './types.js';

// ---------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** All wishes of all components, in component order, each tagged with its owner. */
export function flattenWishes(wishes: Readonly<Record<string, readonly Wish[]>>): OwnedWish[] {
  return Object.entries(wishes).flatMap(([componentId, list]) => list.map((w) => ({ ...w, componentId })));
}

/** One entry per (wish options, code): owner and code order do not matter, duplicates collapse. */
function explode(w: Wish): string[] {
  const { codes, componentId: _owner, stream, ...rest } = w as Wish & { componentId?: string };
  const base = { ...rest, stream: stream ?? 'both' };
  if (!codes || codes.length === 0) return [stableStringify(base)];
  return codes.map((code) => stableStringify({ ...base, code }));
}

/** `type|code` with any orderbook depth suffix stripped; `type|*` for wishes without codes. */
export function pairKeys(w: Wish): string[] {
  return w.codes && w.codes.length > 0 ? w.codes.map((c) => `${w.type}|${c.split('.')[0]}`) : [`${w.type}|*`];
}

/**
 * Every owner's wishes, indexed so that a change costs what it changes, never the number of owners
 * (10,000 subscriptions arriving one by one must not copy a 10,000-entry record each time).
 *
 * Mutable on purpose: the machine owns it and changes it only in its own actions. The union is
 * built from it at flush time, which the rate limit bounds to a few times a second.
 */
export class WishIndex {
  private readonly owners = new Map<string, readonly Wish[]>();
  /** Some wish added since the last request wants a snapshot (re-send even if the union is the same). */
  snapshotWanted = false;
  /**
   * Work done, for tests and stats (counts, never times): `changes` owner updates and the wishes
   * they `touched`; `unions` union builds (flatten / toJSON) and the wishes they `visited`.
   * A change must touch only its owner's wishes, whatever the number of owners.
   */
  readonly work = { changes: 0, touched: 0, unions: 0, visited: 0 };

  get size(): number {
    return this.owners.size;
  }

  get(owner: string): readonly Wish[] | undefined {
    return this.owners.get(owner);
  }

  /** Replace one owner's wishes; an empty list removes the owner. */
  set(owner: string, wishes: readonly Wish[]): void {
    const before = this.owners.get(owner) ?? [];
    this.work.changes++;
    this.work.touched += before.length + wishes.length;
    if (wishes.length > 0) this.owners.set(owner, [...wishes]);
    else this.owners.delete(owner);
    if (this.snapshotWanted) return;
    const had = new Set(before.map((w) => canonicalKey([w])));
    for (const w of wishes) if (w.stream !== 'realtime' && !had.has(canonicalKey([w]))) this.snapshotWanted = true;
  }

  add(owner: string, wish: Wish): void {
    const list = this.owners.get(owner) ?? [];
    if (!list.some((w) => sameWish(w, wish))) this.set(owner, [...list, wish]);
  }

  remove(owner: string, wish?: Wish): void {
    this.set(owner, wish ? (this.owners.get(owner) ?? []).filter((w) => !sameWish(w, wish)) : []);
  }

  /** The owned wishes a request carries: every owner's, minus the codes `held` back (`type|code`). */
  flatten(held: ReadonlySet<string>): OwnedWish[] {
    const out: OwnedWish[] = [];
    this.work.unions++;
    for (const [componentId, list] of this.owners) {
      this.work.visited += list.length;
      for (const w of list) {
        if (held.size > 0 && pairKeys(w).some((k) => held.has(k))) {
          if (!w.codes || w.codes.length === 0) continue;
          const codes = w.codes.filter((c) => !held.has(`${w.type}|${c.split('.')[0]}`));
          if (codes.length > 0) out.push({ ...w, codes, componentId });
          continue;
        }
        out.push({ ...w, componentId });
      }
    }
    return out;
  }

  /** A plain record, for tests and inspection. */
  toJSON(): Record<string, Wish[]> {
    this.work.unions++;
    for (const list of this.owners.values()) this.work.visited += list.length;
    return Object.fromEntries([...this.owners].map(([k, v]) => [k, [...v]]));
  }
}

/** Canonical string of the set a request would carry. Equal keys ⇒ identical request. */
export function canonicalKey(wishes: readonly Wish[]): string {
  return JSON.stringify([...new Set(wishes.flatMap(explode))].sort());
}

/**
 * (type, code) pairs only: what LIST_SUBSCRIPTIONS can tell us (no stream flags). Orderbook depth
 * suffixes are stripped on both sides: whether the server's answer keeps them is unconfirmed (§2.4 [U]).
 */
export function pairsKey(list: ReadonlyArray<{ type: string; codes?: readonly string[] | null }>): string {
  return JSON.stringify([...new Set(list.flatMap((w) => pairKeys({ type: w.type, codes: w.codes ?? undefined })))].sort());
}

const EMPTY_PAIRS = pairsKey([]);
const sameWish = (a: Wish, b: Wish): boolean => canonicalKey([a]) === canonicalKey([b]);

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

export interface SubscriptionInput {
  /** Label used in `CHILD.*` parent events. @default 'public' */
  name?: string;
  /** Also send `CHILD.DESIRED_CHANGED` to the parent. @default false */
  notifyParent?: boolean;
  /** Coalescing window, clamped to 0..100 ms. @default 100 */
  pendingWindow?: number;
  /** @default 5 */ perSecond?: number;
  /** @default 100 */ perMinute?: number;
}

export interface ServerViewItem {
  type: string;
  codes?: readonly string[];
  [k: string]: unknown;
}

export interface SendRequestParams {
  wishes: OwnedWish[];
  reason: RequestReason;
  epoch: number;
}

export interface SubscriptionContext {
  name: string;
  notifyParent: boolean;
  /** Every owner's wishes (mutable index, see WishIndex). */
  wishes: WishIndex;
  /** `type|code` pairs held back from the wire (refused, or under test while isolating a refusal). */
  held: ReadonlySet<string>;
  /** Epoch of the open connection, null while there is none. */
  epoch: number | null;
  /** Something may need sending (a change, a reconnect, a detected drift). */
  dirty: boolean;
  reason: RequestReason;
  lastSentKey: string | null;
  lastSentPairs: string | null;
  /** Last `desiredChanged.active` emitted. */
  active: boolean;
  repairWanted: boolean;
  awaitingView: boolean;
  usedSecond: number;
  usedMinute: number;
  perSecond: number;
  perMinute: number;
  pendingWindow: number;
  /** Requests (incl. LIST_SUBSCRIPTIONS) sent so far, for stats and tests. */
  sent: number;
}

export type SubscriptionEvent =
  | { type: 'ADD'; componentId: string; wish: Wish }
  | { type: 'SET'; componentId: string; wishes: readonly Wish[] }
  | { type: 'REMOVE'; componentId: string; wish?: Wish }
  /** Keep these `type|code` pairs off the wire (replaces the held set). */
  | { type: 'HOLD'; keys: readonly string[] }
  | { type: 'CONNECTED'; epoch: number }
  | { type: 'DISCONNECTED' }
  | { type: 'REPAIR' }
  | { type: 'SERVER_VIEW'; result: readonly ServerViewItem[] }
  | { type: 'SLOT_FREE.sec'; epoch: number }
  | { type: 'SLOT_FREE.min'; epoch: number };

export type SubscriptionEmitted =
  | { type: 'desiredChanged'; active: boolean }
  | { type: 'request'; wishes: OwnedWish[]; reason: RequestReason; epoch: number }
  | { type: 'listSubscriptions'; epoch: number }
  | { type: 'current'; epoch: number };

export type SubscriptionParentEvent = { type: 'CHILD.DESIRED_CHANGED'; source: string; active: boolean };

function applyChange(index: WishIndex, event: SubscriptionEvent): void {
  switch (event.type) {
    case 'ADD':
      index.add(event.componentId, event.wish);
      break;
    case 'SET':
      index.set(event.componentId, event.wishes);
      break;
    case 'REMOVE':
      index.remove(event.componentId, event.wish);
      break;
    default:
      break;
  }
}

const requestParams = ({ context }: { context: SubscriptionContext }): SendRequestParams => ({
  wishes: context.wishes.flatten(context.held),
  reason: context.reason,
  epoch: context.epoch ?? -1,
});

export const subscriptionMachine = setup({
  types: {
    context: {} as SubscriptionContext,
    events: {} as SubscriptionEvent,
    input: {} as SubscriptionInput,
    emitted: {} as SubscriptionEmitted,
  },
  actions: {
    /** Provide to encode + send. Default: emit `request` (listen with `actor.on('request', …)`). */
    sendRequest: emit((_, params: SendRequestParams): SubscriptionEmitted => ({ type: 'request', ...params })),
    /** The union on the wire already carries every wish (nothing to send). Default: emit `current`. */
    wireCurrent: emit(({ context }): SubscriptionEmitted => ({ type: 'current', epoch: context.epoch ?? -1 })),
    /** Provide to send LIST_SUBSCRIPTIONS; answer with SERVER_VIEW. Default: emit `listSubscriptions`. */
    listSubscriptions: emit((_, params: { epoch: number }): SubscriptionEmitted => ({ type: 'listSubscriptions', epoch: params.epoch })),
    applyChange: assign(({ context, event }) => {
      applyChange(context.wishes, event);
      return { wishes: context.wishes };
    }),
    hold: assign({ held: ({ event }) => (event.type === 'HOLD' ? new Set(event.keys) : new Set<string>()) }),
    markDirty: assign({
      reason: ({ context }) => (context.dirty ? context.reason : 'change'),
      dirty: true,
    }),
    notifyDesired: enqueueActions(({ context, enqueue }) => {
      const active = context.wishes.size > 0;
      if (active === context.active) return;
      enqueue.assign({ active });
      enqueue.emit({ type: 'desiredChanged', active });
      if (context.notifyParent) {
        enqueue.sendParent({ type: 'CHILD.DESIRED_CHANGED', source: context.name, active } satisfies SubscriptionParentEvent);
      }
    }),
    onConnected: assign(({ event, context }) => ({
      epoch: event.type === 'CONNECTED' ? event.epoch : context.epoch,
      usedSecond: 0, // Upbit's message limit is per connection: a new socket has a full budget.
      usedMinute: 0,
      lastSentKey: null, // a new socket has no subscriptions at all
      lastSentPairs: null,
      dirty: true,
      reason: 'reconnect' as const,
      repairWanted: false,
      awaitingView: false,
    })),
    onDisconnected: assign({ epoch: null, awaitingView: false, repairWanted: false }),
    wantRepair: assign({ repairWanted: true }),
    clearDirty: assign({ dirty: false }),
    freeSecond: assign({ usedSecond: ({ context }) => Math.max(0, context.usedSecond - 1) }),
    freeMinute: assign({ usedMinute: ({ context }) => Math.max(0, context.usedMinute - 1) }),
    /** Take one slot in both windows; give it back one window later. */
    takeSlot: enqueueActions(({ context, enqueue }) => {
      const epoch = context.epoch ?? -1;
      enqueue.assign({ usedSecond: context.usedSecond + 1, usedMinute: context.usedMinute + 1, sent: context.sent + 1 });
      enqueue.raise({ type: 'SLOT_FREE.sec', epoch }, { delay: 'rateWindowSecond' });
      enqueue.raise({ type: 'SLOT_FREE.min', epoch }, { delay: 'rateWindowMinute' });
    }),
    markSent: assign(({ context }) => {
      const wishes = context.wishes.flatten(context.held);
      context.wishes.snapshotWanted = false;
      return { lastSentKey: canonicalKey(wishes), lastSentPairs: pairsKey(wishes), dirty: false };
    }),
    markListed: assign({ repairWanted: false, awaitingView: true }),
    onDrift: assign({ dirty: true, reason: 'repair' as const, lastSentKey: null, awaitingView: false }),
    onNoDrift: assign({ awaitingView: false }),
  },
  guards: {
    isOnline: ({ context }) => context.epoch !== null,
    isDirty: ({ context }) => context.dirty,
    // lastSentKey null = "this socket's set is unknown" (fresh socket, detected drift): send.
    // A new wish that wants a snapshot re-sends even an unchanged union: Upbit sends snapshots per request.
    unionChanged: ({ context }) =>
      context.wishes.snapshotWanted || canonicalKey(context.wishes.flatten(context.held)) !== context.lastSentKey,
    hasBudget: ({ context }) => context.usedSecond < context.perSecond && context.usedMinute < context.perMinute,
    repairWanted: ({ context }) => context.repairWanted,
    awaitingView: ({ context }) => context.awaitingView,
    drifted: ({ context, event }) =>
      event.type === 'SERVER_VIEW' && pairsKey(event.result) !== (context.lastSentPairs ?? EMPTY_PAIRS),
    isCurrentSlot: ({ context, event }) => 'epoch' in event && event.epoch === (context.epoch ?? -1),
  },
  delays: {
    pendingWindow: ({ context }) => context.pendingWindow,
    rateWindowSecond: 1_000,
    rateWindowMinute: 60_000,
    /** While throttled, re-check `hasBudget` after this long (a provided limiter says when). */
    budgetRetry: 1_000,
  },
}).createMachine({
  id: 'subscription',
  context: ({ input }) => ({
    name: input.name ?? 'public',
    notifyParent: input.notifyParent ?? false,
    wishes: new WishIndex(),
    held: new Set<string>(),
    epoch: null,
    dirty: false,
    reason: 'change',
    lastSentKey: null,
    lastSentPairs: null,
    active: false,
    repairWanted: false,
    awaitingView: false,
    usedSecond: 0,
    usedMinute: 0,
    perSecond: input.perSecond ?? 5,
    perMinute: input.perMinute ?? 100,
    pendingWindow: Math.min(100, Math.max(0, input.pendingWindow ?? 100)),
    sent: 0,
  }),
  on: {
    ADD: { target: '.pending', actions: ['applyChange', 'markDirty', 'notifyDesired'] },
    SET: { target: '.pending', actions: ['applyChange', 'markDirty', 'notifyDesired'] },
    REMOVE: { target: '.pending', actions: ['applyChange', 'markDirty', 'notifyDesired'] },
    HOLD: { target: '.pending', actions: ['hold', 'markDirty'] },
    CONNECTED: { target: '.flushing', actions: 'onConnected' },
    DISCONNECTED: { target: '.idle', actions: 'onDisconnected' },
    REPAIR: { guard: 'isOnline', target: '.flushing', actions: 'wantRepair' },
    SERVER_VIEW: [
      { guard: and(['awaitingView', 'drifted']), target: '.flushing', actions: 'onDrift' },
      { guard: 'awaitingView', actions: 'onNoDrift' },
    ],
    'SLOT_FREE.sec': { guard: 'isCurrentSlot', actions: 'freeSecond' },
    'SLOT_FREE.min': { guard: 'isCurrentSlot', actions: 'freeMinute' },
  },
  initial: 'idle',
  states: {
    idle: {},
    /** Coalescing window: more changes land here; the window is NOT extended by them. */
    pending: {
      on: {
        ADD: { actions: ['applyChange', 'markDirty', 'notifyDesired'] },
        SET: { actions: ['applyChange', 'markDirty', 'notifyDesired'] },
        REMOVE: { actions: ['applyChange', 'markDirty', 'notifyDesired'] },
        HOLD: { actions: ['hold', 'markDirty'] },
      },
      after: { pendingWindow: 'flushing' },
    },
    /** Decide, in order: nothing to do, send the union, list subscriptions, or wait for budget. */
    flushing: {
      always: [
        { guard: not('isOnline'), target: 'idle' },
        // Budget first: comparing the union with what was sent costs O(union), so it is done once,
        // and only when a request could go now (out of budget, the next flush decides).
        { guard: and(['isDirty', 'hasBudget', 'unionChanged']), actions: ['takeSlot', { type: 'sendRequest', params: requestParams }, 'markSent'] },
        { guard: and(['isDirty', not('hasBudget')]), target: 'throttled' },
        { guard: 'isDirty', actions: ['clearDirty', 'wireCurrent'] },
        { guard: and(['repairWanted', 'hasBudget']), actions: ['takeSlot', { type: 'listSubscriptions', params: ({ context }) => ({ epoch: context.epoch ?? -1 }) }, 'markListed'] },
        { guard: 'repairWanted', target: 'throttled' },
        { target: 'idle' },
      ],
    },
    /** Out of budget: changes coalesce; the first freed slot sends the union as it is then. */
    throttled: {
      on: {
        ADD: { actions: ['applyChange', 'markDirty', 'notifyDesired'] },
        SET: { actions: ['applyChange', 'markDirty', 'notifyDesired'] },
        REMOVE: { actions: ['applyChange', 'markDirty', 'notifyDesired'] },
        HOLD: { actions: ['hold', 'markDirty'] },
      },
      always: { guard: 'hasBudget', target: 'flushing' },
      // An external budget (a provided `hasBudget`) raises no SLOT_FREE: look again when it says.
      after: { budgetRetry: { target: 'throttled', reenter: true } },
    },
  },
});
