/**
 * upbit-ws public API. Everything a user imports comes from here (and `upbit-ws/mock`).
 */
export * from './io/index.js';
export { createUpbitHub, type UpbitHub, type UpbitHubOptions, type HubStatus, type HubMetrics } from './actors/hub.js';
export { UpbitClient, type Subscription, type SubscribeOptions, type OrderbookOptions } from './actors/client.js';
export type { ComponentRef, ComponentEvent } from './actors/component.js';
export type { Stamped, ConnectionName } from './actors/router.js';
export { Delivery, type Listener, type ErrorListener } from './actors/delivery.js';
export type { TokenResult } from './machines/jwt.machine.js';
export { createOfflineInspector, connectStatelyInspector, redactInspection, redact, type OfflineInspector, type TraceEvent } from './actors/inspect.js';
