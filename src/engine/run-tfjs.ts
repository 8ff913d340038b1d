// One run on the built-in tfjs engine: the resolved run config plus sample
// sources in, a predictions file (COCO results, or image × class scores for
// mlc-lite) out, for labelsweep's evaluators. Checkpoints live in the run
// directory, so a stopped run resumes.

import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Scalar, Tensor2D } from "@tensorflow/tfjs-core";
import type { RunConfig, TrainSpec } from "../spec/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { NotImplementedError, UserError } from "../util/errors.js";
import { augmentBatch } from "./augment.js";
import { type BackendChoice, type BackendSelection, selectBackend } from "./backend.js";
import type { MlcLite } from "./classify/mlc-lite.js";
import type { Detector } from "./detect/detector.js";
import { createModel } from "./models.js";
import type { ParamStore } from "./nn/params.js";
import { Rng } from "./nn/rng.js";
import { predictDetections } from "./predict.js";
import type { CocoResult } from "./predictions.js";
import {
  type DetectionSample,
  type ImageMeta,
  loadImages,
  type MultiLabelSample,
  type SampleSource,
} from "./samples.js";
import { tf } from "./tf.js";
import { detectionTask } from "./train/detection-task.js";
import { type TrainConfig, type TrainEvent, type TrainTask, train } from "./train/loop.js";
import { epochBatch, stepRng } from "./train/sampling.js";

export interface TfjsRunInputs {
  /** Dataset category id of each class index (the engine numbers classes 0..C−1). */
  categoryIds: number[];
  /** Labelled training images: boxes for detectors, positives for mlc-lite. */
  train: SampleSource<DetectionSample> | SampleSource<MultiLabelSample>;
  /** Images to predict on after training. */
  eval: SampleSource<ImageMeta & { image: Float32Array }>;
}

export interface TfjsRunContext {
  /** The run directory (checkpoints/ and predictions.json go here). */
  dir: string;
  /** Continue from the newest checkpoint; otherwise any old checkpoint is removed first. */
  resume: boolean;
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** wasm threads (default 1: the runner gets parallelism from concurrent runs). */
  threads?: number;
  /** Scores predictions for periodic evaluation (train.eval_every); the final scoring is the caller's. */
  evaluate?: (predictions: unknown[]) => Record<string, number>;
}

export type TfjsOutcome =
  | { kind: "predictions"; file: string; backend: BackendSelection; iterations: number }
  | { kind: "stopped"; backend: BackendSelection; iterations: number };

/** Multi-label predictions: one score per image × class. */
export interface ScoreResult {
  image_id: number | string;
  category_id: number;
  score: number;
}

export function trainConfig(
  spec: TrainSpec,
  seed: number,
  labelledImages: number,
  checkpointDir: string,
  resume: boolean,
): TrainConfig {
  const batch = spec.batch ?? 16;
  const iterations = spec.epochs
    ? Math.max(1, Math.ceil((spec.epochs * labelledImages) / batch))
    : (spec.iterations ?? 1000);
  const schedule: Partial<NonNullable<TrainSpec["schedule"]>> = spec.schedule ?? {};
  return {
    iterations,
    lr: spec.lr ?? 0.01,
    optimizer: {
      kind: spec.optimizer ?? "sgd",
      momentum: spec.momentum ?? 0.9,
      weightDecay: spec.weight_decay ?? 5e-4,
    },
    schedule: {
      type: schedule.type ?? "step",
      steps: schedule.steps ?? [0.667, 0.889],
      gamma: schedule.gamma ?? 0.1,
      warmup: Math.min(schedule.warmup ?? 100, Math.floor(iterations / 2)),
    },
    seed,
    checkpointEvery: spec.checkpoint_every ?? 500,
    checkpointDir,
    resume,
    evalEvery: spec.eval_every ?? 0,
  };
}

function imageSizeOf(config: RunConfig): number {
  if (config.train.image_size) return config.train.image_size;
  const ds = config.dataset as { name: string; image_size?: number };
  if (ds.name === "shapes") return ds.image_size ?? 128;
  throw new UserError(
    "train.image_size: required for the tfjs engine on file datasets (the model input side)",
  );
}

