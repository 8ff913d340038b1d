// Dense soft distillation from a teacher's head outputs to a student's, with
// teacher-confidence re-weighting (SED, METHODS.md §3a — a reconstruction,
// every formula below is UNVERIFIED: SED has no public code). Written once so
// other teacher–student methods can reuse it.
//
// Per anchor k of the paired outputs:
//   classes  ℓ_cls,k = Σ_c KL(Bern(q_c) ‖ Bern(p_c))  (sigmoid head: BCE with the teacher's
//            soft targets q, minus its constant entropy, so a perfect match costs 0)
//            or KL(q ‖ p) over the softmax (softmax head)
//   boxes    ℓ_box,k = Σ_{cx,cy,w,h} |δ_k − δ^T_k|      (L1 on the encoded deltas)
//   weight   w_k = s_k^γ with s_k = 1 − p_bg (foreground: sigmoid p_bg = Π_c (1 − q_c),
//            softmax p_bg = q_0) or s_k = max_c q_c (max-prob), or w_k = 1 (none)
// and the loss is Σ_k w_k·ℓ_k / Σ_k w_k: normalised by the total weight, so
// the many easy background anchors do not dominate the few foreground ones
// and the loss scale does not depend on how confident the teacher is overall.

import type { Scalar, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { tf } from "../../tf.js";
import type { HeadKind } from "./consistency.js";

export type Reweight = "none" | "foreground" | "max-prob";

/** Teacher probabilities from its logits (plain arrays: no gradient ever reaches a target). */
export function teacherProbabilities(logits: Float32Array, k: number, head: HeadKind): Float32Array {
  const out = new Float32Array(logits.length);
  if (head === "sigmoid") {
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-logits[i]!));
    return out;
  }
  for (let r = 0; r < logits.length / k; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[r * k + c] = Math.exp(logits[r * k + c]! - max);
    for (let c = 0; c < k; c++) out[r * k + c]! /= sum;
  }
  return out;
}

/** w_k per anchor from the teacher's probabilities [N·K]. */
export function distillWeights(
  q: Float32Array,
  k: number,
  head: HeadKind,
  mode: Reweight,
  gamma = 1,
): Float32Array {
  const n = q.length / k;
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (mode === "none") {
      w[i] = 1;
      continue;
    }
    let s: number;
    if (mode === "max-prob") {
      s = 0;
      for (let c = head === "softmax" ? 1 : 0; c < k; c++) s = Math.max(s, q[i * k + c]!);
    } else if (head === "softmax") {
      s = 1 - q[i * k]!;
    } else {
      let bg = 1;
      for (let c = 0; c < k; c++) bg *= 1 - q[i * k + c]!;
      s = 1 - bg;
    }
    w[i] = gamma === 1 ? s : s ** gamma;
  }
  return w;
}

const EPS = 1e-7;

/** ℓ_cls per anchor: the divergence from the teacher's probabilities q (constants) to the student's logits. */
export function softClassLoss(studentLogits: Tensor2D, q: Tensor2D, head: HeadKind): Tensor1D {
  const qc = tf.clipByValue(q, EPS, 1 - EPS);
  if (head === "softmax") {
    return tf.sum(tf.mul(qc, tf.sub(tf.log(qc), tf.logSoftmax(studentLogits))), 1) as Tensor1D;
  }
  // log σ(x) = −softplus(−x), log(1 − σ(x)) = −softplus(x).
  const logp = tf.neg(tf.softplus(tf.neg(studentLogits)));
  const log1mp = tf.neg(tf.softplus(studentLogits));
  const pos = tf.mul(qc, tf.sub(tf.log(qc), logp));
  const neg = tf.mul(tf.sub(1, qc), tf.sub(tf.log(tf.sub(1, qc)), log1mp));
  return tf.sum(tf.add(pos, neg), 1) as Tensor1D;
}

/** ℓ_box per anchor: L1 between the student's and the teacher's encoded deltas. */
export function softBoxLoss(student: Tensor2D, teacher: Tensor2D): Tensor1D {
  return tf.sum(tf.abs(tf.sub(student, teacher)), 1) as Tensor1D;
}

/** Σ w·ℓ / Σ w (0 when every weight is 0). */
export function weightedMean(perAnchor: Tensor1D, weights: Float32Array): Scalar {
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) return tf.scalar(0);
  return tf.div(tf.sum(tf.mul(perAnchor, tf.tensor1d(weights))), total) as Scalar;
}

export interface SoftDistillOptions {
  head: HeadKind;
  reweight: Reweight;
  gamma: number;
  /** Distil box deltas too (default true). */
  boxes?: boolean;
}

/**
 * The re-weighted soft distillation of one set of paired anchors: student
 * logits [N, K] and deltas [N, 4] against the teacher's (values, no gradient).
 */
export function softDistill(
  student: { cls: Tensor2D; box: Tensor2D },
  teacher: { cls: Float32Array; box: Float32Array },
  options: SoftDistillOptions,
): { cls: Scalar; box: Scalar; weight: number } {
  const [n, k] = student.cls.shape;
  const q = teacherProbabilities(teacher.cls, k, options.head);
  const w = distillWeights(q, k, options.head, options.reweight, options.gamma);
  let weight = 0;
  for (const x of w) weight += x;
  const cls = weightedMean(softClassLoss(student.cls, tf.tensor2d(q, [n, k]), options.head), w);
  const box =
    options.boxes === false
      ? tf.scalar(0)
      : weightedMean(softBoxLoss(student.box, tf.tensor2d(teacher.box, [n, 4])), w);
  return { cls, box, weight };
}
