/** `upbit-ws/gateway`: share one Upbit connection between processes through NATS JetStream. */
export { startGateway, ensureStream, type Gateway, type GatewayOptions, type GatewayStreamOptions, type GatewayMetrics } from './server.js';
export { connectGateway, type ConnectGatewayOptions, type GatewayConnection, type GatewayStatus } from './consumer.js';
export { GatewayClient, type GatewaySubscription } from './client.js';
export type { SubscribeOptions, OrderbookOptions, AnnouncementOptions, Callback } from '../actors/client.js';
export { LeaderLease, type LeaseOptions } from './lease.js';
export * from './subjects.js';
