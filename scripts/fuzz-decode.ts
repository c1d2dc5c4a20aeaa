/**
 * The long differential fuzz of the template fast path: millions of seeded mutations of real
 * frames of every kind and format, each decoded by the reference walk, by the fast path alone
 * (byte frames twice: WebAssembly matchers and regexes) and by decodeFrame (test/io/differential.ts
 * `check`); stops at the first difference and prints the frame and the seed to replay it.
 * `npm test` runs the same harness on 40,000 cases (test/io/fast-differential.test.ts).
 *
 * Run: npx tsx scripts/fuzz-decode.ts [count=1000000] [seed=1]
 */
import { decodeFrame } from '../src/io/decode.js';
import { fastStats } from '../src/io/fast.js';
import { check, mutate, seedFrames, type Path } from '../test/io/differential.js';
import { prng } from '../test/prng.js';

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 1);
const rand = prng(seed);
const AS = ['buffer', 'uint8', 'string'] as const;
// fresh seed frames every 50,000 cases, so the run covers many generated values and layouts
let seeds: Buffer[] = [];
const paths: Record<Path, number> = { fast: 0, walk: 0, error: 0 };
const t0 = Date.now();
for (let k = 0; k < count; k++) {
  if (k % 50_000 === 0) seeds = seedFrames(rand).map((f) => Buffer.from(f));
  const s = seeds[k % seeds.length];
  decodeFrame(s); // keep the seed's template learned
  let frame: Buffer = s;
  const rounds = rand() < 0.7 ? 1 : 2 + Math.floor(rand() * 2);
  for (let r = 0; r < rounds; r++) frame = mutate(rand, frame);
  try {
    paths[check(frame, AS[k % 3])]++;
  } catch (err) {
    console.error(`MISMATCH at case ${k} (seed ${seed}): ${(err as Error).message}`);
    console.error(`frame (latin1, as ${AS[k % 3]}): ${frame.toString('latin1')}`);
    process.exit(1);
  }
  if ((k + 1) % 200_000 === 0) console.log(`${k + 1} cases, ${JSON.stringify(paths)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`OK: ${count} cases, seed ${seed}: ${JSON.stringify(paths)}; templates compiled ${fastStats.compiled}, self-check failures ${fastStats.selfCheckFailures}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (fastStats.selfCheckFailures > 0) process.exit(1);
