// Detection losses as tensor ops (differentiable in the logits and deltas).

import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tf.js";
import { BACKGROUND, IGNORE } from "./matcher.js";

/**
 * Sigmoid focal loss summed over all entries (Lin et al.; torchvision's
 * sigmoid_focal_loss), α = 0.25, γ = 2 by default (METHODS.md §2a):
 * α_t·(1 − p_t)^γ·BCE(x, t), with `weight` (broadcastable) zeroing ignored rows.
 */
export function sigmoidFocalLoss(
  logits: Tensor,
  targets: Tensor,
  weight: Tensor,
  alpha = 0.25,
  gamma = 2,
): Scalar {
  return tf.tidy(() => {
    const p = tf.sigmoid(logits);
    // BCE with logits, stable: max(x, 0) − x·t + log(1 + e^−|x|)
    const ce = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, targets)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    const oneMinusT = tf.sub(1, targets);
    const pT = tf.add(tf.mul(p, targets), tf.mul(tf.sub(1, p), oneMinusT));
    const q = tf.sub(1, pT);
    const modulator = gamma === 2 ? tf.square(q) : tf.pow(q, gamma);
    const alphaT = tf.add(tf.mul(targets, alpha), tf.mul(oneMinusT, 1 - alpha));
    return tf.sum(tf.mul(tf.mul(tf.mul(alphaT, modulator), ce), weight)) as Scalar;
  });
}

/** Smooth-L1 (Huber with transition β; β = 0 is plain L1) summed over entries, masked by `weight`. */
export function smoothL1Loss(pred: Tensor, target: Tensor, weight: Tensor, beta: number): Scalar {
  return tf.tidy(() => {
    const d = tf.abs(tf.sub(pred, target));
    // 0.5·m²/β + (d − m) with m = min(d, β): the quadratic piece below β, linear above.
    const m = tf.minimum(d, beta);
    const l = beta > 0 ? tf.add(tf.div(tf.mul(tf.square(m), 0.5), beta), tf.sub(d, m)) : d;
    return tf.sum(tf.mul(l, weight)) as Scalar;
  });
}

/** One-hot class targets [B·P, C] (foreground rows only) and the valid-row weight [B·P, 1]. */
export function sigmoidTargets(labels: Int32Array, numClasses: number): { onehot: Tensor; valid: Tensor } {
  const n = labels.length;
  const onehot = new Float32Array(n * numClasses);
  const valid = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l !== IGNORE) valid[i] = 1;
    if (l >= 0) onehot[i * numClasses + l] = 1;
  }
  return { onehot: tf.tensor2d(onehot, [n, numClasses]), valid: tf.tensor2d(valid, [n, 1]) };
}

/** Foreground mask [B·P, 1]. */
export function foregroundMask(labels: Int32Array): Tensor {
  const m = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= 0) m[i] = 1;
  return tf.tensor2d(m, [labels.length, 1]);
}

/**
 * SSD hard-negative mining (CSD's MultiBox loss, METHODS.md §1a): per image
 * keep the negatives with the largest background cross-entropy, at most
 * ratio × (positives in that image). Returns the selection mask over B·P
 * anchors (positives and mined negatives).
 */
export function hardNegativeMask(
  ceBackground: Float32Array,
  labels: Int32Array,
  batch: number,
  anchors: number,
  ratio: number,
): Float32Array {
  const mask = new Float32Array(batch * anchors);
  for (let b = 0; b < batch; b++) {
    const o = b * anchors;
    let pos = 0;
    const neg: number[] = [];
    for (let k = 0; k < anchors; k++) {
      const l = labels[o + k]!;
      if (l >= 0) {
        pos++;
        mask[o + k] = 1;
      } else if (l === BACKGROUND) neg.push(k);
    }
    const take = Math.min(ratio * pos, neg.length, anchors - 1);
    if (take <= 0) continue;
    neg.sort((p, q) => ceBackground[o + q]! - ceBackground[o + p]! || p - q);
    for (let i = 0; i < take; i++) mask[o + neg[i]!] = 1;
  }
  return mask;
}
