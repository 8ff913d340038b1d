// `richsem` (Meng et al., NeurIPS 2023; METHODS.md §4a, verified against
// MengLcool/RichSem), on retinanet-lite with its class-embedding classifier
// (logits = scale·cos(proj(h), t_c), §4e):
//   - a training-only semantic head learns KL(teacher ‖ softmax(scale·cos(H_soft(h), t_c)))
//     on the positive anchors of every annotated box and every coarse box
//     (distill_loss_coef 0.5), and is never read at inference;
//   - the teacher is pluggable (soft-teacher.ts): a small region classifier
//     trained first and frozen, or the class-area oracle on `shapes`;
//   - extra images with image-level labels are whole-image coarse boxes,
//     combined by 4-image mosaic and alternated 1 : 1 with detection batches,
//     with every loss on them (engine.py's is_extra defaults);
//   - detection batches come from repeat-factor sampling (use_rfs, t = 0.001).
// The rest of RichSem (DINO, denoising queries, CLIP, federated loss) is
// incidental to the method (§4e) and left out; the provenance says so.

import type { Scalar, Tensor2D } from "@tensorflow/tfjs-core";
import type { JsonObject, JsonValue } from "../../spec/types.js";
import { UserError } from "../../util/errors.js";
import type { Detector } from "../detect/detector.js";
import { RetinaNetLite } from "../detect/retinanet-lite.js";
import { type DetectionSample, labelsAt, type SampleSource } from "../samples.js";
import { tf } from "../tf.js";
import { type AuxChannels, composeDetectionBatch, type DetectionBatch } from "../train/detection-task.js";
import type { HookState, TrainContext, TrainHook } from "../train/loop.js";
import { epochBatch } from "../train/sampling.js";
import { ClassAreaTeacher } from "./shared/class-area-teacher.js";
import { composeExtraBatch, extraStepsBefore, isExtraStep } from "./shared/extra-batches.js";
import { RegionClassifier } from "./shared/region-classifier.js";
import { RepeatFactorSampler, repeatFactors } from "./shared/repeat-factor.js";
import { SemanticHead } from "./shared/semantic-head.js";
import type { SoftTeacher } from "./shared/soft-teacher.js";
import { detectorOf, type MethodInputs, type MethodSetup } from "./types.js";

export interface RichsemOptions {
  distillWeight: number;
  teacher: "classifier" | "oracle";
  temperature: number;
  embeddings: "random" | "orthogonal" | "teacher";
  extraRatio: number;
  mosaic: boolean;
  /** null: no repeat-factor sampling. */
  repeatFactorThreshold: number | null;
  teacherIterations: number;
  teacherCrop: number;
  teacherWidth: number;
  teacherLr: number;
  teacherBatch: number;
}

/** The official configs' values where they exist (METHODS.md §4a), small-scale ones for the stand-in teacher. */
export const RICHSEM_DEFAULTS: RichsemOptions = {
  distillWeight: 0.5,
  teacher: "classifier",
  temperature: 1,
  embeddings: "teacher",
  extraRatio: 1,
  mosaic: true,
  repeatFactorThreshold: 0.001,
  teacherIterations: 400,
  teacherCrop: 32,
  teacherWidth: 16,
  teacherLr: 0.001,
  teacherBatch: 64,
};

export function richsemOptions(m: JsonObject): RichsemOptions {
  const d = RICHSEM_DEFAULTS;
  const num = (k: string, f: number) => (typeof m[k] === "number" ? (m[k] as number) : f);
  const rfs = m.repeat_factor_threshold;
  return {
    distillWeight: num("distill_weight", d.distillWeight),
    teacher: (m.teacher as RichsemOptions["teacher"]) ?? d.teacher,
    temperature: num("teacher_temperature", d.temperature),
    embeddings: (m.embeddings as RichsemOptions["embeddings"]) ?? d.embeddings,
    extraRatio: num("extra_ratio", d.extraRatio),
    mosaic: typeof m.mosaic === "boolean" ? m.mosaic : d.mosaic,
    repeatFactorThreshold: rfs === null ? null : typeof rfs === "number" ? rfs : d.repeatFactorThreshold,
    teacherIterations: num("teacher_iterations", d.teacherIterations),
    teacherCrop: num("teacher_crop", d.teacherCrop),
    teacherWidth: num("teacher_width", d.teacherWidth),
    teacherLr: num("teacher_lr", d.teacherLr),
    teacherBatch: num("teacher_batch", d.teacherBatch),
  };
}

