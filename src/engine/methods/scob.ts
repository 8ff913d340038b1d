// `scob`: Semantic Contrastive Bootstrapping for single-positive multi-label
// recognition (Chen, Zhao, Li; IJCV 2023) on mlc-lite — METHODS.md §5a,
// verified against iCVTEAM/Scob main.py run_train_iter. One iteration:
//   1. ROLE's update: clean forward, symmetric ROLE loss + EPR with the label
//      estimator, backward, optimiser step (the loop's main step).
//   2. Semantic guidance on the updated network: a CAM of each image's
//      observed class → patch mask (scob/cam-mask.ts).
//   3. Contrastive update (the loop's extra step): key = momentum encoder on
//      the clean image with the mask; query = projector(network on a strongly
//      augmented view, same mask); InfoNCE against the per-class prototype
//      bank with the correlation exclusion weights, times λ; a step only when
//      the mask keeps some patch.
//   4. The bank takes this batch's key features.
// Per epoch: the prototype bank restarts empty and the label-correlation
// matrix is recomputed from the estimator. Inference is the single clean
// forward of the network (run-tfjs scoreImages): no mask, estimator or
// contrastive part.

import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { JsonObject } from "../../spec/types.js";
import type { MlcLite, ParamSource } from "../classify/mlc-lite.js";
import type { ParamStore } from "../nn/params.js";
import { Rng } from "../nn/rng.js";
import type { MultiLabelSample, SampleSource } from "../samples.js";
import { strongViews } from "../strong-view.js";
import { tf } from "../tf.js";
import type { ClassifierBatch } from "../train/classifier-task.js";
import type { ExtraStep, HookState, TrainContext, TrainHook } from "../train/loop.js";
import { hashSeed, stepRng } from "../train/sampling.js";
import { estimatorGroup } from "./role.js";
import { classActivationMaps, gradCamPlusPlus, patchMasks } from "./scob/cam-mask.js";
import { contrastiveWeights, prototypeInfoNce } from "./scob/infonce.js";
import { PrototypeBank } from "./scob/prototype-bank.js";
import { EmaTeacher } from "./shared/ema-teacher.js";
import { LabelEstimator, labelCorrelation } from "./shared/label-estimator.js";
import { expectedPositives, ROLE_PROBABILITIES, roleTask } from "./shared/role.js";
import {
  batchOptions,
  classifierOf,
  type MethodInputs,
  type MethodSetup,
  methodParam,
  observedOf,
} from "./types.js";

/** mlc-lite's pooling block — Scob's mid-block (1×1 conv, positional encoding, attention), which the key encoder copies. */
const MID_BLOCK = ["tokens.", "pool."];
const PROJECTOR = "projector.";
/** Input pixels per patch of mlc-lite's grid. */
const STRIDE = 16;

interface Pending {
  classes: number[];
  confidences: number[];
  indices: number[];
  keys: Float32Array;
  nonEmpty: boolean[];
}

/** Scob's FeatProjector: Linear – LeakyReLU(0.01) – Linear, dim → dim. */
function project(params: ParamSource, x: Tensor2D): Tensor2D {
  const h = tf.leakyRelu(
    tf.add(tf.matMul(x, params.get(`${PROJECTOR}w1`) as Tensor2D), params.get(`${PROJECTOR}b1`)),
    0.01,
  );
  return tf.add(
    tf.matMul(h as Tensor2D, params.get(`${PROJECTOR}w2`) as Tensor2D),
    params.get(`${PROJECTOR}b2`),
  ) as Tensor2D;
}

function addProjector(params: ParamStore, dim: number): void {
  params.dense(`${PROJECTOR}w1`, dim, dim);
  params.constant(`${PROJECTOR}b1`, [dim], 0);
  params.dense(`${PROJECTOR}w2`, dim, dim);
  params.constant(`${PROJECTOR}b2`, [dim], 0);
}

