/**
 * Case 1, the floor: a bare `ws` client that `JSON.parse`s every frame of a ticker flood across 10
 * codes (SIMPLE format, no compression). Nothing in the library can beat this; the hub cases
 * report their throughput as a ratio to it.
 *
 * Run alone: npx tsx bench/cases/floor.ts
 */
import { CODES, emit, log } from '../lib/common.js';
import { Counter } from '../lib/counter.js';
import { openFloorClient } from '../lib/floor-client.js';
import { startMockProcess } from '../lib/mock-process.js';
import { MOCK_THROUGHPUT, throughputRounds } from '../lib/rounds.js';

const mock = await startMockProcess();
try {
  const { url } = await mock.call('start', MOCK_THROUGHPUT);
  const counter = new Counter();
  const floor = await openFloorClient(mock, url, CODES, counter);
  const result = await throughputRounds(mock, counter, { profileName: 'floor' });
  floor.ws.close();
  log(`floor: ${Math.round(result.rate).toLocaleString()} msg/s (rounds ${result.rates.map((r) => Math.round(r)).join(', ')})`);
  emit({
    case: 'floor',
    rows: [{ case: 'floor', metric: 'ws + JSON.parse, SIMPLE ticker', value: result.rate, unit: 'msg/s' }],
    details: { ...result, parsedWithTp: floor.parsed() },
  });
} finally {
  await mock.exit();
}
