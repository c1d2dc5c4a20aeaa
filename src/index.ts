/**
 * upbit-ws public API: everything a user imports comes from here (and `upbit-ws/mock`).
 *
 * Deliberately NOT exported: the router, the delivery sink, the transport, the machines' internals
 * and the field-table pieces. They change without notice; what is here does not.
 */

// The hub, components, subscriptions
export { createUpbitHub, type UpbitHub, type UpbitHubOptions, type HubStatus, type HubMetrics } from './actors/hub.js';
export {
  UpbitClient,
  type SubscribeOptions,
  type OrderbookOptions,
  type AnnouncementOptions,
  type Callback,
} from './actors/client.js';
export type { ComponentRef, ComponentEvent, ChannelName, ChannelMessage, Listener, ErrorListener } from './actors/component.js';
export type { Subscription, SubscriptionStatus, SubscriptionStats, StatusInfo, DeliveryPolicy } from './actors/subscription.js';
export type { Stamped, ConnectionName } from './actors/router.js';
export type { Health } from './machines/supervisor.machine.js';
export type { MarketsOptions, ReconcileOptions, InterestOptions } from './actors/rest-side.js';
export type { PoolType, DataPoolOptions } from './actors/pool.js';
export type { RestPrivateEvent, RestMyOrder, RestMyAsset } from './actors/private-rest.js';
export type { TokenResult } from './machines/jwt.machine.js';

// Messages and their exact values
export type {
  Ticker,
  Trade,
  Orderbook,
  OrderbookUnit,
  Candle,
  CandleUnit,
  CandleType,
  MyOrder,
  MyAsset,
  Asset,
  Announcement,
  DataMessage,
  DataType,
  MessageOf,
  UpbitMessage,
  Format,
} from './io/fields.js';
export { DATA_TYPES, CANDLE_UNITS, CANDLE_TYPES, FORMATS, ANNOUNCEMENT_CATEGORIES } from './io/fields.js';
export { Decimal } from './io/decimal.js';

// Errors
export * from './io/errors.js';

// The codec on its own
export { decodeFrame } from './io/decode.js';
export { encodeEvent, encodeBatch } from './io/encode.js';
export {
  encodeSubscription,
  validateWish,
  ORDERBOOK_DEPTHS,
  type Wish,
  type StreamPreference,
  type OrderbookDepth,
  type RequestArray,
  type RequestTypeObject,
} from './io/subscription.js';
export { Credentials, signConnectToken, signRestToken, type CredentialsInput, type JwtAlgorithm } from './io/jwt.js';

// Seeing it work
export { createOfflineInspector, connectStatelyInspector, redactInspection, redact, type OfflineInspector, type TraceEvent } from './actors/inspect.js';

// Health, metrics, logging (issue 10)
export type { HubHealth, HealthStatus, HealthThresholds } from './actors/health.js';
export type { Logger } from './actors/logging.js';
export type { HubStats } from './actors/observe.js';
export type { ConnectionMetrics, ComponentMetrics } from './actors/metrics.js';
