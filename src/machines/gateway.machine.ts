/**
 * A gateway consumer process's root actor: what `connectGateway()` runs, so each consumer process
 * has its own actor tree, as an in-process hub does.
 *
 *   gateway-consumer ─ components ─┬─ shard-0 ─┬─ component:<client id>
 *                                  │           └─ ...
 *                                  └─ shard-1 ─── ...
 *
 * How to read: the context (NATS link state, what the gateway last told us, lease health; never a
 * NATS password or token: those stay inside the NATS connection the actor layer holds), then
 * the config: three states for the NATS link, and events that only record what the actor layer
 * saw. The `components` child (components.machine.ts, the same registry the hub runs) spawns and
 * stops the component actors (SPAWN / RELEASE are forwarded to it).
 *
 *   connected ──NATS_DOWN──▶ reconnecting ──NATS_UP──▶ connected
 *   any ──CLOSE──▶ closed (final: every child stops)
 *   in any state: HEALTH {health} (the gateway's upstream sockets and epochs), LEASE {ok}
 *
 * The consumer side's delivery, routing and NATS I/O live in src/gateway/consumer.ts.
 */
import { assign, sendTo, setup, spawnChild } from 'xstate';
import { componentsMachine, type ComponentsEvent } from './components.machine.js';

export interface GatewayUpstream {
  /** The gateway's id (the leader that answered). */
  readonly gateway: string;
  readonly public: string;
  readonly private: string;
  readonly epochs: { readonly public: number; readonly private: number };
}

export interface GatewayConsumerInput {
  consumerId: string;
  stream: string;
  account: string;
}

export interface GatewayConsumerContext extends GatewayConsumerInput {
  /** The last health the gateway reported (undefined before its first answer). */
  upstream: GatewayUpstream | undefined;
  /** Whether the last lease heartbeat was answered (null before the first). */
  leaseAnswered: boolean | null;
}

export type GatewayConsumerEvent =
  | { type: 'NATS_DOWN' }
  | { type: 'NATS_UP' }
  | { type: 'HEALTH'; health: GatewayUpstream }
  | { type: 'LEASE'; ok: boolean }
  | ComponentsEvent
  | { type: 'CLOSE' };

export const gatewayConsumerMachine = setup({
  types: {
    context: {} as GatewayConsumerContext,
    events: {} as GatewayConsumerEvent,
    input: {} as GatewayConsumerInput,
  },
  actors: { components: componentsMachine },
  actions: {
    spawnComponents: spawnChild('components', { id: 'components', systemId: 'components', input: {} }),
    forwardToComponents: sendTo('components', ({ event }) => event as ComponentsEvent),
    recordHealth: assign({ upstream: ({ event }) => (event.type === 'HEALTH' ? event.health : undefined) }),
    recordLease: assign({ leaseAnswered: ({ event }) => (event.type === 'LEASE' ? event.ok : null) }),
  },
}).createMachine({
  id: 'gateway-consumer',
  context: ({ input }) => ({ ...input, upstream: undefined, leaseAnswered: null }),
  entry: 'spawnComponents',
  initial: 'connected',
  on: {
    HEALTH: { actions: 'recordHealth' },
    LEASE: { actions: 'recordLease' },
    SPAWN: { actions: 'forwardToComponents' },
    RELEASE: { actions: 'forwardToComponents' },
    CLOSE: '.closed',
  },
  states: {
    connected: { on: { NATS_DOWN: 'reconnecting' } },
    reconnecting: { on: { NATS_UP: 'connected' } },
    closed: { type: 'final' },
  },
});
