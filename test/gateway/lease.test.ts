/**
 * LeaderLease on its own, with a fake KV bucket and fake timers: it takes a free key, renews it,
 * gives up `holdMs` after its last successful renewal was sent when renewals hang (a partition),
 * gives up at once when the key was taken over, and frees the key on stop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KV } from '@nats-io/kv';
import { LeaderLease } from '../../src/gateway/lease.js';

class FakeKv {
  rev = 0;
  holder: string | undefined;
  /** Renewals never answer (the leader is cut off). */
  partitioned = false;
  deleted: number[] = [];
  async create(_k: string, v: string): Promise<number> {
    if (this.holder !== undefined) throw new Error('wrong last sequence: 1');
    this.holder = v;
    return ++this.rev;
  }
  update(_k: string, v: string, rev: number): Promise<number> {
    if (this.partitioned) return new Promise(() => {});
    if (rev !== this.rev || this.holder !== v) return Promise.reject(new Error(`wrong last sequence: ${this.rev}`));
    return Promise.resolve(++this.rev);
  }
  async delete(_k: string, opts: { previousSeq: number }): Promise<void> {
    this.deleted.push(opts.previousSeq);
    this.holder = undefined;
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('LeaderLease', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  const start = (kv: FakeKv, log: string[]) => {
    const lease = new LeaderLease(kv as unknown as KV, 'me', { onAcquire: (t) => void log.push(`acquire ${t}`), onLose: (r) => void log.push(`lose ${r}`) }, { ttlMs: 1000 });
    lease.start();
    return lease;
  };

  it('takes a free key and keeps renewing it', async () => {
    const kv = new FakeKv();
    const log: string[] = [];
    const lease = start(kv, log);
    await flush();
    expect(log).toEqual(['acquire 1']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(lease.isLeader).toBe(true);
    expect(kv.rev).toBeGreaterThan(5);
    await lease.stop();
  });

  it('a cut-off leader gives up holdMs after its last successful renewal, before the TTL', async () => {
    const kv = new FakeKv();
    const log: string[] = [];
    const lease = start(kv, log);
    await vi.advanceTimersByTimeAsync(450); // renewals at 200 and 400 ms succeeded
    kv.partitioned = true;
    const lastSent = 400;
    await vi.advanceTimersByTimeAsync(lastSent + lease.holdMs - 450 - 1);
    expect(log).toEqual(['acquire 1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['acquire 1', 'lose lease not renewed in time']);
    expect(lastSent + lease.holdMs).toBeLessThan(lastSent + lease.ttlMs);
    await lease.stop();
  });

  it('gives up at once when another gateway holds the key', async () => {
    const kv = new FakeKv();
    const log: string[] = [];
    const lease = start(kv, log);
    await flush();
    kv.holder = 'other';
    await vi.advanceTimersByTimeAsync(lease.renewMs);
    expect(log.at(-1)).toMatch(/^lose lease taken over/);
    expect(lease.isLeader).toBe(false);
    await lease.stop();
  });

  it('stop() closes first, then deletes the key at its revision', async () => {
    const kv = new FakeKv();
    const log: string[] = [];
    const lease = start(kv, log);
    await flush();
    await lease.stop();
    expect(log).toEqual(['acquire 1', 'lose stopped']);
    expect(kv.deleted).toEqual([1]);
  });

  it('refuses timings where the leader could outlive its key', () => {
    expect(() => new LeaderLease({} as KV, 'x', { onAcquire() {}, onLose() {} }, { ttlMs: 1000, holdMs: 1000 })).toThrow(RangeError);
  });
});
