/**
 * A "third-party client" written here from the protocol alone, in the style of pyupbit / ccxt:
 * raw `ws`, JSON.parse of binary frames, a jsonwebtoken-style HS256 token (signed with jose),
 * snake_case requests. If it works against the mock after changing only its URLs, the mock is
 * faithful enough for existing Upbit clients. Nothing from src/ is used but startMockUpbit.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startMockUpbit } from '../../src/mock/index.js';

class MiniUpbitWebSocket {
  private readonly ws: WebSocket;
  readonly messages: any[] = [];
  private listeners: (() => void)[] = [];
  readonly ready: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: true });
    this.ws.on('message', (data: Buffer) => {
      // Upbit sends UTF-8 JSON in binary frames (pyupbit: recv().decode('utf8'); ccxt: a Buffer)
      this.messages.push(JSON.parse(data.toString('utf8')));
      for (const f of this.listeners.splice(0)) f();
    });
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Like pyupbit's WebSocketManager with keys: a jsonwebtoken-style HS256 token on the upgrade. */
  static async withKeys(url: string, accessKey: string, secretKey: string): Promise<MiniUpbitWebSocket> {
    // jwt.sign({ access_key, nonce }, secret): HS256 by default, the secret as a plain string
    const token = await new SignJWT({ access_key: accessKey, nonce: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(secretKey));
    return new MiniUpbitWebSocket(url, { Authorization: `Bearer ${token}` });
  }

  subscribe(types: object[]): void {
    this.ws.send(JSON.stringify([{ ticket: randomUUID() }, ...types, { format: 'DEFAULT' }]));
  }

  async waitFor(pred: (msgs: any[]) => boolean): Promise<void> {
    while (!pred(this.messages)) await new Promise<void>((r) => this.listeners.push(r));
  }

  close(): void {
    this.ws.close();
  }
}

describe('a third-party Upbit client works against the mock', () => {
  it('public: ticker, trade and orderbook for two markets over one socket', async () => {
    const mock = await startMockUpbit({ rate: 50, seed: 3 });
    try {
      const client = new MiniUpbitWebSocket(mock.url);
      await client.ready;
      client.subscribe([
        { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
        { type: 'trade', codes: ['KRW-BTC', 'KRW-ETH'] },
        { type: 'orderbook', codes: ['KRW-BTC', 'KRW-ETH'], isOnlyRealtime: true },
      ]);
      const want = ['ticker', 'trade', 'orderbook'].flatMap((t) => ['KRW-BTC', 'KRW-ETH'].map((c) => `${t}/${c}`));
      await client.waitFor((msgs) => want.every((w) => msgs.some((m) => `${m.type}/${m.code}` === w && m.stream_type === 'REALTIME')));
      const firstBook = client.messages.find((m) => m.type === 'orderbook');
      expect(firstBook.stream_type).toBe('REALTIME');
      expect(firstBook.orderbook_units).toHaveLength(30);
      const ticker = client.messages.find((m) => m.type === 'ticker' && m.code === 'KRW-BTC');
      expect(ticker.stream_type).toBe('SNAPSHOT');
      expect(typeof ticker.trade_price).toBe('number');
      client.close();
    } finally {
      await mock.close();
    }
  });

  it('private: myOrder and myAsset with the mock keys (HS256)', async () => {
    const mock = await startMockUpbit({ manual: true });
    try {
      const { accessKey, secretKey } = mock.keys[0];
      const client = await MiniUpbitWebSocket.withKeys(mock.privateUrl, accessKey, secretKey);
      await client.ready;
      const processed = mock.next('request');
      client.subscribe([{ type: 'myOrder', codes: ['KRW-BTC'] }, { type: 'myAsset' }]);
      await processed;
      mock.placeOrder({ code: 'KRW-BTC', side: 'bid', ordType: 'limit', price: '130000000', volume: '0.002', fills: 1 });
      await client.waitFor((msgs) => msgs.some((m) => m.type === 'myOrder' && m.state === 'done'));
      const states = client.messages.filter((m) => m.type === 'myOrder').map((m) => m.state);
      expect(states).toEqual(['wait', 'trade', 'done']);
      const assets = client.messages.filter((m) => m.type === 'myAsset');
      expect(assets.length).toBeGreaterThan(0);
      expect(assets.at(-1).assets.find((a: { currency: string }) => a.currency === 'BTC').balance).toBe(1.002);
      client.close();
    } finally {
      await mock.close();
    }
  });
});
