/**
 * The generated statecharts: docs/statecharts.md must equal what scripts/diagrams.ts generates
 * from the machines now (else: run `npm run diagrams`), every machine file is covered, and the
 * renderer draws what a definition says (nesting, initial, parallel regions, final states, guards,
 * delays, invoked actors, transitions that only run actions).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { and, fromPromise, not, setup } from 'xstate';
import { MACHINES_DIR, OUTPUT, loadMachines, renderMachine, renderStatecharts } from '../../scripts/diagrams.js';

describe('docs/statecharts.md', () => {
  it('is what `npm run diagrams` generates from src/machines today', async () => {
    const committed = readFileSync(OUTPUT, 'utf8');
    const fresh = await renderStatecharts();
    expect(committed === fresh, 'docs/statecharts.md is stale: run `npm run diagrams` and commit it').toBe(true);
  });

  it('has one diagram for every machine file, and docs/architecture.md links to it', async () => {
    const files = readdirSync(MACHINES_DIR).filter((f) => f.endsWith('.machine.ts'));
    const machines = await loadMachines();
    expect(new Set(machines.map((m) => m.file))).toEqual(new Set(files));
    const doc = readFileSync(OUTPUT, 'utf8');
    for (const m of machines) expect(doc).toContain(`## ${m.machine.id}\n`);
    expect(doc.match(/```mermaid\nstateDiagram-v2\n/g)).toHaveLength(machines.length);
    expect(readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8')).toMatch(/\]\(statecharts\.md\)/);
  });
});

describe('renderMachine', () => {
  const machine = setup({
    actors: { fetcher: fromPromise(async () => 1) },
    guards: { ready: () => true, fresh: () => true },
    delays: { backoff: 100 },
  }).createMachine({
    id: 'demo',
    initial: 'idle',
    on: { RESET: '.idle', PING: { actions: [] } },
    states: {
      idle: { on: { GO: { target: 'work', guard: and(['ready', not('fresh')]) } } },
      work: {
        type: 'parallel',
        states: {
          fetch: {
            initial: 'loading',
            states: {
              loading: { invoke: { src: 'fetcher', onDone: 'loaded', onError: '#demo.failed' } },
              loaded: { type: 'final' },
            },
          },
          timer: { initial: 'waiting', states: { waiting: { after: { backoff: 'fired' } }, fired: {} } },
        },
      },
      failed: { type: 'final' },
    },
  });
  const { mermaid, table } = renderMachine(machine);
  const lines = mermaid.split('\n').map((l) => l.trim());

  it('draws states with path ids, initial states and final states', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('state "idle" as s_idle');
    expect(lines).toContain('[*] --> s_idle');
    expect(lines).toContain('state "loading" as s_work_fetch_loading');
    expect(lines).toContain('[*] --> s_work_fetch_loading');
    expect(lines).toContain('s_work_fetch_loaded --> [*]');
    expect(lines).toContain('s_failed --> [*]');
  });

  it('separates parallel regions and nests composite states', () => {
    const work = mermaid.slice(mermaid.indexOf('state s_work {'));
    expect(work.indexOf('state s_work_fetch {')).toBeLessThan(work.indexOf('--'));
    expect(work.indexOf('--')).toBeLessThan(work.indexOf('state s_work_timer {'));
  });

  it('labels transitions with events, guards, delays and invoked actors', () => {
    expect(lines).toContain('s_idle --> s_work: GO [ready && !fresh]');
    expect(lines).toContain('s_work_fetch_loading --> s_work_fetch_loaded: done(fetcher)');
    expect(lines).toContain('s_work_timer_waiting --> s_work_timer_fired: after backoff');
    // Leaving a nested state for an outer one: drawn from the outermost distinct ancestor.
    expect(lines).toContain('s_work --> s_failed: error(fetcher) (from fetch.loading)');
  });

  it('lists what arrows cannot show', () => {
    expect(table).toMatch(/\| `\(machine\)` \| RESET → idle<br>PING \(stays\) \|/);
    expect(table).toMatch(/\| `work\.fetch\.loading` \| invokes fetcher \|/);
  });
});
