// Stateless sampling: what a step draws depends only on (seed, iteration,
// purpose), so a resumed run continues exactly where it stopped without
// checkpointing sampler state.

import { Rng } from "../nn/rng.js";

/** A 32-bit hash of integers and strings (FNV-1a over their decimal text). */
export function hashSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const text = `${p}|`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/** A random stream for one purpose at one iteration of a run. */
export function stepRng(seed: number, iter: number, purpose: string): Rng {
  return new Rng(hashSeed(seed, iter, purpose));
}

/** Fisher–Yates permutation of 0..n−1 from `rng`. */
export function permutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/**
 * Indices of batch `iter` when a pool of n items is visited in epochs, each a
 * fresh seeded permutation, `batchSize` items per step (batches run across
 * epoch boundaries).
 */
export function epochBatch(
  n: number,
  batchSize: number,
  iter: number,
  seed: number,
  purpose = "data",
): number[] {
  return epochSlice(n, iter * batchSize, batchSize, seed, purpose);
}

/**
 * The items at positions start … start+count−1 of the endless sequence of
 * seeded epoch permutations of a pool of n items: epochBatch for streams whose
 * batch size changes during a run (a semi-supervised batch composer's labelled
 * stream takes the whole batch during a supervised warm-up, part of it after).
 */
export function epochSlice(
  n: number,
  start: number,
  count: number,
  seed: number,
  purpose = "data",
): number[] {
  if (n <= 0) throw new Error(`cannot sample a batch from an empty pool (${purpose})`);
  const out: number[] = [];
  let cachedEpoch = -1;
  let perm: number[] = [];
  for (let k = 0; k < count; k++) {
    const pos = start + k;
    const epoch = Math.floor(pos / n);
    if (epoch !== cachedEpoch) {
      perm = permutation(n, new Rng(hashSeed(seed, purpose, epoch)));
      cachedEpoch = epoch;
    }
    out.push(perm[pos % n]!);
  }
  return out;
}
