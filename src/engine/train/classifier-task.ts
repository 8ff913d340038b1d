// Multi-label classification as a TrainTask (mlc-lite): seeded epochs over the
// labelled images, augmentation, and BCE on the positives each sample carries
// (all of an image's classes, or the single observed one), every other class
// a negative. Single-positive methods reuse the batch composer and replace
// the loss through their own task.

import type { Scalar, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { type AugmentOptions, augmentBatch } from "../augment.js";
import type { MlcLite } from "../classify/mlc-lite.js";
import type { ParamStore } from "../nn/params.js";
import { loadImages, type MultiLabelSample, type SampleSource } from "../samples.js";
import { tf } from "../tf.js";
import type { TrainContext, TrainTask } from "./loop.js";
import { epochBatch, stepRng } from "./sampling.js";

export interface ClassifierBatch {
  images: Tensor4D;
  /** Index of each image in the labelled source (per-image state such as a label estimator). */
  indices: number[];
  samples: MultiLabelSample[];
  /** [B, C] 1 for each sample's positives, 0 elsewhere. */
  targets: Tensor2D;
}

export interface ClassifierTaskOptions {
  batchSize: number;
  augment?: AugmentOptions;
  seed: number;
}

export async function composeClassifierBatch(
  model: MlcLite,
  source: SampleSource<MultiLabelSample>,
  indices: number[],
  augment: AugmentOptions | undefined,
  seed: number,
  iter: number,
): Promise<ClassifierBatch> {
  const { images, samples } = await loadImages(source, indices, model.imageSize);
  const aug = augment
    ? augmentBatch(
        { images, boxes: samples.map(() => []), classes: samples.map(() => []) },
        augment,
        stepRng(seed, iter, "augment"),
      )
    : { images };
  if (aug.images !== images) images.dispose();
  const targets = tf.tensor2d(
    samples.map((s) => Array.from({ length: model.numClasses }, (_, c) => (s.positives.includes(c) ? 1 : 0))),
  ) as Tensor2D;
  return { images: aug.images, indices, samples, targets };
}

export function classifierTask(
  model: MlcLite,
  params: ParamStore,
  source: SampleSource<MultiLabelSample>,
  options: ClassifierTaskOptions,
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
    losses: (_ctx, b) => model.loss(model.forward(params, b.images), b.targets) as Record<string, Scalar>,
    disposeBatch: (b) => tf.dispose([b.images, b.targets]),
  };
}