async function scoreImages(
  model: MlcLite,
  params: ParamStore,
  source: SampleSource<ImageMeta & { image: Float32Array }>,
  categoryIds: number[],
): Promise<ScoreResult[]> {
  const out: ScoreResult[] = [];
  for (let start = 0; start < source.size; start += 16) {
    const idx = Array.from({ length: Math.min(16, source.size - start) }, (_, i) => start + i);
    const { images, samples } = await loadImages(source, idx, model.imageSize);
    let scores: number[][] = [];
    tf.tidy(() => {
      scores = model.scores(model.forward(params, images));
    });
    images.dispose();
    samples.forEach((s, i) => {
      scores[i]!.forEach((score, c) => {
        out.push({ image_id: s.imageId, category_id: categoryIds[c]!, score: Math.round(score * 1e6) / 1e6 });
      });
    });
  }
  return out;
}

function classifierTask(
  model: MlcLite,
  params: ParamStore,
  source: SampleSource<MultiLabelSample>,
  spec: TrainSpec,
  seed: number,
): TrainTask<{ images: tf.Tensor4D; targets: Tensor2D }> {
  const batch = spec.batch ?? 16;
  return {
    params,
    nextBatch: async (ctx) => {
      const idx = epochBatch(source.size, batch, ctx.iter, seed, "labelled");
      const { images, samples } = await loadImages(source, idx, model.imageSize);
      const flip = spec.augment?.flip ?? true;
      const aug = augmentBatch(
        { images, boxes: samples.map(() => []), classes: samples.map(() => []) },
        { flip, colorJitter: spec.augment?.color_jitter, scaleJitter: spec.augment?.scale_jitter },
        stepRng(seed, ctx.iter, "augment"),
      );
      if (aug.images !== images) images.dispose();
      const targets = tf.tensor2d(
        samples.map((s) =>
          Array.from({ length: model.numClasses }, (_, c) => (s.positives.includes(c) ? 1 : 0)),
        ),
      ) as Tensor2D;
      return { images: aug.images, targets };
    },
    losses: (_ctx, b) => model.loss(model.forward(params, b.images), b.targets) as Record<string, Scalar>,
    disposeBatch: (b) => tf.dispose([b.images, b.targets]),
  };
}

export async function runTfjsEngine(
  config: RunConfig,
  inputs: TfjsRunInputs,
  ctx: TfjsRunContext,
): Promise<TfjsOutcome> {
  const engine = config.engine as { backend?: BackendChoice };
  const backend = await selectBackend(engine.backend ?? "auto", { threads: ctx.threads ?? 1 });
  if (config.method.name !== "supervised") {
    throw new NotImplementedError(
      `method '${config.method.name}' on the tfjs engine (only 'supervised' so far)`,
    );
  }
  if (inputs.train.size === 0) throw new UserError("no labelled training images in this run's split");
  const numClasses = inputs.categoryIds.length;
  const built = createModel(config.detector, numClasses, imageSizeOf(config));
  const checkpoints = join(ctx.dir, "checkpoints");
  if (!ctx.resume) rmSync(checkpoints, { recursive: true, force: true });
  const cfg = trainConfig(config.train, config.seed, inputs.train.size, checkpoints, ctx.resume);
  const params = built.model.createParams(new Rng(config.seed));
  try {
    const augment = config.train.augment ?? {};
    let task: TrainTask<unknown>;
    let predict: () => Promise<(CocoResult | ScoreResult)[]>;
    if (built.kind === "detector") {
      const det: Detector = built.model;
      task = detectionTask(det, params, inputs.train as SampleSource<DetectionSample>, {
        batchSize: config.train.batch ?? 16,
        seed: config.seed,
        augment: {
          flip: augment.flip ?? true,
          scaleJitter: augment.scale_jitter,
          colorJitter: augment.color_jitter,
        },
      }) as TrainTask<unknown>;
      predict = () => predictDetections(det, params, inputs.eval, { categoryIds: inputs.categoryIds });
    } else {
      const mlc = built.model;
      task = classifierTask(
        mlc,
        params,
        inputs.train as SampleSource<MultiLabelSample>,
        config.train,
        config.seed,
      ) as TrainTask<unknown>;
      predict = () => scoreImages(mlc, params, inputs.eval, inputs.categoryIds);
    }
    if (ctx.evaluate) {
      const score = ctx.evaluate;
      task.evaluate = async () => score(await predict());
    }
    const result = await train(task, { ...cfg, handleSigterm: false }, [], {
      onEvent: ctx.onEvent,
      signal: ctx.signal,
    });
    if (result.stopped) return { kind: "stopped", backend, iterations: result.iterations };
    const file = join(ctx.dir, "predictions.json");
    await writeFileAtomic(file, `${JSON.stringify(await predict())}\n`);
    return { kind: "predictions", file, backend, iterations: result.iterations };
  } finally {
    params.dispose();
  }
}
