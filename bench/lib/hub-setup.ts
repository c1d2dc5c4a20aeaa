/**
 * A hub wired to the mock process for a bench case: N components subscribed to ticker codes, a
 * delivery counter to await, and a tap on the hub's WebSocket.
 *
 * The tap (`TapWebSocket`, passed as the hub's `WebSocket` option) is how cases see the wire
 * without touching src: it records the frame being dispatched (`tap.frame`; the hub decodes and
 * delivers synchronously inside that 'message' emit, so a callback reading `tap.frame` sees the
 * raw bytes of its own event) and keeps the sockets for their `bytesRead`.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { createUpbitHub, type UpbitHub, type UpbitHubOptions } from '../../src/actors/hub.js';
import type { ComponentRef } from '../../src/actors/component.js';
import type { Ticker } from '../../src/io/index.js';
import type { MockProcess } from './mock-process.js';
import { sleep } from './common.js';

export const tap: { frame: Buffer | undefined; sockets: TapWebSocket[] } = { frame: undefined, sockets: [] };

export class TapWebSocket extends WebSocket {
  constructor(address: string | URL, options?: WebSocket.ClientOptions) {
    super(address, options);
    tap.sockets.push(this);
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') tap.frame = args[0] as Buffer;
    return super.emit(event, ...args);
  }
  /** TCP bytes read so far (frame headers and compressed payloads included). */
  get bytesRead(): number {
    return (this as unknown as { _socket?: Socket })._socket?.bytesRead ?? 0;
  }
}

export type TickerCallback = (t: Ticker) => void;

export interface ComponentSpec {
  readonly id: string;
  readonly codes: readonly string[];
  readonly cb: TickerCallback;
}

export interface BenchHub {
  readonly hub: UpbitHub;
  /** Deliveries the hub's sinks coalesced or dropped so far (0 on a hub without sinks): a `Consumer.lost`. */
  lost(): number;
  /** The hub's public connection, as the mock numbers it (a flood `target`). */
  readonly connectionId: number;
  readonly components: ComponentRef[];
  stop(): Promise<void>;
}

/**
 * Start a hub on `url`, spawn the components, and wait until the mock has applied a request that
 * covers every code (then, with `settle`, until the SNAPSHOT frames stopped arriving).
 */
export async function openHub(
  mock: MockProcess,
  url: string,
  specs: readonly ComponentSpec[],
  options: Omit<UpbitHubOptions, 'url'> = {},
  /** Wait for the SNAPSHOTs to pass; off when the mock's market timer sends all the time. */
  settle = true,
): Promise<BenchHub> {
  const hub = createUpbitHub({
    url,
    perMessageDeflate: false,
    WebSocket: TapWebSocket as unknown as typeof WebSocket,
    pendingWindow: 10,
    ...options,
  });
  hub.onError((e) => process.stderr.write(`hub error: ${e.name} ${e.message}\n`));
  const components = specs.map((s) => {
    const c = hub.spawnComponent(s.id);
    c.on('ticker', s.cb as (t: Ticker) => void);
    c.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: s.codes });
    return c;
  });
  const codes = [...new Set(specs.flatMap((s) => s.codes))];
  const { connectionId } = await mock.call('waitSubscribed', { type: 'ticker', codes });
  if (settle) await quiet(hub);
  return {
    hub,
    lost() {
      const d = (hub.status() as { delivery?: { coalesced: number; dropped: number } }).delivery;
      return d ? d.coalesced + d.dropped : 0;
    },
    connectionId,
    components,
    async stop() {
      await hub.stop();
      tap.sockets.length = 0;
    },
  };
}

/** Wait until no frame arrived for `ms` (the SNAPSHOTs of a fresh subscription are through). */
export async function quiet(hub: UpbitHub, ms = 60): Promise<void> {
  let before = -1;
  for (let i = 0; i < 100; i++) {
    const now = hub.status().metrics.frames;
    if (now === before) return;
    before = now;
    await sleep(ms);
  }
}
