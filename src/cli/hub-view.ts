/**
 * What the inspector page shows of a hub besides its actors: the health verdict, the metrics
 * (per connection and per component), and the merged wire set of each connection beside each
 * component's wishes (what the registry merged, and what every component asked for). Plain data,
 * redacted by the server before it is sent.
 */
import { hubInternals, type UpbitHub } from '../actors/hub.js';
import type { HubHealth } from '../actors/health.js';
import type { HubStats } from '../actors/observe.js';

export interface HubView {
  health: HubHealth;
  stats: HubStats;
  /** `type|code` pairs on each connection's wire now. */
  wire: { public: string[]; private: string[] };
  /** Per component: its wishes, one line each (`ticker KRW-BTC,KRW-ETH`). */
  wishes: Record<string, string[]>;
}

export function hubView(hub: UpbitHub): HubView {
  const i = hubInternals(hub);
  const wishes: Record<string, string[]> = {};
  for (const c of i.components()) {
    wishes[c.id] = c.wishes().map((w) => `${w.type}${w.codes && w.codes.length > 0 ? ` ${w.codes.join(',')}` : ''}${w.stream && w.stream !== 'both' ? ` (${w.stream})` : ''}`);
  }
  return {
    health: hub.health(),
    stats: hub.stats(),
    wire: { public: [...i.wire.public.pairs].sort(), private: [...i.wire.private.pairs].sort() },
    wishes,
  };
}
