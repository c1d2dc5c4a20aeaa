/**
 * Flood mode, for benchmarks: send `count` frames of one type to every matching subscriber as
 * fast as each socket drains, at well under 1 µs of mock CPU per frame.
 *
 * How to read this file: `flood` does the expensive work once, then only writes.
 *
 *   1. ring: a private simulator (same markets, its own seed) is stepped until it has `ringSize`
 *      distinct messages of the type, round-robin over the connection's codes; each is encoded
 *      once per (format, orderbook depth/level).
 *   2a. no permessage-deflate on the connection: the ring is turned into raw server frames
 *      (unmasked: 0x82, 7/16/64-bit length, payload), repeated into one ~1 MiB Buffer, and that
 *      Buffer is written to the `net.Socket` under ws again and again, waiting for 'drain' after
 *      each write: at most one Buffer plus the socket's high-water mark is ever queued.
 *   2b. permessage-deflate negotiated WITH server_no_context_takeover: every message is
 *      compressed on its own anyway, so each ring payload is deflated once (raw deflate, sync
 *      flush, trailing 00 00 ff ff removed, RFC 7692 §7.2.1) and written as in 2a with RSV1 set
 *      (0xC2). (With context takeover this would desynchronise ws's own deflate window, so:)
 *   2c. permessage-deflate with context takeover: each frame goes through `ws.send` (ws compresses
 *      it on the zlib thread pool: ~100 µs/frame), awaiting the send callback every 128 frames so
 *      ws's queue stays bounded.
 *
 * With `stampSendTime`, each frame carries a fixed-width `"_sent"` slot patched with the time just
 * before its batch is written (so the stamp is the batch's hand-over time, not per frame).
 *
 * Trade floods: a client drops a trade whose `sequential_id` it has seen (a duplicated frame), so
 * repeating the ring would deliver nothing past the first lap. Each trade frame's id is therefore
 * rewritten as a fixed-width slot, `1` + lap number + the frame's place in the ring (17 digits,
 * e.g. 1 0000000000042 017 for place 17 of lap 42; like Upbit's, beyond 2^53), and every lap over
 * the ring (each repetition inside a batch, each pass of 2c) takes the next lap number of this
 * process (`nextLap`), patched in place before the batch is written: no id repeats within one
 * process, for a few bytes copied per frame. Patched batches, like stamped ones, are rewritten only
 * after their previous write flushed, and both skip 2b (a compressed frame cannot be patched): with
 * server_no_context_takeover they go through `ws.send` (2c) too. Trade and timestamps stay the ring's.
 * Floods ignore stall/delay/duplicate faults.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import type { CandleType, Format, UpbitMessage } from '../io/index.js';
import { orderbookMessage } from './book.js';
import { sendTimeNs } from './connection.js';
import type { Connection } from './connection.js';
import type { Emitter } from './events.js';
import { select } from './faults.js';
import type { Target } from './faults.js';
import { Market } from './market.js';
import type { Resolved } from './options.js';
import { frame } from './public-ws.js';
import type { Hub } from './public-ws.js';

export type FloodType = 'ticker' | 'trade' | 'orderbook' | CandleType;

export interface FloodOptions {
  readonly type: FloodType;
  /** Only these codes (each connection still gets only codes it subscribed to). @default every subscribed code */
  readonly codes?: readonly string[];
  /** Frames per connection. */
  readonly count: number;
  /** Encode in this format instead of each connection's own. */
  readonly format?: Format;
  /** @default 'all' */
  readonly target?: Target;
  /** Distinct frames in the ring. @default 256 */
  readonly ringSize?: number;
}

export interface FloodResult {
  readonly connections: number;
  /** Frames written, all connections together. */
  readonly frames: number;
  readonly bytes: number;
  /** Connections served with pre-built frames written to the socket (paths 2a and 2b). */
  readonly rawPath: number;
}

