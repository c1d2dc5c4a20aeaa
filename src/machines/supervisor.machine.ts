/**
 * The supervisor: spawns the connection-side actors, wires them together, restarts crashes.
 *
 * How to read: the child table, then setup() (one spawn action per child), then the config.
 *
 *   child id              slot               systemId               when
 *   publicConnection      publicConnection   'public.connection'    always
 *   publicSubscription    subscription       'public.subscription'  always
 *   components            components         'components'           always (shards → component:<id>)
 *   privateConnection     privateConnection  'private.connection'   PRIVATE_NEEDED / input.privateNeeded
 *   privateSubscription   subscription       'private.subscription' ″
 *   jwt                   jwt                'jwt'                  ″
 *
 * Wiring done here (children run with `notifyParent: true` and report `CHILD.*` events):
 *   CHILD.STATUS {source,status}       → context.health[source], emit `health`
 *   CHILD.CONNECTED {source,epoch}     → <source>Subscription: CONNECTED {epoch}
 *   CHILD.DISCONNECTED {source}        → <source>Subscription: DISCONNECTED
 *   CHILD.DESIRED_CHANGED {source,active} → <source>Connection: SUBSCRIPTIONS_CHANGED {active},
 *                                         and CONNECT when active
 *   CHILD.FAILED                       → emit `connectionFailed`
 *   CHILD.RETRYING                     → emit `connectionRetrying`
 *   RETRY (from the actor layer)       → RETRY to each connection (leaves `failed`)
 * Wiring left to the actor layer (it needs io): subscription `sendRequest` → encode → connection
 * SEND (and DISCONNECT on `wishes: []`); the private `prepare` slot ↔ jwt TOKEN_REQUEST; the
 * component actors' wishes → subscription SET (the components child only spawns and stops them). Find the actors with `system.get(<systemId>)`.
 *
 * Crashes: a child that throws is dead; its `xstate.error.actor.<id>` is handled by re-spawning
 * it under the same id/systemId, up to `maxRestarts` per child (then `childGaveUp`). A re-spawned
 * connection continues its predecessor's epoch and is told to CONNECT again if subscriptions are
 * wanted; a re-spawned subscription is told CONNECTED if its connection is open, and
 * `childRestarted` tells the actor layer to re-register the components' wishes.
 *
 * STOP → `stopped` (final): every child is stopped; socket cleanups close the sockets.
 */
import { and, assign, emit, enqueueActions, sendTo, setup, spawnChild, stopChild } from 'xstate';
import { componentsMachine } from './components.machine.js';
import type { ComponentsInput } from './components.machine.js';
import { connectionMachine } from './connection.machine.js';
import type { ConnectionInput, ConnectionParentEvent } from './connection.machine.js';
import { jwtMachine } from './jwt.machine.js';
import type { JwtInput } from './jwt.machine.js';
import { subscriptionMachine } from './subscription.machine.js';
import type { SubscriptionInput, SubscriptionParentEvent } from './subscription.machine.js';
import type { ConnectionStatus } from './types.js';

export const CHILD_IDS = [
  'publicConnection',
  'publicSubscription',
  'components',
  'privateConnection',
  'privateSubscription',
  'jwt',
] as const;
export type ChildId = (typeof CHILD_IDS)[number];
export type Side = 'public' | 'private';
export type Health = ConnectionStatus | 'off' | 'restarting' | 'crashed' | 'stopped';

export interface SupervisorInput {
  /** Input of the public connection (`name`, `notifyParent`, `initialEpoch` are set here). */
  public: ConnectionInput;
  /** Input of the private connection; required before PRIVATE_NEEDED. */
  private?: ConnectionInput;
  /** Input of the jwt actor; required before PRIVATE_NEEDED. */
  jwt?: JwtInput;
  subscription?: SubscriptionInput;
  components?: ComponentsInput;
  /** Spawn the private side at start. @default false */
  privateNeeded?: boolean;
  /** Restarts allowed per child. @default 3 */
  maxRestarts?: number;
}

export interface SupervisorContext {
  config: SupervisorInput;
  privateActive: boolean;
  health: Record<Side, Health>;
  desired: Record<Side, boolean>;
  epochs: Record<Side, number>;
  restarts: Record<ChildId, number>;
  maxRestarts: number;
}

type ErrorEvent = { [K in ChildId]: { type: `xstate.error.actor.${K}`; error: unknown } }[ChildId];

export type SupervisorEvent =
  | { type: 'PRIVATE_NEEDED' }
  /** Leave `failed`: every connection that gave up tries again. */
  | { type: 'RETRY' }
  | { type: 'STOP' }
  | ConnectionParentEvent
  | SubscriptionParentEvent
  | ErrorEvent;

