// NumPy's legacy global RNG (`np.random.seed(s)` → RandomState(MT19937)),
// ported bit-for-bit for the draws mmdetection's tools/misc/split_coco.py
// makes: `np.random.seed(fold)` then `np.random.choice(range(N), size=k)`,
// which with replace=True and no p is `randint(0, N, size=k)`
// (RUNNERS.md §4.1, METHODS.md §6).
//
// What NumPy does, step by step (numpy/random/_mt19937.pyx `_legacy_seeding`,
// src/mt19937/mt19937.c, src/distributions/distributions.c):
// - seed: an integer in [0, 2^32) fills the 624-word state with Knuth's
//   recurrence `s[i] = 1812433253 * (s[i-1] ^ (s[i-1] >>> 30)) + i`
//   (the reference `init_genrand`), position = 624 so the first draw twists;
// - a 32-bit draw is the reference `genrand_int32` (twist, then temper);
// - legacy `randint(low, high)` of int64 uses the *masked* rejection method:
//   rng = high - 1 - low; when rng < 2^32 - 1 it draws 32-bit words, masks
//   them with the smallest all-ones mask ≥ rng, and rejects values > rng.

const N = 624;
const M = 397;

export class NumpyLegacyRandom {
  private readonly mt = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      // NumPy raises "Seed must be between 0 and 2**32 - 1" for the same input.
      throw new RangeError(`NumPy seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.pos = N;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = ((mt[i] as number) & 0x80000000) | ((mt[(i + 1) % N] as number) & 0x7fffffff);
      let v = (mt[(i + M) % N] as number) ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.pos = 0;
  }

  /** genrand_int32: the next 32-bit word of the MT19937 stream. */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * `RandomState.randint(low, high, size=count)` for int64 output, ranges
   * below 2^32 (enough for any image count). Returns plain numbers.
   */
  randint(low: number, high: number, count: number): Float64Array {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new RangeError(`randint: need integers low < high, got ${low}, ${high}`);
    }
    const rng = high - 1 - low;
    if (rng >= 0xffffffff) throw new RangeError("randint: ranges of 2^32 or more are not ported");
    const out = new Float64Array(count);
    if (rng === 0) {
      out.fill(low);
      return out;
    }
    // Smallest bit mask ≥ rng (gen_mask in distributions.c).
    let mask = rng;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (let i = 0; i < count; i++) {
      let v: number;
      do {
        v = (this.nextUint32() & mask) >>> 0;
      } while (v > rng);
      out[i] = low + v;
    }
    return out;
  }

  /** `RandomState.choice(range(n), size=count)` with replace=True, p=None: identical to randint(0, n). */
  choiceWithReplacement(n: number, count: number): Float64Array {
    return this.randint(0, n, count);
  }
}