const BATCH_BYTES = 1 << 20;
const STAMP_DIGITS = 19;
const STAMP = Buffer.from(`,"_sent":${'0'.repeat(STAMP_DIGITS)}`);
/** Digits of a flood trade's `sequential_id`: `1`, the lap, the place in the ring. */
const ID_DIGITS = 17;
const ID_KEYS = [Buffer.from('"sequential_id":'), Buffer.from('"sid":')];
/** Laps over a trade ring handed out in this process: ids never repeat within it. */
let laps = 0;

export interface FloodDeps {
  readonly hub: Hub;
  readonly market: Market;
  readonly opts: Resolved;
  readonly emitter: Emitter;
}

export async function flood(deps: FloodDeps, o: FloodOptions): Promise<FloodResult> {
  if (!Number.isInteger(o.count) || o.count < 0) throw new RangeError('count must be an integer >= 0');
  const targets = new Set(select(deps.hub, o.target));
  const conns = deps.hub.subscribers(o.type, o.codes).filter((c) => targets.has(c));
  const ring = new RingSource(deps, o);
  const results = await Promise.all(conns.map((c) => floodOne(deps, c, ring.frames(c), o.count, o.type === 'trade')));
  return {
    connections: conns.length,
    frames: results.reduce((a, r) => a + r.frames, 0),
    bytes: results.reduce((a, r) => a + r.bytes, 0),
    rawPath: results.filter((r) => r.raw).length,
  };
}

/** Builds (and caches) the ring of encoded payloads for a connection's codes and format. */
class RingSource {
  private readonly cache = new Map<string, Buffer[]>();
  private readonly sim: Market;
  private readonly messages = new Map<string, (UpbitMessage | { book: import('./book.js').Book; ts: number })[]>();
  constructor(
    deps: FloodDeps,
    private readonly o: FloodOptions,
  ) {
    const m = deps.market;
    const specs = m.codes.map((code) => ({ ...m.spec(code), price: m.lastPrice(code).toFixed() }));
    this.sim = new Market({ markets: specs, seed: deps.opts.seed + 7919, startTime: m.now(), stepMs: 1, candleIntervalMs: 0 });
  }

  private messagesOf(code: string, n: number) {
    let list = this.messages.get(code);
    if (!list) this.messages.set(code, (list = []));
    while (list.length < n) {
      for (const e of this.sim.step()) {
        const l = this.messages.get(e.code);
        if (!l || e.type !== this.o.type) continue;
        l.push(e.type === 'orderbook' ? { book: e.book(), ts: e.timestamp } : e.message());
      }
    }
    return list;
  }

  frames(conn: Connection): Buffer[] {
    const format = this.o.format ?? conn.format;
    const streams = conn.subs.streams.filter(
      (s) => s.type === this.o.type && s.realtime && (!this.o.codes || this.o.codes.includes(s.code)),
    );
    const byCode = [...new Map(streams.map((s) => [s.code, s])).values()];
    const key = `${format}|${byCode.map((s) => `${s.code}/${s.depth}/${s.level.toString()}`).join(',')}`;
    let ring = this.cache.get(key);
    if (ring) return ring;
    const size = Math.max(this.o.ringSize ?? 256, byCode.length);
    const per = Math.ceil(size / byCode.length);
    for (const s of byCode) this.messagesOf(s.code, per);
    ring = [];
    for (let i = 0; i < size; i++) {
      const s = byCode[i % byCode.length];
      const m = this.messages.get(s.code)![Math.floor(i / byCode.length)];
      const msg = 'book' in m ? orderbookMessage(m.book, s.depth, s.bookLevel, 'REALTIME', m.ts) : m;
      ring.push(frame(msg, format));
    }
    this.cache.set(key, ring);
    return ring;
  }
}

function waitDrain(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.on('drain', done);
    sock.on('close', done);
  });
}

/**
 * Write `buf` and resolve once it was handed to the kernel (or the socket closed): then it may be
 * patched again. (Racing this with 'drain' left a drain and a close listener behind per batch
 * whenever the callback won: MaxListenersExceededWarning on long floods.)
 */
