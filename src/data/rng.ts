import * as crypto from "node:crypto";

// labelsweep's native sampling RNG: xoshiro128** seeded from sha256 of a list
// of named parts (e.g. ["budget", fold, imageId]). Deriving one stream per
// image from its id, rather than one stream walked in file order, makes every
// per-image decision independent of the order of the file and of which other
// images are present, and lets anyone recompute it (sha256 + xoshiro128** are
// both published algorithms). METHODS.md §6 recommends a small deterministic
// PRNG for the runner's own mode; NumPy compatibility lives in mt19937.ts.

/** sha256 of the parts joined with U+001F (a separator no id contains), as 32 bytes. */
export function digestParts(parts: readonly (string | number)[]): Buffer {
  const text = parts.map(String).join("\u001f");
  // crypto.hash (Node ≥ 20.12) is the same sha256 without a Hash object per call: ~3× faster for 118k ids.
  return oneShot ? oneShot("sha256", text, "buffer") : crypto.createHash("sha256").update(text).digest();
}

const oneShot = (crypto as { hash?: (alg: string, data: string, enc: "buffer") => Buffer }).hash;

/**
 * A rank in [0, 2^53) from sha256(parts): the first 53 bits, big-endian.
 * Sorting by it gives a seeded permutation whose prefixes nest by construction.
 */
export function rankOf(parts: readonly (string | number)[]): number {
  const d = digestParts(parts);
  return d.readUInt32BE(0) * 2 ** 21 + (d.readUInt32BE(4) >>> 11);
}

/** MurmurHash3 x86_32 (Appleby, public domain) of bytes[0..length) with a 32-bit seed. */
export function murmur3(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One RNG stream per image id under a fixed key, cheaply: the key is
 * sha256(parts) once; the stream of `id` is xoshiro128** with state word k =
 * murmur3_x86_32(utf8(id), seed = little-endian word k of the key). 118k
 * sha256 calls per protocol cost more than the protocol itself; this keeps
 * per-image independence (a result for one image does not depend on the
 * others) at a fraction of the price, and stays reproducible anywhere mmh3
 * and sha256 exist.
 */
export class StreamKey {
  private readonly seeds: number[];
  private scratch = Buffer.alloc(256);

  constructor(parts: readonly (string | number)[]) {
    const d = digestParts(parts);
    this.seeds = [d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12)];
  }

  stream(id: string): Xoshiro128 {
    if (Buffer.byteLength(id) > this.scratch.length) this.scratch = Buffer.alloc(2 * Buffer.byteLength(id));
    const n = this.scratch.write(id, "utf8");
    const [a, b, c, d] = this.seeds as [number, number, number, number];
    return new Xoshiro128(
      murmur3(this.scratch, n, a),
      murmur3(this.scratch, n, b),
      murmur3(this.scratch, n, c),
      murmur3(this.scratch, n, d),
    );
  }
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
