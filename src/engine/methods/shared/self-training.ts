// Hard pseudo-label training, written once for the self-training baselines
// (mean-teacher, pseudo-label): some labeller — an EMA teacher, a frozen
// snapshot, the model itself — predicts boxes on the weak view of each
// unlabelled image (outside the gradient tape, so nothing flows back through
// them); boxes scoring above a threshold become that image's targets, and the
// student learns them with the detector's own supervised loss on the strong
// or the weak view, beside its supervised loss on the labelled images.
//
// Unbiased Teacher (facebookresearch/unbiased-teacher@6977c6f,
// ubteacher/engine/trainer.py) multiplies the pseudo-boxes' regression losses
// by 0 (`loss_rpn_loc_pseudo`, `loss_box_reg_pseudo`): `boxLoss: false`.

import type { Scalar, Tensor4D } from "@tensorflow/tfjs-core";
import type { AnchorTargets, Detector } from "../../detect/detector.js";
import type { ParamStore } from "../../nn/params.js";
import { tf } from "../../tf.js";
import type { TrainContext, TrainTask } from "../../train/loop.js";
import { sliceBatch } from "./head-transforms.js";
import { type PseudoBoxOptions, pseudoAnchorTargets } from "./pseudo-boxes.js";
import type { SemiBatch, SemiBatchComposer } from "./semi-batch.js";

export interface SelfTrainingOptions {
  /** Weight of the unlabelled loss (Unbiased Teacher: 4). */
  lambdaU: number;
  pseudo: PseudoBoxOptions;
  /** Which view of an unlabelled image the student learns from. */
  studentView: "weak" | "strong";
  /** Also regress the pseudo-boxes (Unbiased Teacher: no). */
  boxLoss: boolean;
  /**
   * What the unlabelled loss is divided by: the larger of the pseudo-boxes'
   * and the labelled images' foreground counts (`at-least-labelled`), or the
   * pseudo-boxes' alone (`pseudo`, the detector's own rule).
   */
  norm: UnlabelledNorm;
}

export const UNLABELLED_NORMS = ["at-least-labelled", "pseudo"] as const;
export type UnlabelledNorm = (typeof UNLABELLED_NORMS)[number];

/** The normaliser as provenance records it. */
export function describeNorm(norm: UnlabelledNorm): string {
  return norm === "pseudo"
    ? "pseudo: the unlabelled loss over the pseudo-boxes' foreground anchors (the detector's own rule)"
    : "at-least-labelled: the unlabelled loss over the larger of the pseudo-boxes' and the labelled images' foreground anchors (labelsweep's; Unbiased Teacher averages its ROI losses, there is no dense-head reference)";
}

/**
 * The pseudo-boxes' anchor targets with the foreground count the unlabelled
 * loss is normalised by. A dense detector divides its loss by the batch's
 * foreground anchors; over pseudo-boxes that count is small whenever the
 * labeller finds few boxes, and every background anchor (where a missed
 * object may lie) then weighs up to that many times more than in the labelled
 * loss. `at-least-labelled` keeps their per-anchor weight at most the
 * labelled images'.
 */
export function unlabelledTargets(
  pseudo: AnchorTargets,
  labelled: AnchorTargets,
  norm: UnlabelledNorm,
): AnchorTargets {
  if (norm === "pseudo") return pseudo;
  return { ...pseudo, numForeground: Math.max(pseudo.numForeground, labelled.numForeground) };
}

export interface SelfTrainingBatch extends SemiBatch {
  /** Anchor targets from the pseudo-boxes of the unlabelled images (null in warm-up). */
  pseudo: { anchorTargets: AnchorTargets; boxes: number } | null;
}

/**
 * The task: `labeller(iter)` names the parameters that label step `iter`'s
 * unlabelled images (called once per step, before the student's update).
 */
export function selfTrainingTask(
  detector: Detector,
  params: ParamStore,
  composer: SemiBatchComposer,
  labeller: (iter: number) => ParamStore,
  options: SelfTrainingOptions,
): TrainTask<SelfTrainingBatch> {
  return {
    params,
    nextBatch: async (ctx: TrainContext): Promise<SelfTrainingBatch> => {
      const b = await composer.next(ctx.iter);
      if (!b.unlabelled) return { ...b, pseudo: null };
      const labels = labeller(ctx.iter);
      const weak = b.unlabelled.weak;
      let pseudo: SelfTrainingBatch["pseudo"] = null;
      tf.tidy(() => {
        const r = pseudoAnchorTargets(detector, detector.forward(labels, weak), options.pseudo);
        pseudo = { anchorTargets: r.anchorTargets, boxes: r.boxes };
      });
      return { ...b, pseudo };
    },
    losses: (_ctx: TrainContext, b: SelfTrainingBatch): Record<string, Scalar> => {
      const nL = b.labelled.images.shape[0];
      if (!b.unlabelled || !b.pseudo) {
        return detector.loss(detector.forward(params, b.labelled.images), b.labelled.anchorTargets);
      }
      const view = options.studentView === "strong" ? b.unlabelled.strong : b.unlabelled.weak;
      if (!view) throw new Error("self-training: the batch composer made no strong view");
      const out = detector.forward(params, tf.concat([b.labelled.images, view]) as Tensor4D);
      const sup = detector.loss(sliceBatch(out, 0, nL), b.labelled.anchorTargets);
      const un = detector.loss(
        sliceBatch(out, nL, view.shape[0]),
        unlabelledTargets(b.pseudo.anchorTargets, b.labelled.anchorTargets, options.norm),
      );
      const terms: Record<string, Scalar> = {
        ...sup,
        loss_u_cls: tf.mul(un.loss_cls!, options.lambdaU) as Scalar,
      };
      if (options.boxLoss) terms.loss_u_box = tf.mul(un.loss_box!, options.lambdaU) as Scalar;
      return terms;
    },
    disposeBatch: (b) => composer.dispose(b),
  };
}
