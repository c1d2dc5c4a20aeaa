/**
 * `upbit-ws/mock`: a mock Upbit exchange (WebSocket + REST) on loopback, faithful to
 * ../shared/upbit-protocol.md, for tests, demos and benchmarks.
 *
 * How to read src/mock: start at server.ts (wiring), then follow a request:
 * handshake.ts → connection.ts → public-ws.ts (requests.ts, subscriptions.ts) for WebSockets;
 * rest.ts → rest-routes.ts for REST. The simulator is market.ts (tick.ts, book.ts, candles.ts,
 * market-data.ts); the account is account.ts; faults.ts, flood.ts and limits.ts are the knobs.
 * README.md lists every [U] choice.
 *
 * ```ts
 * import { startMockUpbit } from 'upbit-ws/mock';
 * await using mock = await startMockUpbit({ manual: true, seed: 7 });
 * // connect any Upbit client to mock.url / mock.privateUrl / mock.restUrl, then:
 * mock.tick(10);
 * ```
 */
export { startMockUpbit } from './server.js';
export type { MockUpbit, MockStats, ConnectionStats } from './api.js';
export { DEFAULT_MOCK_KEY, DEFAULT_BALANCES } from './options.js';
export type { MockOptions, MockLimitOptions, MockKey } from './options.js';
export { DEFAULT_MARKETS, tickSize } from './market-data.js';
export type { MarketSpec } from './market-data.js';
export type { PlaceOrder, MockOrder, Balance, OrderSide, OrdType } from './account.js';
export { MockOrderError } from './account.js';
export type { AnnouncementInput } from './private-ws.js';
export type { Target, MalformedKind, DisconnectOptions, RefuseOptions } from './faults.js';
export { MALFORMED_KINDS } from './faults.js';
export type { FloodOptions, FloodResult, FloodType } from './flood.js';
export type {
  ConnectionInfo,
  RequestRecord,
  ReceivedMessage,
  RestRecord,
  MockEvents,
  MockEventName,
} from './events.js';
export type { ParsedRequest, RequestError, TypeObject, UpbitErrorName } from './requests.js';
export { parseRequest } from './requests.js';
export type { SubscriptionInfo } from './subscriptions.js';
export type { AuthRecord } from './auth.js';