function writeFlushed(sock: Socket, buf: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sock.off('close', done);
      resolve();
    };
    sock.once('close', done);
    sock.write(buf, done);
  });
}

/** Negotiated permessage-deflate parameters when every message is compressed on its own. */
function independentDeflate(conn: Connection): { windowBits: number } | undefined {
  const ext = (conn.ws as unknown as { _extensions: Record<string, { params?: Record<string, unknown> } | undefined> })
    ._extensions['permessage-deflate'];
  if (!ext?.params?.server_no_context_takeover) return undefined;
  const bits = ext.params.server_max_window_bits;
  return { windowBits: typeof bits === 'number' ? bits : 15 };
}

/** One message deflated on its own, as RFC 7692 wants it on the wire. */
function deflateMessage(p: Buffer, windowBits: number): Buffer {
  const z = deflateRawSync(p, { finishFlush: constants.Z_SYNC_FLUSH, windowBits });
  return z.subarray(0, z.length - 4); // drop the 00 00 ff ff sync-flush tail
}

/** Frame header: FIN + binary (0x82), plus RSV1 (0xC2) for a compressed message. */
function header(n: number, first = 0x82): Buffer {
  if (n < 126) return Buffer.from([first, n]);
  if (n < 65536) return Buffer.from([first, 126, n >> 8, n & 255]);
  const h = Buffer.alloc(10);
  h[0] = first;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(n), 2);
  return h;
}

/** Insert the fixed-width stamp slot before the closing `}` / `}]`. */
function withSlot(p: Buffer): Buffer {
  const end = p[p.length - 1] === 0x5d ? p.length - 2 : p.length - 1;
  return Buffer.concat([p.subarray(0, end), STAMP, p.subarray(end)]);
}

async function floodOne(
  deps: FloodDeps,
  conn: Connection,
  ring: Buffer[],
  count: number,
  tradeIds: boolean,
): Promise<{ frames: number; bytes: number; raw: boolean }> {
  const stamp = deps.opts.stampSendTime;
  const patched = stamp || tradeIds;
  const independent = conn.deflate && !patched ? independentDeflate(conn) : undefined;
  const raw = !conn.deflate || independent !== undefined;
  const ids = tradeIds ? ring.map(withIdSlot) : undefined;
  let payloads = ids ? ids.map((x) => x.payload) : ring;
  if (stamp) payloads = payloads.map(withSlot);
  if (independent) payloads = payloads.map((p) => deflateMessage(p, independent.windowBits));
  const first = independent ? 0xc2 : 0x82;
  let frames = 0;
  let bytes = 0;
  try {
    if (!raw) {
      let lap = '';
      for (let i = 0; i < count && !conn.closed; i++) {
        let p = payloads[i % payloads.length];
        if (patched) p = Buffer.from(p); // ws may still hold the previous copy
        if (stamp) patchStamp(p);
        if (ids) {
          if (i % payloads.length === 0) lap = nextLap(ids[0].lapDigits);
          p.write(lap, ids[i % payloads.length].lapAt, 'latin1');
        }
        if (i % 128 === 127 || i === count - 1) await new Promise<void>((r) => conn.ws.send(p, { binary: true }, () => r()));
        else conn.ws.send(p, { binary: true });
        frames++;
        bytes += p.length;
      }
    } else {
      // One ring of raw frames, repeated to about BATCH_BYTES; ends[i] = byte offset after frame i.
      const one = Buffer.concat(payloads.flatMap((p) => [header(p.length, first), p]));
      const reps = Math.max(1, Math.floor(BATCH_BYTES / one.length));
      const big = Buffer.concat(Array.from({ length: reps }, () => one));
      const perBig = payloads.length * reps;
      const ends: number[] = [];
      const slots: number[] = [];
      const lapSlots: number[] = [];
      let at = 0;
      const slotIn = payloads.map((p) => (stamp ? p.lastIndexOf(STAMP) + STAMP.length - STAMP_DIGITS : 0));
      for (let r = 0; r < reps; r++) {
        payloads.forEach((p, i) => {
          at += header(p.length).length + p.length;
          ends.push(at);
          if (stamp) slots.push(at - p.length + slotIn[i]);
          if (ids) lapSlots.push(at - p.length + ids[i].lapAt);
        });
      }
      const sock = conn.socket;
      let remaining = count;
      while (remaining > 0 && !conn.closed && !sock.destroyed) {
        const n = Math.min(remaining, perBig);
        const buf = n === perBig ? big : big.subarray(0, ends[n - 1]);
        let flushed: Promise<void> | undefined;
        let ok: boolean;
        if (patched) {
          // The buffer is patched in place, so it is written only after its previous write flushed.
          if (stamp) {
            const ns = sendTimeNs().padStart(STAMP_DIGITS, '0');
            for (let k = 0; k < n; k++) buf.write(ns, slots[k], 'latin1');
          }
          if (ids) patchLaps(buf, lapSlots, n, payloads.length, ids[0].lapDigits);
          flushed = writeFlushed(sock, buf);
          ok = false;
        } else ok = sock.write(buf);
        remaining -= n;
        frames += n;
        bytes += buf.length;
        conn.touch();
        if (!ok) {
          deps.emitter.emit('flood', { connectionId: conn.id, phase: 'waiting', frames });
          await (flushed ?? waitDrain(sock));
        }
      }
      if (sock.writableLength > 0 && !sock.destroyed) await waitDrain(sock);
    }
  } finally {
    conn.framesSent += frames;
    conn.bytesSent += bytes;
    conn.touch();
    deps.emitter.emit('flood', { connectionId: conn.id, phase: 'done', frames });
  }
  return { frames, bytes, raw };
}