/** Unit vectors e_c (first K axes of the embedding space): needs dim ≥ K. */
export function orthogonalEmbeddings(numClasses: number, dim: number): Float32Array {
  if (dim < numClasses) {
    throw new UserError(
      `method.embeddings: orthogonal needs detector.embedding_dim ≥ the number of classes (${dim} < ${numClasses})`,
    );
  }
  const out = new Float32Array(numClasses * dim);
  for (let c = 0; c < numClasses; c++) out[c * dim + c] = 1;
  return out;
}

type RichsemBatch = DetectionBatch & { extra: boolean; soft?: number[][][] };

function embeddingDetector(detector: Detector): RetinaNetLite & { cfg: { embedding: object } } {
  if (!(detector instanceof RetinaNetLite) || !detector.cfg.embedding) {
    throw new UserError(
      "method richsem needs detector.arch retinanet-lite with classifier: embedding (METHODS.md §4a)",
    );
  }
  return detector as RetinaNetLite & { cfg: { embedding: object } };
}

export async function create(inputs: MethodInputs): Promise<MethodSetup> {
  const detector = embeddingDetector(detectorOf(inputs));
  const { config, params, seed } = inputs;
  const o = richsemOptions(config.method);
  const embedding = detector.cfg.embedding!;
  const numClasses = detector.numClasses;
  const labelled = inputs.data.labelled as SampleSource<DetectionSample>;
  const extra = inputs.data.extra;
  if (o.extraRatio > 0 && (!extra || extra.size === 0)) {
    throw new UserError(
      "method richsem with extra_ratio > 0 needs extra images: set labels.extra (or extra_ratio: 0)",
    );
  }
  const distill = o.distillWeight > 0;
  const coverage: AuxChannels | undefined = inputs.data.classCoverage;
  if (distill && o.teacher === "oracle" && !coverage) {
    throw new UserError("method.teacher: oracle needs a dataset whose scenes are known (shapes)");
  }
  let teacher: SoftTeacher | undefined;
  let classifier: RegionClassifier | undefined;
  if (o.teacher === "classifier" && (distill || o.embeddings === "teacher")) {
    classifier = new RegionClassifier(
      {
        numClasses,
        dim: embedding.dim,
        scale: embedding.scale,
        crop: o.teacherCrop,
        width: o.teacherWidth,
        iterations: o.teacherIterations,
        batch: o.teacherBatch,
        lr: o.teacherLr,
        temperature: o.temperature,
      },
      seed,
    );
    teacher = classifier;
  } else if (o.teacher === "oracle" && distill) {
    teacher = new ClassAreaTeacher(numClasses, embedding.scale, o.temperature);
  }
  if (o.embeddings === "teacher" && !classifier) {
    throw new UserError("method.embeddings: teacher needs method.teacher: classifier");
  }
  const head = distill
    ? new SemanticHead(
        detector.cfg.fpnChannels,
        detector.cfg.anchorScales.length * detector.cfg.ratios.length,
        embedding.dim,
        embedding.scale,
      )
    : undefined;
  const aux = distill && teacher?.needsCoverage ? coverage : undefined;

  let sampler: RepeatFactorSampler | undefined;
  if (o.repeatFactorThreshold !== null) {
    const classes: number[][] = [];
    for (let i = 0; i < labelled.size; i++) classes.push((await labelsAt(labelled, i)).classes);
    sampler = new RepeatFactorSampler(repeatFactors(classes, o.repeatFactorThreshold), seed);
  }

  const batchSize = config.train.batch ?? 16;
  const augment = config.train.augment ?? {};
  const flip = augment.flip ?? true;
  const augmentOptions = { flip, scaleJitter: augment.scale_jitter, colorJitter: augment.color_jitter };

  let restored = false;
  const hook: TrainHook<RichsemBatch> = {
    name: "richsem",
    setup: (ctx: TrainContext) => head?.addParams(ctx.params),
    beforeRun: async () => {
      // After a checkpoint restore the teacher and the class embeddings come back from it.
      if (restored) return;
      if (classifier) await classifier.fit(labelled, extra, seed);
      const values =
        o.embeddings === "teacher"
          ? classifier!.classEmbeddings()
          : o.embeddings === "orthogonal"
            ? orthogonalEmbeddings(numClasses, embedding.dim)
            : null;
      if (values) {
        tf.tidy(() => params.get("head.cls.embed").assign(tf.tensor2d(values, [numClasses, embedding.dim])));
      }
      restored = true;
    },
    saveState: (): HookState => ({
      json: { teacher: classifier ? "classifier" : o.teacher },
      arrays: classifier ? classifier.params.snapshot() : [],
    }),
    loadState: (state: HookState) => {
      if (classifier && state.arrays) {
        classifier.params.load(state.arrays);
        classifier.freeze();
      }
      restored = true;
    },
  };

  const nextBatch = async (ctx: TrainContext): Promise<RichsemBatch> => {
    const extraStep = isExtraStep(ctx.iter, o.extraRatio);
    const before = extraStepsBefore(ctx.iter, o.extraRatio);
    let batch: DetectionBatch;
    if (extraStep) {
      batch = await composeExtraBatch(
        detector,
        extra!,
        before,
        ctx.iter,
        { batchSize, mosaic: o.mosaic, flip, seed },
        aux,
      );
    } else {
      const k = ctx.iter - before;
      const indices = sampler
        ? sampler.batch(k, batchSize)
        : epochBatch(labelled.size, batchSize, k, seed, "labelled");
      batch = await composeDetectionBatch(detector, labelled, indices, augmentOptions, seed, ctx.iter, aux);
    }
    const soft =
      head && teacher
        ? teacher.targets({ images: batch.images, coverage: batch.aux, targets: batch.targets })
        : undefined;
    return { ...batch, extra: extraStep, ...(soft ? { soft } : {}) };
  };

  const losses = (_ctx: TrainContext, batch: RichsemBatch): Record<string, Scalar> => {
    const out = detector.forward(params, batch.images);
    const terms: Record<string, Scalar> = { ...detector.loss(out, batch.anchorTargets) };
    if (head && batch.soft) {
      const kl = head.loss(
        params,
        out,
        batch.anchorTargets,
        batch.soft,
        params.get("head.cls.embed") as Tensor2D,
      );
      terms.loss_distill = tf.mul(kl, o.distillWeight) as Scalar;
    }
    return terms;
  };

  const provenance: Record<string, JsonValue> = {
    distill_weight: o.distillWeight,
    teacher: o.teacher,
    teacher_temperature: o.temperature,
    embeddings: o.embeddings,
    extra_ratio: o.extraRatio,
    mosaic: o.mosaic,
    repeat_factor_threshold: o.repeatFactorThreshold,
    semantic_head: distill,
    choices: [
      "dense detector: retinanet-lite with cosine class-embedding logits instead of DINO; distillation on the positive anchors of each box, divided by the number of positive anchors (RichSem: matched queries / num_boxes)",
      "semantic head: 3×3 conv on the classification tower's features → one embedding per anchor, logits scale·cos(·, t_c); its parameters are never read by the detector's forward pass (removed at inference)",
      "KL(teacher ‖ student) with weight distill_weight on annotated and coarse boxes alike (distill_loss_coef 0.5, use_fed_on_kd False)",
      "extra images: whole-image boxes, flipped, 4-image mosaic at the input size (tiles of S/2, centre 0.5–1.5 × S/2, pad 114), alternated with detection batches (extra_ratio per detection batch), all losses on (is_extra defaults)",
      "repeat-factor sampling on detection batches: r_i = max_c max(1, sqrt(t / f_c)), stochastic rounding per epoch (detectron2 RepeatFactorTrainingSampler)",
      "left out as incidental (METHODS.md §4e): DINO, denoising queries, CLIP RN50 and its 80 prompts, federated loss",
    ],
  };
  if (classifier) {
    provenance.teacher_classifier = {
      crop: o.teacherCrop,
      width: o.teacherWidth,
      iterations: o.teacherIterations,
      batch: o.teacherBatch,
      lr: o.teacherLr,
      optimizer: "adam, cosine schedule",
      data: "crops of every labelled box + every extra image (whole image), uniform over crops, flips",
      stands_in_for: "CLIP RN50 (region embedding vs class embeddings, softmax(scale·cos / T))",
    };
  }
  if (o.teacher === "oracle") {
    provenance.teacher_oracle =
      "softmax(logit_scale · a / T), a_c = share of class c's visible pixel area (renderer sub-pixel ownership) inside the augmented box";
  }
  return {
    task: {
      params,
      nextBatch,
      losses,
      disposeBatch: (batch: RichsemBatch) => {
        batch.images.dispose();
        batch.aux?.dispose();
      },
    },
    hooks: [hook],
    provenance,
    dispose: () => classifier?.dispose(),
  };
}
