/**
 * `hub.stop()` leaves nothing behind: a child process starts the mock and a hub, uses both
 * sockets, stops everything and must exit on its own (no `process.exit`). A leftover timer or
 * socket keeps Node's event loop alive and the child would be killed at the time bound instead.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/stop-exits.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('hub.stop()', () => {
  it('leaves no timers or sockets: the process exits on its own', () => {
    const bound = 15_000;
    const r = spawnSync(process.execPath, ['--import', 'tsx', fixture], { cwd: root, encoding: 'utf8', timeout: bound, killSignal: 'SIGKILL' });
    const report = `status=${r.status} signal=${r.signal} error=${r.error?.message}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    expect(r.error, report).toBeUndefined(); // ETIMEDOUT when it had to be killed
    expect(r.signal, report).toBeNull();
    expect(r.status, report).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tickers: number; orders: number; errors: string[]; told: string[]; status: { state: string; public: string; private: string } };
    expect(out.tickers).toBeGreaterThan(5);
    expect(out.orders).toBeGreaterThan(0);
    expect(out.errors).toEqual([]);
    // The ticker subscription heard the outage once, with its cause; the private one was not concerned.
    expect(out.told).toEqual(['UpbitConnectionError: the public connection is down (closed 1006); retrying (attempt 1)']);
    expect(out.status).toMatchObject({ state: 'stopped', public: 'stopped', private: 'stopped' });
  });
});
