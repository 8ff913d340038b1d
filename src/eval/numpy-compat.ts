// Summation exactly as NumPy does it, so that means of many values (e.g. the
// 80,800 precision values behind COCO's AP) agree with pycocotools to the last
// bit, not just to 1e-15.
//
// np.add.reduce over a contiguous float64 array walks it in chunks of the
// ufunc buffer size (8192 elements), adding each chunk's pairwise sum to the
// running total. The pairwise sum (numpy/core/src/umath/loops_utils.h.src)
// adds blocks of < 8 in order, blocks of ≤ 128 with 8 interleaved partial
// sums, and splits larger blocks in two at a multiple of 8. Verified against
// numpy 1.24 on random arrays of 0…500,000 elements.

const BUFSIZE = 8192;
const PW_BLOCKSIZE = 128;

function pairwise(a: ArrayLike<number>, lo: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[lo + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[lo]!;
    let r1 = a[lo + 1]!;
    let r2 = a[lo + 2]!;
    let r3 = a[lo + 3]!;
    let r4 = a[lo + 4]!;
    let r5 = a[lo + 5]!;
    let r6 = a[lo + 6]!;
    let r7 = a[lo + 7]!;
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = lo + i;
      r0 += a[p]!;
      r1 += a[p + 1]!;
      r2 += a[p + 2]!;
      r3 += a[p + 3]!;
      r4 += a[p + 4]!;
      r5 += a[p + 5]!;
      r6 += a[p + 6]!;
      r7 += a[p + 7]!;
    }
    // ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), as NumPy groups them.
    const left = r0 + r1 + (r2 + r3);
    const right = r4 + r5 + (r6 + r7);
    let res = left + right;
    for (; i < n; i++) res += a[lo + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, lo, n2) + pairwise(a, lo + n2, n - n2);
}

/** np.sum of a contiguous float64 array. */
export function npSum(a: ArrayLike<number>, length: number = a.length): number {
  let total = 0;
  for (let lo = 0; lo < length; lo += BUFSIZE) total += pairwise(a, lo, Math.min(BUFSIZE, length - lo));
  return total;
}

/** np.mean of a contiguous float64 array (NaN when empty, as NumPy). */
export function npMean(a: ArrayLike<number>, length: number = a.length): number {
  return npSum(a, length) / length;
}

/**
 * np.linspace(start, stop, num): start + i·step with step = (stop − start)/(num − 1),
 * and the last value set to stop. pycocotools builds its IoU and recall
 * thresholds this way, and AP50/AP75 look them up by exact equality.
 */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}

/** np.arange(start, stop, step) for float steps: start + i·delta, delta = (start + step) − start. */
export function arange(start: number, stop: number, step: number): number[] {
  const n = Math.ceil((stop - start) / step);
  const delta = start + step - start;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(start + i * delta);
  return out;
}