export type SupervisorEmitted =
  | { type: 'health'; health: Record<Side, Health> }
  | { type: 'connectionFailed'; source: string; reason: 'fatal' | 'max-attempts'; error: unknown }
  | { type: 'connectionRetrying'; source: string; attempt: number; delay: number; error: unknown }
  | { type: 'childRestarted'; id: ChildId; restarts: number }
  | { type: 'childGaveUp'; id: ChildId; error: unknown }
  | { type: 'stopped' };

const sideOf = (source: string): Side => (source === 'private' ? 'private' : 'public');
const connectionInput = (c: SupervisorContext, side: Side): ConnectionInput => ({
  ...((side === 'public' ? c.config.public : c.config.private) ?? { url: '' }),
  name: side,
  notifyParent: true,
  initialEpoch: c.epochs[side],
});
const subscriptionInput = (c: SupervisorContext, side: Side): SubscriptionInput => ({
  ...c.config.subscription,
  name: side,
  notifyParent: true,
});

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
    emitted: {} as SupervisorEmitted,
  },
  actors: {
    publicConnection: connectionMachine,
    privateConnection: connectionMachine,
    subscription: subscriptionMachine,
    jwt: jwtMachine,
    /** The components registry: parent (through shards) of every component actor. */
    components: componentsMachine,
  },
  actions: {
    spawnPublicConnection: spawnChild('publicConnection', {
      id: 'publicConnection',
      systemId: 'public.connection',
      input: ({ context }) => connectionInput(context, 'public'),
    }),
    spawnPublicSubscription: spawnChild('subscription', {
      id: 'publicSubscription',
      systemId: 'public.subscription',
      input: ({ context }) => subscriptionInput(context, 'public'),
    }),
    spawnComponents: spawnChild('components', {
      id: 'components',
      systemId: 'components',
      input: ({ context }): ComponentsInput => context.config.components ?? {},
    }),
    spawnPrivateConnection: spawnChild('privateConnection', {
      id: 'privateConnection',
      systemId: 'private.connection',
      input: ({ context }) => connectionInput(context, 'private'),
    }),
    spawnPrivateSubscription: spawnChild('subscription', {
      id: 'privateSubscription',
      systemId: 'private.subscription',
      input: ({ context }) => subscriptionInput(context, 'private'),
    }),
    spawnJwt: spawnChild('jwt', {
      id: 'jwt',
      systemId: 'jwt',
      input: ({ context }): JwtInput => context.config.jwt ?? { mode: 'keys', now: () => 0 },
    }),
    markPrivate: assign({ privateActive: true }),
    recordHealth: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CHILD.STATUS') return;
      const health = { ...context.health, [sideOf(event.source)]: event.status };
      enqueue.assign({ health, epochs: { ...context.epochs, [sideOf(event.source)]: event.epoch } });
      enqueue.emit({ type: 'health', health });
    }),
    forwardConnected: sendTo(
      ({ event }) => `${sideOf((event as { source: string }).source)}Subscription`,
      ({ event }) => ({ type: 'CONNECTED' as const, epoch: (event as { epoch: number }).epoch }),
    ),
    forwardDisconnected: sendTo(({ event }) => `${sideOf((event as { source: string }).source)}Subscription`, { type: 'DISCONNECTED' }),
    forwardDesired: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CHILD.DESIRED_CHANGED') return;
      const side = sideOf(event.source);
      enqueue.assign({ desired: { ...context.desired, [side]: event.active } });
      const to = `${side}Connection`;
      enqueue.sendTo(to, { type: 'SUBSCRIPTIONS_CHANGED', active: event.active });
      if (event.active) enqueue.sendTo(to, { type: 'CONNECT' });
    }),
    reportRetrying: emit(({ event }): SupervisorEmitted => {
      const e = event as Extract<SupervisorEvent, { type: 'CHILD.RETRYING' }>;
      return { type: 'connectionRetrying', source: e.source, attempt: e.attempt, delay: e.delay, error: e.error };
    }),
    retryConnections: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo('publicConnection', { type: 'RETRY' });
      if (!context.privateActive) return;
      enqueue.sendTo('jwt', { type: 'RESET' }); // a refused token source may be fixed now
      enqueue.sendTo('privateConnection', { type: 'RETRY' });
    }),
    reportFailed: emit(({ event }): SupervisorEmitted => {
      const e = event as Extract<SupervisorEvent, { type: 'CHILD.FAILED' }>;
      return { type: 'connectionFailed', source: e.source, reason: e.reason, error: e.error };
    }),
    countRestart: assign({
      restarts: ({ context }, params: { id: ChildId }) => ({ ...context.restarts, [params.id]: context.restarts[params.id] + 1 }),
    }),
    /** The crashed child is already dead; this drops it from `children` before the re-spawn. */
    removeChild: stopChild((_, params: { id: ChildId }) => params.id),
    /** After a re-spawn under the same id and systemId: bring the newcomer up to date. */
    catchUp: enqueueActions(({ context, enqueue }, params: { id: ChildId }) => {
      const { id } = params;
      const side: Side = id.startsWith('private') ? 'private' : 'public';
      // Announce first: the actor layer re-registers the components' wishes with a new registry
      // before it hears CONNECTED, or it would flush an empty union and close the socket.
      enqueue.emit({ type: 'childRestarted', id, restarts: context.restarts[id] });
      if (id.endsWith('Connection') && context.desired[side]) {
        enqueue.sendTo(id, { type: 'SUBSCRIPTIONS_CHANGED', active: true });
        enqueue.sendTo(id, { type: 'CONNECT' });
      }
      if (id.endsWith('Subscription') && context.health[side] === 'open') {
        enqueue.sendTo(id, { type: 'CONNECTED', epoch: context.epochs[side] });
      }
    }),
    giveUpChild: enqueueActions(({ context, event, enqueue }, params: { id: ChildId }) => {
      const { id } = params;
      if (id.endsWith('Connection')) {
        const side: Side = id.startsWith('private') ? 'private' : 'public';
        const health = { ...context.health, [side]: 'crashed' as const };
        enqueue.assign({ health });
        enqueue.emit({ type: 'health', health });
      }
      enqueue.emit({ type: 'childGaveUp', id, error: (event as { error?: unknown }).error });
    }),
    emitStopped: emit({ type: 'stopped' }),
  },
  guards: {
    privateInactive: ({ context }) => !context.privateActive,
    wantsPrivate: ({ context }) => context.config.privateNeeded === true,
    canRestart: ({ context }, params: { id: ChildId }) => context.restarts[params.id] < context.maxRestarts,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    config: input,
    privateActive: false,
    health: { public: 'idle', private: 'off' },
    desired: { public: false, private: false },
    epochs: { public: 0, private: 0 },
    restarts: Object.fromEntries(CHILD_IDS.map((id) => [id, 0])) as Record<ChildId, number>,
    maxRestarts: input.maxRestarts ?? 3,
  }),
  initial: 'running',
  states: {
    running: {
      entry: ['spawnPublicSubscription', 'spawnPublicConnection', 'spawnComponents'],
      always: {
        guard: and(['wantsPrivate', 'privateInactive']),
        actions: ['markPrivate', 'spawnJwt', 'spawnPrivateSubscription', 'spawnPrivateConnection'],
      },
      on: {
        PRIVATE_NEEDED: {
          guard: 'privateInactive',
          actions: ['markPrivate', 'spawnJwt', 'spawnPrivateSubscription', 'spawnPrivateConnection'],
        },
        'CHILD.STATUS': { actions: 'recordHealth' },
        'CHILD.CONNECTED': { actions: 'forwardConnected' },
        'CHILD.DISCONNECTED': { actions: 'forwardDisconnected' },
        'CHILD.DESIRED_CHANGED': { actions: 'forwardDesired' },
        'CHILD.FAILED': { actions: 'reportFailed' },
        'CHILD.RETRYING': { actions: 'reportRetrying' },
        RETRY: { actions: 'retryConnections' },
        // A crashed child: re-spawn under the cap, else give up on it (the rest keeps running).
        'xstate.error.actor.publicConnection': restart('publicConnection', 'spawnPublicConnection'),
        'xstate.error.actor.publicSubscription': restart('publicSubscription', 'spawnPublicSubscription'),
        'xstate.error.actor.components': restart('components', 'spawnComponents'),
        'xstate.error.actor.privateConnection': restart('privateConnection', 'spawnPrivateConnection'),
        'xstate.error.actor.privateSubscription': restart('privateSubscription', 'spawnPrivateSubscription'),
        'xstate.error.actor.jwt': restart('jwt', 'spawnJwt'),
        STOP: 'stopped',
      },
    },
    stopped: {
      type: 'final',
      // Reaching a final state stops the root actor, and with it every child.
      entry: 'emitStopped',
    },
  },
});

/** `xstate.error.actor.<id>` → [under the cap] count, drop, re-spawn, catch up; else give up. */
function restart<const TSpawn extends string>(id: ChildId, spawn: TSpawn) {
  return [
    {
      guard: { type: 'canRestart' as const, params: { id } },
      actions: [
        { type: 'countRestart' as const, params: { id } },
        { type: 'removeChild' as const, params: { id } },
        spawn,
        { type: 'catchUp' as const, params: { id } },
      ],
    },
    { actions: { type: 'giveUpChild' as const, params: { id } } },
  ];
}
