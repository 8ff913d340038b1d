// The contract between the one training loop and a learning method
// (DESIGN.md "Methods (plug-ins of the one training loop)"). A method is a
// factory: from the run's `method` block and what the run has to train on, it
// returns the loop's TrainTask (the batch composer and base losses) and its
// hooks (extra losses inside the gradient tape, afterStep, saved state), plus
// the choices it made where a paper and its code differ, for provenance.
// A method never copies the loop (src/engine/train/loop.ts).

import type { JsonObject, RunConfig } from "../../spec/types.js";
import type { MlcLite } from "../classify/mlc-lite.js";
import type { Detector } from "../detect/detector.js";
import type { EngineModel } from "../models.js";
import type { ParamStore } from "../nn/params.js";
import type { DetectionSample, ImageMeta, MultiLabelSample, SampleSource } from "../samples.js";
import type { TrainHook, TrainTask } from "../train/loop.js";

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
