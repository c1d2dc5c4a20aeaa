/**
 * Statecharts from machine definitions, as data the inspector page draws (no Mermaid, no CDN):
 * `outline(machine)` walks the definition's state nodes into a tree of `{ key, path, type,
 * initial, on: [label → target] }`, `activePaths(value)` turns a snapshot's state value into the
 * set of active state paths (the page highlights those), and `machineOf(actorId)` says which
 * machine an actor of the hub's tree runs. `guardName` and `eventName` are the labels
 * scripts/diagrams.ts also uses for the Mermaid diagrams in docs/statecharts.md.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { componentMachine } from '../machines/component.machine.js';
import { componentsMachine, shardMachine } from '../machines/components.machine.js';
import { connectionMachine } from '../machines/connection.machine.js';
import { gatewayConsumerMachine } from '../machines/gateway.machine.js';
import { jwtMachine } from '../machines/jwt.machine.js';
import { recoveryMachine } from '../machines/recovery.machine.js';
import { subscriptionMachine } from '../machines/subscription.machine.js';
import { supervisorMachine } from '../machines/supervisor.machine.js';

/** A readable name for a guard: `isOnline`, `!isOnline`, `awaitingView && drifted`, `in(#x.y)`. */
export function guardName(guard: unknown): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as { name: string; guards?: unknown[]; stateValue?: unknown };
    if (g.guards && g.name === 'and') return g.guards.map(guardName).join(' && ');
    if (g.guards && g.name === 'or') return g.guards.map(guardName).join(' || ');
    if (g.guards && g.name === 'not') return `!${guardName(g.guards[0])}`;
    if (g.name === 'stateIn') return `in(${String(g.stateValue)})`;
    return g.name || 'guard';
  }
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') return (guard as { type: string }).type;
  return 'guard';
}

/** `SOCKET.OPEN`, `after pendingWindow`, `done(socket)`, `error(socket)`, `always`. */
export function eventName(eventType: string, node: AnyStateNode): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.(.+)\.([^.]*?)$/.exec(eventType);
  if (after && eventType.startsWith('xstate.after.')) {
    const spec = node.after?.find((a: { eventType: string }) => a.eventType === eventType) as { delay: unknown } | undefined;
    return `after ${spec ? String(spec.delay) : eventType.slice('xstate.after.'.length).split('.')[0]}`;
  }
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (actor) {
    // Invocations without an id get a generated one (`0.jwt.keys.signing`): name the logic instead.
    const inv = (node.invoke as { id: string; src: unknown }[]).find((i) => i.id === actor[2]);
    return `${actor[1]}(${inv && typeof inv.src === 'string' ? inv.src : actor[2]})`;
  }
  if (eventType.startsWith('xstate.done.state.')) return `done(${eventType.slice('xstate.done.state.'.length)})`;
  return eventType;
}

export interface StateOutline {
  key: string;
  /** Dot path from the root (`session.open`); '' for the root. */
  path: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial: string | undefined;
  /** `EVENT [guard] → target path` (no arrow: actions only). */
  on: string[];
  states: StateOutline[];
}

/** The state tree of a machine definition, with its transitions as labels. */
export function outline(machine: AnyStateMachine): StateOutline {
  const walk = (node: AnyStateNode): StateOutline => {
    const on: string[] = [];
    const add = (eventType: string, t: { target?: readonly AnyStateNode[]; guard?: unknown }) => {
      const guard = guardName(t.guard);
      const target = t.target && t.target.length > 0 ? ` → ${t.target.map((n) => n.path.join('.')).join(', ')}` : '';
      on.push(`${eventName(eventType, node)}${guard ? ` [${guard}]` : ''}${target}`);
    };
    for (const [eventType, list] of node.transitions as Map<string, { target?: readonly AnyStateNode[]; guard?: unknown }[]>) for (const t of list) add(eventType, t);
    for (const t of (node.always ?? []) as { target?: readonly AnyStateNode[]; guard?: unknown }[]) add('', t);
    const initial = (node.initial as { target?: readonly AnyStateNode[] } | undefined)?.target?.[0]?.key;
    return {
      key: node.path.length === 0 ? machine.id : node.key,
      path: node.path.join('.'),
      type: node.type,
      initial,
      on,
      states: Object.values(node.states as Record<string, AnyStateNode>).map(walk),
    };
  };
  return walk(machine.root);
}

/** `{ session: { open: 'idle' } }` → session, session.open, session.open.idle. */
export function activePaths(value: unknown, prefix = ''): string[] {
  if (value === undefined || value === null) return [];
  const join = (k: string) => (prefix ? `${prefix}.${k}` : k);
  if (typeof value !== 'object') return [join(String(value))];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [join(k), ...activePaths(v, join(k))]);
}

/** The machines of the hub's actor tree (and of a gateway consumer's), by name. */
export const MACHINES: Record<string, AnyStateMachine> = {
  supervisor: supervisorMachine,
  connection: connectionMachine,
  recovery: recoveryMachine,
  subscription: subscriptionMachine,
  jwt: jwtMachine,
  components: componentsMachine,
  shard: shardMachine,
  component: componentMachine,
  'gateway-consumer': gatewayConsumerMachine,
};

/** Which machine an actor id of the hub's tree runs (undefined: not a machine, e.g. the socket). */
export function machineOf(actorId: string): string | undefined {
  if (actorId === 'supervisor' || actorId === 'jwt' || actorId === 'components' || actorId === 'recovery' || actorId === 'gateway-consumer') return actorId;
  if (actorId.endsWith('Connection')) return 'connection';
  if (actorId.endsWith('Subscription')) return 'subscription';
  if (actorId.startsWith('shard-')) return 'shard';
  if (actorId.startsWith('component:')) return 'component';
  return undefined;
}

/** Every machine's outline, by name (served once to the page at `/charts.json`). */
export function chartOutlines(): Record<string, StateOutline> {
  return Object.fromEntries(Object.entries(MACHINES).map(([name, m]) => [name, outline(m)]));
}
