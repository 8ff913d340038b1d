import { createHash } from "node:crypto";

// labelsweep's native sampling RNG: xoshiro128** seeded from sha256 of a list
// of named parts (e.g. ["budget", fold, imageId]). Deriving one stream per
// image from its id, rather than one stream walked in file order, makes every
// per-image decision independent of the order of the file and of which other
// images are present, and lets anyone recompute it (sha256 + xoshiro128** are
// both published algorithms). METHODS.md §6 recommends a small deterministic
// PRNG for the runner's own mode; NumPy compatibility lives in mt19937.ts.

/** sha256 of the parts joined with U+001F (a separator no id contains), as 32 bytes. */
export function digestParts(parts: readonly (string | number)[]): Buffer {
  return createHash("sha256").update(parts.map(String).join("\u001f")).digest();
}

/**
 * A rank in [0, 2^53) from sha256(parts): the first 53 bits, big-endian.
 * Sorting by it gives a seeded permutation whose prefixes nest by construction.
 */
export function rankOf(parts: readonly (string | number)[]): number {
  const d = digestParts(parts);
  return d.readUInt32BE(0) * 2 ** 21 + (d.readUInt32BE(4) >>> 11);
}

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    // The all-zero state is the one fixed point of xoshiro; sha256 never gives it in practice.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9;
  }

  static fromParts(parts: readonly (string | number)[]): Xoshiro128 {
    const d = digestParts(parts);
    return new Xoshiro128(d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12));
  }

  /** The next 32-bit unsigned integer (xoshiro128**, Blackman & Vigna 2018). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** A float in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n), unbiased: reject the top partial block of 2^32, then reduce mod n. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`nextInt: bad bound ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Fisher–Yates shuffle of the array in place (walking from the end). */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
