/**
 * Micro-benchmark of the delivery layers alone: `Router.publish` → dispatch → offer → the
 * subscription's `Sink.push` → a callback, for 10 ticker routes (one code each), with
 * pre-built ticker-like messages (no socket, no decoding). CPU time per message (user + system,
 * which preemption by other processes barely moves), 15 rounds of 2M messages; prints the median
 * and the lowest round. The sinks run with `budgetMs: Infinity` so a preempted call never sends
 * them to the queued path (every message reaches the callback; `hits` checks it).
 *
 * Used to A/B hot-path changes in src/actors/router.ts and sink.ts: run it on both versions,
 * a few times each, back to back. Not part of `npm run bench`.
 *
 * Run: npx tsx bench/router-micro.ts
 */
import type { DataMessage } from '../src/io/index.js';
import { Router, type Stamped } from '../src/actors/router.js';
import { Sink, keyOf } from '../src/actors/sink.js';

const CODES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'];
const N = 2_000_000;
let hits = 0;
const router = new Router();
router.setEpoch('public', 1);
for (const code of CODES) {
  const sink = new Sink<Stamped<DataMessage>>({ kind: 'coalesce' }, { callback: () => void hits++, onError: () => {}, keyOf, label: code, budgetMs: Infinity });
  router.add({ type: 'ticker', codes: [code], snapshot: true, realtime: true, depth: undefined, level: undefined, categories: undefined, deliver: (m) => sink.push(m), snapshotDone: () => {} });
}
const msgs = Array.from({ length: 1024 }, (_, i) => ({ type: 'ticker', code: CODES[i % CODES.length], streamType: 'REALTIME' }) as unknown as DataMessage);
const ns: number[] = [];
for (let r = 0; r < 15; r++) {
  const c = process.cpuUsage();
  for (let i = 0; i < N; i++) router.publish('public', 1, msgs[i & 1023] as never);
  const d = process.cpuUsage(c);
  ns.push(((d.user + d.system) * 1000) / N);
}
ns.sort((a, b) => a - b);
process.stdout.write(`router → sink → callback: ${ns[7].toFixed(1)} ns/msg median, ${ns[0].toFixed(1)} lowest round (${hits.toLocaleString('en-US')} callbacks of ${(15 * N).toLocaleString('en-US')})\n`);
