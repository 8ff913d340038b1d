// RichSem's training-only semantic branch H_soft (METHODS.md §4a, code
// `use_visual_distill=True, distill_type='clip_logits'`), on a dense
// detector: a 3×3 conv on the classification tower's last features (the
// place of the detector's own class-embedding projection, so it sees the same
// features) gives one D-dim embedding per anchor; its logits are
// scale·cos(H_soft(h), t_c) against the detector's fixed class embeddings,
// and it learns KL(teacher ‖ softmax(logits)) on the positive anchors of each
// annotated or coarse box. Its parameters live under "semantic." in the run's
// parameter store (so checkpoints keep them); the detector's forward pass
// never reads them, which is how the branch is "removed" at inference.

import type { Scalar, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import type { AnchorTargets, DetectorOutputs } from "../../detect/detector.js";
import { conv2d } from "../../nn/conv.js";
import type { ParamStore } from "../../nn/params.js";
import { tf } from "../../tf.js";

export const SEMANTIC_PREFIX = "semantic.";

/**
 * Σ_rows KL(target ‖ softmax(logits)) = Σ t·(log t − log_softmax(logits)),
 * 0·log 0 taken as 0 (RichSem's distillation term before its division by the
 * number of boxes).
 */
export function softTargetKl(logits: Tensor2D, targets: Tensor2D): Scalar {
  return tf.tidy(() => {
    const logQ = tf.logSoftmax(logits);
    const safeT = tf.maximum(targets, 1e-30);
    const logT = tf.where(tf.greater(targets, 0), tf.log(safeT), tf.zerosLike(targets));
    return tf.sum(tf.mul(targets, tf.sub(logT, logQ))) as Scalar;
  });
}

export class SemanticHead {
  constructor(
    /** Channels of the detector's classification features (clsFeat). */
    readonly channels: number,
    /** Anchors per feature-map cell. */
    readonly perCell: number,
    readonly dim: number,
    readonly scale: number,
  ) {}

  addParams(params: ParamStore): void {
    // Small init like the classifier's last layer (std 0.01 in RetinaNet).
    params.convKernel(
      `${SEMANTIC_PREFIX}proj.w`,
      3,
      3,
      this.channels,
      this.perCell * this.dim,
      0.01 * Math.sqrt(9 * this.channels),
    );
    params.constant(`${SEMANTIC_PREFIX}proj.b`, [this.perCell * this.dim], 0);
  }

  /** H_soft(h) per anchor, in the detector's anchor order: [B, P, D]. */
  embeddings(params: ParamStore, outputs: DetectorOutputs): Tensor3D {
    const w = params.get(`${SEMANTIC_PREFIX}proj.w`) as Tensor4D;
    const b = params.get(`${SEMANTIC_PREFIX}proj.b`) as Tensor1D;
    const bs = outputs.levels[0]!.clsFeat.shape[0];
    return tf.concat(
      outputs.levels.map((l) => tf.reshape(conv2d(l.clsFeat, w, b), [bs, -1, this.dim])),
      1,
    ) as Tensor3D;
  }

  /**
   * The distillation loss of a batch: KL to the teacher's distribution of the
   * box each positive anchor is matched to, summed over positive anchors and
   * divided by their number (the focal loss's normaliser).
   * soft[i][g] = the teacher's distribution for box g of image i.
   */
  loss(
    params: ParamStore,
    outputs: DetectorOutputs,
    anchorTargets: AnchorTargets,
    soft: number[][][],
    classEmbeddings: Tensor2D,
  ): Scalar {
    const kClasses = classEmbeddings.shape[0];
    const p = anchorTargets.anchors;
    const n = anchorTargets.labels.length;
    // Dense targets (zero rows for anchors that are not positive: they add exactly 0), since
    // wasm has no gradient kernel for a gather (UnsortedSegmentSum).
    const dense = new Float32Array(n * kClasses);
    let rows = 0;
    for (let k = 0; k < n; k++) {
      const g = anchorTargets.matched[k]!;
      if (anchorTargets.labels[k]! < 0 || g < 0) continue;
      const dist = soft[Math.floor(k / p)]?.[g];
      if (!dist) continue;
      dense.set(dist, k * kClasses);
      rows++;
    }
    if (rows === 0) return tf.scalar(0);
    const v = tf.reshape(this.embeddings(params, outputs), [-1, this.dim]) as Tensor2D;
    const vn = tf.div(v, tf.sqrt(tf.add(tf.sum(tf.square(v), 1, true), 1e-12)));
    const tn = tf.div(classEmbeddings, tf.sqrt(tf.add(tf.sum(tf.square(classEmbeddings), 1, true), 1e-12)));
    const logits = tf.mul(tf.matMul(vn, tn, false, true), this.scale) as Tensor2D;
    const kl = softTargetKl(logits, tf.tensor2d(dense, [n, kClasses]));
    return tf.div(kl, Math.max(1, anchorTargets.numForeground)) as Scalar;
  }
}
