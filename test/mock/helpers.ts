/**
 * Test helpers for the mock exchange: a raw `ws` client that records every frame and lets a test
 * await frames in order, a JWT signer, and a mock starter that closes itself after the test.
 * Nothing here goes through the client library.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { onTestFinished } from 'vitest';
import WebSocket, { type ClientOptions } from 'ws';
import { startMockUpbit } from '../../src/mock/index.js';
import type { MockOptions, MockUpbit } from '../../src/mock/index.js';

export const T0 = Date.UTC(2025, 5, 15, 12, 0, 0);

/**
 * A manual-mode mock with a fixed start time, closed when the test ends. Rate limits are raised
 * so behaviour tests can talk freely; limits.test.ts tests the real ones.
 */
export async function mock(options: MockOptions = {}): Promise<MockUpbit> {
  const limits = { connectsPerSecond: 1000, messagesPerSecond: 1000, messagesPerMinute: 10_000 };
  const m = await startMockUpbit({ manual: true, seed: 42, startTime: T0, limits, ...options });
  onTestFinished(() => m.close());
  return m;
}

export interface Frame {
  readonly data: Buffer;
  readonly binary: boolean;
  readonly text: string;
  /** JSON.parse of the text (throws for malformed frames). */
  json(): any;
}

export class Client {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  unexpected: { status: number; body: string } | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary) => {
      const text = data.toString('utf8');
      this.frames.push({ data, binary, text, json: () => JSON.parse(text) });
      this.wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => (resolve({ code, reason: reason.toString() }), this.wake())));
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        this.unexpected = { status: res.statusCode ?? 0, body };
        req.destroy();
        ws.emit('error', new Error(`HTTP ${res.statusCode}`));
        this.wake();
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private changed(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next frame not yet returned; rejects if the socket closes first. */
  async next(): Promise<Frame> {
    while (this.cursor >= this.frames.length) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting for a frame');
      await this.changed();
    }
    return this.frames[this.cursor++];
  }

  /** Skip frames until one satisfies `pred` (parsed JSON), and return its JSON. */
  async until(pred: (j: any) => boolean): Promise<any> {
    for (;;) {
      const f = await this.next();
      let j: unknown;
      try {
        j = f.json();
      } catch {
        continue;
      }
      if (pred(j)) return j;
    }
  }

  /** The next `n` frames, parsed. */
  async take(n: number): Promise<any[]> {
    const out: any[] = [];
    for (let i = 0; i < n; i++) out.push((await this.next()).json());
    return out;
  }

  /** Wait until `n` frames in total have arrived (without moving the cursor). */
  async count(n: number): Promise<void> {
    while (this.frames.length < n) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed after ${this.frames.length} of ${n} frames`);
      await this.changed();
    }
  }

  /** Await the HTTP response of a refused handshake. */
  async refused(): Promise<{ status: number; body: string }> {
    while (!this.unexpected) await this.changed();
    return this.unexpected;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** Open a raw client; resolves once open (rejects on a refused handshake unless `allowRefusal`). */
export async function connect(url: string, options: ClientOptions = {}, allowRefusal = false): Promise<Client> {
  const c = new Client(new WebSocket(url, { perMessageDeflate: false, ...options }));
  onTestFinished(() => {
    c.ws.terminate();
  });
  if (allowRefusal) c.opened.catch(() => {});
  else await c.opened;
  return c;
}

export const ticket = () => ({ ticket: randomUUID() });

export async function jwt(
  accessKey: string,
  secretKey: string,
  opts: { alg?: string; nonce?: string; claims?: Record<string, unknown> } = {},
): Promise<string> {
  return new SignJWT({ access_key: accessKey, nonce: opts.nonce ?? randomUUID(), ...opts.claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secretKey));
}

/** Connect to the private endpoint with the mock's first key. */
export async function connectPrivate(m: MockUpbit, alg = 'HS512'): Promise<Client> {
  const k = m.keys[0];
  const token = await jwt(k.accessKey, k.secretKey, { alg });
  return connect(m.privateUrl, { headers: { Authorization: `Bearer ${token}` } });
}

/** Send a request and wait until the mock has processed it (its answer frames are then on the way). */
export async function request(m: MockUpbit, c: Client, message: unknown): Promise<void> {
  const seen = m.next('request');
  c.send(message);
  await seen;
}
