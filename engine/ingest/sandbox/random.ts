/**
 * Seeded pseudo-random numbers: sfc32 (Small Fast Counting, from PractRand) seeded through
 * splitmix32 from the feed seed and a stream name, so each symbol draws from its own stream
 * and adding a symbol does not change the others' ticks.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(seed: number, stream: string) {
    let s = (Math.trunc(seed) ^ hashString(stream)) >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    // Mixing in the high bits of a seed beyond 32 bits keeps seeds like 2**32 + 1 distinct.
    this.d = (this.d ^ Math.trunc(seed / 4294967296)) >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  private open(): number {
    return (this.nextUint32() + 1) / 4294967296;
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.open()));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Exponential waiting time with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(this.open()) / rate;
  }

  /**
   * Student-t with 4 degrees of freedom scaled to unit variance: fat tails like real tick
   * returns. χ²(4) is −2·ln(U₁U₂); t₄ has variance 2, hence the 1/√2.
   */
  studentT4(): number {
    const chi2 = -2 * Math.log(this.open() * this.open());
    return (this.normal() / Math.sqrt(chi2 / 4)) * Math.SQRT1_2;
  }

  /** Index drawn with the given weights (they need not sum to 1). */
  pick(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}

/** FNV-1a, 32 bits. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
