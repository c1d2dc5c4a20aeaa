/**
 * Traversal for the model tests (model.test.ts), over plain models, no XState involved: one
 * shortest path to every model state, or every simple path; plus the two things a replay needs
 * from a real actor: which `after` timers it has armed (by delay name), and firing one by name.
 */
import { expect } from 'vitest';
import { getNextTransitions } from 'xstate';
import type { AnyActorRef } from 'xstate';

// ---------------------------------------------------------------------------------------------

export interface Path<M, E> {
  steps: Array<{ event: E; model: M }>;
  model: M;
}

/** One shortest path to every model state (by `key`); states where `stop` holds are not expanded. */
export function shortestPaths<M, E>(initial: M, events: (m: M) => E[], next: (m: M, e: E) => M, key: (m: M) => string, stop: (m: M) => boolean = () => false) {
  const paths = new Map<string, Path<M, E>>([[key(initial), { steps: [], model: initial }]]);
  const queue = [paths.get(key(initial))!];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (stop(p.model)) continue;
    for (const e of events(p.model)) {
      const m = next(p.model, e);
      if (paths.has(key(m))) continue;
      const q = { steps: [...p.steps, { event: e, model: m }], model: m };
      paths.set(key(m), q);
      queue.push(q);
    }
  }
  return [...paths.values()];
}

/** Every path from `initial` that never visits a state (by `key`) twice. */
export function simplePaths<M, E>(initial: M, events: (m: M) => E[], next: (m: M, e: E) => M, key: (m: M) => string) {
  const out: Path<M, E>[] = [];
  const walk = (p: Path<M, E>, seen: Set<string>) => {
    for (const e of events(p.model)) {
      const m = next(p.model, e);
      if (seen.has(key(m))) continue;
      const q = { steps: [...p.steps, { event: e, model: m }], model: m };
      out.push(q);
      walk(q, new Set([...seen, key(m)]));
    }
  };
  walk({ steps: [], model: initial }, new Set([key(initial)]));
  return out;
}

export const nameOf = (steps: ReadonlyArray<{ event: string }>) => steps.map((s) => s.event).join(' → ') || '(initial)';

/** The delay names of the real actor's armed `after` timers, and a way to fire one by name. */
export const armedDelays = (actor: AnyActorRef): string[] =>
  [...new Set(getNextTransitions(actor.getSnapshot()).map((t) => t.eventType).filter((t) => t.startsWith('xstate.after.')).map((t) => t.split('.')[2]!))].sort();
export function fire(actor: AnyActorRef, delay: string): void {
  const type = getNextTransitions(actor.getSnapshot()).map((t) => t.eventType).find((t) => t.startsWith(`xstate.after.${delay}.`));
  expect(type, `the model says the ${delay} timer is armed`).toBeDefined();
  actor.send({ type: type! });
}
