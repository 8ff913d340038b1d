// Supervised detection as a TrainTask: the default batch composer (seeded
// epochs over the labelled pool, augmentation, anchor targets) and the
// detector's own loss. Methods reuse the pieces (composeDetectionBatch,
// the outputs left in ctx.scratch) and add terms through hooks.

import type { Scalar, Tensor4D } from "@tensorflow/tfjs-core";
import { type AugmentOptions, augmentBatch } from "../augment.js";
import type { AnchorTargets, Detector, DetectorOutputs, ImageTargets } from "../detect/detector.js";
import { keepPositivesOnly } from "../detect/targets.js";
import type { ParamStore } from "../nn/params.js";
import { type DetectionSample, type ImageMeta, loadDetectionBatch, type SampleSource } from "../samples.js";
import { tf } from "../tf.js";
import type { TrainContext, TrainTask } from "./loop.js";
import { epochBatch, stepRng } from "./sampling.js";

export interface DetectionBatch {
  /** Augmented input images [B, S, S, 3]. */
  images: Tensor4D;
  metas: ImageMeta[];
  targets: ImageTargets[];
  anchorTargets: AnchorTargets;
  /** Extra per-pixel channels [B, S, S, C] moved with the images (see AuxChannels). */
  aux?: Tensor4D;
}

export interface DetectionTaskOptions {
  batchSize: number;
  augment?: AugmentOptions;
  /** Seed of the data order and augmentation streams (usually the run seed). */
  seed: number;
}

/**
 * Per-pixel channels that travel with a sample through resizing and the
 * geometric augmentations (e.g. class-coverage maps for an oracle teacher).
 */
export interface AuxChannels {
  channels: number;
  /** height × width × channels, row-major, in the sample's own pixels. */
  of(meta: ImageMeta): Float32Array | Promise<Float32Array>;
}

/** The aux channels of a batch at the model's input size, [B, S, S, C]. */
export async function loadAux(aux: AuxChannels, metas: ImageMeta[], size: number): Promise<Tensor4D> {
  const maps = await Promise.all(metas.map((m) => aux.of(m)));
  return tf.tidy(
    () =>
      tf.stack(
        maps.map((data, i) => {
          const m = metas[i]!;
          const t = tf.tensor3d(data, [m.height, m.width, aux.channels]);
          return m.height === size && m.width === size ? t : tf.image.resizeBilinear(t, [size, size]);
        }),
      ) as Tensor4D,
  );
}

/** Loads, augments and assigns targets for the images `indices` of `source`. */
export async function composeDetectionBatch(
  detector: Detector,
  source: SampleSource<DetectionSample>,
  indices: number[],
  augment: AugmentOptions | undefined,
  seed: number,
  iter: number,
  aux?: AuxChannels,
): Promise<DetectionBatch> {
  const input = await loadDetectionBatch(source, indices, detector.imageSize);
  const auxIn = aux ? await loadAux(aux, input.metas, detector.imageSize) : undefined;
  const aug = augment
    ? augmentBatch(input, augment, stepRng(seed, iter, "augment"), auxIn)
    : { images: input.images, boxes: input.boxes, classes: input.classes, aux: auxIn };
  if (aug.images !== input.images) input.images.dispose();
  if (auxIn && aug.aux !== auxIn) auxIn.dispose();
  const targets = aug.boxes.map((boxes, i) => ({ boxes, classes: aug.classes[i]! }));
  const assigned = detector.assignTargets(targets);
  return {
    images: aug.images,
    metas: input.metas,
    targets,
    anchorTargets: input.positiveOnly ? keepPositivesOnly(assigned, input.positiveOnly) : assigned,
    ...(aug.aux ? { aux: aug.aux } : {}),
  };
}

/** Scratch key under which the task leaves the main forward pass's outputs for hooks. */
export const OUTPUTS = "outputs";

export function detectionTask(
  detector: Detector,
  params: ParamStore,
  source: SampleSource<DetectionSample>,
  options: DetectionTaskOptions,
): TrainTask<DetectionBatch> {
  return {
    params,
    nextBatch: (ctx: TrainContext) =>
      composeDetectionBatch(
        detector,
        source,
        epochBatch(source.size, options.batchSize, ctx.iter, options.seed, "labelled"),
        options.augment,
        options.seed,
        ctx.iter,
      ),
    losses: (ctx: TrainContext, batch: DetectionBatch): Record<string, Scalar> => {
      const out: DetectorOutputs = detector.forward(params, batch.images);
      ctx.scratch.set(OUTPUTS, out);
      return detector.loss(out, batch.anchorTargets);
    },
    disposeBatch: (batch) => batch.images.dispose(),
  };
}
