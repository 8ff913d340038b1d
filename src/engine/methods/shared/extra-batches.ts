// Extra image-level data in the training stream (RichSem, METHODS.md §4a):
// extra images arrive as whole-image coarse boxes (the data stage's `extra`
// protocol), are flipped, combined four at a time by mosaic, and their batches
// alternate with detection batches — `MultiDatasetLoader` with main_weight =
// sub_weight = 1 gives 1 : 1. All of a detector's losses then apply to the
// coarse boxes as to annotations (RichSem's is_extra defaults mask nothing).

import type { Tensor4D } from "@tensorflow/tfjs-core";
import { flipImages } from "../../augment.js";
import type { Detector } from "../../detect/detector.js";
import { type DetectionSample, loadDetectionBatch, type SampleSource } from "../../samples.js";
import { tf } from "../../tf.js";
import { type AuxChannels, type DetectionBatch, loadAux } from "../../train/detection-task.js";
import { epochBatch, stepRng } from "../../train/sampling.js";
import { mosaic, mosaicCentres } from "./mosaic.js";

/** Extra batches among iterations 0..iter−1 when there are `ratio` extra batches per detection batch. */
export function extraStepsBefore(iter: number, ratio: number): number {
  if (ratio <= 0) return 0;
  return Math.floor((iter * ratio) / (1 + ratio) + 1e-9);
}

/** Whether iteration `iter` (0-based) trains on an extra batch: with ratio 1, every second one, starting with detection. */
export function isExtraStep(iter: number, ratio: number): boolean {
  return extraStepsBefore(iter + 1, ratio) > extraStepsBefore(iter, ratio);
}

export interface ExtraBatchOptions {
  batchSize: number;
  /** Combine four extra images per input (mmdet Mosaic); otherwise one image per input. */
  mosaic: boolean;
  flip: boolean;
  seed: number;
}

/** The `k`-th extra batch (at iteration `iter`): coarse boxes, flipped tiles, mosaic canvases, anchor targets. */
export async function composeExtraBatch(
  detector: Detector,
  source: SampleSource<DetectionSample>,
  k: number,
  iter: number,
  options: ExtraBatchOptions,
  aux?: AuxChannels,
): Promise<DetectionBatch> {
  const size = detector.imageSize;
  const per = options.mosaic ? 4 : 1;
  const indices = epochBatch(source.size, options.batchSize * per, k, options.seed, "extra");
  const input = await loadDetectionBatch(source, indices, size);
  const channels = input.images.shape[3];
  let images: Tensor4D = input.images;
  if (aux) {
    const maps = await loadAux(aux, input.metas, size);
    images = tf.concat([input.images, maps], 3) as Tensor4D;
    maps.dispose();
    input.images.dispose();
  }
  let batch = { images, boxes: input.boxes, classes: input.classes };
  if (options.flip) {
    const rng = stepRng(options.seed, iter, "extra/flip");
    const flipped = flipImages(
      batch,
      indices.map(() => rng.next() < 0.5),
    );
    batch.images.dispose();
    batch = flipped;
  }
  if (options.mosaic) {
    const combined = mosaic(
      batch,
      mosaicCentres(options.batchSize, size, stepRng(options.seed, iter, "extra/mosaic")),
    );
    batch.images.dispose();
    batch = combined;
  }
  let out: Tensor4D = batch.images;
  let auxOut: Tensor4D | undefined;
  if (aux) {
    [out, auxOut] = tf.split(batch.images, [channels, aux.channels], 3) as [Tensor4D, Tensor4D];
    batch.images.dispose();
  }
  const metas = options.mosaic
    ? Array.from({ length: options.batchSize }, (_, i) => ({
        imageId: `mosaic-${iter}-${i}`,
        width: size,
        height: size,
      }))
    : input.metas;
  const targets = batch.boxes.map((boxes, i) => ({ boxes, classes: batch.classes[i]! }));
  return {
    images: out,
    metas,
    targets,
    anchorTargets: detector.assignTargets(targets),
    ...(auxOut ? { aux: auxOut } : {}),
  };
}
