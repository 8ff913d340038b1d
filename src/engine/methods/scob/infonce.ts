// Scob's prototype InfoNCE (METHODS.md §5a step 3; iCVTEAM/Scob losses.py
// loss_contrastive_infonce):
//
//   q, k, pq L2-normalised (F.normalize: x / max(‖x‖, 1e-12); a zero
//   prototype stays zero); pos = q·k; neg_j = q·pq_j for every class j;
//   poss = corr[observed class] — with hard_correlation every entry below 1
//   set to 0 first, so only exactly correlated classes (the class itself) stay;
//   logits = ([pos, neg_1..neg_C] + 1) · [1, 1 − poss_j²] / τ;
//   L = mean over images of CE(logits, target 0).
//
// The observed class's own prototype gets weight 0: its logit becomes 0 but
// stays in the softmax denominator, as in the code.

import type { Scalar, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { tf } from "../../tf.js";

/**
 * Per-image logit weights [B × (1 + C)] row-major: 1 for the positive pair,
 * 1 − poss_j² for class j's prototype, poss = the observed class's row of the
 * correlation matrix (C × C row-major), hard-thresholded when asked.
 */
export function contrastiveWeights(
  correlation: Float32Array,
  numClasses: number,
  classes: number[],
  hardCorrelation: boolean,
): Float32Array {
  const c = numClasses;
  const out = new Float32Array(classes.length * (1 + c));
  classes.forEach((cls, i) => {
    out[i * (1 + c)] = 1;
    for (let j = 0; j < c; j++) {
      let p = correlation[cls * c + j]!;
      if (hardCorrelation && p < 1) p = 0;
      out[i * (1 + c) + 1 + j] = 1 - p * p;
    }
  });
  return out;
}

function normalise(x: Tensor2D): Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, "euclidean", 1, true), 1e-12)) as Tensor2D;
}

/**
 * The InfoNCE of queries q [B, D] against keys k [B, D] (positives) and class
 * prototypes [C, D] (negatives), with logit weights [B, 1 + C] and temperature
 * τ, averaged over the images whose `rows` flag is 1 (default: all).
 */
export function prototypeInfoNce(
  q: Tensor2D,
  k: Tensor2D,
  prototypes: Tensor2D,
  weights: Tensor2D,
  temperature: number,
  rows?: Tensor1D,
): Scalar {
  return tf.tidy(() => {
    const qn = normalise(q);
    const pos = tf.sum(tf.mul(qn, normalise(k)), 1, true);
    const neg = tf.matMul(qn, normalise(prototypes), false, true);
    const logits = tf.div(tf.mul(tf.add(tf.concat([pos, neg], 1), 1), weights), temperature);
    const ce = tf.sub(tf.logSumExp(logits, 1), tf.squeeze(tf.slice(logits, [0, 0], [-1, 1]), [1]));
    if (!rows) return tf.mean(ce) as Scalar;
    return tf.div(tf.sum(tf.mul(ce, rows)), tf.sum(rows)) as Scalar;
  });
}
