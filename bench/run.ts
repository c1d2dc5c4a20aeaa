/**
 * `npm run bench`: run every bench case in its own process, print one table, save the JSON.
 *
 * How to read this file: `CASES` lists the cases in run order (the floor first: other rows are
 * reported as ratios to the floor measured in THIS run). `runCase` spawns
 * `node [--expose-gc] --import tsx <file> <args>`, streams the child's stderr (progress) with a
 * `[case]` prefix, and parses the last stdout line as the case's JSON result (bench/lib/common.ts
 * `CaseResult`). Each case starts its own mock exchange in a further child process
 * (bench/lib/mock-process.ts), so the mock never shares the measured event loop. bench/codec.ts
 * (owned separately) runs as one more case when present; its bench/results/codec.json is folded
 * into the table.
 *
 * Usage:
 *   npm run bench                          every case
 *   npm run bench -- floor hub-3-fields    only these (the floor is added when a ratio needs it)
 *   npm run bench -- --profile             also record CPU profiles of the timed sections into
 *                                          bench/results/profiles/<run>/ and print the top self times
 *   BENCH_SCALE=0.1 npm run bench          shrink message counts and durations (CI smoke)
 *
 * Targets are figures read off the run: a MISS is reported, never thrown; the exit code is 1 only
 * when a case failed to produce a result.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, Row } from './lib/common.js';
import { SCALE } from './lib/common.js';
import { summarise } from './profile-summary.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const RESULTS = join(BENCH, 'results');

interface CaseDef {
  readonly name: string;
  readonly file: string;
  readonly args?: readonly string[];
  readonly gc?: boolean;
  /** More node flags (e.g. a young generation large enough to count allocation between collections). */
  readonly flags?: readonly string[];
  /** Another case whose figures this one's ratios need. */
  readonly needs?: string;
  /** Seconds before the case is killed (scaled by BENCH_SCALE, at least 60). */
  readonly timeout: number;
  /** Turns the files the case wrote into a result (bench/codec.ts prints no JSON line). */
  readonly collect?: (startedAt: number) => CaseResult | undefined;
}

const CASES: CaseDef[] = [
  { name: 'floor', file: 'cases/floor.ts', timeout: 90 },
  { name: 'hub-3-fields', file: 'cases/hub.ts', args: ['--read=three'], needs: 'floor', timeout: 90 },
  { name: 'hub-3-fields-default', file: 'cases/hub.ts', args: ['--read=three', '--format=DEFAULT'], needs: 'floor', timeout: 90 },
  { name: 'hub-all-fields', file: 'cases/hub.ts', args: ['--read=all'], needs: 'floor', timeout: 90 },
  { name: 'kinds', file: 'cases/kinds.ts', gc: true, flags: ['--min-semi-space-size=16'], timeout: 600 },
  { name: 'fanout', file: 'cases/fanout.ts', timeout: 150 },
  { name: 'latency', file: 'cases/latency.ts', gc: true, timeout: 90 },
  { name: 'memory', file: 'cases/memory.ts', gc: true, timeout: 150 },
  { name: 'bandwidth', file: 'cases/bandwidth.ts', timeout: 90 },
  { name: 'codec', file: 'codec.ts', gc: true, flags: ['--min-semi-space-size=16'], timeout: 120, collect: collectCodec },
  { name: 'rest-decode', file: 'cases/rest-decode.ts', timeout: 60 },
  { name: 'pull', file: 'cases/pull.ts', gc: true, timeout: 60 },
  { name: 'slow-consumer', file: 'cases/slow-consumer.ts', timeout: 90 },
  { name: 'slow-consumer-hub', file: 'cases/slow-consumer-hub.ts', timeout: 90 },
  { name: 'scale', file: 'cases/scale.ts', timeout: 120 },
  { name: 'gateway', file: 'cases/gateway.ts', timeout: 180 },
];

// ─── running ────────────────────────────────────────────────────────────────────────────────────

interface Outcome {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly result?: CaseResult;
  readonly error?: string;
}

