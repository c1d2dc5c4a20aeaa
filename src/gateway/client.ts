/**
 * The consumer facade: `connectGateway(...).client(id)` returns the hub's own `UpbitClient`
 * (src/actors/client.ts) over a component actor of the consumer process's tree, so every
 * `subscribeX`, `onError`, `cleanup()` and `await using` behave exactly as they do in process,
 * and every `subscribeX` resolves to the same `Subscription` (id, status, stats, onStatus,
 * onError, unsubscribe, async iteration, the per-subscription delivery policy).
 *
 * These aliases keep the names this module exported before the component contract.
 */
export { UpbitClient as GatewayClient } from '../actors/client.js';
export type { Subscription as GatewaySubscription } from '../actors/subscription.js';
