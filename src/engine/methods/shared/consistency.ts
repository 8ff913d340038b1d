// Consistency between two predictions of the same anchors (an image and its
// flip, METHODS.md §1a): class divergences for softmax and sigmoid heads, the
// background-elimination mask, the localisation term. Written once: CSD uses
// it as its loss, and AL-SSL's inconsistency score is the same symmetric KL.
//
// Inputs are flat [N, K] logits (N anchors over the whole batch) and [N, 4]
// deltas; `b` is always the flipped pass brought back to `a`'s anchor order
// with mirrored deltas (head-transforms.ts flipBack), so for the same object
// both predict the same numbers.

import type { Scalar, Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { tf } from "../../tf.js";

export type Divergence = "symmetric-kl" | "js";
export type BackgroundElimination = "none" | "single" | "both";
export type HeadKind = "softmax" | "sigmoid";

/** CSD code adds 1e-7 to the probabilities before taking logs (train_csd.py). */
export const PROB_EPS = 1e-7;

/** Identity whose gradient is zero (PyTorch's `.detach()`; tfjs has no stop-gradient op). */
export const stopGradient = tf.customGrad(((x: Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  // biome-ignore lint/suspicious/noExplicitAny: tfjs types the function's inputs as Tensor | GradSaveFunc
})) as any) as <T extends Tensor>(x: T) => T;

const sg = (t: Tensor2D) => stopGradient(t);

/** log(softmax(x) + 1e-7), as the code computes it. */
function logProbs(x: Tensor2D): { p: Tensor2D; logp: Tensor2D } {
  const p = tf.add(tf.softmax(x), PROB_EPS) as Tensor2D;
  return { p, logp: tf.log(p) as Tensor2D };
}

/**
 * The code's "JSD": [KL(p_b‖p_a) + KL(p_a‖p_b)] / 2 per anchor, where the
 * first term's gradient reaches only branch a (p_b detached) and the second's
 * only branch b (p_a detached). Softmax over K scores (background included).
 */
export function softmaxSymmetricKl(a: Tensor2D, b: Tensor2D): Tensor1D {
  const A = logProbs(a);
  const B = logProbs(b);
  const klBA = tf.sum(tf.mul(sg(B.p), tf.sub(sg(B.logp), A.logp)), 1);
  const klAB = tf.sum(tf.mul(sg(A.p), tf.sub(sg(A.logp), B.logp)), 1);
  return tf.div(tf.add(klBA, klAB), 2) as Tensor1D;
}

/** The paper's Jensen–Shannon divergence JS(p_a, p_b) per anchor; gradients reach both branches. */
export function softmaxJs(a: Tensor2D, b: Tensor2D): Tensor1D {
  const A = logProbs(a);
  const B = logProbs(b);
  const m = tf.div(tf.add(A.p, B.p), 2);
  const logm = tf.log(m);
  const klAM = tf.sum(tf.mul(A.p, tf.sub(A.logp, logm)), 1);
  const klBM = tf.sum(tf.mul(B.p, tf.sub(B.logp, logm)), 1);
  return tf.div(tf.add(klAM, klBM), 2) as Tensor1D;
}

/** Bernoulli probabilities of sigmoid logits, kept inside [ε, 1 − ε] like the softmax's +1e-7. */
function bernoulli(x: Tensor2D): { p: Tensor2D; logp: Tensor2D; log1mp: Tensor2D } {
  const p = tf.clipByValue(tf.sigmoid(x), PROB_EPS, 1 - PROB_EPS) as Tensor2D;
  return { p, logp: tf.log(p) as Tensor2D, log1mp: tf.log(tf.sub(1, p)) as Tensor2D };
}

/** Σ_c KL(Bern(p_c) ‖ Bern(q_c)) of per-class probabilities. */
function bernoulliKl(
  p: { p: Tensor2D; logp: Tensor2D; log1mp: Tensor2D },
  q: { logp: Tensor2D; log1mp: Tensor2D },
): Tensor1D {
  const pos = tf.mul(p.p, tf.sub(p.logp, q.logp));
  const neg = tf.mul(tf.sub(1, p.p), tf.sub(p.log1mp, q.log1mp));
  return tf.sum(tf.add(pos, neg), 1) as Tensor1D;
}

/**
 * The sigmoid-head analogue of the code's symmetric KL/2 (METHODS.md §7: a
 * per-class Bernoulli KL for sigmoid heads), with the same stop-gradients.
 */
export function bernoulliSymmetricKl(a: Tensor2D, b: Tensor2D): Tensor1D {
  const A = bernoulli(a);
  const B = bernoulli(b);
  const As = { p: sg(A.p), logp: sg(A.logp), log1mp: sg(A.log1mp) };
  const Bs = { p: sg(B.p), logp: sg(B.logp), log1mp: sg(B.log1mp) };
  return tf.div(tf.add(bernoulliKl(Bs, A), bernoulliKl(As, B)), 2) as Tensor1D;
}

