/**
 * The components registry: the supervisor's `components` child and, through its shards, the parent
 * of every component actor, so the whole application is ONE actor tree (one system, one root).
 *
 *   supervisor ─ components ─┬─ shard-0 ─┬─ component:chart
 *                            │           └─ component:bot
 *                            └─ shard-1 ─── component:...
 *
 *   SPAWN {id}   → the first shard with room (a new shard when all are full) spawns
 *                  `component:<id>` (its systemId is the same, so the actor layer finds it at once)
 *   RELEASE {id} → its shard stops that child (the name is free again)
 *
 * Why shards: XState v5 copies a parent's `children` on every spawn and stop, so N children of
 * one parent cost O(N²) to create and remove (1,000 children of one actor: 0.15 s to spawn, 1.1 s
 * to stop; 10,000: 14 s and 15 s). With at most `shardSize` children per shard the cost per
 * spawn and stop is flat.
 *
 * The bookkeeping (which shard holds which component, how full each shard is) is a mutable Map
 * owned by this machine and changed only in its own actions, so a spawn costs O(shards at most),
 * not a copy of every entry.
 */
import { enqueueActions, setup, stopChild } from 'xstate';
import { componentMachine } from './component.machine.js';

export const componentActorId = (id: string) => `component:${id}`;

export type ShardEvent = { type: 'SPAWN'; id: string } | { type: 'RELEASE'; id: string };

/** One shard: the parent of up to `shardSize` component actors. */
export const shardMachine = setup({
  types: { events: {} as ShardEvent },
  actors: { component: componentMachine },
  actions: {
    spawnComponent: enqueueActions(({ event, enqueue }) => {
      const id = componentActorId(event.id);
      enqueue.spawnChild('component', { id, systemId: id, input: { componentId: event.id } });
    }),
    stopComponent: stopChild(({ event }) => componentActorId(event.id)),
  },
}).createMachine({
  id: 'shard',
  on: {
    SPAWN: { actions: 'spawnComponent' },
    RELEASE: { actions: 'stopComponent' },
  },
});

export interface ComponentsInput {
  /** Children per shard. @default 64 */
  shardSize?: number;
}

export interface ComponentsContext {
  shardSize: number;
  /** component id → shard index (mutable, see the header). */
  shardOf: Map<string, number>;
  /** children per shard. */
  load: number[];
}

export type ComponentsEvent = ShardEvent;

const shardId = (i: number) => `shard-${i}`;

export const componentsMachine = setup({
  types: {
    context: {} as ComponentsContext,
    events: {} as ComponentsEvent,
    input: {} as ComponentsInput,
  },
  actors: { shard: shardMachine },
  actions: {
    place: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SPAWN' || context.shardOf.has(event.id)) return;
      let i = context.load.findIndex((n) => n < context.shardSize);
      if (i < 0) {
        i = context.load.length;
        context.load.push(0);
        enqueue.spawnChild('shard', { id: shardId(i) });
      }
      context.load[i]!++;
      context.shardOf.set(event.id, i);
      enqueue.sendTo(shardId(i), { type: 'SPAWN', id: event.id });
    }),
    release: enqueueActions(({ context, event, enqueue }) => {
      const i = context.shardOf.get(event.id);
      if (i === undefined) return;
      context.shardOf.delete(event.id);
      context.load[i]!--;
      enqueue.sendTo(shardId(i), { type: 'RELEASE', id: event.id });
    }),
  },
}).createMachine({
  id: 'components',
  context: ({ input }) => ({ shardSize: input?.shardSize ?? 64, shardOf: new Map(), load: [] }),
  on: {
    SPAWN: { actions: 'place' },
    RELEASE: { actions: 'release' },
  },
});
