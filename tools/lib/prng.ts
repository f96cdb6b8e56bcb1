/**
 * A seeded PRNG (mulberry32) built on 32-bit integer math only, so the same seed gives the same stream on
 * every machine and Node version: generated weights and data orders are reproducible byte for byte.
 */

/** A stream of uniform numbers in [0, 1) from a 32-bit seed. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next uniform in [0, 1), with 32 bits of randomness. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles in place (Fisher-Yates). */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /**
   * Fills an array with uniform values in [-limit, limit]. Uniform rather than Gaussian on purpose: no
   * Math.log/Math.cos, whose last bits are not guaranteed identical across engines.
   */
  fillUniform(out: Float32Array, limit: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = (this.next() * 2 - 1) * limit;
    return out;
  }
}
