/**
 * Cases 2 and 3, the hub end to end: 10 components, each subscribed to one of the 10 flooded
 * tickers, through the whole data path (ws → decode → router → delivery → callback).
 *
 *   --read=three  (case 2) each callback reads `tradePrice`, `accTradePrice24h` and
 *                 `signedChangeRate` and touches them (`.d.length`, `.isNeg()`), so the exact
 *                 Decimals are really built. Target ≥ 0.67x the floor.
 *   --read=all    (case 3) each callback reads every field of the `TICKER` table by `row.name`
 *                 (33 fields: 30 lazy getters, 18 of them Decimals). Target ≥ 0.5x the floor.
 *   --format=DEFAULT  the hub (and the paired in-process floor) subscribe in DEFAULT format (long
 *                 field names, about 1.7x the bytes) instead of SIMPLE; the case is then named
 *                 `<name>-default`. Its first row still reads off the (SIMPLE) floor case, beside
 *                 the SIMPLE row; a third row gives the ratio to the paired DEFAULT floor, where
 *                 the target is read (both sides parse the same bytes).
 *
 * The hub's rounds alternate with rounds of a bare-ws floor client in this same process (each
 * flood aimed at one connection). The table's first row is msg/s with its ratio to the floor CASE
 * of the run, as specified (the target is read there). The second row is the CPU time per message
 * of the hub vs the in-process floor, paired round by round; its ratio (floor CPU ÷ hub CPU) reads
 * like a throughput ratio and, unlike wall-clock rates, barely moves when other processes compete
 * for the cores: no target, it tells a real miss from noise.
 *
 * Run alone: npx tsx bench/cases/hub.ts --read=three
 */
import type { Decimal } from 'decimal.js';
import { TICKER } from '../../src/io/index.js';
import { CODES, emit, log, type Row } from '../lib/common.js';
import { Counter } from '../lib/counter.js';
import { openFloorClient } from '../lib/floor-client.js';
import { openHub, type TickerCallback } from '../lib/hub-setup.js';
import { startMockProcess } from '../lib/mock-process.js';
import { MOCK_THROUGHPUT, pairedRounds } from '../lib/rounds.js';

const read = process.argv.find((a) => a.startsWith('--read='))?.slice(7) ?? 'three';
if (read !== 'three' && read !== 'all') throw new Error('--read=three|all');
const format = process.argv.find((a) => a.startsWith('--format='))?.slice(9) ?? 'SIMPLE';
if (format !== 'SIMPLE' && format !== 'DEFAULT') throw new Error('--format=SIMPLE|DEFAULT');
const name = (read === 'three' ? 'hub-3-fields' : 'hub-all-fields') + (format === 'DEFAULT' ? '-default' : '');

const counter = new Counter();
let sink = 0;
const touch = (d: Decimal) => d.d.length;

const readThree: TickerCallback = (t) => {
  sink += touch(t.tradePrice) + touch(t.accTradePrice24h) + (t.signedChangeRate.isNeg() ? 1 : 0);
  counter.hit();
};
const NAMES = TICKER.map((r) => r.name);
const readAll: TickerCallback = (t) => {
  const o = t as unknown as Record<string, unknown>;
  for (let i = 0; i < NAMES.length; i++) if (o[NAMES[i]] !== null) sink++;
  counter.hit();
};

const mock = await startMockProcess();
try {
  const { url } = await mock.call('start', MOCK_THROUGHPUT);
  const cb = read === 'three' ? readThree : readAll;
  const bench = await openHub(
    mock,
    url,
    CODES.map((code, i) => ({ id: `c${i}`, codes: [code], cb })),
    { format },
  );
  const floorCounter = new Counter();
  const floor = await openFloorClient(mock, url, CODES, floorCounter, format);
  const before = bench.hub.status().metrics;
  const paired = await pairedRounds(
    mock,
    { counter, connectionId: bench.connectionId, lost: bench.lost },
    { counter: floorCounter, connectionId: floor.connectionId },
    { profileName: name },
  );
  const result = paired.a;
  const m = bench.hub.status().metrics;
  // Coalesced / dropped by the sinks (a preempted callback looks slow; see bench/lib/counter.ts).
  const delivery = (bench.hub.status() as { delivery?: unknown }).delivery;
  floor.ws.close();
  await bench.stop();
  log(
    `${name}: ${Math.round(result.rate).toLocaleString()} msg/s (rounds ${result.rates.map((r) => Math.round(r)).join(', ')}); ` +
      `paired floor ${Math.round(paired.b.rate).toLocaleString()} msg/s, paired ratio ${paired.ratio.toFixed(3)} ` +
      `(${paired.ratios.map((r) => r.toFixed(2)).join(', ')}); CPU ${Math.round(result.cpuNs)} vs floor ${Math.round(paired.b.cpuNs)} ns/msg ` +
      `→ ${paired.cpuRatio.toFixed(3)}x`,
  );
  const limit = read === 'three' ? { limit: 0.67, label: '≥ 0.67x' } : { limit: 0.5, label: '≥ 0.5x' };
  const rows: Row[] = [
    {
      case: name,
      metric: (read === 'three' ? 'msg/s, 3 Decimals read' : `msg/s, all ${TICKER.length} fields read`) + (format === 'DEFAULT' ? ', DEFAULT frames' : ''),
      value: result.rate,
      unit: 'msg/s',
      ratioTo: { case: 'floor', metric: 'ws + JSON.parse, SIMPLE ticker' },
      ...(format === 'SIMPLE' ? { target: { on: 'ratio' as const, op: '>=' as const, ...limit } } : {}),
    },
    {
      case: name,
      metric: '  CPU ns/msg, paired with in-process floor',
      value: result.cpuNs,
      unit: 'ns',
      baseline: { label: 'floor', value: paired.b.cpuNs },
      ratio: paired.cpuRatio,
    },
  ];
  if (format === 'DEFAULT') {
    rows.push({
      case: name,
      metric: '  msg/s, paired with in-process DEFAULT floor',
      value: result.rate,
      unit: 'msg/s',
      baseline: { label: 'DEFAULT floor', value: paired.b.rate },
      ratio: paired.ratio,
      target: { on: 'ratio', op: '>=', ...limit },
    });
  }
  emit({
    case: name,
    rows,
    details: {
      ...result,
      pairedFloor: paired.b,
      pairedRatio: paired.ratio,
      pairedRatios: paired.ratios,
      sink,
      format,
      delivery,
      metrics: m,
      framesDuringRounds: m.frames - before.frames,
    },
  });
} finally {
  await mock.exit();
}

