// `co-mining` (Wang et al., AAAI 2021; METHODS.md §2a, verified against
// megvii-research/Co-mining retinanet.res50.comining.*): one detector run as a
// Siamese pair with fully shared weights. Branch O sees the augmented image,
// branch A the same image after a photometric-only jitter (torchvision
// RandomApply([ColorJitter(0.8, 0.8, 0.8, 0.2)], p = 0.8) applied after the
// geometric transforms, so boxes and anchors align). Every iteration each
// branch's predictions are decoded exactly as at inference, with the
// pseudo-score threshold (pseudo_gt_generate, without gradient), and merged
// into the OTHER branch's targets unless a same-class annotated box overlaps
// with IoU > matching_iou (merge_ground_truth); pseudo-boxes are hard targets
// like annotations. Loss = focal + box of O + focal + box of A, each branch
// normalised by its own foreground count. Inference is one branch on the
// original image (the detector unchanged), so Co-mining adds no test cost.

import type { Scalar, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import type { JsonObject } from "../../spec/types.js";
import { type PhotometricOptions, photometricJitter } from "../augment.js";
import { iou } from "../detect/boxes.js";
import type { Detector, DetectorOutputs, ImageTargets } from "../detect/detector.js";
import type { ParamStore } from "../nn/params.js";
import type { DetectionSample, SampleSource } from "../samples.js";
import { tf } from "../tf.js";
import { type DetectionBatch, detectionTask } from "../train/detection-task.js";
import type { TrainContext } from "../train/loop.js";
import { stepRng } from "../train/sampling.js";
import { type PseudoBoxOptions, type PseudoTargets, pseudoBoxes } from "./shared/pseudo-boxes.js";
import { detectorOf, type MethodInputs, type MethodSetup } from "./types.js";

export interface CoMiningOptions {
  pseudo: PseudoBoxOptions;
  /** A pseudo-box is dropped when an annotated box of its class has IoU above this (MATCHING_IOU_THRES, 0.4). */
  mergeIou: number;
  jitter: PhotometricOptions;
  /**
   * Fraction of the run before pseudo-boxes are mined (both branches train on
   * the annotations alone until then). 0 in the official code, whose
   * detector starts from ImageNet weights; a detector trained from scratch
   * passes through a phase of inflated scores that floods both branches with
   * false pseudo-boxes (see the README's Co-mining notes).
   */
  burnIn: number;
}

/** Defaults of the official RetinaNet configs (METHODS.md §2a). */
export const CO_MINING_DEFAULTS: CoMiningOptions = {
  pseudo: { scoreThreshold: 0.6, nmsIou: 0.5, maxDetections: 100, topKPerLevel: 1000 },
  mergeIou: 0.4,
  jitter: { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, p: 0.8 },
  burnIn: 0,
};

/**
 * merge_ground_truth for one image: the annotations plus every pseudo-box
 * that no same-class annotation overlaps with IoU > mergeIou. Scores are
 * dropped: added boxes are hard targets exactly like the annotations.
 */
export function mergePseudoBoxes(gt: ImageTargets, pseudo: ImageTargets, mergeIou: number): ImageTargets {
  const boxes = [...gt.boxes];
  const classes = [...gt.classes];
  pseudo.boxes.forEach((p, j) => {
    const c = pseudo.classes[j]!;
    const duplicate = gt.boxes.some((g, i) => gt.classes[i] === c && iou(g, p) > mergeIou);
    if (!duplicate) {
      boxes.push(p);
      classes.push(c);
    }
  });
  return { boxes, classes };
}

/** Co-generation: branch A's pseudo-boxes join branch O's targets and O's join A's — never their own. */
export function crossTargets(
  gt: ImageTargets[],
  pseudoO: ImageTargets[],
  pseudoA: ImageTargets[],
  mergeIou: number,
): { forO: ImageTargets[]; forA: ImageTargets[] } {
  return {
    forO: gt.map((g, i) => mergePseudoBoxes(g, pseudoA[i]!, mergeIou)),
    forA: gt.map((g, i) => mergePseudoBoxes(g, pseudoO[i]!, mergeIou)),
  };
}

/** The first / second half of a two-view forward pass over [O; A]. */
export function splitViews(out: DetectorOutputs, batch: number): [DetectorOutputs, DetectorOutputs] {
  const half = (from: number): DetectorOutputs => {
    const cut3 = (t: Tensor3D) => tf.slice(t, [from, 0, 0], [batch, -1, -1]) as Tensor3D;
    const cut4 = (t: Tensor4D) => tf.slice(t, [from, 0, 0, 0], [batch, -1, -1, -1]) as Tensor4D;
    return {
      levels: out.levels.map((l) => ({ cls: cut4(l.cls), box: cut4(l.box), clsFeat: cut4(l.clsFeat) })),
      cls: cut3(out.cls),
      box: cut3(out.box),
    };
  };
  return [half(0), half(batch)];
}

export interface CoMiningStep {
  losses: Record<string, Scalar>;
  pseudoO: PseudoTargets[];
  pseudoA: PseudoTargets[];
}

/**
 * One Co-mining step inside the gradient tape: both views through the shared
 * weights in one forward pass (the detector has no batch-dependent layers, so
 * this equals two passes), pseudo-boxes read from each branch's output values
 * (plain numbers: no gradient can flow through them), cross-merged targets,
 * and each branch's detector loss over its own foreground count.
 */
export function coMiningStep(
  detector: Detector,
  params: ParamStore,
  images: Tensor4D,
  viewA: Tensor4D,
  targets: ImageTargets[],
  options: CoMiningOptions,
  mine = true,
): CoMiningStep {
  const b = images.shape[0];
  const out = detector.forward(params, tf.concat([images, viewA], 0) as Tensor4D);
  const [outO, outA] = splitViews(out, b);
  const none = (): PseudoTargets[] => targets.map(() => ({ boxes: [], classes: [], scores: [] }));
  const pseudoO = mine ? pseudoBoxes(detector, outO, options.pseudo) : none();
  const pseudoA = mine ? pseudoBoxes(detector, outA, options.pseudo) : none();
  const { forO, forA } = crossTargets(targets, pseudoO, pseudoA, options.mergeIou);
  const lossO = detector.loss(outO, detector.assignTargets(forO));
  const lossA = detector.loss(outA, detector.assignTargets(forA));
  const losses: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(lossO)) losses[k] = v;
  for (const [k, v] of Object.entries(lossA)) losses[`${k}_aug`] = v;
  return { losses, pseudoO, pseudoA };
}