function runCase(def: CaseDef, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const started = Date.now();
  const file = join(BENCH, def.file);
  if (!existsSync(file)) return Promise.resolve({ name: def.name, ok: false, ms: 0, error: `${relative(ROOT, file)} not found` });
  const argv = [...(def.gc ? ['--expose-gc'] : []), ...(def.flags ?? []), '--import', 'tsx', file, ...(def.args ?? [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errTail = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      errTail = (errTail + s).slice(-4000);
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) if (l.trim() && !l.startsWith('npm warn')) process.stderr.write(`  [${def.name}] ${l}\n`);
    });
    const limit = Math.max(60, def.timeout * Math.max(1, SCALE)) * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL'); // only this case's process (its mock child exits when the IPC channel closes)
    }, limit);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (pending.trim()) process.stderr.write(`  [${def.name}] ${pending}\n`);
      if (timedOut) return resolve({ name: def.name, ok: false, ms, error: `timed out after ${limit / 1000} s` });
      let result: CaseResult | undefined;
      try {
        result = def.collect ? def.collect(started) : parseLast(out);
      } catch (err) {
        return resolve({ name: def.name, ok: false, ms, error: `unreadable result: ${(err as Error).message}` });
      }
      if (code !== 0 || !result) {
        const why = errTail.trim().split('\n').slice(-6).join('\n');
        return resolve({ name: def.name, ok: false, ms, error: `exit ${code}${why ? `: ${why}` : ''}` });
      }
      resolve({ name: def.name, ok: true, ms, result });
    });
  });
}

function parseLast(stdout: string): CaseResult | undefined {
  const line = stdout.trim().split('\n').at(-1);
  return line ? (JSON.parse(line) as CaseResult) : undefined;
}

/**
 * bench/codec.ts writes bench/results/codec.json: fold it into the table as ONE row per workload
 * (routing, full, ...): its worst corpus by ratio to `JSON.parse`, with a target when `targets`
 * names the workload. Every corpus stays in the JSON. Both shapes codec.json has used are read:
 * `{ us: { floor, routing, ... }, ratio: { ... } }` and flat `floorUs`, `routingUs`, `routingRatio`.
 */
function collectCodec(startedAt: number): CaseResult | undefined {
  const file = join(RESULTS, 'codec.json');
  if (!existsSync(file) || statSync(file).mtimeMs < startedAt - 1000) return undefined;
  type Flat = Record<string, unknown> & { corpus: string; us?: Record<string, number>; ratio?: Record<string, number> };
  const j = JSON.parse(readFileSync(file, 'utf8')) as { targets?: Record<string, number>; rows: Flat[] };
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const worst = new Map<string, Row>();
  for (const r of j.rows) {
    const floor = num(r.us?.floor) ?? num(r.floorUs);
    const workloads = r.us
      ? Object.keys(r.us).filter((k) => k !== 'floor').map((k) => ({ name: k, us: num(r.us![k]), ratio: num(r.ratio?.[k]) }))
      : Object.keys(r)
          .map((k) => /^(.+)Us$/.exec(k)?.[1])
          .filter((k): k is string => k !== undefined && k !== 'floor')
          .map((k) => ({ name: k, us: num(r[`${k}Us`]), ratio: num(r[`${k}Ratio`]) }));
    for (const w of workloads) {
      if (w.us === undefined) continue;
      const limit = j.targets?.[w.name];
      const ratio = w.ratio ?? (floor ? w.us / floor : undefined);
      const before = worst.get(w.name);
      if (before && (ratio === undefined || (before.ratio ?? -1) >= ratio)) continue;
      worst.set(w.name, {
        case: 'codec',
        metric: `${w.name} decode µs/msg, worst of ${j.rows.length} corpora: ${r.corpus}`,
        value: w.us,
        unit: 'µs',
        ...(floor !== undefined ? { baseline: { label: 'JSON.parse', value: floor } } : {}),
        ...(ratio !== undefined ? { ratio } : {}),
        ...(limit !== undefined ? { target: { on: 'ratio' as const, op: '<=' as const, limit, label: `≤ ${limit}x` } } : {}),
      });
    }
  }
  const rows = [...worst.values()];
  if (rows.length === 0) throw new Error('no rows in bench/results/codec.json that this runner can read');
  return { case: 'codec', rows, details: j as unknown as Record<string, unknown> };
}

