/** A delivery counter a bench callback hits; `until(n)` is awaited by the measuring side. */
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

  /** Resolve when the count (since the last reset) reaches `n`. */
  until(n: number, timeoutMs = 120_000): Promise<void> {
    if (this.n >= n) {
      this.last ||= performance.now();
      return Promise.resolve();
    }
    this.target = n;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.n} of ${n} deliveries within ${timeoutMs} ms`)), timeoutMs);
      this.done = () => {
        clearTimeout(timer);
        this.done = undefined;
        resolve();
      };
    });
  }
}
