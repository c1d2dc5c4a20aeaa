/**
 * `MarketGate`: which of a component's wishes may go on the wire, given the market list
 * (issue 9 part 4). The hub's `register` passes every component's wishes through `filter`.
 *
 * How to read: `filter` is the whole decision, per subscription (component id + subscription id):
 *
 *   every code listed (directory.has) or already cleared for this subscription ─▶ on the wire now
 *   else ─▶ held back (the subscription stays pending) and ONE check starts:
 *            directory.validate(codes) (≤ waitMs; may refetch the list once a minute)
 *              ├─ UNKNOWN_MARKET ─▶ fail(componentId, subscriptionId, error): that subscription
 *              │                     only; the component re-registers without it
 *              └─ listed, or list unavailable ─▶ cleared; reRegister(componentId)
 *
 * Only public market types are checked (ticker, trade, orderbook, candle.*); private wishes and
 * the pull model's interests (`interest:*` ids, checked when registered) pass untouched.
 */
import type { UpbitError } from '../io/index.js';
import type { Wish } from '../machines/types.js';
import type { MarketDirectory } from './markets.js';

type Owned = Wish & { id: string };

export interface MarketGateHooks {
  fail(componentId: string, subscriptionId: string, error: UpbitError): void;
  reRegister(componentId: string): void;
}

const CHECKED = /^(ticker|trade|orderbook|candle\..+)$/;
const plain = (code: string) => code.split('.')[0]!;

export class MarketGate {
  /** `componentId\0subscriptionId` → codes cleared for it. */
  private readonly cleared = new Map<string, Set<string>>();
  private readonly checking = new Set<string>();

  constructor(
    private readonly directory: MarketDirectory,
    private readonly hooks: MarketGateHooks,
  ) {}

  filter(componentId: string, wishes: readonly Owned[]): Owned[] {
    const out: Owned[] = [];
    for (const w of wishes) {
      if (!CHECKED.test(w.type) || !w.codes || w.codes.length === 0 || w.id.startsWith('interest:')) {
        out.push(w);
        continue;
      }
      const key = `${componentId}\u0000${w.id}`;
      const ok = this.cleared.get(key);
      const open = w.codes.map(plain).filter((c) => !ok?.has(c) && this.directory.has(c) !== true);
      if (open.length === 0) {
        out.push(w);
        continue;
      }
      if (!this.checking.has(key)) this.check(componentId, w.id, key, open);
    }
    return out;
  }

  /** The subscriptions of a component held back while the directory is asked. */
  held(componentId: string): string[] {
    const prefix = `${componentId}\u0000`;
    const out: string[] = [];
    for (const k of this.checking) if (k.startsWith(prefix)) out.push(k.slice(prefix.length));
    return out;
  }

  forget(componentId: string): void {
    const prefix = `${componentId}\u0000`;
    for (const k of [...this.cleared.keys()]) if (k.startsWith(prefix)) this.cleared.delete(k);
  }

  private check(componentId: string, id: string, key: string, codes: string[]): void {
    this.checking.add(key);
    this.directory.validate(codes).then(
      (refused) => {
        this.checking.delete(key);
        if (refused) return this.hooks.fail(componentId, id, refused);
        const set = this.cleared.get(key) ?? new Set<string>();
        for (const c of codes) set.add(c);
        this.cleared.set(key, set);
        this.hooks.reRegister(componentId);
      },
      () => {
        // A malformed code cannot get here (validateWish ran first); never block on the gate.
        this.checking.delete(key);
        const set = this.cleared.get(key) ?? new Set<string>();
        for (const c of codes) set.add(c);
        this.cleared.set(key, set);
        this.hooks.reRegister(componentId);
      },
    );
  }
}
