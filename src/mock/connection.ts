/**
 * One accepted WebSocket connection: its state (format, subscription set, counters, request log)
 * and the outgoing pipeline every frame goes through.
 *
 * How to read this file: frames enter through `sendData` (market/private data, binary, stampable)
 * or `sendControl` (error and status frames). Without faults a frame is written at once; with
 * `stall` or `delayFrames` it waits in a FIFO queue that `flush` drains when it is due:
 *
 *   sendData ─► [queue: stalled? delayed?] ─► write ─► ws.send (binary) ─► counters, idle clock
 *                                                 └─► again, when duplicateFrames is on
 *
 * The idle clock closes the connection after `idleTimeoutMs` with no traffic either way (frames
 * sent, messages or ping/pong received). It re-arms lazily from `lastActivity`, so busy
 * connections cost one timer per period, not one per frame.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { Format } from '../io/index.js';
import type { ConnectionInfo, Emitter, RequestRecord } from './events.js';
import type { Resolved } from './options.js';
import { SubscriptionSet } from './subscriptions.js';

interface Item {
  readonly data: Buffer;
  readonly binary: boolean;
  readonly stamp: boolean;
  readonly isData: boolean;
  readonly due: number;
}

const ORIGIN_MS = Math.floor(performance.timeOrigin);
const ORIGIN_NS = BigInt(ORIGIN_MS) * 1_000_000n + BigInt(Math.round((performance.timeOrigin - ORIGIN_MS) * 1e6));

/** Nanoseconds since the Unix epoch, as digits (performance.timeOrigin + performance.now()). */
export function sendTimeNs(): string {
  return String(ORIGIN_NS + BigInt(Math.round(performance.now() * 1e6)));
}

/** Insert `,"_sent":<ns>` before the closing `}` (or `}]` for LIST formats). */
export function stampFrame(data: Buffer, ns: string): Buffer {
  const end = data[data.length - 1] === 0x5d ? data.length - 2 : data.length - 1;
  return Buffer.concat([data.subarray(0, end), Buffer.from(`,"_sent":${ns}`), data.subarray(end)]);
}

export class Connection {
  format: Format = 'DEFAULT';
  subs: SubscriptionSet = SubscriptionSet.empty();
  readonly requests: RequestRecord[] = [];
  framesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  messageBreaches = 0;
  dropped = 0;
  closed = false;
  closeCode: number | undefined;
  closeReason: string | undefined;
  stalled = false;
  delayMs = 0;
  duplicate = false;
  lastActivity = performance.now();
  readonly socket: Socket;
  readonly deflate: boolean;
  private queue: Item[] = [];
  private queueTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  stallTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly path: string,
    readonly endpoint: 'public' | 'private',
    readonly remoteAddress: string,
    readonly accessKey: string | undefined,
    readonly openedAt: number,
    private readonly opts: Resolved,
    private readonly emitter: Emitter,
  ) {
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.deflate = ws.extensions.includes('permessage-deflate');
    ws.on('ping', () => this.touch());
    ws.on('pong', () => this.touch());
    ws.on('error', () => {}); // protocol errors from the client end in 'close'; nothing to report twice
    ws.on('close', (code, reason) => this.markClosed(code, reason.toString()));
    this.armIdle(opts.idleTimeoutMs);
  }

  touch(): void {
    this.lastActivity = performance.now();
  }

  /** A data frame (market or private event, LIST_SUBSCRIPTIONS answer): always binary. */
  sendData(data: Buffer): void {
    this.push({ data, binary: true, stamp: this.opts.stampSendTime, isData: true, due: 0 });
  }

  /** An error or `{"status":"UP"}` frame: opcode per `controlFrames` ([U]), never stamped or duplicated. */
  sendControl(text: string): void {
    this.push({ data: Buffer.from(text), binary: this.opts.controlFrames === 'binary', stamp: false, isData: false, due: 0 });
  }

  /** Send raw bytes as one binary message, bypassing stamping (faults: malformed frames). */
  sendRaw(data: Buffer, binary = true): void {
    this.push({ data, binary, stamp: false, isData: false, due: 0 });
  }

  private push(item: Item): void {
    if (this.closed) return;
    if (!this.stalled && this.delayMs === 0 && this.queue.length === 0) return this.write(item);
    if (this.queue.length >= this.opts.maxQueuedFrames) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(this.delayMs ? { ...item, due: performance.now() + this.delayMs } : item);
    this.flush();
  }

  /** Write every queued frame that is due, then arm a timer for the next one. */
  flush(): void {
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    if (this.stalled || this.closed) return;
    const now = performance.now();
    let i = 0;
    for (; i < this.queue.length && this.queue[i].due <= now; i++) this.write(this.queue[i]);
    this.queue = i ? this.queue.slice(i) : this.queue;
    if (this.queue.length && !this.closed) {
      this.queueTimer = setTimeout(() => this.flush(), Math.max(0, this.queue[0].due - now));
    }
  }

  private write(item: Item): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      // [U] a consumer that cannot keep up: Upbit's policy is unknown; dropping it bounds memory.
      this.ws.terminate();
      return;
    }
    const data = item.stamp ? stampFrame(item.data, sendTimeNs()) : item.data;
    const times = item.isData && this.duplicate ? 2 : 1;
    for (let k = 0; k < times; k++) {
      this.ws.send(data, { binary: item.binary });
      this.framesSent++;
      this.bytesSent += data.length;
    }
    this.lastActivity = performance.now();
  }

  setStalled(on: boolean): void {
    this.stalled = on;
    if (!on) {
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      this.flush();
    }
  }

  disconnect(opts: { code?: number; reason?: string; abrupt?: boolean } = {}): void {
    if (this.closed) return;
    if (opts.abrupt) this.ws.terminate();
    else this.ws.close(opts.code ?? 1000, opts.reason ?? '');
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      const idle = performance.now() - this.lastActivity;
      const limit = this.opts.idleTimeoutMs;
      if (idle < limit - 1) return this.armIdle(limit - idle);
      if (this.opts.idleClose === 'terminate') this.ws.terminate();
      else this.ws.close(1000, 'idle timeout');
    }, ms);
  }

  /** Stop every timer this connection owns (called on close and by `close()`). */
  clearTimers(): void {
    for (const t of [this.idleTimer, this.queueTimer, this.stallTimer]) if (t) clearTimeout(t);
    this.idleTimer = this.queueTimer = this.stallTimer = undefined;
  }

  private markClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.queue = [];
    this.clearTimers();
    this.emitter.emit('close', { connectionId: this.id, code, reason });
  }

  logRequest(r: RequestRecord): void {
    this.requests.push(r);
    if (this.requests.length > this.opts.logLimit) this.requests.shift();
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      path: this.path,
      endpoint: this.endpoint,
      remoteAddress: this.remoteAddress,
      accessKey: this.accessKey,
      openedAt: this.openedAt,
      perMessageDeflate: this.deflate,
      requests: [...this.requests],
      subscriptions: this.subs.info(),
      format: this.format,
      framesSent: this.framesSent,
      bytesSent: this.bytesSent,
      messagesReceived: this.messagesReceived,
      messageBreaches: this.messageBreaches,
      bufferedBytes: this.closed ? 0 : this.ws.bufferedAmount,
      queued: this.queue.length,
      dropped: this.dropped,
      stalled: this.stalled,
      closed: this.closed,
      closeCode: this.closeCode,
      closeReason: this.closeReason,
    };
  }
}
