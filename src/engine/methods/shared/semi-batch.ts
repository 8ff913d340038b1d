// The semi-supervised batch composer, written once for every method that
// learns from unlabelled images (CSD, SED, mean-teacher, pseudo-label; the
// AL-SSL and Co-mining work of other methods can reuse it).
//
// A step's batch of `batchSize` images holds labelled and unlabelled images at
// `train.unlabeled_ratio` unlabelled per labelled image: the CSD code shuffles
// VOC07 (labelled) and VOC12 (unlabelled) together, so a batch of 32 holds on
// average 11540/5011 ≈ 2.3 unlabelled per labelled image; AL-SSL's
// BalancedSampler(ratio=1) alternates them 1:1 (METHODS.md §1a). Here the
// split is the ratio's expected value, rounded, the same at every step (at
// least one labelled image, and at least one unlabelled one when the ratio is
// above 0), so the supervised part of the loss sees a fixed number of images.
// During the first `warmupIterations` steps every image is labelled (CSD's
// supervised first pass over VOC07, a teacher's burn-in).
//
// Both streams are visited in seeded epochs and every random draw (order,
// augmentation, strong view) depends only on (seed, iteration, purpose), so a
// resumed run composes exactly the batches it would have composed.
//
// Unlabelled images are read as pixels and image metadata only: whatever else
// a source's items carry (a split's unlabelled file has no annotations; a test
// may hand in images with boxes) never reaches a method.

import type { Tensor4D } from "@tensorflow/tfjs-core";
import { batchSplit } from "../../../spec/train-length.js";
import {
  type AugmentOptions,
  augmentBatch,
  STRONG_AUGMENT_DEFAULTS,
  type StrongAugmentOptions,
  strongPhotometric,
} from "../../augment.js";
import type { Detector } from "../../detect/detector.js";
import { type DetectionSample, type ImageMeta, loadImages, type SampleSource } from "../../samples.js";
import { composeDetectionBatch, type DetectionBatch } from "../../train/detection-task.js";
import { epochSlice, stepRng } from "../../train/sampling.js";
import type { UnlabelledSample } from "../types.js";

export interface SemiBatchOptions {
  /** Images per step, labelled and unlabelled together (train.batch). */
  batchSize: number;
  /** Unlabelled images per labelled image (train.unlabeled_ratio). */
  unlabeledRatio: number;
  /** Steps at the start whose batch is all labelled (supervised warm-up, burn-in). */
  warmupIterations: number;
  /** Augmentation of labelled images and the weak view of unlabelled ones (train.augment). */
  augment: AugmentOptions;
  /** Also make the strong view of unlabelled images (photometric on top of the weak view). */
  strong?: StrongAugmentOptions | boolean;
  seed: number;
}

export interface UnlabelledViews {
  metas: ImageMeta[];
  /** Weak view [U, S, S, 3]: train.augment, as labelled images get it. */
  weak: Tensor4D;
  /** Strong view: the weak view's geometry plus photometric noise, so boxes on one hold on the other. */
  strong?: Tensor4D;
}

export interface SemiBatch {
  iter: number;
  /** True while the batch is all labelled (warm-up / burn-in). */
  warmup: boolean;
  labelled: DetectionBatch;
  unlabelled: UnlabelledViews | null;
}

export { batchSplit };

export class SemiBatchComposer {
  readonly split: { labelled: number; unlabelled: number };
  private readonly strong: StrongAugmentOptions | null;

  constructor(
    private readonly detector: Detector,
    private readonly labelled: SampleSource<DetectionSample>,
    private readonly unlabelled: SampleSource<UnlabelledSample> | undefined,
    readonly options: SemiBatchOptions,
  ) {
    if (!unlabelled || unlabelled.size === 0) {
      throw new Error("this method needs unlabelled training images, and the run's split has none");
    }
    this.split = batchSplit(options.batchSize, options.unlabeledRatio);
    this.strong = options.strong === true ? STRONG_AUGMENT_DEFAULTS : options.strong ? options.strong : null;
  }

  /** Whether step `iter` is still in the all-labelled warm-up. */
  inWarmup(iter: number): boolean {
    return iter < this.options.warmupIterations || this.split.unlabelled === 0;
  }

  /** Indices into the labelled and unlabelled pools drawn at step `iter`. */
  indices(iter: number): { labelled: number[]; unlabelled: number[] } {
    const { batchSize, warmupIterations: w, seed } = this.options;
    const nL = this.labelled.size;
    if (this.inWarmup(iter)) {
      return { labelled: epochSlice(nL, iter * batchSize, batchSize, seed, "labelled"), unlabelled: [] };
    }
    const { labelled: l, unlabelled: u } = this.split;
    const lStart = w * batchSize + (iter - w) * l;
    const uStart = (iter - w) * u;
    return {
      labelled: epochSlice(nL, lStart, l, seed, "labelled"),
      unlabelled: epochSlice(this.unlabelled!.size, uStart, u, seed, "unlabelled"),
    };
  }

  async next(iter: number): Promise<SemiBatch> {
    const idx = this.indices(iter);
    const { augment, seed } = this.options;
    const labelled = await composeDetectionBatch(
      this.detector,
      this.labelled,
      idx.labelled,
      augment,
      seed,
      iter,
    );
    if (idx.unlabelled.length === 0) return { iter, warmup: true, labelled, unlabelled: null };
    const { images, samples } = await loadImages(this.unlabelled!, idx.unlabelled, this.detector.imageSize);
    const metas = samples.map(({ imageId, width, height }) => ({ imageId, width, height }));
    const aug = augmentBatch(
      { images, boxes: samples.map(() => []), classes: samples.map(() => []) },
      augment,
      stepRng(seed, iter, "augment-unlabelled"),
    );
    if (aug.images !== images) images.dispose();
    const views: UnlabelledViews = { metas, weak: aug.images };
    if (this.strong) views.strong = strongPhotometric(aug.images, this.strong, stepRng(seed, iter, "strong"));
    return { iter, warmup: false, labelled, unlabelled: views };
  }

  dispose(batch: SemiBatch): void {
    batch.labelled.images.dispose();
    batch.unlabelled?.weak.dispose();
    batch.unlabelled?.strong?.dispose();
  }

  /** Plain description for provenance. */
  describe(): Record<string, number | boolean> {
    return {
      batch: this.options.batchSize,
      labelled_per_batch: this.split.labelled,
      unlabelled_per_batch: this.split.unlabelled,
      unlabeled_ratio: this.options.unlabeledRatio,
      warmup_iterations: this.options.warmupIterations,
      strong_view: this.strong !== null,
    };
  }
}
