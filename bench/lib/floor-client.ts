/**
 * The floor consumer: a bare `ws` client that subscribes to ticker `codes` in SIMPLE format (or
 * `format`) and `JSON.parse`s every frame, counting each one. Used by the floor case and, paired
 * round by round, by the hub cases.
 */
import WebSocket from 'ws';
import type { Counter } from './counter.js';
import type { MockProcess } from './mock-process.js';

export interface FloorClient {
  readonly ws: WebSocket;
  readonly connectionId: number;
  /** Frames whose parsed object had a trade price (keeps the parse observable). */
  readonly parsed: () => number;
}

export async function openFloorClient(
  mock: MockProcess,
  url: string,
  codes: readonly string[],
  counter: Counter,
  format: 'SIMPLE' | 'DEFAULT' = 'SIMPLE',
): Promise<FloorClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let sink = 0;
  ws.on('message', (data: Buffer) => {
    const o = JSON.parse(data.toString()) as { tp?: number; trade_price?: number };
    if ((o.tp ?? o.trade_price) !== undefined) sink++;
    counter.hit();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify([{ ticket: 'bench-floor' }, { type: 'ticker', codes }, { format }]));
  const { connectionId } = await mock.call('waitSubscribed', { type: 'ticker', codes });
  return { ws, connectionId, parsed: () => sink };
}