function num(block: JsonObject, key: string, fallback: number): number {
  const v = block[key];
  return typeof v === "number" ? v : fallback;
}

export function coMiningOptions(method: JsonObject): CoMiningOptions {
  const d = CO_MINING_DEFAULTS;
  if (method.score !== undefined && method.score !== "cls") {
    // validate refuses this first (src/spec/compat.ts); kept for direct engine callers.
    throw new Error(
      `co-mining: score ${JSON.stringify(method.score)} needs a detector with a centerness output`,
    );
  }
  const cj = (method.color_jitter ?? {}) as JsonObject;
  return {
    pseudo: {
      scoreThreshold: num(method, "pseudo_score_threshold", d.pseudo.scoreThreshold),
      nmsIou: num(method, "nms_iou", d.pseudo.nmsIou),
      maxDetections: num(method, "max_pseudo", d.pseudo.maxDetections),
      topKPerLevel: num(method, "top_k", d.pseudo.topKPerLevel!),
    },
    mergeIou: num(method, "merge_iou", d.mergeIou),
    burnIn: num(method, "burn_in", d.burnIn),
    jitter: {
      brightness: num(cj, "brightness", d.jitter.brightness),
      contrast: num(cj, "contrast", d.jitter.contrast),
      saturation: num(cj, "saturation", d.jitter.saturation),
      hue: num(cj, "hue", d.jitter.hue),
      p: num(cj, "p", d.jitter.p),
    },
  };
}

type CoMiningBatch = DetectionBatch & { viewA: Tensor4D };

export function create(inputs: MethodInputs): MethodSetup {
  const detector = detectorOf(inputs);
  const { config, params, seed } = inputs;
  const options = coMiningOptions(config.method);
  const mineFrom = Math.floor(options.burnIn * inputs.iterations);
  const augment = config.train.augment ?? {};
  const base = detectionTask(detector, params, inputs.data.labelled as SampleSource<DetectionSample>, {
    batchSize: config.train.batch ?? 16,
    seed,
    augment: {
      flip: augment.flip ?? true,
      scaleJitter: augment.scale_jitter,
      colorJitter: augment.color_jitter,
    },
  });
  return {
    task: {
      params,
      nextBatch: async (ctx: TrainContext): Promise<CoMiningBatch> => {
        const batch = await base.nextBatch(ctx);
        // View A: the augmented image (geometry already applied) after the photometric jitter only.
        const viewA = photometricJitter(
          batch.images,
          options.jitter,
          stepRng(seed, ctx.iter, "co-mining/view"),
        );
        return { ...batch, viewA };
      },
      losses: (ctx: TrainContext, batch: CoMiningBatch) =>
        coMiningStep(
          detector,
          params,
          batch.images,
          batch.viewA,
          batch.targets,
          options,
          ctx.iter >= mineFrom,
        ).losses,
      disposeBatch: (batch: CoMiningBatch) => {
        batch.images.dispose();
        batch.viewA.dispose();
      },
    },
    hooks: [],
    provenance: {
      pseudo_score_threshold: options.pseudo.scoreThreshold,
      nms_iou: options.pseudo.nmsIou,
      max_pseudo: options.pseudo.maxDetections,
      top_k: options.pseudo.topKPerLevel!,
      merge_iou: options.mergeIou,
      burn_in: options.burnIn,
      color_jitter: { ...options.jitter },
      score: "cls",
      choices: [
        "pseudo-boxes: score > threshold, top-k per level, class-wise NMS, max per image, from each branch without gradient (pseudo_gt_generate)",
        "merge: a pseudo-box is dropped only when a same-class annotation has IoU > merge_iou; added boxes are hard targets (merge_ground_truth)",
        "view A = torchvision RandomApply(ColorJitter(b, c, s, h), p) after the geometric augmentation, op order random per image",
        "loss = focal + box of each branch over that branch's foreground count, summed with weight 1 (code)",
        "both views in one forward pass of the shared weights (no batch-dependent layers in retinanet-lite)",
        "burn_in > 0 (not in the code): no pseudo-boxes during the first burn_in fraction of the run, both branches on the annotations only",
        "sparse splits: labelsweep's reconstruction of easy/hard/extreme/missing50p (METHODS.md §2b, UNVERIFIED)",
      ],
    },
  };
}
