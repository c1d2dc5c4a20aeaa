/**
 * One component (a UI widget, a strategy, ...) and what it wants to receive.
 *
 * How to read: the pure `applySubscribe` / `applyUnsubscribe` / `applySnapshotDone` reducers,
 * then a two-state machine that runs them and reports the result.
 *
 *   active ─SUBSCRIBE / UNSUBSCRIBE / SNAPSHOT_DONE─▶ active + registerWishes({componentId, wishes})
 *   active ─STOP─▶ stopped (final) + registerWishes({componentId, wishes: []})
 *
 * `registerWishes` is a named action: the actor layer wires it to the right subscription actor
 * (`SET {componentId, wishes}`; private types such as myOrder/myAsset go to the private one).
 * Default: emit `wishes`. Market messages never pass through this machine: the hot path is a
 * plain function call from the router to the component's callback.
 *
 * Merging: SUBSCRIBE to a channel with the same options (stream, depth, level, ...) as an
 * existing wish adds its codes to that wish; different options make a separate wish. A
 * snapshot-only wish loses a code when SNAPSHOT_DONE {channel, code} arrives and disappears when
 * it has none left.
 */
import { assign, emit, setup } from 'xstate';
import type { Stream, Wish } from './types.js';
import { stableStringify } from './subscription.machine.js';

export interface SubscribeOptions {
  channel: string;
  codes?: readonly string[];
  stream?: Stream;
  depth?: number;
  level?: number | string;
  [option: string]: unknown;
}

export type ComponentEvent =
  | ({ type: 'SUBSCRIBE' } & SubscribeOptions)
  | { type: 'UNSUBSCRIBE'; channel: string; codes?: readonly string[] }
  | { type: 'SNAPSHOT_DONE'; channel: string; code: string }
  | { type: 'STOP' };

export interface ComponentInput {
  componentId: string;
}

export interface ComponentContext {
  componentId: string;
  wishes: Wish[];
}

export type ComponentEmitted = { type: 'wishes'; componentId: string; wishes: Wish[] };

export interface RegisterWishesParams {
  componentId: string;
  wishes: Wish[];
}

/** Everything but the codes: two wishes with the same shape share one code list. */
const shapeOf = (w: Wish): string => {
  const { codes: _codes, ...rest } = w;
  return stableStringify({ ...rest, stream: w.stream ?? 'both' });
};

const union = (a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined =>
  a === undefined && b === undefined ? undefined : [...new Set([...(a ?? []), ...(b ?? [])])];

export function applySubscribe(wishes: readonly Wish[], options: SubscribeOptions): Wish[] {
  const { channel, codes, ...rest } = options;
  const wish: Wish = codes === undefined ? { type: channel, ...rest } : { type: channel, ...rest, codes: [...codes] };
  const i = wishes.findIndex((w) => shapeOf(w) === shapeOf(wish));
  if (i < 0) return [...wishes, wish];
  const merged = wishes[i] as Wish;
  return wishes.map((w, j) => (j === i ? { ...merged, codes: union(merged.codes, wish.codes) } : w));
}

/** Remove codes (or the whole channel when `codes` is undefined); wishes left without codes go. */
export function applyUnsubscribe(wishes: readonly Wish[], channel: string, codes?: readonly string[]): Wish[] {
  if (codes === undefined) return wishes.filter((w) => w.type !== channel);
  const drop = new Set(codes);
  return wishes.flatMap((w) => {
    if (w.type !== channel || w.codes === undefined) return [w];
    const left = w.codes.filter((c) => !drop.has(c));
    return left.length ? [{ ...w, codes: left }] : [];
  });
}

/** A snapshot-only wish is done with `code` once its snapshot arrived. */
export function applySnapshotDone(wishes: readonly Wish[], channel: string, code: string): Wish[] {
  return wishes.flatMap((w) => {
    if (w.type !== channel || w.stream !== 'snapshot' || w.codes === undefined) return [w];
    const left = w.codes.filter((c) => c !== code);
    return left.length ? [{ ...w, codes: left }] : [];
  });
}

export const componentMachine = setup({
  types: {
    context: {} as ComponentContext,
    events: {} as ComponentEvent,
    input: {} as ComponentInput,
    emitted: {} as ComponentEmitted,
  },
  actions: {
    /** Provide to forward to the subscription actor. Default: emit `wishes`. */
    registerWishes: emit((_, params: RegisterWishesParams): ComponentEmitted => ({ type: 'wishes', ...params })),
    subscribe: assign({
      wishes: ({ context, event }) => {
        if (event.type !== 'SUBSCRIBE') return context.wishes;
        const { type: _type, ...options } = event;
        return applySubscribe(context.wishes, options);
      },
    }),
    unsubscribe: assign({
      wishes: ({ context, event }) =>
        event.type === 'UNSUBSCRIBE' ? applyUnsubscribe(context.wishes, event.channel, event.codes) : context.wishes,
    }),
    snapshotDone: assign({
      wishes: ({ context, event }) =>
        event.type === 'SNAPSHOT_DONE' ? applySnapshotDone(context.wishes, event.channel, event.code) : context.wishes,
    }),
    clear: assign({ wishes: [] }),
  },
}).createMachine({
  id: 'component',
  context: ({ input }) => ({ componentId: input.componentId, wishes: [] }),
  initial: 'active',
  states: {
    active: {
      on: {
        SUBSCRIBE: { actions: ['subscribe', { type: 'registerWishes', params: registered }] },
        UNSUBSCRIBE: { actions: ['unsubscribe', { type: 'registerWishes', params: registered }] },
        SNAPSHOT_DONE: { actions: ['snapshotDone', { type: 'registerWishes', params: registered }] },
        STOP: { target: 'stopped', actions: ['clear', { type: 'registerWishes', params: registered }] },
      },
    },
    stopped: { type: 'final' },
  },
});

function registered({ context }: { context: ComponentContext }): RegisterWishesParams {
  return { componentId: context.componentId, wishes: context.wishes };
}
