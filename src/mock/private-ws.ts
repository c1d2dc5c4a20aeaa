/**
 * The private endpoint's streams: myOrder, myAsset (driven by the simulated account) and
 * announcement (driven by `publishAnnouncement`). Authentication happens at the handshake
 * (handshake.ts); subscriptions are parsed by the same Hub as public ones.
 *
 * How to read this file: each function fans one event out to the open private connections that
 * may see it. Account events go only to connections authenticated with the event's access key:
 *
 *   myOrder       → subscribed to myOrder with no codes (= all markets) or with the order's code
 *   myAsset       → subscribed to myAsset
 *   announcement  → any key; `categories` filter; `body` only with `include_body` ([C] S10)
 */
import { ANNOUNCEMENT_CATEGORIES } from '../io/index.js';
import type { Announcement, Format } from '../io/index.js';
import type { AccountEvent } from './account.js';
import type { Hub } from './public-ws.js';
import { frame } from './public-ws.js';
import type { Prng } from './prng.js';
import { isoKst } from './time.js';

export function publishAccountEvent(hub: Hub, e: AccountEvent): void {
  const cache = new Map<Format, Buffer>();
  for (const conn of hub.open) {
    if (conn.endpoint !== 'private' || conn.accessKey !== e.accessKey) continue;
    if (e.kind === 'myOrder') {
      const filter = conn.subs.myOrder;
      if (!filter || (filter.size > 0 && !filter.has(e.message.code))) continue;
    } else if (!conn.subs.myAsset) continue;
    let buf = cache.get(conn.format);
    if (!buf) cache.set(conn.format, (buf = frame(e.message, conn.format)));
    conn.sendData(buf);
  }
}

/** What `publishAnnouncement` takes; everything but `title` has a default. */
export interface AnnouncementInput {
  readonly title: string;
  /** One of notice, trade, wallet, maintenance, digital_asset, nft, service, event. @default 'notice' */
  readonly category?: string;
  readonly body?: string | null;
  /** @default 'CREATED' */
  readonly eventType?: 'CREATED' | 'UPDATED';
  /** @default a fresh UUID */
  readonly uuid?: string;
  /** @default `https://upbit.com/service_center/notice?id=<n>` */
  readonly url?: string;
  /** Unix ms. @default the simulated time */
  readonly listedAt?: number;
  /** Unix ms. @default listedAt */
  readonly firstListedAt?: number;
}

export function buildAnnouncement(a: AnnouncementInput, now: number, prng: Prng): Announcement {
  const category = a.category ?? 'notice';
  if (!(ANNOUNCEMENT_CATEGORIES as readonly string[]).includes(category)) {
    throw new RangeError(`unknown announcement category ${category}`);
  }
  const listedAt = a.listedAt ?? now;
  return {
    type: 'announcement',
    eventType: a.eventType ?? 'CREATED',
    uuid: a.uuid ?? prng.uuid(),
    title: a.title,
    category,
    url: a.url ?? `https://upbit.com/service_center/notice?id=${prng.int(1000, 99999)}`,
    firstListedAt: isoKst(a.firstListedAt ?? listedAt),
    listedAt: isoKst(listedAt),
    timestamp: now,
    streamType: 'REALTIME',
    body: a.body ?? null,
  };
}

export function publishAnnouncementEvent(hub: Hub, message: Announcement): void {
  const { body: _body, ...withoutBody } = message;
  for (const conn of hub.open) {
    const sub = conn.subs.announcement;
    if (conn.endpoint !== 'private' || !sub) continue;
    if (sub.categories && !sub.categories.has(message.category)) continue;
    // Without include_body the key is absent (the encoder skips undefined optional fields).
    const m = sub.includeBody ? message : (withoutBody as Announcement);
    conn.sendData(frame(m, conn.format));
  }
}
