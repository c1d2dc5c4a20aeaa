/**
 * rest-decode: µs per REST ticker decoded by the REST client's decoder (src/io/rest-decode.ts,
 * every row built, Decimals from the JSON digits) against `JSON.parse` of the same body.
 *
 * How to read this file: the body is what the mock serves for `/v1/ticker` with the 10 bench
 * markets (fetched once over HTTP from an in-process mock, closed before timing: nothing else
 * runs during the timed loops). Each round times `decodeRestList` and `JSON.parse` back to back
 * on the same body (alternating which goes first), `iterations` times each; a figure is the
 * median over rounds of µs per ticker, and the ratio is the median of the per-round ratios.
 * Two bodies: all 10 tickers in one answer, and a single ticker (per-call overhead shows there).
 *
 *   npx tsx bench/cases/rest-decode.ts [--rounds=7]
 */
import { performance } from 'node:perf_hooks';
import { decodeRestList, REST_TICKER } from '../../src/io/index.js';
import type { RestTicker } from '../../src/io/index.js';
import { startMockUpbit } from '../../src/mock/index.js';
import { CODES, emit, log, median, scaled } from '../lib/common.js';
import type { Row } from '../lib/common.js';

const ROUNDS = Number(/^--rounds=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--rounds=')) ?? '')?.[1] ?? 7);

async function body(codes: readonly string[]): Promise<Buffer> {
  const m = await startMockUpbit({ manual: true, seed: 1, markets: [...CODES], limits: false });
  try {
    m.tick(100);
    const r = await fetch(`${m.restUrl}/v1/ticker?markets=${codes.join(',')}`);
    return Buffer.from(await r.arrayBuffer());
  } finally {
    await m.close();
  }
}

let sink = 0;

function timeDecode(b: Buffer, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const list = decodeRestList<RestTicker>(b, REST_TICKER);
    sink += list.length;
  }
  return performance.now() - t0;
}

function timeParse(b: Buffer, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    // the same input a client has: the response bytes
    const list = JSON.parse(b.toString('utf8')) as unknown[];
    sink += list.length;
  }
  return performance.now() - t0;
}

function measure(label: string, b: Buffer, tickers: number): { rows: Row[]; details: Record<string, unknown> } {
  const iterations = scaled(Math.round(40_000 / tickers), 200);
  // warm-up, and a check that the decode is real
  const sample = decodeRestList<RestTicker>(b, REST_TICKER);
  if (sample.length !== tickers || !sample[0].tradePrice.isPositive()) throw new Error('bad sample');
  timeDecode(b, iterations);
  timeParse(b, iterations);
  const dec: number[] = [];
  const par: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let d: number;
    let p: number;
    if (r % 2 === 0) {
      d = timeDecode(b, iterations);
      p = timeParse(b, iterations);
    } else {
      p = timeParse(b, iterations);
      d = timeDecode(b, iterations);
    }
    const per = (ms: number) => (ms * 1000) / (iterations * tickers);
    dec.push(per(d));
    par.push(per(p));
    ratios.push(d / p);
  }
  const value = median(dec);
  const floor = median(par);
  log(`${label}: decode ${value.toFixed(2)} µs/ticker, JSON.parse ${floor.toFixed(2)} µs/ticker, ratio ${median(ratios).toFixed(2)}`);
  return {
    rows: [
      {
        case: 'rest-decode',
        metric: `${label}: µs per ticker, exact Decimals (all ${REST_TICKER.length} rows)`,
        value,
        unit: 'µs',
        baseline: { label: 'JSON.parse', value: floor },
        ratio: median(ratios),
      },
    ],
    details: { [label]: { bytes: b.length, iterations, decodeUs: dec, parseUs: par, ratios } },
  };
}

async function main(): Promise<void> {
  const ten = measure('10-ticker body', await body(CODES), CODES.length);
  const one = measure('1-ticker body', await body(['KRW-BTC']), 1);
  emit({ case: 'rest-decode', rows: [...ten.rows, ...one.rows], details: { rounds: ROUNDS, ...ten.details, ...one.details, sink } });
}

await main();
