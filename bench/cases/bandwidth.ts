/**
 * Case 7, bandwidth: bytes per ticker message on the wire, measured at the client as TCP bytes
 * read (`socket.bytesRead` of the hub's own WebSocket: frame headers and compressed payloads),
 * over a flood of the 10 codes after the SNAPSHOTs are through.
 *
 *   DEFAULT                       mock without permessage-deflate, hub `format: 'DEFAULT'`
 *   SIMPLE                        mock without permessage-deflate, hub `format: 'SIMPLE'`
 *   SIMPLE + deflate              mock and hub defaults: permessage-deflate negotiated with
 *                                 context takeover. (ws's 1 KiB `threshold` only applies under
 *                                 no_context_takeover, so every ticker frame is compressed.)
 *   DEFAULT + deflate             for information
 *
 * Target: SIMPLE + deflate at least 60 % fewer bytes than DEFAULT.
 *
 * Run alone: npx tsx bench/cases/bandwidth.ts
 */
import type { Format } from '../../src/io/index.js';
import type { MockOptions } from '../../src/mock/index.js';
import { CODES, emit, log, scaled, type Row } from '../lib/common.js';
import { Counter } from '../lib/counter.js';
import { openHub, tap } from '../lib/hub-setup.js';
import { startMockProcess } from '../lib/mock-process.js';

const COUNT = scaled(20_000, 2000);

interface Variant {
  readonly label: string;
  readonly format: Format;
  readonly deflate: MockOptions['perMessageDeflate'];
}
const VARIANTS: Variant[] = [
  { label: 'DEFAULT', format: 'DEFAULT', deflate: false },
  { label: 'SIMPLE', format: 'SIMPLE', deflate: false },
  { label: 'SIMPLE + deflate', format: 'SIMPLE', deflate: true },
  { label: 'DEFAULT + deflate', format: 'DEFAULT', deflate: true },
];

interface Point {
  label: string;
  bytesPerMsg: number;
  payloadBytesPerMsg: number;
  negotiated: string;
}

const counter = new Counter();
const mock = await startMockProcess();
const points: Point[] = [];
try {
  for (const v of VARIANTS) {
    const { url } = await mock.call('start', { manual: true, limits: false, seed: 1, perMessageDeflate: v.deflate });
    const bench = await openHub(
      mock,
      url,
      CODES.map((code, i) => ({ id: `c${i}`, codes: [code], cb: () => counter.hit() })),
      { format: v.format, perMessageDeflate: true },
    );
    const ws = tap.sockets.at(-1)!;
    const bytes0 = ws.bytesRead;
    const payload0 = bench.hub.status().metrics.bytes;
    counter.reset();
    const lost0 = bench.lost(); // coalesced by a sink after a preempted call: see bench/lib/counter.ts
    const flooded = mock.call('flood', { type: 'ticker', count: COUNT });
    await counter.until(COUNT, undefined, () => bench.lost() - lost0);
    await flooded;
    const p: Point = {
      label: v.label,
      bytesPerMsg: (ws.bytesRead - bytes0) / COUNT,
      payloadBytesPerMsg: (bench.hub.status().metrics.bytes - payload0) / COUNT,
      negotiated: ws.extensions || '(none)',
    };
    points.push(p);
    await bench.stop();
    log(`bandwidth ${v.label}: ${p.bytesPerMsg.toFixed(1)} B/msg on the wire, ${p.payloadBytesPerMsg.toFixed(1)} B/msg decoded, extensions ${p.negotiated}`);
  }
} finally {
  await mock.exit();
}

const base = points[0].bytesPerMsg;
const rows: Row[] = points.map((p, i) => ({
  case: 'bandwidth',
  metric: `${p.label}: wire bytes/msg`,
  value: p.bytesPerMsg,
  unit: 'B',
  ...(i > 0 ? { baseline: { label: 'DEFAULT', value: base }, ratio: p.bytesPerMsg / base } : {}),
  ...(p.label === 'SIMPLE + deflate'
    ? { target: { on: 'ratio' as const, op: '<=' as const, limit: 0.4, label: '≤ 0.4x (≥ 60 % fewer)' } }
    : {}),
}));
emit({ case: 'bandwidth', rows, details: { points, count: COUNT } });
