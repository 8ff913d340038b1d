// One run on the built-in tfjs engine: the resolved run config plus sample
// sources in, a predictions file (COCO results, or image × class scores for
// mlc-lite) out, for labelsweep's evaluators. Checkpoints live in the run
// directory, so a stopped run resumes.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { labelledPerStep, trainIterations } from "../spec/train-length.js";
import type { JsonObject, MethodName, RunConfig, TrainSpec } from "../spec/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { scorePool } from "./active/acquire.js";
import { pseudoLabelPool } from "./active/pseudo.js";
import { type BackendChoice, type BackendSelection, type SlotGpu, selectBackend } from "./backend.js";
import type { MlcLite } from "./classify/mlc-lite.js";
import { loadMethod } from "./methods/registry.js";
import type { MethodData, UnlabelledSample } from "./methods/types.js";
import { createModel } from "./models.js";
import type { ParamStore } from "./nn/params.js";
import { Rng } from "./nn/rng.js";
import { predictDetections } from "./predict.js";
import type { CocoResult } from "./predictions.js";
import {
  concatSources,
  type DetectionSample,
  type ImageMeta,
  loadImages,
  type SampleSource,
} from "./samples.js";
import { tf } from "./tf.js";
import { loadLatestCheckpoint } from "./train/checkpoint.js";
import { type TrainConfig, type TrainEvent, train } from "./train/loop.js";

export interface TfjsRunInputs extends MethodData {
  /** Dataset category id of each class index (the engine numbers classes 0..C−1). */
  categoryIds: number[];
  /**
   * Active learning's pseudo-labelled pool images (the previous cycle's auto-labelling): they
   * train beside the labelled images with positive-only targets, and `rest` (the pool without
   * them) is what the method sees as unlabelled. `unlabelled` stays the whole pool, which is
   * what acquisition scores. They do not count towards train.epochs.
   */
  pseudo?: { samples: SampleSource<DetectionSample>; rest: SampleSource<UnlabelledSample> };
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
  /** The GPU of the run's slot: the webgpu backend pins itself to it (webgpu/pin.ts). */
  gpu?: SlotGpu;
  /** Scores predictions for periodic evaluation (train.eval_every); the final scoring is the caller's. */
  evaluate?: (predictions: unknown[]) => Record<string, number>;
  /**
   * Active learning: after training, score the unlabelled pool (engine/active/acquire.ts) and
   * write the scores to `file`. `untrained`: with freshly initialised weights, as AL-SSL's code
   * does in its first round (METHODS.md §1a ⚠ second quirk, `first_round: code`).
   */
  acquire?: { file: string; untrained?: boolean; pseudo?: { file: string; threshold: number } };
  /**
   * A checkpoint directory whose newest checkpoint's parameters replace the fresh
   * initialisation before the method is set up (an active-learning cycle that continues
   * from the previous cycle's final weights). A resumed run's own checkpoint still wins.
   */
  initFrom?: string;
}

export type TfjsOutcome =
  | { kind: "predictions"; file: string; backend: BackendSelection; iterations: number; method: JsonObject }
  | { kind: "stopped"; backend: BackendSelection; iterations: number; method: JsonObject };

/** Multi-label predictions: one score per image × class. */
export interface ScoreResult {
  image_id: number | string;
  category_id: number;
  score: number;
}

