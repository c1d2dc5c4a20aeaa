/**
 * Wire bookkeeping for one connection: what the registry's union becomes on the wire, what was
 * sent last, and which orderbook level each code is served at.
 *
 * - `Wire.request(wishes)` encodes the union (io's `encodeSubscription`) with a fresh ticket, or
 *   says DISCONNECT for an empty union (Upbit has no unsubscribe). It remembers the request's
 *   `type|code` pairs for blame, and its body, so that two unions that merge to the same request
 *   are one (`changed`).
 * - `Levels` keeps one orderbook level per code: Upbit serves a code's book at one level per
 *   connection (two levels of one code are not documented), so a later subscription asking another
 *   level of a code already held is refused with `UpbitConflictError` instead of silently changing
 *   the first one's book.
 */
import { UpbitConflictError, encodeSubscription, stringifyRequest, type Format, type Wish } from '../io/index.js';
import type { OwnedWish } from '../machines/types.js';
import { pairKeys } from '../machines/subscription.machine.js';
import type { SubscriptionHandle } from './subscription.js';

export type WireEvent = { type: 'SEND'; data: string } | { type: 'DISCONNECT' };

/** Tickets are unique per hub, increasing: a LIST answer's ticket tells which request it follows. */
export class Tickets {
  private n = 0;
  next(): number {
    return ++this.n;
  }
  static text(n: number): string {
    return `upbit-ws-${n}`;
  }
  static parse(ticket: unknown): number {
    const m = typeof ticket === 'string' ? /^upbit-ws-(\d+)$/.exec(ticket) : null;
    return m ? Number(m[1]) : -1;
  }
}

export class Wire {
  /** The last request sent (for debugging and tests). */
  data: string | undefined;
  /** Its `type|code` pairs, depth suffixes stripped. */
  pairs: Set<string> = new Set();
  ticket = -1;
  requests = 0;
  /** The last request without its ticket: what the server was asked for (undefined: nothing yet on this socket). */
  private body: string | undefined;

  constructor(
    private readonly format: Format,
    private readonly tickets: Tickets,
  ) {}

  /** The request `wishes` would make, without a ticket (empty union: ''). */
  bodyOf(wishes: readonly OwnedWish[]): string {
    if (wishes.length === 0) return '';
    return stringifyRequest(encodeSubscription(wishes as unknown as Wish[], { ticket: '-', format: this.format }));
  }

  /** Whether sending `wishes` would ask the server for something else than it was last asked. */
  changed(wishes: readonly OwnedWish[]): boolean {
    try {
      return this.bodyOf(wishes) !== this.body;
    } catch {
      return true; // let `request` report it: a guard must never throw
    }
  }

  /** The event for the connection; throws only for wishes that bypassed validation. */
  request(wishes: readonly OwnedWish[]): WireEvent {
    if (wishes.length === 0) {
      this.body = '';
      this.data = undefined;
      this.pairs = new Set();
      return { type: 'DISCONNECT' };
    }
    // One encoding serves both: the body (ticket '-') for `changed`, the request with its ticket.
    const request = encodeSubscription(wishes as unknown as Wish[], { ticket: '-', format: this.format });
    this.body = stringifyRequest(request);
    const ticket = this.tickets.next();
    request[0] = { ticket: Tickets.text(ticket) };
    const data = stringifyRequest(request);
    this.data = data;
    this.ticket = ticket;
    this.pairs = new Set(wishes.flatMap(pairKeys));
    this.requests++;
    return { type: 'SEND', data };
  }

  /** LIST_SUBSCRIPTIONS, with its ticket. */
  list(): { data: string; ticket: number } {
    const ticket = this.tickets.next();
    return { data: JSON.stringify([{ ticket: Tickets.text(ticket) }, { method: 'LIST_SUBSCRIPTIONS' }, { format: this.format }]), ticket };
  }

  /** A new socket has no subscriptions. */
  reset(): void {
    this.pairs = new Set();
    this.body = undefined;
  }
}

export class Levels {
  private readonly held = new Map<string, { level: number; holders: Set<SubscriptionHandle> }>();
  private readonly claims = new Map<SubscriptionHandle, readonly string[]>();

  /** Reserve `sub`'s orderbook level on each of its codes, or say why it cannot have it. */
  claim(sub: SubscriptionHandle, level: number, codes: readonly string[]): UpbitConflictError | undefined {
    for (const code of codes) {
      const h = this.held.get(code);
      if (h && h.level !== level && h.holders.size > 0) {
        return new UpbitConflictError(
          `orderbook ${code} is already served at level ${h.level} on this connection; Upbit cannot serve level ${level} of the same code at once (subscription ${sub.componentId}/${sub.id})`,
        );
      }
    }
    for (const code of codes) {
      let h = this.held.get(code);
      if (!h) this.held.set(code, (h = { level, holders: new Set() }));
      h.holders.add(sub);
    }
    this.claims.set(sub, codes);
    return undefined;
  }

  release(sub: SubscriptionHandle): void {
    const codes = this.claims.get(sub) ?? [];
    this.claims.delete(sub);
    for (const code of codes) {
      const h = this.held.get(code);
      if (!h) continue;
      h.holders.delete(sub);
      if (h.holders.size === 0) this.held.delete(code);
    }
  }
}
