// MT19937 as NumPy's legacy RandomState and CPython's `random` module use it,
// ported bit for bit for the seeded draws of the reference split generators:
//  - mmdetection tools/misc/split_coco.py: np.random.seed(fold);
//    np.random.choice(range(N), size=k) (= randint(0, N), RUNNERS.md §4.1);
//  - Cole et al. generate_observed_labels.py / datasets.py: RandomState(1200)
//    .shuffle and .permutation (METHODS.md §5b, §6);
//  - Scob data/{voc,coco}.py: random.seed(114514); random.choice (§5b);
//  - AL-SSL loaders.py: random.seed(314); random.shuffle(range(N)) (§1b).
// NumPy and CPython share the generator (genrand_int32: twist, then temper)
// and differ in seeding and in how they turn words into bounded integers.
//
// NumPy (numpy/random/_mt19937.pyx `_legacy_seeding`, mtrand.pyx,
// src/distributions/distributions.c):
// - seed: an integer in [0, 2^32) fills the state with Knuth's recurrence
//   (the reference `init_genrand`), position 624 so the first draw twists;
// - randint(low, high) and shuffle use the *masked* rejection method
//   (gen_mask / random_interval): draw 32-bit words, mask with the smallest
//   all-ones mask ≥ the range, reject values above it;
// - shuffle(x) of a 1-d array: for i = n−1 … 1, j = random_interval(i), swap;
//   permutation(n) shuffles arange(n).
// CPython (Modules/_randommodule.c, Lib/random.py):
// - seed(int a): the reference `init_by_array` over |a| split into 32-bit
//   words, least significant first ([0] for 0);
// - getrandbits(k ≤ 32) = genrand_int32 >> (32 − k);
// - _randbelow(n): k = n.bit_length(), draw getrandbits(k) until < n (so even
//   n = 1 consumes a word);
// - choice(seq) = seq[_randbelow(len(seq))]; shuffle(x): for i = n−1 … 1,
//   j = _randbelow(i + 1), swap.

const N = 624;
const M = 397;

/** The shared generator: state, twist and tempering of the reference mt19937ar.c. */
class Mt19937 {
  protected readonly mt = new Uint32Array(N);
  protected pos = N;

  /** init_genrand(s): Knuth's recurrence. */
  protected initGenrand(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.pos = N;
  }

  /** init_by_array(key): the reference seeding from a list of 32-bit words. */
  protected initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] as number;
      mt[i] = (((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + (key[j] as number) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] as number;
      mt[i] = (((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
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
}

/** Smallest all-ones bit mask ≥ v (gen_mask in distributions.c), v < 2^32. */
function mask32(v: number): number {
  let m = v;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}

/** NumPy's legacy global RNG / RandomState(seed). */
export class NumpyLegacyRandom extends Mt19937 {
  constructor(seed: number) {
    super();
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      // NumPy raises "Seed must be between 0 and 2**32 - 1" for the same input.
      throw new RangeError(`NumPy seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    this.initGenrand(seed);
  }

  /** random_interval(max): uniform in [0, max] by masked rejection (max < 2^32). */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    const mask = mask32(max);
    let v: number;
    do {
      v = (this.nextUint32() & mask) >>> 0;
    } while (v > max);
    return v;
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
    for (let i = 0; i < count; i++) out[i] = low + this.randomInterval(rng);
    return out;
  }

  /** `RandomState.choice(range(n), size=count)` with replace=True, p=None: identical to randint(0, n). */
  choiceWithReplacement(n: number, count: number): Float64Array {
    return this.randint(0, n, count);
  }

  /** `RandomState.shuffle(x)` of a non-empty 1-d array, in place. */
  shuffle<T>(x: T[] | Int32Array): void {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
  }

  /** `RandomState.permutation(n)`: arange(n) shuffled. */
  permutation(n: number): Int32Array {
    const out = Int32Array.from({ length: n }, (_, i) => i);
    this.shuffle(out);
    return out;
  }
}

/** CPython's `random` module after random.seed(a) with an integer a. */
export class PythonRandom extends Mt19937 {
  constructor(seed: number) {
    super();
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Python seed: expected an integer, got ${seed}`);
    // |a| as 32-bit words, least significant first; 0 gives [0].
    let n = Math.abs(seed);
    const key: number[] = [];
    do {
      key.push(n % 2 ** 32);
      n = Math.floor(n / 2 ** 32);
    } while (n > 0);
    this.initByArray(key);
  }

  /** random.getrandbits(k) for 1 ≤ k ≤ 32. */
  getrandbits(k: number): number {
    if (!(k >= 1 && k <= 32)) throw new RangeError(`getrandbits: k must be in [1, 32], got ${k}`);
    return this.nextUint32() >>> (32 - k);
  }

  /** Random._randbelow_with_getrandbits(n): uniform in [0, n), n ≥ 1. */
  randbelow(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 0xffffffff)) {
      throw new RangeError(`randbelow: n must be an integer in [1, 2^32), got ${n}`);
    }
    const k = 32 - Math.clz32(n); // n.bit_length()
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** random.choice(seq). */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new RangeError("Cannot choose from an empty sequence");
    return seq[this.randbelow(seq.length)] as T;
  }

  /** random.shuffle(x), in place. */
  shuffle<T>(x: T[] | Int32Array): void {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
  }
}
