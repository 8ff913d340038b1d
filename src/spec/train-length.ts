import { METHOD_RULES } from "./compat.js";
import type { MethodName, TrainSpec } from "./types.js";

// How long a built-in run trains, written once for the engine (which trains
// that many steps) and for `plan` (which warns when a run would underfit).
// `train.epochs` counts passes over the labelled images, so it needs the
// labelled images a step takes: all of train.batch, or for a method that mixes
// unlabelled images into its batches, the labelled share of it.

/** How a batch of `batchSize` images splits at `ratio` unlabelled per labelled image. */
export function batchSplit(batchSize: number, ratio: number): { labelled: number; unlabelled: number } {
  if (!(batchSize >= 1)) throw new Error(`batch size must be at least 1, got ${batchSize}`);
  if (!(ratio > 0) || batchSize < 2) return { labelled: batchSize, unlabelled: 0 };
  const unlabelled = Math.min(batchSize - 1, Math.max(1, Math.round((batchSize * ratio) / (1 + ratio))));
  return { labelled: batchSize - unlabelled, unlabelled };
}

/**
 * Labelled images in one training step of a run: train.batch, or its labelled
 * part when the method learns from unlabelled images mixed into each batch
 * (and the run has some).
 */
export function labelledPerStep(train: TrainSpec, method: string, hasUnlabelled = true): number {
  const batch = train.batch ?? 16;
  const rule = METHOD_RULES[method as MethodName];
  if (!hasUnlabelled || !rule?.needsUnlabeled) return batch;
  return batchSplit(batch, train.unlabeled_ratio ?? 1).labelled;
}

/** Steps of a run: train.iterations, or epochs × ⌈labelled images / labelled images per step⌉. */
export function trainIterations(train: TrainSpec, labelledImages: number, perStep: number): number {
  if (train.epochs) return Math.max(1, train.epochs * Math.ceil(labelledImages / perStep));
  return train.iterations ?? 1000;
}