/** Σ_c JS(Bern(p_a,c), Bern(p_b,c)); gradients reach both branches. */
export function bernoulliJs(a: Tensor2D, b: Tensor2D): Tensor1D {
  const A = bernoulli(a);
  const B = bernoulli(b);
  const mp = tf.div(tf.add(A.p, B.p), 2) as Tensor2D;
  const M = { logp: tf.log(mp) as Tensor2D, log1mp: tf.log(tf.sub(1, mp)) as Tensor2D };
  return tf.div(tf.add(bernoulliKl(A, M), bernoulliKl(B, M)), 2) as Tensor1D;
}

export function classDivergence(head: HeadKind, divergence: Divergence, a: Tensor2D, b: Tensor2D): Tensor1D {
  if (head === "softmax") return divergence === "js" ? softmaxJs(a, b) : softmaxSymmetricKl(a, b);
  return divergence === "js" ? bernoulliJs(a, b) : bernoulliSymmetricKl(a, b);
}

/**
 * Whether each anchor counts as foreground, from logits' values (no gradient):
 * softmax, `max_{c≥1} p[c] > p[0]` (CSD's BE); sigmoid, `max_c p_c > threshold`
 * (METHODS.md §7). The softmax test compares logits, which orders the same.
 */
export function foregroundFlags(
  logits: Float32Array,
  k: number,
  head: HeadKind,
  threshold = 0.5,
): Uint8Array {
  const n = logits.length / k;
  const out = new Uint8Array(n);
  const t = Math.log(threshold / (1 - threshold));
  for (let i = 0; i < n; i++) {
    let best = Number.NEGATIVE_INFINITY;
    for (let c = head === "softmax" ? 1 : 0; c < k; c++) best = Math.max(best, logits[i * k + c]!);
    out[i] = head === "softmax" ? (best > logits[i * k]! ? 1 : 0) : best > t ? 1 : 0;
  }
  return out;
}

/**
 * Background elimination (CSD Table 3): `single` keeps the anchors the plain
 * pass calls foreground (m^k, the paper's best), `both` those both passes do
 * (m^k ⊗ m^k′), `none` every anchor.
 */
export function backgroundMask(
  mode: BackgroundElimination,
  plain: Float32Array,
  flipped: Float32Array,
  k: number,
  head: HeadKind,
  threshold = 0.5,
): Float32Array {
  const n = plain.length / k;
  const out = new Float32Array(n);
  if (mode === "none") return out.fill(1);
  const a = foregroundFlags(plain, k, head, threshold);
  const b = mode === "both" ? foregroundFlags(flipped, k, head, threshold) : null;
  for (let i = 0; i < n; i++) out[i] = a[i]! && (b === null || b[i]!) ? 1 : 0;
  return out;
}

/**
 * ¼ Σ over (cx, cy, w, h) of the squared difference of two deltas per anchor
 * (CSD's l_con_loc, with b's Δcx already mirrored); gradients reach both
 * branches, as in the code (no detach on the location terms).
 */
export function locConsistency(a: Tensor2D, b: Tensor2D): Tensor1D {
  return tf.div(tf.sum(tf.square(tf.sub(a, b)), 1), 4) as Tensor1D;
}

export interface ConsistencyOptions {
  head: HeadKind;
  divergence: Divergence;
  backgroundElimination: BackgroundElimination;
  cls: boolean;
  loc: boolean;
  /** Sigmoid heads: foreground when max_c p_c is above this. */
  threshold?: number;
}

export interface ConsistencyTerms {
  cls: Scalar;
  loc: Scalar;
  /** Anchors that passed background elimination. */
  kept: number;
}

/**
 * CSD's L_con over the anchors kept by background elimination: the mean over
 * those anchors of the class divergence and of the location term (the code
 * takes the mean over all kept priors of the whole batch, and L_con = 0 when
 * none is kept).
 */
export function consistencyLoss(
  a: { cls: Tensor2D; box: Tensor2D },
  b: { cls: Tensor2D; box: Tensor2D },
  options: ConsistencyOptions,
): ConsistencyTerms {
  const k = a.cls.shape[1];
  const mask = backgroundMask(
    options.backgroundElimination,
    a.cls.dataSync() as Float32Array,
    b.cls.dataSync() as Float32Array,
    k,
    options.head,
    options.threshold ?? 0.5,
  );
  let kept = 0;
  for (const m of mask) kept += m;
  const zero = () => tf.scalar(0);
  if (kept === 0) return { cls: zero(), loc: zero(), kept };
  const m = tf.tensor1d(mask);
  const masked = (perAnchor: Tensor1D) => tf.div(tf.sum(tf.mul(perAnchor, m)), kept) as Scalar;
  return {
    cls: options.cls ? masked(classDivergence(options.head, options.divergence, a.cls, b.cls)) : zero(),
    loc: options.loc ? masked(locConsistency(a.box, b.box)) : zero(),
    kept,
  };
}
