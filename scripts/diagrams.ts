/**
 * `npm run diagrams`: a Mermaid `stateDiagram-v2` for every machine in src/machines, generated from
 * the machine definitions themselves (never drawn by hand), written to docs/statecharts.md.
 * test/scripts/diagrams.test.ts regenerates it in memory and fails when the committed file is stale.
 *
 * How to read: `loadMachines()` imports every `*.machine.ts` and keeps the exported machines;
 * `renderMachine(machine)` walks `machine.root` (state nodes: `type`, `initial`, `states`,
 * `transitions`, `always`, `after`, `invoke`) and returns the Mermaid text plus a table of what a
 * diagram cannot show; `renderStatecharts()` assembles the document. Mermaid rules that shape it:
 *  - state ids are global in a diagram, so each state's id is its full path (`s_session_open`)
 *    and its label the key (`state "open" as s_session_open`);
 *  - an edge may not join states inside different composite states, so an edge is drawn in the
 *    innermost composite holding both ends, between the ancestors of its ends that are children
 *    of that composite; a lifted end is named in the label (`DISCONNECT (from open)`);
 *  - parallel regions are separated by `--`.
 * Transitions without a target (actions only) and transitions from a composite state into its own
 * descendants ("in any state of X") go to the table under each diagram.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyStateMachine, AnyStateNode } from 'xstate';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MACHINES_DIR = join(ROOT, 'src/machines');
export const OUTPUT = join(ROOT, 'docs/statecharts.md');

export interface LoadedMachine {
  readonly file: string;
  readonly exportName: string;
  readonly machine: AnyStateMachine;
}

const isMachine = (v: unknown): v is AnyStateMachine =>
  typeof v === 'object' && v !== null && 'root' in v && 'config' in v && typeof (v as { transition?: unknown }).transition === 'function';

/** Every machine exported by `src/machines/*.machine.ts`, by file, then by export name (a module's key order differs between loaders). */
export async function loadMachines(dir = MACHINES_DIR): Promise<LoadedMachine[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.machine.ts')).sort();
  const out: LoadedMachine[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    const names = Object.keys(mod).sort();
    for (const exportName of names) if (isMachine(mod[exportName])) out.push({ file, exportName, machine: mod[exportName] as AnyStateMachine });
  }
  return out;
}

// ─── naming ────────────────────────────────────────────────────────────────────────────────────


