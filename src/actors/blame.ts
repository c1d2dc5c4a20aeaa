/**
 * Who an Upbit error frame concerns. Upbit answers a refused request with an error frame and no
 * hint of which wish it objects to (message texts are not documented), so, for one connection:
 *
 *   the message names a market code of the refused request ─▶ that code's subscribers fail
 *   it names none, and the request ADDED some pairs to an accepted union
 *                                                          ─▶ the added pairs' subscribers fail;
 *                                                             the union goes back to the previous
 *                                                             one, which is re-sent once
 *   it names none, and the request added EVERYTHING (the first request after a connect)
 *                                                          ─▶ isolate: hold half of the suspects
 *                                                             back, send the rest, ask
 *                                                             LIST_SUBSCRIPTIONS for a verdict,
 *                                                             and halve again (≈ log2(n) requests)
 *
 * Failing a subscription takes its wish out of the union, so a refused request is never repeated
 * unchanged: no retry storm, and everyone else keeps streaming. Rate-limit errors ('Too Many
 * Requests', "I'm a teapot") blame no wish: the hub waits and repairs.
 *
 * Pairs are `type|code` (`type|*` for wishes without codes), as on the wire.
 *
 *   sent(pairs, ticket) ─▶ in flight; the previous in-flight request, unrefused, is accepted
 *   serverError(e)      ─▶ blame as above
 *   viewed(ticket)      ─▶ a LIST answer asked after the probe: the probe was accepted
 */
import type { UpbitError, UpbitServerError } from '../io/index.js';

export interface BlameDeps {
  /** Fail every subscription holding one of `pairs` with `error` (they leave the union). */
  fail(pairs: readonly string[], error: UpbitError): void;
  /** Keep these pairs off the wire (replaces the held set). */
  hold(pairs: readonly string[]): void;
  /** Ask the server what it has (LIST_SUBSCRIPTIONS): the answer is the verdict on a probe. */
  list(): void;
  /** An error nobody's wish explains. */
  unexplained(error: UpbitError): void;
}

const CODE = /\b[A-Z0-9]{2,10}-[A-Z0-9]{1,20}\b/g;
const RATE = new Set(['Too Many Requests', "I'm a teapot"]);
const codeOf = (pair: string) => pair.slice(pair.indexOf('|') + 1);

interface Isolation {
  /** Pairs one of which (at least) is refused, when `knownBad`. */
  suspects: string[];
  /** Pairs not tested yet, held back meanwhile. */
  parked: string[];
  /** The half on the wire now, awaiting its verdict. */
  probe: string[];
  knownBad: boolean;
  /** Ticket of the probe request: only a LIST answer with a later ticket is its verdict. */
  probeTicket: number;
  error: UpbitServerError;
  /** Culprits found so far. */
  found: number;
}

export class Blame {
  private accepted = new Set<string>();
  private inFlight: Set<string> | undefined;
  private inFlightTicket = -1;
  private refused = false;
  private isolation: Isolation | undefined;
  /** Requests sent while isolating (tests, metrics). */
  probes = 0;

  constructor(private readonly deps: BlameDeps) {}

  get isolating(): boolean {
    return this.isolation !== undefined;
  }

  /** A new socket: it has no subscriptions; nothing is in flight. */
  reset(): void {
    this.accepted = new Set();
    this.inFlight = undefined;
    this.refused = false;
    if (this.isolation) {
      this.isolation = undefined;
      this.deps.hold([]);
    }
  }

  sent(pairs: ReadonlySet<string>, ticket: number): void {
    // A request that drew no error by the time the next one goes is taken as accepted.
    if (this.inFlight && !this.refused) this.accepted = this.inFlight;
    this.inFlight = new Set(pairs);
    this.inFlightTicket = ticket;
    this.refused = false;
    if (this.isolation) {
      this.probes++;
      this.isolation.probeTicket = ticket;
      this.deps.list();
    }
  }

