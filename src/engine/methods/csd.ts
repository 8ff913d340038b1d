// `csd`: Consistency-based Semi-supervised Detection (Jeong et al., NeurIPS
// 2019; the semi-supervised core of AL-SSL, CVPR 2022), METHODS.md §1a, as the
// official code (soo89/CSD-SSD train_csd.py) trains it unless an option says
// otherwise:
//
// - Every step's images (labelled and unlabelled, mixed at
//   train.unlabeled_ratio) go through the detector twice with the same weights:
//   as they are and flipped left–right. The flipped pass's head maps are
//   flipped back along W (prior k meets its mirror k′) and its Δcx negated.
// - L = L_sup(labelled) + w(t)·(L_con-c + L_con-l) with the ramp-up / plateau /
//   ramp-down weight scaled to the run (shared/ramp.ts), L_con over the priors
//   that background elimination keeps (shared/consistency.ts).
// - The first pass over the labelled images takes labelled images only (the
//   code's VOCDetection_con_init epoch before the mixed loader), still with
//   the (ramped, near-zero) consistency term on them, as the code does.
// - Inference is the plain single branch: nothing of CSD is left at test time.
//
// On a softmax head (ssd-lite) the class term is the code's symmetric KL/2 or
// the paper's JS; on a sigmoid head (retinanet-lite) the same with per-class
// Bernoulli distributions and BE as max_c p_c > be_threshold (METHODS.md §7).

