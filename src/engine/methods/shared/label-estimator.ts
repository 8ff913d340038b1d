// The per-image label estimator g of ROLE (Cole et al., CVPR 2021) and Scob
// (METHODS.md §5a, iCVTEAM/Scob models/__init__.py LabelEstimator), written
// once for both: a learnable N × C logit matrix, one row per labelled image,
// trained jointly with the network; g(idx) = sigmoid(logits[idx]).
//
// It is a trainable parameter of the run's ParamStore ("estimator.logits"),
// added by the hook's setup so a checkpoint restores it, and optimised at its
// own learning rate through a parameter group (Scob: lr_es 1e-2 beside the
// classifier's 1e-3; Cole et al.: 10 × the network's rate).

import type { Tensor2D } from "@tensorflow/tfjs-core";
import type { ParamStore } from "../../nn/params.js";
import type { Rng } from "../../nn/rng.js";
import type { ObservedLabels } from "../../samples.js";
import { tf } from "../../tf.js";
import type { TrainHook } from "../../train/loop.js";

export const ESTIMATOR_PARAM = "estimator.logits";
/** Parameter-group prefix of the estimator. */
export const ESTIMATOR_PREFIX = "estimator.";

/** Scob's inverse_sigmoid: the logit, with x clipped to [1e-5, 1 − 1e-5]. */
export function logit(x: number): number {
  const eps = 1e-5;
  const c = Math.max(Math.min(x, 1 - eps), eps);
  return Math.log(c / (1 - c));
}

/**
 * Initial logits (Scob's LabelEstimator): uniform in [logit(0.2), logit(0.8)]
 * for unobserved labels, logit(0.995) for observed positives, logit(0.005)
 * for observed negatives (none in the single-positive setting). Drawn row by
 * row, class by class, from `rng`. (Cole et al.'s own init is uniform in
 * ±logit(0.6); Scob's is the one METHODS.md §5a describes.)
 */
export function initialLogits(observed: ObservedLabels, rng: Rng): Float32Array {
  const lo = logit(0.2);
  const hi = logit(0.8);
  const pos = logit(0.995);
  const neg = logit(0.005);
  const out = new Float32Array(observed.labels.length);
  for (let i = 0; i < out.length; i++) {
    const u = rng.uniform(lo, hi);
    const y = observed.labels[i];
    out[i] = y === 1 ? pos : y === -1 ? neg : u;
  }
  return out;
}

/**
 * The label-correlation matrix (Scob's calculate_correlation):
 * corr[i][j] = mean_n(ŷ_ni·ŷ_nj) / mean_n(ŷ_ni), diagonal exactly 1, from the
 * estimated labels ŷ (N × C, row-major). Row-major C × C.
 */
export function labelCorrelation(probs: Float32Array, numClasses: number): Float32Array {
  const k = numClasses;
  const n = probs.length / k;
  const out = new Float32Array(k * k);
  for (let i = 0; i < k; i++) {
    let mi = 0;
    for (let r = 0; r < n; r++) mi += probs[r * k + i]!;
    for (let j = 0; j < k; j++) {
      if (i === j) {
        out[i * k + j] = 1;
        continue;
      }
      let mij = 0;
      for (let r = 0; r < n; r++) mij += probs[r * k + i]! * probs[r * k + j]!;
      out[i * k + j] = mij / n / (mi / n);
    }
  }
  return out;
}

export class LabelEstimator {
  private params: ParamStore | null = null;

  constructor(
    private readonly observed: ObservedLabels,
    private readonly rng: Rng,
  ) {}

  get numImages(): number {
    return this.observed.labels.length / this.observed.numClasses;
  }

  /** The loop hook whose setup adds the estimator to the run's parameters (before a checkpoint restores them). */
  hook<B>(): TrainHook<B> {
    return {
      name: "label-estimator",
      setup: (ctx) => {
        this.params = ctx.params;
        ctx.params.fixed(
          ESTIMATOR_PARAM,
          [this.numImages, this.observed.numClasses],
          initialLogits(this.observed, this.rng),
          true,
        );
      },
    };
  }

  /**
   * ŷ = sigmoid(logits[indices]) [B, C], differentiable with respect to the
   * estimator. The rows are picked by a one-hot matrix product (its gradient
   * is a dense N × C matrix, zero outside the batch's rows, as PyTorch's
   * indexing gives): gather's gradient kernel is missing on tfjs's wasm backend.
   */
  labels(indices: number[]): Tensor2D {
    const p = this.store();
    const n = this.numImages;
    return tf.tidy(() => {
      const pick = new Float32Array(indices.length * n);
      indices.forEach((i, row) => {
        pick[row * n + i] = 1;
      });
      const rows = tf.matMul(tf.tensor2d(pick, [indices.length, n]), p.get(ESTIMATOR_PARAM) as Tensor2D);
      return tf.sigmoid(rows) as Tensor2D;
    });
  }

  /** Every estimated label, N × C row-major (no gradient). */
  all(): Float32Array {
    const probs = tf.sigmoid(this.store().get(ESTIMATOR_PARAM));
    const values = probs.dataSync() as Float32Array;
    probs.dispose();
    return values;
  }

  private store(): ParamStore {
    if (!this.params) throw new Error("the label estimator is used before the loop's setup added it");
    return this.params;
  }
}