  /** A LIST_SUBSCRIPTIONS answer. While isolating, one asked after the probe is its verdict. */
  viewed(ticket: number): void {
    const iso = this.isolation;
    if (!iso || ticket <= iso.probeTicket || this.refused) return;
    this.verdict(false);
  }

  /** Whether the answer to a LIST belongs to the isolation (and should not drive drift repair). */
  ownsViews(): boolean {
    return this.isolation !== undefined;
  }

  serverError(error: UpbitServerError): void {
    if (RATE.has(error.serverName)) return; // our pace, not a wish: the hub waits and repairs
    const inFlight = this.inFlight;
    if (!inFlight) return this.deps.unexplained(error);
    this.refused = true;
    const named = new Set((error.serverMessage ?? '').match(CODE) ?? []);
    const hit = [...inFlight].filter((p) => named.has(codeOf(p)));
    if (hit.length > 0) {
      this.deps.fail(hit, error);
      if (this.isolation) {
        this.isolation.found += hit.length;
        this.settle(hit);
      }
      return;
    }
    if (this.isolation) return this.verdict(true);
    const added = [...inFlight].filter((p) => !this.accepted.has(p)).sort();
    if (added.length === 0) return this.deps.unexplained(error);
    if (this.accepted.size > 0 || added.length === 1) {
      this.deps.fail(added, error);
      return;
    }
    this.isolation = { suspects: added, parked: [], probe: [], knownBad: true, probeTicket: this.inFlightTicket, error, found: 0 };
    this.step();
  }

  /** Named culprits found while isolating: forget them, go on with the rest. */
  private settle(culprits: readonly string[]): void {
    const iso = this.isolation!;
    const gone = new Set(culprits);
    iso.suspects = iso.suspects.filter((p) => !gone.has(p));
    iso.parked = iso.parked.concat(iso.probe.filter((p) => !gone.has(p)), iso.suspects);
    iso.suspects = [];
    iso.knownBad = false;
    this.next();
  }

  /**
   * The probe was refused (`bad`) or accepted. Guilt is never inferred: a pair is blamed only when
   * a probe holding it alone (with pairs already found innocent) is refused, so an error frame that
   * answered nothing we sent (a server hiccup) ends with no one blamed.
   */
  private verdict(bad: boolean): void {
    const iso = this.isolation!;
    const rest = iso.suspects.filter((p) => !iso.probe.includes(p));
    if (bad) {
      if (iso.probe.length === 1) {
        this.deps.fail(iso.probe, iso.error);
        iso.found++;
        iso.parked = iso.parked.concat(rest);
        iso.suspects = [];
        return this.next();
      }
      iso.parked = iso.parked.concat(rest);
      iso.suspects = iso.probe;
      iso.knownBad = true;
      return this.step();
    }
    // The probe was accepted: its pairs are innocent and stay on the wire; the rest is untested.
    iso.suspects = [];
    iso.parked = iso.parked.concat(rest);
    this.next();
  }

  /** Suspects exhausted: test what was parked (all at once: usually innocent), or finish. */
  private next(): void {
    const iso = this.isolation!;
    if (iso.parked.length === 0) {
      this.isolation = undefined;
      this.deps.hold([]);
      if (iso.found === 0) this.deps.unexplained(iso.error); // every pair was accepted on its own
      return;
    }
    iso.suspects = iso.parked;
    iso.parked = [];
    iso.knownBad = false;
    this.step();
  }

  /** Put a probe on the wire: half of the known-bad suspects, or all of the untested ones. */
  private step(): void {
    const iso = this.isolation!;
    iso.probe = iso.knownBad ? iso.suspects.slice(0, Math.ceil(iso.suspects.length / 2)) : iso.suspects;
    const probe = new Set(iso.probe);
    this.deps.hold([...iso.suspects.filter((p) => !probe.has(p)), ...iso.parked]);
  }
}