export function create(inputs: MethodInputs): MethodSetup {
  const model: MlcLite = classifierOf(inputs);
  const observed = observedOf(inputs);
  const { params, seed } = inputs;
  const source = inputs.data.labelled as SampleSource<MultiLabelSample>;
  const numClasses = model.numClasses;
  const dim = model.cfg.dim;
  const o = {
    expected_positives: expectedPositives(
      methodParam(inputs, "expected_positives", "ground-truth"),
      observed,
    ),
    lambda_cl: methodParam(inputs, "lambda_cl", 0.1),
    temperature: methodParam(inputs, "temperature", 1),
    ema_decay: methodParam(inputs, "ema_decay", 0.999),
    momentum_update: methodParam<string>(inputs, "momentum_update", "paper"),
    cam: methodParam<string>(inputs, "cam", "cam"),
    cam_threshold: methodParam(inputs, "cam_threshold", 0.5),
    crop_corners: methodParam(inputs, "crop_corners", true),
    prototypes_per_class: methodParam(inputs, "prototypes_per_class", 2),
    hard_correlation: methodParam(inputs, "hard_correlation", true),
    estimator_lr: methodParam(inputs, "estimator_lr", 0.01),
    projector_lr: methodParam(inputs, "projector_lr", 0.01),
    contrastive_backbone: methodParam<string>(inputs, "contrastive_backbone", "frozen"),
  };
  const batch = batchOptions(inputs);
  const estimator = new LabelEstimator(observed, new Rng(hashSeed(seed, "label-estimator")));
  const task = roleTask(model, params, source, estimator, {
    ...batch,
    expectedPositives: o.expected_positives,
    keepProbabilities: true,
  });
  // The code's key encoder fm2 is a copy of the mid-blocks fm1 over the shared backbone fb.
  const keyEncoder = new EmaTeacher(params, {
    decay: o.ema_decay,
    prefixes: MID_BLOCK,
    update: o.momentum_update === "paper",
  });
  const keyParams: ParamSource = {
    get: (name) => (MID_BLOCK.some((p) => name.startsWith(p)) ? keyEncoder.params : params).get(name),
  };
  const bank = new PrototypeBank(numClasses, o.prototypes_per_class, dim);
  let correlation: Float32Array = new Float32Array(numClasses * numClasses);
  let epoch = -1;
  let pending: Pending | null = null;
  const epochOf = (iter: number) => Math.floor((iter * batch.batchSize) / source.size);

  const contrastive = (ctx: TrainContext, b: ClassifierBatch): ExtraStep | null => {
    const n = b.indices.length;
    const probs = ctx.scratch.get(ROLE_PROBABILITIES) as Float32Array;
    // The observed class: the code's target.max(dim=1) (the first positive).
    const classes = b.samples.map((s) => s.positives[0] ?? 0);
    const confidences = classes.map((c, i) => probs[i * numClasses + c]!);
    const maps =
      o.cam === "gradcam"
        ? gradCamPlusPlus(model, params, b.images, classes)
        : tf.tidy(() => classActivationMaps(model, params, model.forward(params, b.images), classes));
    const masks = patchMasks(maps, {
      stride: STRIDE,
      threshold: o.cam_threshold,
      cropCorners: o.crop_corners,
    });
    maps.dispose();
    const mask = tf.tensor2d(masks.mask, [n, model.numPatches]);
    ctx.scratch.set("scob.mask", mask);
    const keys = tf.tidy(() => model.forward(keyParams, b.images, mask).features);
    ctx.scratch.set("scob.keys", keys);
    pending = {
      classes,
      confidences,
      indices: b.indices,
      keys: Float32Array.from(keys.dataSync()),
      nonEmpty: masks.nonEmpty,
    };
    // Images whose mask keeps no patch give NaN features in the code's masked
    // transformer (kept out of the bank by its NaN check): here they sit out
    // the loss and the bank; with no patch at all there is no step.
    const rows = masks.nonEmpty.flatMap((keep, i) => (keep ? [i] : []));
    if (rows.length === 0) return null;
    const [, h, w] = b.images.shape;
    const pixels = strongViews(
      b.images.dataSync() as Float32Array,
      n,
      h,
      w,
      stepRng(seed, ctx.iter, "scob-strong"),
    );
    const strong = tf.tensor4d(pixels, b.images.shape) as Tensor4D;
    const prototypes = tf.tensor2d(bank.prototypes(), [numClasses, dim]);
    const weights = tf.tensor2d(contrastiveWeights(correlation, numClasses, classes, o.hard_correlation), [
      n,
      1 + numClasses,
    ]);
    const kept = tf.tensor1d(masks.nonEmpty.map((keep) => (keep ? 1 : 0)));
    // The code's backbone is frozen, so its contrastive loss trains only the
    // mid-block and the projector: with `contrastive_backbone: frozen` the
    // strong view's feature map is computed outside the gradient tape.
    const frozenMap =
      o.contrastive_backbone === "frozen" ? tf.tidy(() => model.featureMap(params, strong)) : null;
    for (const [k, t] of Object.entries({ strong, prototypes, weights, kept, frozenMap })) {
      if (t) ctx.scratch.set(`scob.${k}`, t);
    }
    return {
      losses: () => {
        const outputs = frozenMap ? model.head(params, frozenMap, mask) : model.forward(params, strong, mask);
        const q = project(params, outputs.features);
        const loss = prototypeInfoNce(q, keys, prototypes, weights, o.temperature, kept);
        return { loss_cl: tf.mul(loss, o.lambda_cl) };
      },
    };
  };

  const hook: TrainHook<ClassifierBatch> = {
    name: "scob",
    setup: (ctx) => addProjector(ctx.params, dim),
    beforeIter: (ctx) => {
      const e = epochOf(ctx.iter);
      if (e === epoch) return;
      // before_epoch: a new, empty bank and the correlation of the current estimate.
      epoch = e;
      bank.clear();
      correlation = labelCorrelation(estimator.all(), numClasses);
    },
    extraStep: contrastive,
    afterStep: () => {
      const p = pending;
      pending = null;
      if (!p) return;
      p.classes.forEach((c, i) => {
        if (p.nonEmpty[i])
          bank.update(c, p.confidences[i]!, p.indices[i]!, p.keys.subarray(i * dim, (i + 1) * dim));
      });
    },
    saveState: (): HookState => {
      const saved = bank.save();
      return {
        json: { epoch, bank: saved.json ?? null },
        arrays: [
          ...(saved.arrays ?? []),
          { name: "correlation", shape: [numClasses, numClasses], values: correlation },
        ],
      };
    },
    loadState: (state) => {
      const json = state.json as { epoch: number; bank: HookState["json"] };
      epoch = json.epoch;
      bank.load({ json: json.bank, arrays: state.arrays?.filter((a) => a.name.startsWith("bank.")) });
      const corr = state.arrays?.find((a) => a.name === "correlation");
      if (corr) correlation = Float32Array.from(corr.values);
    },
  };

  const lr = inputs.config.train.lr ?? 0.01;
  const provenance: JsonObject = {
    ...o,
    expected_positives_from:
      typeof inputs.config.method.expected_positives === "number" ? "spec" : "ground-truth",
    momentum_update_note:
      o.momentum_update === "paper"
        ? "key encoder: a real EMA of the mid-block (paper)"
        : "key encoder: the mid-block's initial copy, never updated (the official code's move_k assigns to a loop variable)",
    key_encoder:
      "momentum copy of mlc-lite's pooling block (1×1 token conv, positional encoding, attention pooling) over the shared backbone, as the code's fm2 over fb",
    cam_kind:
      o.cam === "gradcam"
        ? "Grad-CAM++ (pytorch_grad_cam GradCAMPlusPlus) of the sigmoid probability on the backbone's stride-16 map"
        : "plain CAM: classifier weights × patch values (METHODS.md §5e)",
    cam_postprocessing:
      "ReLU, min–max, bilinear resize to the input, ReLU, min–max (pytorch_grad_cam), average-pooled to the patch grid",
    empty_mask_images:
      "left out of the contrastive loss and the bank (code: NaN features, its NaN check skips them); no step when no image keeps a patch",
    strong_view:
      "hard_augment: blue ×0.255/0.225 (std typo), ColorJitter(0.8,0.8,0.8,0.2) p 0.3, RandomGrayscale p 0.2·0.1, GaussianBlur 3×3 σ∈[1,2] p 0.2",
    prototypes_used: "top-1 per class of the bank",
    backbone:
      o.contrastive_backbone === "frozen"
        ? "mlc-lite's compact backbone, trained by the ROLE step only (the code freezes an ImageNet ResNet-50, so its contrastive loss reaches only the mid-block and projector)"
        : "mlc-lite's compact backbone, trained by both steps (the code freezes an ImageNet ResNet-50)",
    pooling: `mlc-lite ${model.cfg.pool} pooling with the patch mask (the code: a 2-layer transformer with key padding, then average pooling)`,
    second_step_parameters:
      "only those the contrastive loss reaches; each parameter counts its own Adam steps (PyTorch)",
  };
  return {
    task,
    hooks: [estimator.hook(), hook, keyEncoder.hook("scob-key-encoder")],
    optimizerGroups: [
      estimatorGroup(inputs, o.estimator_lr),
      { prefix: PROJECTOR, lrScale: o.projector_lr / lr },
    ],
    provenance,
    dispose: () => keyEncoder.dispose(),
  };
}
