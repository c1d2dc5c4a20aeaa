/**
 * The transport tells its receiver whether a frame's bytes are its own (`owned`): with `ws` itself
 * they are (every message gets bytes nothing writes again), so the hub's socket lets its messages
 * read them in place (decode.ts `decodeOwnedInto`); an injected WebSocket class might reuse its
 * buffers, so its frames are decoded from a copy. A real `ws` server on 127.0.0.1, port 0.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { openTransport } from '../../src/io/transport.js';

let server: WebSocketServer;
let url: string;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => socket.send(Buffer.from('{"status":"UP"}'), { binary: true }));
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The first frame's text and `owned` flag. */
function firstFrame(Impl?: typeof WebSocket): Promise<{ text: string; owned: boolean }> {
  return new Promise((resolve, reject) => {
    const t = openTransport(url, { WebSocket: Impl, perMessageDeflate: false }, {
      onOpen: () => undefined,
      onFrame: (data, _binary, owned) => {
        resolve({ text: data.toString(), owned });
        t.close();
      },
      onPong: () => undefined,
      onClose: () => undefined,
      onError: reject,
    });
  });
}

describe('transport: whose bytes a frame is', () => {
  it('ws itself: owned (the hub decodes it in place)', async () => {
    expect(await firstFrame()).toEqual({ text: '{"status":"UP"}', owned: true });
  });

  it('an injected WebSocket class: not owned (it might reuse its buffers)', async () => {
    class Injected extends WebSocket {}
    expect(await firstFrame(Injected)).toEqual({ text: '{"status":"UP"}', owned: false });
  });
});
