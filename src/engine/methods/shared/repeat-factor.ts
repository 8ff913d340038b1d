// Repeat-factor sampling for long-tailed detection (Gupta et al., LVIS,
// CVPR 2019; detectron2's RepeatFactorTrainingSampler, used by RichSem with
// `use_rfs=True, rfs_repeat_sh=0.001`, METHODS.md §4a):
//   f_c = fraction of training images that contain class c,
//   r_c = max(1, sqrt(t / f_c)),
//   r_i = max over the classes c present in image i of r_c (1 for an image without boxes).
// Each epoch repeats image i ⌊r_i⌋ times plus once more with probability
// frac(r_i) (stochastic rounding), then shuffles. Written once here: any
// method (or baseline) on long-tailed data can sample with it.
//
// Stateless like train/sampling.ts: epoch e draws from a stream seeded by
// (seed, purpose, e), so the k-th batch depends only on (seed, k) and a
// resumed run continues exactly.

import { Rng } from "../../nn/rng.js";
import { hashSeed, permutation } from "../../train/sampling.js";

/** r_i for every image, from the class indices present in each (LVIS formula). */
export function repeatFactors(imageClasses: readonly (readonly number[])[], threshold: number): number[] {
  const n = imageClasses.length;
  const images = new Map<number, number>();
  for (const classes of imageClasses) {
    for (const c of new Set(classes)) images.set(c, (images.get(c) ?? 0) + 1);
  }
  const classFactor = new Map<number, number>();
  for (const [c, count] of images) classFactor.set(c, Math.max(1, Math.sqrt(threshold / (count / n))));
  return imageClasses.map((classes) => {
    let r = 1;
    for (const c of classes) r = Math.max(r, classFactor.get(c)!);
    return r;
  });
}

/** Image indices of one epoch: each i repeated ⌊r_i⌋ times, plus once with probability frac(r_i), shuffled. */
export function repeatFactorEpoch(factors: readonly number[], rng: Rng): number[] {
  const out: number[] = [];
  factors.forEach((r, i) => {
    const whole = Math.floor(r);
    const reps = whole + (rng.next() < r - whole ? 1 : 0);
    for (let k = 0; k < reps; k++) out.push(i);
  });
  const perm = permutation(out.length, rng);
  return perm.map((j) => out[j]!);
}

/** Batches that run across repeat-factor epochs (epoch lengths vary; they are kept as they are drawn). */
export class RepeatFactorSampler {
  private readonly epochs: number[][] = [];
  /** starts[e] = number of items in the epochs before e. */
  private readonly starts: number[] = [0];

  constructor(
    readonly factors: readonly number[],
    private readonly seed: number,
    private readonly purpose = "rfs",
  ) {
    if (factors.length === 0) throw new Error("repeat-factor sampling over an empty pool");
  }

  private epoch(e: number): number[] {
    while (this.epochs.length <= e) {
      const k = this.epochs.length;
      const items = repeatFactorEpoch(this.factors, new Rng(hashSeed(this.seed, this.purpose, k)));
      this.epochs.push(items);
      this.starts.push(this.starts[k]! + items.length);
    }
    return this.epochs[e]!;
  }

  /** Indices of the k-th batch (0-based) of `batchSize` items. */
  batch(k: number, batchSize: number): number[] {
    const out: number[] = [];
    let e = 0;
    for (let j = 0; j < batchSize; j++) {
      const pos = k * batchSize + j;
      for (;;) {
        const items = this.epoch(e);
        if (pos < this.starts[e]! + items.length) {
          out.push(items[pos - this.starts[e]!]!);
          break;
        }
        e++;
      }
    }
    return out;
  }
}