import type { Scalar, Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { DetectionSample, SampleSource } from "../samples.js";
import { tf } from "../tf.js";
import type { TrainContext, TrainTask } from "../train/loop.js";
import {
  type BackgroundElimination,
  consistencyLoss,
  type Divergence,
  PROB_EPS,
} from "./shared/consistency.js";
import {
  flipBack,
  mirrorImages,
  mirrorIsExact,
  scoreChannels,
  sliceBatch,
} from "./shared/head-transforms.js";
import { methodOptions, trainBatchOptions } from "./shared/options.js";
import { rampBreakpoints, rampWeight } from "./shared/ramp.js";
import { type SemiBatch, SemiBatchComposer } from "./shared/semi-batch.js";
import { detectorOf, type MethodInputs, type MethodSetup } from "./types.js";

export function create(inputs: MethodInputs): MethodSetup {
  const detector = detectorOf(inputs);
  const { config, params, seed, iterations } = inputs;
  const m = methodOptions(config);
  const o = {
    cls: m.bool("cls_consistency", true),
    loc: m.bool("loc_consistency", true),
    be: m.choice<BackgroundElimination>("background_elimination", ["none", "single", "both"], "single"),
    divergence: m.choice<Divergence>("divergence", ["symmetric-kl", "js"], "symmetric-kl"),
    weight: m.num("weight", 1),
    rampUp: m.num("ramp_up", 0.267),
    rampDown: m.num("ramp_down", 0.833),
    warmup: m.bool("supervised_warmup", true),
    labelledConsistency: m.bool("labelled_consistency", true),
    threshold: m.num("be_threshold", 0.5),
  };
  const head = detector.scoreKind;
  const k = scoreChannels(detector);
  const batch = trainBatchOptions(config);
  const labelled = inputs.data.labelled as SampleSource<DetectionSample>;
  // The code's first epoch over VOC07 alone: one pass over the labelled images.
  const warmupIterations = o.warmup ? Math.min(iterations, Math.ceil(labelled.size / batch.batchSize)) : 0;
  const composer = new SemiBatchComposer(detector, labelled, inputs.data.unlabelled, {
    ...batch,
    warmupIterations,
    seed,
  });
  const ramp = { total: iterations, up: o.rampUp, down: o.rampDown };

  const task: TrainTask<SemiBatch> = {
    params,
    nextBatch: (ctx: TrainContext) => composer.next(ctx.iter),
    losses: (ctx: TrainContext, b: SemiBatch): Record<string, Scalar> => {
      const nL = b.labelled.images.shape[0];
      const x = b.unlabelled
        ? (tf.concat([b.labelled.images, b.unlabelled.weak]) as Tensor4D)
        : b.labelled.images;
      const out = detector.forward(params, x);
      const sup = detector.loss(b.unlabelled ? sliceBatch(out, 0, nL) : out, b.labelled.anchorTargets);
      // Consistency on every image of the batch (code: also during the supervised first pass,
      // whose loss is loss_l + loss_c + consistency_loss), or only on the unlabelled ones.
      const from = o.labelledConsistency ? 0 : nL;
      const count = x.shape[0] - from;
      if (count === 0) return sup;
      const xs = from === 0 ? x : (tf.slice(x, [from, 0, 0, 0], [count, -1, -1, -1]) as Tensor4D);
      const plain = from === 0 ? out : sliceBatch(out, from, count);
      const back = flipBack(detector.forward(params, mirrorImages(xs)), detector);
      const flat = (t: Tensor, c: number) => tf.reshape(t, [-1, c]) as Tensor2D;
      const con = consistencyLoss(
        { cls: flat(plain.cls, k), box: flat(plain.box, 4) },
        { cls: flat(back.cls, k), box: flat(back.box, 4) },
        {
          head,
          divergence: o.divergence,
          backgroundElimination: o.be,
          cls: o.cls,
          loc: o.loc,
          threshold: o.threshold,
        },
      );
      const w = o.weight * rampWeight(ctx.iter, ramp);
      return {
        ...sup,
        loss_con_cls: tf.mul(con.cls, w) as Scalar,
        loss_con_loc: tf.mul(con.loc, w) as Scalar,
      };
    },
    disposeBatch: (b) => composer.dispose(b),
  };

  const bp = rampBreakpoints(ramp);
  return {
    task,
    hooks: [],
    provenance: {
      method: "csd",
      head,
      cls_consistency: o.cls,
      loc_consistency: o.loc,
      divergence: o.divergence,
      divergence_form:
        o.divergence === "symmetric-kl"
          ? "code: [KL(p'||p) + KL(p||p')]/2, each KL's gradient into one branch only (the other side detached), probabilities + 1e-7 (train_csd.py)"
          : "paper: Jensen-Shannon divergence, gradients into both branches (the paper does not say otherwise)",
      per_class_distribution:
        head === "softmax" ? "softmax over classes + background" : "Bernoulli per class (sigmoid head)",
      prob_eps: PROB_EPS,
      background_elimination: o.be,
      be_rule:
        head === "softmax"
          ? "foreground when max_{c>=1} p[c] > p[0] (code), from the non-flipped pass (both: and the flipped one)"
          : `foreground when max_c p_c > ${o.threshold} (sigmoid head, METHODS.md §7)`,
      loc_form:
        "1/4 sum over (cx, cy, w, h) of squared differences, flipped dx negated, gradients into both branches (code)",
      mean_over: "kept priors of the whole batch; L_con = 0 when none is kept (code)",
      weight: o.weight,
      ramp: {
        form: "code rampweight: w(0) = 0, exp(-5(1 - t/T_up)^2), 1, exp(-12.5(1 - (T - t)/(T - T_down))^2)",
        up_fraction: o.rampUp,
        down_fraction: o.rampDown,
        up_iteration: bp.up,
        down_iteration: bp.down,
        total: bp.total,
      },
      supervised_warmup: o.warmup,
      supervised_warmup_iterations: warmupIterations,
      supervised_warmup_form:
        "labelled-only batches for one pass over the labelled images (VOCDetection_con_init); the consistency loss still applies to them (code: loss_l + loss_c + consistency_loss)",
      consistency_images: o.labelledConsistency ? "labelled and unlabelled (code)" : "unlabelled only",
      mirror_exact: mirrorIsExact(detector.anchors),
      batches: composer.describe(),
      inference: "single non-flipped branch",
    },
  };
}
