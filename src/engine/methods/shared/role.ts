// ROLE's loss and training task, written once for ROLE and for Scob's first
// update of every iteration (METHODS.md §5a, iCVTEAM/Scob losses.py `loss`,
// the same objective as Cole et al.'s loss_role):
//
//   BCE(p, y) = −Σ_c [ y_c log(p_c+ε) + (1−y_c+ε) log(1−p_c+ε) ] / C      ε = 1e-5
//   EPR(p)    = Σ_n [ −Σ_c z_nc log(p_nc+ε) / C ] / B + ((mean_n Σ_c p_nc − k) / C)²
//   L1 = mean_n BCE(p_n, stopgrad ŷ_n) + EPR(p)      (the network learns from the estimate)
//   L2 = mean_n BCE(ŷ_n, stopgrad p_n) + EPR(ŷ)      (the estimate learns from the network)
//   L  = (L1 + L2) / 2
//
// p are the classifier's sigmoid probabilities, ŷ the label estimator's, z the
// observed positives, k the expected number of positives per image. The
// negative term's weight is (1 − y + ε), as in Scob's code (Cole et al.'s has
// 1 − y; the difference is below 1e-5 of the loss).

import type { Scalar, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { MlcLite } from "../../classify/mlc-lite.js";
import type { ParamStore } from "../../nn/params.js";
import type { MultiLabelSample, ObservedLabels, SampleSource } from "../../samples.js";
import { tf } from "../../tf.js";
import {
  type ClassifierBatch,
  type ClassifierTaskOptions,
  composeClassifierBatch,
} from "../../train/classifier-task.js";
import type { TrainContext, TrainTask } from "../../train/loop.js";
import { epochBatch } from "../../train/sampling.js";
import type { LabelEstimator } from "./label-estimator.js";

export const ROLE_EPS = 1e-5;

/** Where the ROLE task leaves the batch's probabilities [B·C] for a method's later update (ctx.scratch). */
export const ROLE_PROBABILITIES = "role.probabilities";

/** Per-image BCE of probabilities p against soft targets y (Scob's loss_bce) [B]. */
export function roleBce(p: Tensor2D, y: Tensor2D): Tensor1D {
  return tf.tidy(() => {
    const c = p.shape[1];
    const pos = tf.mul(tf.log(tf.add(p, ROLE_EPS)), y);
    const neg = tf.mul(tf.log(tf.add(tf.sub(1, p), ROLE_EPS)), tf.add(tf.sub(1, y), ROLE_EPS));
    return tf.div(tf.neg(tf.sum(tf.add(pos, neg), 1)), c) as Tensor1D;
  });
}

/** The expected-positive regulariser EPR(p) with observed positives z (0/1) and k positives per image. */
export function expectedPositiveRegulariser(p: Tensor2D, z: Tensor2D, k: number): Scalar {
  return tf.tidy(() => {
    const [b, c] = p.shape;
    const observed = tf.div(tf.neg(tf.sum(tf.mul(tf.log(tf.add(p, ROLE_EPS)), z))), c * b);
    const count = tf.div(tf.sub(tf.mean(tf.sum(p, 1)), k), c);
    return tf.add(observed, tf.square(count)) as Scalar;
  });
}

/** A constant copy of x: no gradient flows back through it (PyTorch's .detach()). */
function detached(x: Tensor2D): Tensor2D {
  return tf.tensor2d(x.dataSync() as Float32Array, x.shape);
}

/** The symmetric ROLE loss, as its two halves: net = L1/2 (trains the network), est = L2/2 (trains ŷ). */
export function roleLoss(
  p: Tensor2D,
  estimate: Tensor2D,
  z: Tensor2D,
  k: number,
): { net: Scalar; est: Scalar } {
  return tf.tidy(() => {
    const half = (x: Scalar) => tf.mul(x, 0.5) as Scalar;
    const l1 = tf.add(tf.mean(roleBce(p, detached(estimate))), expectedPositiveRegulariser(p, z, k));
    const l2 = tf.add(tf.mean(roleBce(estimate, detached(p))), expectedPositiveRegulariser(estimate, z, k));
    return { net: half(l1 as Scalar), est: half(l2 as Scalar) };
  });
}

/**
 * k of EPR: a number from the spec, or "ground-truth" — the mean number of
 * true positive classes per training image, which the single-positive split
 * records from the full annotations.
 */
export function expectedPositives(value: unknown, observed: ObservedLabels): number {
  if (typeof value === "number") return value;
  if (value === undefined || value === "ground-truth") {
    if (observed.meanPositives === undefined) {
      throw new Error(
        "method.expected_positives: ground-truth needs the split's mean positives per image " +
          '(the single-positive multi-label file\'s "mean_positives_per_image"); set a number instead',
      );
    }
    return observed.meanPositives;
  }
  throw new Error(
    `method.expected_positives: expected a number or "ground-truth", got ${JSON.stringify(value)}`,
  );
}

export interface RoleTaskOptions extends ClassifierTaskOptions {
  /** k of EPR. */
  expectedPositives: number;
  /** Leave the batch's probabilities in ctx.scratch under ROLE_PROBABILITIES (Scob's prototype confidences). */
  keepProbabilities?: boolean;
}

/** ROLE training on the observed labels: seeded epochs, augmentation, the ROLE loss with the estimator. */
export function roleTask(
  model: MlcLite,
  params: ParamStore,
  source: SampleSource<MultiLabelSample>,
  estimator: LabelEstimator,
  options: RoleTaskOptions,
): TrainTask<ClassifierBatch> {
  return {
    params,
    nextBatch: (ctx: TrainContext) =>
      composeClassifierBatch(
        model,
        source,
        epochBatch(source.size, options.batchSize, ctx.iter, options.seed, "labelled"),
        options.augment,
        options.seed,
        ctx.iter,
      ),
    losses: (ctx, b) => {
      const p = tf.sigmoid(model.forward(params, b.images).logits) as Tensor2D;
      if (options.keepProbabilities) ctx.scratch.set(ROLE_PROBABILITIES, Float32Array.from(p.dataSync()));
      const { net, est } = roleLoss(p, estimator.labels(b.indices), b.targets, options.expectedPositives);
      return { loss_role_net: net, loss_role_est: est };
    },
    disposeBatch: (b) => tf.dispose([b.images, b.targets]),
  };
}