// ─── the table ──────────────────────────────────────────────────────────────────────────────────

interface Line {
  readonly case: string;
  readonly metric: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly result: 'PASS' | 'MISS' | 'ERROR' | '';
}

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'msg/s':
      return `${Math.round(v).toLocaleString('en-US')} msg/s`;
    case 'ns':
      return `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)} ns`;
    case 'ms':
      return `${v.toFixed(3)} ms`;
    case 'µs':
      return `${v.toFixed(2)} µs`;
    case '%':
      return `${v.toFixed(2)} %`;
    case 'MB':
      return `${v.toFixed(2)} MB`;
    case 'B':
      return `${v.toFixed(1)} B`;
    default:
      return `${v.toPrecision(4)} ${unit}`;
  }
}

/** Fill `ratioTo` from the referenced rows, then judge each target. */
function resolveRows(outcomes: Outcome[]): { rows: (Row & { result: Line['result'] })[]; lines: Line[] } {
  const all = outcomes.flatMap((o) => o.result?.rows ?? []);
  const rows: (Row & { result: Line['result'] })[] = [];
  const lines: Line[] = [];
  for (const o of outcomes) {
    if (!o.ok) {
      lines.push({ case: o.name, metric: (o.error ?? 'failed').split('\n')[0].slice(0, 70), value: '', baseline: '', ratio: '', target: '', result: 'ERROR' });
      continue;
    }
    for (const r0 of o.result!.rows) {
      let r: Row = r0;
      if (r.ratioTo) {
        const ref = all.find((x) => x.case === r.ratioTo!.case && x.metric === r.ratioTo!.metric);
        if (ref) r = { ...r, baseline: { label: `${ref.case} ${fmt(ref.value, ref.unit)}`, value: ref.value }, ratio: r.value / ref.value };
      }
      let result: Line['result'] = '';
      if (r.target) {
        const x = r.target.on === 'ratio' ? r.ratio : r.value;
        if (x === undefined || !Number.isFinite(x)) result = 'MISS';
        else result = (r.target.op === '>=' ? x >= r.target.limit : x <= r.target.limit) ? 'PASS' : 'MISS';
      }
      rows.push({ ...r, result });
      lines.push({
        case: r.case,
        metric: r.metric,
        value: fmt(r.value, r.unit),
        baseline: r.baseline ? (r.ratioTo ? r.baseline.label : `${r.baseline.label} ${fmt(r.baseline.value, r.baseline.unit ?? r.unit)}`) : '',
        ratio: r.ratio === undefined ? '' : `${r.ratio.toFixed(r.ratio >= 10 ? 1 : 3)}x`,
        target: r.target?.label ?? '',
        result,
      });
    }
  }
  return { rows, lines };
}

