// The contract between the one training loop and a learning method
// (DESIGN.md "Methods (plug-ins of the one training loop)"). A method is a
// factory: from the run's `method` block and what the run has to train on, it
// returns the loop's TrainTask (the batch composer and base losses) and its
// hooks (extra losses inside the gradient tape, afterStep, saved state), plus
// the choices it made where a paper and its code differ, for provenance.
// A method never copies the loop (src/engine/train/loop.ts).

import type { JsonObject, JsonValue, RunConfig } from "../../spec/types.js";
import type { MlcLite } from "../classify/mlc-lite.js";
import type { Detector } from "../detect/detector.js";
import type { EngineModel } from "../models.js";
import type { ParamStore } from "../nn/params.js";
import type {
  DetectionSample,
  ImageMeta,
  MultiLabelSample,
  ObservedLabels,
  SampleSource,
} from "../samples.js";
import type { ClassifierTaskOptions } from "../train/classifier-task.js";
import type { AuxChannels } from "../train/detection-task.js";
import type { TrainHook, TrainTask } from "../train/loop.js";
import type { OptimizerConfig } from "../train/optimizer.js";
import { trainBatchOptions } from "./shared/options.js";

/** Images without labels (their annotations never reach the engine). */
export type UnlabelledSample = ImageMeta & { image: Float32Array };

/** Everything a run has to train on, as sample sources. */
export interface MethodData {
  /** Labelled training images: boxes for detectors, positives for mlc-lite. */
  labelled: SampleSource<DetectionSample> | SampleSource<MultiLabelSample>;
  /** Unlabelled training images (budget / active splits, dataset.unlabeled). */
  unlabelled?: SampleSource<UnlabelledSample>;
  /** Extra images with image-level labels only, as whole-image boxes (labels.extra). */
  extra?: SampleSource<DetectionSample>;
  /**
   * Per-pixel class coverage (one channel per class) of the labelled and
   * extra images, where the scene is known (`shapes`): RichSem's oracle teacher.
   */
  classCoverage?: AuxChannels;
  /** The labelled images' observed labels, row by row (single-positive splits). */
  observed?: ObservedLabels;
}

export interface MethodInputs {
  config: RunConfig;
  model: EngineModel;
  params: ParamStore;
  data: MethodData;
  /** The run's seed (data order, augmentation, method sampling). */
  seed: number;
  /** Total training iterations of the run (schedules scale to it). */
  iterations: number;
}

export interface MethodSetup {
  // biome-ignore lint/suspicious/noExplicitAny: each method has its own batch type; the loop is generic over it
  task: TrainTask<any>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  hooks: TrainHook<any>[];
  /**
   * The method's resolved options and its code-vs-paper choices (METHODS.md),
   * recorded in the run's provenance as `method`.
   */
  provenance: JsonObject;
  /**
   * The parameters to predict with once training ends (and at periodic
   * evaluations): default the trained model's; a teacher–student method may
   * answer with its EMA teacher's (Unbiased Teacher evaluates both).
   */
  inferenceParams?(): ParamStore;
  /** Frees what the method allocated beside the model (a teacher's parameters). */
  dispose?(): void;
  /**
   * Optimiser parameter groups by name prefix (first match wins), e.g. a label
   * estimator's own rate: put before the run's own groups.
   */
  optimizerGroups?: OptimizerConfig["groups"];
}

export interface MethodModule {
  create(inputs: MethodInputs): MethodSetup | Promise<MethodSetup>;
}

/** The model of a detection method, or a clear error when the run's model is a classifier. */
export function detectorOf(inputs: MethodInputs): Detector {
  if (inputs.model.kind !== "detector") {
    throw new Error(
      `method '${inputs.config.method.name}' needs a detector, got ${inputs.config.detector.arch}`,
    );
  }
  return inputs.model.model;
}

export function classifierOf(inputs: MethodInputs): MlcLite {
  if (inputs.model.kind !== "classifier") {
    throw new Error(
      `method '${inputs.config.method.name}' needs an image classifier, got ${inputs.config.detector.arch}`,
    );
  }
  return inputs.model.model;
}

/** Batch size, seed and augmentation of the run's labelled batches (train.batch, train.augment). */
export function batchOptions(inputs: MethodInputs): ClassifierTaskOptions {
  const { batchSize, augment } = trainBatchOptions(inputs.config);
  return { batchSize, seed: inputs.seed, augment };
}

/** The labelled images' observed labels, or a clear error when the split has none. */
export function observedOf(inputs: MethodInputs): ObservedLabels {
  const observed = inputs.data.observed;
  if (!observed) {
    throw new Error(
      `method '${inputs.config.method.name}' needs observed image-level labels (labels.protocol single-positive)`,
    );
  }
  return observed;
}

/** A method parameter (schema-validated), or its default. */
export function methodParam<T extends JsonValue>(inputs: MethodInputs, key: string, fallback: T): T {
  const v = inputs.config.method[key];
  return (v === undefined || v === null ? fallback : v) as T;
}