const idOf = (node: AnyStateNode): string => (node.path.length === 0 ? '[*]' : `s_${node.path.join('_').replace(/[^A-Za-z0-9_]/g, '_')}`);
const nameOf = (node: AnyStateNode): string => (node.path.length === 0 ? '(machine)' : node.path.join('.'));
/** Mermaid labels: no `:`/`;`/`#` surprises, no line breaks. */
const clean = (s: string): string => s.replace(/[;#\n]/g, ' ').replace(/:/g, '∶');

export { guardName, eventName } from '../src/cli/statechart.js';
import { guardName, eventName } from '../src/cli/statechart.js';

// ─── edges ─────────────────────────────────────────────────────────────────────────────────────

interface Transition {
  readonly source: AnyStateNode;
  readonly targets: readonly AnyStateNode[] | undefined;
  readonly label: string;
}

function transitionsOf(node: AnyStateNode): Transition[] {
  const out: Transition[] = [];
  const add = (eventType: string, t: { target?: readonly AnyStateNode[]; guard?: unknown }) => {
    const guard = guardName(t.guard);
    out.push({ source: node, targets: t.target, label: `${eventName(eventType, node)}${guard ? ` [${guard}]` : ''}` });
  };
  for (const [eventType, list] of node.transitions as Map<string, { target?: readonly AnyStateNode[]; guard?: unknown }[]>) {
    for (const t of list) add(eventType, t);
  }
  for (const t of (node.always ?? []) as { target?: readonly AnyStateNode[]; guard?: unknown }[]) add('', t);
  return out;
}

const isAncestorOrSelf = (a: AnyStateNode, b: AnyStateNode) => a.path.length <= b.path.length && a.path.every((k, i) => b.path[i] === k);

/** The innermost state holding both (never one of them). */
function scopeOf(a: AnyStateNode, b: AnyStateNode): AnyStateNode {
  let s = a.parent;
  while (s && !isAncestorOrSelf(s, b)) s = s.parent;
  return s ?? a.machine.root;
}

/** The ancestor-or-self of `n` that is a child of `scope`. */
function childOf(scope: AnyStateNode, n: AnyStateNode): AnyStateNode {
  let c = n;
  while (c.parent && c.parent !== scope) c = c.parent;
  return c;
}

interface Edge {
  readonly from: AnyStateNode;
  readonly to: AnyStateNode;
  readonly label: string;
}

interface Collected {
  /** Edges to draw, by the id of the composite they belong in. */
  readonly edges: Map<string, Edge[]>;
  /** Table rows: state name → lines. */
  readonly notes: Map<string, string[]>;
}

function collect(node: AnyStateNode, acc: Collected): void {
  const note = (n: AnyStateNode, text: string) => {
    const k = nameOf(n);
    acc.notes.set(k, [...(acc.notes.get(k) ?? []), text]);
  };
  for (const t of transitionsOf(node)) {
    if (!t.targets || t.targets.length === 0) {
      note(t.source, `${t.label} (stays)`);
      continue;
    }
    for (const target of t.targets) {
      if (target !== t.source && isAncestorOrSelf(t.source, target)) {
        note(t.source, `${t.label} → ${target.path.slice(t.source.path.length).join('.')}`);
        continue;
      }
      const scope = target === t.source ? t.source.parent! : scopeOf(t.source, target);
      const from = target === t.source ? t.source : childOf(scope, t.source);
      const to = target === t.source ? target : childOf(scope, target);
      if (scope.type === 'parallel') {
        note(t.source, `${t.label} → ${nameOf(target)}`);
        continue;
      }
      const lifted = [from !== t.source ? `from ${t.source.path.slice(from.path.length).join('.')}` : '', to !== target ? `to ${target.path.slice(to.path.length).join('.')}` : '']
        .filter(Boolean)
        .join(', ');
      const key = idOf(scope);
      acc.edges.set(key, [...(acc.edges.get(key) ?? []), { from, to, label: lifted ? `${t.label} (${lifted})` : t.label }]);
    }
  }
  for (const inv of node.invoke as { id: string; src: unknown }[]) {
    note(node, `invokes ${typeof inv.src === 'string' ? inv.src : inv.id}`);
  }
  for (const child of Object.values(node.states) as AnyStateNode[]) collect(child, acc);
}

// ─── Mermaid ───────────────────────────────────────────────────────────────────────────────────

function block(node: AnyStateNode, acc: Collected, indent: string, lines: string[]): void {
  const children = Object.values(node.states) as AnyStateNode[];
  const regions = node.type === 'parallel';
  children.forEach((child, i) => {
    if (regions && i > 0) lines.push(`${indent}--`);
    lines.push(`${indent}state "${clean(child.key)}" as ${idOf(child)}`);
    if (child.type === 'history') lines.push(`${indent}note right of ${idOf(child)}: history (${String(child.history)})`);
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state ${idOf(child)} {`);
      block(child, acc, `${indent}  `, lines);
      lines.push(`${indent}}`);
    }
    if (child.type === 'final') lines.push(`${indent}${idOf(child)} --> [*]`);
  });
  const initial = (node.initial as { target?: readonly AnyStateNode[] } | undefined)?.target?.[0];
  if (initial && !regions) lines.push(`${indent}[*] --> ${idOf(childOf(node, initial))}`);
  for (const e of acc.edges.get(idOf(node)) ?? []) lines.push(`${indent}${idOf(e.from)} --> ${idOf(e.to)}: ${clean(e.label)}`);
}

export interface RenderedMachine {
  readonly mermaid: string;
  /** `| state | also |` rows: invocations, transitions that stay, "in any state of" transitions. */
  readonly table: string;
}

export function renderMachine(machine: AnyStateMachine): RenderedMachine {
  const acc: Collected = { edges: new Map(), notes: new Map() };
  collect(machine.root, acc);
  const lines = ['stateDiagram-v2'];
  if (machine.root.type === 'parallel') {
    lines.push(`  state "${clean(machine.root.key)}" as s_root {`);
    block(machine.root, acc, '    ', lines);
    lines.push('  }');
  } else {
    block(machine.root, acc, '  ', lines);
  }
  const rows = [...acc.notes.entries()].map(([state, notes]) => `| \`${state}\` | ${notes.map((n) => n.replace(/\|/g, '\\|')).join('<br>')} |`);
  const table = rows.length === 0 ? '' : ['| state | also (not drawn as arrows) |', '|---|---|', ...rows].join('\n');
  return { mermaid: lines.join('\n'), table };
}

export async function renderStatecharts(machines?: readonly LoadedMachine[]): Promise<string> {
  const list = machines ?? (await loadMachines());
  const parts = [
    '# Statecharts',
    '',
    '<!-- Generated by `npm run diagrams` (scripts/diagrams.ts) from the machine definitions in src/machines. Do not edit by hand: test/scripts/diagrams.test.ts fails when this file is stale. -->',
    '',
    'One diagram per machine, drawn from its definition (`machine.root`): states, initial states,',
    'transitions labelled with their event (`after X` for delays, `done(actor)`/`error(actor)` for',
    'invoked actors, `always` for eventless ones) and guard in brackets, final and parallel states',
    '(regions separated by dashed lines). An arrow between nested states is drawn between their',
    'outermost distinct ancestors and names the nested end in parentheses. The table under each',
    'diagram lists what arrows cannot show: invoked actors, transitions that only run actions',
    '("stays") and transitions from a composite state into its own sub-states.',
    '',
  ];
  for (const { file, exportName, machine } of list) {
    const { mermaid, table } = renderMachine(machine);
    parts.push(`## ${machine.id}`, '', `\`${exportName}\` in [src/machines/${file}](../src/machines/${file})`, '', '```mermaid', mermaid, '```', '');
    if (table) parts.push(table, '');
  }
  return parts.join('\n');
}

const invoked = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  const text = await renderStatecharts();
  writeFileSync(OUTPUT, text);
  process.stdout.write(`wrote ${OUTPUT.slice(ROOT.length + 1)} (${text.split('\n').length} lines)\n`);
}