function table(lines: Line[]): string {
  const head: Line = { case: 'case', metric: 'metric', value: 'value', baseline: 'floor / baseline', ratio: 'ratio', target: 'target', result: '' };
  const cols = ['case', 'metric', 'value', 'baseline', 'ratio', 'target', 'result'] as const;
  const all = [{ ...head, result: 'result' as never }, ...lines];
  const width = cols.map((c) => Math.max(...all.map((l) => String(l[c]).length)));
  const right = new Set(['value', 'ratio']);
  const row = (l: Line) =>
    cols.map((c, i) => (right.has(c) ? String(l[c]).padStart(width[i]) : String(l[c]).padEnd(width[i]))).join(' │ ').trimEnd();
  const rule = width.map((w) => '─'.repeat(w)).join('─┼─');
  return [row(all[0]), rule, ...lines.map(row)].join('\n');
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const profile = args.includes('--profile');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown case(s) ${unknown.join(', ')}; cases: ${CASES.map((c) => c.name).join(', ')}`);
  const wanted = new Set(names.length ? names : CASES.map((c) => c.name));
  for (const c of CASES) if (wanted.has(c.name) && c.needs) wanted.add(c.needs);
  const selected = CASES.filter((c) => wanted.has(c.name));

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileDir = profile ? join(RESULTS, 'profiles', stamp) : undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_SCALE: String(SCALE) };
  if (profileDir) env.BENCH_PROFILE = profileDir;
  if (SCALE < 1) {
    // bench/codec.ts sizes itself with its own variables; shrink it too unless they are set.
    env.ROUNDS ??= String(Math.max(5, Math.round(21 * SCALE) | 1));
    env.WARMUP ??= String(Math.max(2, Math.round(5 * SCALE)));
  }

  const t0 = Date.now();
  const load0 = loadavg();
  process.stderr.write(
    `upbit-ws bench: ${selected.length} cases, BENCH_SCALE=${SCALE}, node ${process.version}, ${cpus().length} CPUs, ` +
      `load ${load0.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  if (load0[0] > cpus().length) process.stderr.write(`warning: the machine is busy (1-min load ${load0[0].toFixed(2)} > ${cpus().length} CPUs): figures will be noisy\n`);
  const outcomes: Outcome[] = [];
  for (const def of selected) {
    process.stderr.write(`▶ ${def.name}\n`);
    const o = await runCase(def, env);
    process.stderr.write(`  ${o.ok ? 'done' : 'FAILED'} in ${(o.ms / 1000).toFixed(1)} s${o.ok ? '' : `: ${o.error}`}\n`);
    outcomes.push(o);
  }
  const wallMs = Date.now() - t0;
  const load1 = loadavg();

  const { rows, lines } = resolveRows(outcomes);
  const text = table(lines);
  const pass = rows.filter((r) => r.result === 'PASS').length;
  const miss = rows.filter((r) => r.result === 'MISS').length;
  const errors = outcomes.filter((o) => !o.ok).length;
  const summary =
    `${pass} PASS, ${miss} MISS, ${errors} ERROR · wall time ${(wallMs / 1000).toFixed(1)} s · BENCH_SCALE=${SCALE} · ` +
    `node ${process.version} · ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'} · load ${load0[0].toFixed(2)} → ${load1[0].toFixed(2)}`;
  process.stdout.write(`\n${text}\n\n${summary}\n`);

  mkdirSync(RESULTS, { recursive: true });
  const record = {
    startedAt: new Date(t0).toISOString(),
    wallMs,
    scale: SCALE,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().map((c) => c.model.trim()),
    loadavg: { start: load0, end: load1 },
    summary: { pass, miss, errors },
    rows,
    cases: outcomes.map((o) => ({ name: o.name, ok: o.ok, ms: o.ms, error: o.error, details: o.result?.details })),
    table: text,
  };
  const json = JSON.stringify(record, null, 2);
  writeFileSync(join(RESULTS, `bench-${stamp}.json`), json);
  writeFileSync(join(RESULTS, 'latest.json'), json);
  writeFileSync(join(RESULTS, 'latest.txt'), `${text}\n\n${summary}\n`);
  process.stdout.write(`saved ${relative(ROOT, join(RESULTS, `bench-${stamp}.json`))} (and latest.json, latest.txt)\n`);

  if (profileDir && existsSync(profileDir)) {
    for (const f of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
      process.stdout.write(`\n${relative(ROOT, join(profileDir, f))}: top self time (idle excluded)\n   self%  total%  function\n`);
      for (const h of summarise(join(profileDir, f), 12)) {
        process.stdout.write(`  ${h.selfPct.toFixed(1).padStart(6)} ${h.totalPct.toFixed(1).padStart(7)}  ${h.where}\n`);
      }
    }
  }
  process.exitCode = errors > 0 ? 1 : 0;
}

await main();