export function trainConfig(
  spec: TrainSpec,
  seed: number,
  labelled: { images: number; perStep: number },
  checkpointDir: string,
  resume: boolean,
): TrainConfig {
  const iterations = trainIterations(spec, labelled.images, labelled.perStep);
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
    ...(spec.grad_clip_norm ? { gradClipNorm: spec.grad_clip_norm } : {}),
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

async function acquire(
  built: ReturnType<typeof createModel>,
  trained: ParamStore,
  inputs: TfjsRunInputs,
  request: NonNullable<TfjsRunContext["acquire"]>,
  seed: number,
): Promise<void> {
  if (built.kind !== "detector") throw new UserError("active learning needs a detector (not mlc-lite)");
  if (!inputs.unlabelled) throw new UserError("active learning: this run's split has no unlabelled pool");
  const fresh = request.untrained ? built.model.createParams(new Rng(seed)) : undefined;
  try {
    const scores = await scorePool(built.model, fresh ?? trained, inputs.unlabelled);
    await writeFileAtomic(request.file, `${JSON.stringify(scores)}\n`);
    // Auto-labelling always uses the trained model (AL-SSL loads its checkpoint), first round too.
    if (request.pseudo) {
      const { file, threshold } = request.pseudo;
      const found = await pseudoLabelPool(
        built.model,
        trained,
        inputs.unlabelled,
        inputs.categoryIds,
        threshold,
      );
      await writeFileAtomic(file, `${JSON.stringify(found)}\n`);
    }
  } finally {
    fresh?.dispose();
  }
}

/** Loads the newest checkpoint of `dir` into `params` (weights only: no optimiser state, no step count). */
function startFrom(params: ParamStore, dir: string): void {
  const ckpt = loadLatestCheckpoint(dir);
  if (!ckpt) {
    params.dispose();
    throw new UserError(`no checkpoint in ${dir} to start from (the previous cycle's final weights)`);
  }
  const names = new Set(params.snapshot().map((p) => p.name));
  const missing = [...names].filter((n) => !ckpt.params.some((p) => p.name === n));
  if (missing.length > 0) {
    params.dispose();
    throw new UserError(
      `${dir}: its checkpoint lacks parameters of this model (${missing.slice(0, 3).join(", ")})`,
    );
  }
  params.load(ckpt.params.filter((p) => names.has(p.name)));
}

export async function runTfjsEngine(
  config: RunConfig,
  inputs: TfjsRunInputs,
  ctx: TfjsRunContext,
): Promise<TfjsOutcome> {
  const engine = config.engine as { backend?: BackendChoice };
  const backend = await selectBackend(engine.backend ?? "auto", {
    threads: ctx.threads ?? 1,
    ...(ctx.gpu ? { gpu: ctx.gpu } : {}),
  });
  // Into the run's log (a worker's stderr): e.g. identical GPUs Vulkan cannot tell apart.
  for (const w of backend.warnings) process.stderr.write(`labelsweep: warning: ${w}\n`);
  if (inputs.labelled.size === 0) throw new UserError("no labelled training images in this run's split");
  const method = await loadMethod(config.method.name as MethodName);
  const numClasses = inputs.categoryIds.length;
  const built = createModel(config.detector, numClasses, imageSizeOf(config));
  const checkpoints = join(ctx.dir, "checkpoints");
  if (!ctx.resume) rmSync(checkpoints, { recursive: true, force: true });
  const perStep = labelledPerStep(config.train, config.method.name, (inputs.unlabelled?.size ?? 0) > 0);
  const cfg = trainConfig(
    config.train,
    config.seed,
    { images: inputs.labelled.size, perStep },
    checkpoints,
    ctx.resume,
  );
  const params = built.model.createParams(new Rng(config.seed));
  if (ctx.initFrom) startFrom(params, ctx.initFrom);
  let dispose: (() => void) | undefined;
  try {
    const { extra, classCoverage, observed, pseudo } = inputs;
    const labelled = pseudo
      ? concatSources([inputs.labelled as SampleSource<DetectionSample>, pseudo.samples])
      : inputs.labelled;
    const unlabelled = pseudo ? pseudo.rest : inputs.unlabelled;
    const setup = await method.create({
      config,
      model: built,
      params,
      data: {
        labelled,
        ...(unlabelled ? { unlabelled } : {}),
        ...(extra ? { extra } : {}),
        ...(classCoverage ? { classCoverage } : {}),
        ...(observed ? { observed } : {}),
      },
      seed: config.seed,
      iterations: cfg.iterations,
    });
    dispose = setup.dispose?.bind(setup);
    const inference = () => setup.inferenceParams?.() ?? params;
    if (setup.optimizerGroups?.length) {
      cfg.optimizer = {
        ...cfg.optimizer,
        groups: [...setup.optimizerGroups, ...(cfg.optimizer.groups ?? [])],
      };
    }
    const predict: () => Promise<(CocoResult | ScoreResult)[]> =
      built.kind === "detector"
        ? () => predictDetections(built.model, inference(), inputs.eval, { categoryIds: inputs.categoryIds })
        : () => scoreImages(built.model, inference(), inputs.eval, inputs.categoryIds);
    const task = setup.task;
    if (ctx.evaluate) {
      const score = ctx.evaluate;
      task.evaluate = async () => score(await predict());
    }
    const result = await train(task, { ...cfg, handleSigterm: false }, setup.hooks, {
      onEvent: ctx.onEvent,
      signal: ctx.signal,
    });
    const done = { backend, iterations: result.iterations, method: setup.provenance };
    if (result.stopped) return { kind: "stopped", ...done };
    const file = join(ctx.dir, "predictions.json");
    await writeFileAtomic(file, `${JSON.stringify(await predict())}\n`);
    if (ctx.acquire) await acquire(built, inference(), inputs, ctx.acquire, config.seed);
    return { kind: "predictions", file, ...done };
  } finally {
    dispose?.();
    params.dispose();
  }
}
