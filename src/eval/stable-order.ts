// Orderings shared by the evaluators.
//
// Every reference tool ranks detections by score with a *stable* sort, so equal
// scores keep their input order: pycocotools and lvis-api use
// np.argsort(-scores, kind="mergesort"), the MATLAB VOC devkit uses sort()
// (stable). Here the same order comes from an LSD radix sort on the bits of the
// float64 score (stable by construction, O(n)), insertion sort for short runs,
// and grouping is a stable counting sort.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Index of the high 32 bits of a float64 inside two uint32 words.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

const SMALL = 64;
const RADIX = 2048;
const MASK = RADIX - 1;

/**
 * Positions 0…n-1 ordered by score, highest first; equal scores keep their
 * position order. Scores must not be NaN; -0 must already be folded into +0.
 */
export function descendingScoreOrder(scores: Float64Array, n: number = scores.length): Uint32Array {
  if (n <= SMALL) return insertionOrder(scores, n);
  // A 64-bit key whose unsigned ascending order is the descending score order:
  // positive scores: all bits but the sign flipped; negative scores: bits as they are.
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    f64[0] = scores[i]!;
    const h = u32[HI]!;
    const l = u32[LO]!;
    if (h >>> 31) {
      hi[i] = h;
      lo[i] = l;
    } else {
      hi[i] = (h ^ 0x7fffffff) >>> 0;
      lo[i] = ~l >>> 0;
    }
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let spare = new Uint32Array(n);
  // Six passes of 11-bit digits (2,048 buckets: the counts stay in L1 cache).
  const count = new Uint32Array(RADIX);
  const digit = (i: number, pass: number): number => {
    switch (pass) {
      case 0:
        return lo[i]! & MASK;
      case 1:
        return (lo[i]! >>> 11) & MASK;
      case 2:
        return ((lo[i]! >>> 22) | (hi[i]! << 10)) & MASK;
      case 3:
        return (hi[i]! >>> 1) & MASK;
      case 4:
        return (hi[i]! >>> 12) & MASK;
      default:
        return hi[i]! >>> 23;
    }
  };
  for (let pass = 0; pass < 6; pass++) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[digit(i, pass)]!++;
    // A digit shared by every key leaves the order as it is.
    if (count[digit(0, pass)] === n) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const p = order[i]!;
      spare[count[digit(p, pass)]!++] = p;
    }
    const t = order;
    order = spare;
    spare = t;
  }
  return order;
}

export function insertionOrder(scores: Float64Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    let j = i;
    while (j > 0 && scores[order[j - 1]!]! < s) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  return order;
}

/**
 * Stable counting sort of `order` by `key[order[i]]` (keys in 0…numKeys-1; rows
 * with a negative key are dropped). Returns the new order and, for each key k,
 * its rows at positions offsets[k] … offsets[k+1]-1.
 */
export function groupBy(
  order: Uint32Array,
  key: Int32Array,
  numKeys: number,
): { order: Uint32Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(numKeys + 1);
  let kept = 0;
  for (let i = 0; i < order.length; i++) {
    const k = key[order[i]!]!;
    if (k >= 0) {
      offsets[k + 1]!++;
      kept++;
    }
  }
  for (let k = 0; k < numKeys; k++) offsets[k + 1]! += offsets[k]!;
  const next = offsets.slice(0, numKeys);
  const out = new Uint32Array(kept);
  for (let i = 0; i < order.length; i++) {
    const p = order[i]!;
    const k = key[p]!;
    if (k >= 0) out[next[k]!++] = p;
  }
  return { order: out, offsets };
}

/** 0, 1, …, n-1. */
export function identityOrder(n: number): Uint32Array {
  const o = new Uint32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}

/**
 * Sorts rows[from … to-1] in place by key[row], highest first, keeping the
 * current order of equal keys: insertion sort for the short runs of one image
 * and category, radix sort for long ones.
 */
export function sortRunDescending(rows: Uint32Array, from: number, to: number, key: Float64Array): void {
  const n = to - from;
  if (n > SMALL) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = key[rows[from + i]!]!;
    const order = descendingScoreOrder(keys, n);
    const run = rows.slice(from, to);
    for (let i = 0; i < n; i++) rows[from + i] = run[order[i]!]!;
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const r = rows[i]!;
    const s = key[r]!;
    let j = i;
    while (j > from && key[rows[j - 1]!]! < s) {
      rows[j] = rows[j - 1]!;
      j--;
    }
    rows[j] = r;
  }
}