function patchStamp(p: Buffer): void {
  p.write(sendTimeNs().padStart(STAMP_DIGITS, '0'), p.lastIndexOf(STAMP) + STAMP.length - STAMP_DIGITS, 'latin1');
}

/** The next lap number of this process, `digits` wide. */
function nextLap(digits: number): string {
  const lap = String(laps++);
  if (lap.length > digits) throw new RangeError('flood: trade ids exhausted'); // 10^13 laps of 256
  return lap.padStart(digits, '0');
}

/**
 * Ring frame `place` with its `sequential_id` digits replaced by the fixed-width slot
 * `1` + lap (zeros until patched) + place; `lapAt` is the payload offset of the lap digits.
 */
function withIdSlot(p: Buffer, place: number, ring: readonly Buffer[]): { payload: Buffer; lapAt: number; lapDigits: number } {
  const placeDigits = String(ring.length - 1).length;
  const lapDigits = ID_DIGITS - 1 - placeDigits;
  if (lapDigits < 8) throw new RangeError('flood: ringSize too large for trade ids');
  let start = -1;
  for (const key of ID_KEYS) {
    const k = p.indexOf(key);
    if (k >= 0) {
      start = k + key.length;
      break;
    }
  }
  if (start < 0) throw new Error('flood: a trade frame without sequential_id');
  let end = start;
  while (end < p.length && p[end] >= 0x30 && p[end] <= 0x39) end++;
  const slot = Buffer.from(`1${'0'.repeat(lapDigits)}${String(place).padStart(placeDigits, '0')}`, 'latin1');
  return { payload: Buffer.concat([p.subarray(0, start), slot, p.subarray(end)]), lapAt: start + 1, lapDigits };
}

/**
 * Frames 0..n-1 of a batch of laps (lap k = frames k·per .. k·per+per-1): each lap gets the next lap
 * number, copied byte by byte (about 20 ns a frame; `buf.write` of the string costs 3 times that).
 */
function patchLaps(buf: Buffer, lapSlots: readonly number[], n: number, per: number, digits: number): void {
  for (let k = 0; k < n; k += per) {
    const lap = Buffer.from(nextLap(digits), 'latin1');
    for (let j = k; j < n && j < k + per; j++) {
      const at = lapSlots[j];
      for (let d = 0; d < digits; d++) buf[at + d] = lap[d];
    }
  }
}
