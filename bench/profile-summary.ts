/**
 * Summarise V8 `.cpuprofile` files (from `node --cpu-prof`, or `npm run bench -- --profile`) as
 * the top functions by SELF time: `file:line function  self%  total%`.
 *
 * Run: npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [--top=25]
 *
 * Self time is the time a function was on top of the stack; total time includes its callees.
 * Paths are shown relative to the repo; `(garbage collector)`, `(program)` and `(idle)` are V8's
 * own buckets (idle = the event loop waiting for the socket, i.e. not CPU-bound). Idle samples
 * and the profiler's own samples (node:inspector) are left out of the percentages.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Node {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hot {
  readonly where: string;
  readonly selfPct: number;
  readonly totalPct: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function label(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  const path = f.url.startsWith('file://') ? relative(ROOT, fileURLToPath(f.url)) : f.url;
  // tsx-compiled sources report line 1 (no source maps in the profile): the name says enough.
  return f.lineNumber > 0 ? `${path}:${f.lineNumber + 1} ${name}` : `${path} ${name}`;
}

export function summarise(file: string, top = 25, skipIdle = true): Hot[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  // Samples of the profiler's own stop/serialise call (`profiled` in bench/lib/common.ts) are not the case's.
  const inspector = new Map<number, boolean>();
  const inInspector = (id: number): boolean => {
    let r = inspector.get(id);
    if (r === undefined) {
      const f = byId.get(id)!.callFrame;
      const up = parent.get(id);
      r = f.url === 'node:inspector' || (up !== undefined && inInspector(up));
      inspector.set(id, r);
    }
    return r;
  };
  let all = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    const leaf = byId.get(p.samples[i])!;
    if (skipIdle && leaf.callFrame.functionName === '(idle)') continue;
    if (inInspector(leaf.id)) continue;
    all += dt;
    const key = label(leaf.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    // Each distinct function on the stack gets the sample once (recursion counted once).
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, t]) => ({ where, selfPct: (100 * t) / all, totalPct: (100 * (total.get(where) ?? t)) / all }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  for (const f of files) {
    process.stdout.write(`\n${f} (CPU time, idle excluded)\n  self%  total%  function\n`);
    for (const h of summarise(f, top)) {
      process.stdout.write(`${h.selfPct.toFixed(1).padStart(7)} ${h.totalPct.toFixed(1).padStart(7)}  ${h.where}\n`);
    }
  }
}
