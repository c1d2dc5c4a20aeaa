/**
 * The mock's observation events and a tiny typed emitter.
 *
 * `on(name, fn)` returns an unsubscribe function; `next(name, predicate?)` is a promise of the next
 * matching event, so tests await what the mock did instead of sleeping. Listener errors are
 * swallowed (reported with `console.error`) so a broken test listener cannot break the server.
 */
import type { ParsedRequest, RequestError } from './requests.js';
import type { SubscriptionInfo } from './subscriptions.js';

/** A snapshot of one connection, as `connections()` and the events report it. */
export interface ConnectionInfo {
  readonly id: number;
  readonly path: string;
  readonly endpoint: 'public' | 'private';
  readonly remoteAddress: string;
  /** Access key of an authenticated private connection. */
  readonly accessKey: string | undefined;
  /** `now()` when the upgrade completed. */
  readonly openedAt: number;
  readonly perMessageDeflate: boolean;
  readonly requests: readonly RequestRecord[];
  readonly subscriptions: readonly SubscriptionInfo[];
  readonly format: string;
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly messagesReceived: number;
  readonly messageBreaches: number;
  /** Bytes handed to the socket but not yet sent (`ws.bufferedAmount`). */
  readonly bufferedBytes: number;
  /** Frames waiting because of `stall`/`delayFrames`. */
  readonly queued: number;
  /** Frames dropped because the stall queue was full. */
  readonly dropped: number;
  readonly stalled: boolean;
  readonly closed: boolean;
  readonly closeCode: number | undefined;
  readonly closeReason: string | undefined;
}

/** One client → server text message and what the mock made of it. */
export interface RequestRecord {
  /** `now()` when it arrived. */
  readonly at: number;
  readonly raw: string;
  readonly parsed: ParsedRequest | RequestError | { readonly kind: 'ping' } | { readonly kind: 'rate-limited' };
}

export interface ReceivedMessage {
  readonly connectionId: number;
  readonly at: number;
  readonly data: string;
  readonly binary: boolean;
}

export interface RestRecord {
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

export interface MockEvents {
  connection: ConnectionInfo;
  request: { readonly connectionId: number } & RequestRecord;
  message: ReceivedMessage;
  close: { readonly connectionId: number; readonly code: number; readonly reason: string };
  /** A handshake answered with an HTTP status instead of an upgrade. */
  refused: { readonly path: string; readonly status: number; readonly reason: string };
  rest: RestRecord;
  /** Flood progress: `waiting` when it paused for the socket to drain, `done` at the end. */
  flood: { readonly connectionId: number; readonly phase: 'waiting' | 'done'; readonly frames: number };
}
export type MockEventName = keyof MockEvents;

export class Emitter {
  private readonly listeners = new Map<string, Set<(e: never) => void>>();

  on<K extends MockEventName>(name: K, fn: (e: MockEvents[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => set.delete(fn as (e: never) => void);
  }

  emit<K extends MockEventName>(name: K, e: MockEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (e: MockEvents[K]) => void)(e);
      } catch (err) {
        console.error(`upbit-ws/mock: a '${name}' listener threw`, err);
      }
    }
  }

  /** The next `name` event that satisfies `predicate`. */
  next<K extends MockEventName>(name: K, predicate?: (e: MockEvents[K]) => boolean): Promise<MockEvents[K]> {
    return new Promise((resolve) => {
      const off = this.on(name, (e) => {
        if (predicate && !predicate(e)) return;
        off();
        resolve(e);
      });
    });
  }

  clear(): void {
    this.listeners.clear();
  }
}
