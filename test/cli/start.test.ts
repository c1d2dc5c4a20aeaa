/**
 * The main job (`npm start` → `upbit-ws start`): against the embedded mock it prints live KRW
 * prices through the hub, and stops cleanly.
 */
import { describe, expect, it } from 'vitest';
import { runStart } from '../../src/cli/main.js';

describe('upbit-ws start', () => {
  it('prints live KRW prices from several components sharing one connection', async () => {
    const lines: string[] = [];
    const saved = process.env.UPBIT_URL;
    delete process.env.UPBIT_URL; // the embedded mock, never the network
    const { stop, hub } = await runStart(['--markets', 'KRW-BTC,KRW-ETH', '--rate', '20'], (l) => lines.push(l));
    try {
      const deadline = Date.now() + 10_000;
      while (!lines.some((l) => /KRW-BTC \d+/.test(l) && /KRW-ETH \d+/.test(l) && /book KRW-BTC \d+ \/ \d+/.test(l))) {
        if (Date.now() > deadline) throw new Error(`no price line within 10 s: ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(lines[0]).toMatch(/^mock Upbit exchange on ws:\/\/127\.0\.0\.1:\d+\/websocket\/v1/);
      expect(hub.status().components).toBe(3);
      expect(hub.status().metrics.requestsSent.public).toBeGreaterThanOrEqual(1);
    } finally {
      await stop();
      if (saved !== undefined) process.env.UPBIT_URL = saved;
    }
    expect(hub.status().components).toBe(0);
  });
});
