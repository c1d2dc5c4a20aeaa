/**
 * A delivery counter a bench callback hits; `until(n)` is awaited by the measuring side.
 *
 * A hub subscription's sink may legitimately never hand some messages to the callback: under the
 * default `coalesce` policy, a callback that once looked slow (a preempted call on a loaded
 * machine is enough) sends later messages to the queue, where a newer one for the same code
 * replaces the waiting one. `until(n, timeoutMs, lost)` counts those too: `lost()` (messages
 * coalesced or dropped since the round began) is polled every few ms and lowers the target, so the round ends
 * at the last delivery (or at the poll, when the very last messages were the ones lost) instead
 * of waiting for deliveries that will never come.
 */
import { performance } from 'node:perf_hooks';

/** Counts deliveries since the last `reset()`, with the times of the first and of the n-th (awaited) one. */
export class Counter {
  n = 0;
  first = 0;
  last = 0;
  private target = Infinity;
  private done: (() => void) | undefined;

  /** Call from the callback. */
  hit(): void {
    const n = ++this.n;
    if (n === 1) this.first = performance.now();
    if (n >= this.target) {
      this.last = performance.now();
      this.target = Infinity;
      this.done?.();
    }
  }

  reset(): void {
    this.n = 0;
    this.first = this.last = 0;
  }

  /** Resolve when the count (since the last reset) reaches `n`, less what `lost()` says will never come. */
  until(n: number, timeoutMs = 120_000, lost?: () => number): Promise<void> {
    if (this.n >= n) {
      this.last ||= performance.now();
      return Promise.resolve();
    }
    this.target = n;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`only ${this.n} of ${n} deliveries within ${timeoutMs} ms`));
      }, timeoutMs);
      const poll = lost
        ? setInterval(() => {
            this.target = n - lost();
            if (this.n >= this.target && this.done) {
              this.last = performance.now();
              this.target = Infinity;
              this.done();
            }
          }, 5)
        : undefined;
      this.done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.done = undefined;
        resolve();
      };
    });
  }
}
