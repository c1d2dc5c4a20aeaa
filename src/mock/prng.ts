/**
 * A seeded, deterministic PRNG (mulberry32) and the random ids the mock hands out.
 * Same seed, same sequence: the market simulator, the account and the flood ring draw from it.
 */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) ^ 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** A version-4-shaped UUID drawn from this generator (deterministic, not secure). */
  uuid(): string {
    const h = (n: number) => {
      let s = '';
      for (let i = 0; i < n; i++) s += Math.floor(this.next() * 16).toString(16);
      return s;
    };
    return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[this.int(0, 3)]}${h(3)}-${h(12)}`;
  }
}
