// What the engine reads: plain samples (Float32 pixels in [0, 1], COCO boxes),
// from any source that can hand them out by index. The data stage adapts its
// datasets and split files to this; tests build samples directly.

import type { Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { type Box, xywhToXyxy } from "./detect/boxes.js";
import { tf } from "./tf.js";

export interface ImageMeta {
  imageId: number | string;
  width: number;
  height: number;
}

export interface DetectionSample extends ImageMeta {
  /** height × width × 3, row-major, values in [0, 1]. */
  image: Float32Array;
  /** COCO [x, y, w, h] in pixels. */
  boxes: ArrayLike<number>[];
  /** Class index (0..C−1, the engine's contiguous numbering) per box. */
  classes: number[];
  /**
   * The boxes are not all the objects (pseudo-labels): classification learns from the
   * anchors matched to them only, never from background (keepPositivesOnly).
   */
  positiveOnly?: boolean;
}

export interface MultiLabelSample extends ImageMeta {
  image: Float32Array;
  /** Positive class indices (all of them, or the single observed one). */
  positives: number[];
}

/**
 * The observed image-level labels of the labelled images, row i = sample i of
 * the labelled source (single-positive splits): what a per-image label
 * estimator is initialised from (METHODS.md §5a).
 */
export interface ObservedLabels {
  numClasses: number;
  /** size × numClasses: +1 observed positive, −1 observed negative, 0 unknown. */
  labels: Int8Array;
  /** Mean true positive classes per image (from the full annotations), when the split recorded it. */
  meanPositives?: number;
}

export interface SampleSource<T> {
  readonly size: number;
  get(index: number): T | Promise<T>;
  /**
   * A detection sample's boxes and classes without its pixels (for samplers
   * and crop lists that must see every image's labels, e.g. repeat-factor
   * sampling); absent when the source has no cheaper way than get().
   */
  labelsOf?(index: number): Pick<DetectionSample, "boxes" | "classes">;
}

/** Boxes and classes of sample `index`, without decoding pixels when the source can tell them apart. */
export async function labelsAt(
  source: SampleSource<DetectionSample>,
  index: number,
): Promise<Pick<DetectionSample, "boxes" | "classes">> {
  if (source.labelsOf) return source.labelsOf(index);
  const s = await source.get(index);
  return { boxes: s.boxes, classes: s.classes };
}

/** Wraps an in-memory list. */
export function arraySource<T>(items: T[]): SampleSource<T> {
  return { size: items.length, get: (i) => items[i]! };
}

/** Square model input S×S: the images resized (bilinear, aspect not kept), boxes scaled to match. */
export interface InputBatch {
  images: Tensor4D;
  metas: ImageMeta[];
  /** xyxy in input pixels. */
  boxes: Box[][];
  classes: number[][];
  /** Per image: its boxes are positives only (DetectionSample.positiveOnly); absent when none is. */
  positiveOnly?: boolean[];
}

function toInput(sample: ImageMeta & { image: Float32Array }, size: number): Tensor3D {
  return tf.tidy(() => {
    const t = tf.tensor3d(sample.image, [sample.height, sample.width, 3]);
    if (sample.height === size && sample.width === size) return t;
    return tf.image.resizeBilinear(t, [size, size]) as Tensor3D;
  });
}

export async function loadImages<T extends ImageMeta & { image: Float32Array }>(
  source: SampleSource<T>,
  indices: number[],
  size: number,
): Promise<{ images: Tensor4D; samples: T[] }> {
  const samples = await Promise.all(indices.map((i) => source.get(i)));
  for (const s of samples) {
    if (s.image.length !== s.height * s.width * 3) {
      throw new Error(`image ${s.imageId}: ${s.image.length} values for ${s.height}×${s.width}×3`);
    }
  }
  const images = tf.tidy(() => tf.stack(samples.map((s) => toInput(s, size))) as Tensor4D);
  return { images, samples };
}

export async function loadDetectionBatch(
  source: SampleSource<DetectionSample>,
  indices: number[],
  size: number,
): Promise<InputBatch> {
  const { images, samples } = await loadImages(source, indices, size);
  const boxes = samples.map((s) => {
    const sx = size / s.width;
    const sy = size / s.height;
    return s.boxes.map((b): Box => {
      const [x1, y1, x2, y2] = xywhToXyxy(b);
      return [x1 * sx, y1 * sy, x2 * sx, y2 * sy];
    });
  });
  return {
    images,
    metas: samples.map(({ imageId, width, height }) => ({ imageId, width, height })),
    boxes,
    classes: samples.map((s) => [...s.classes]),
    ...(samples.some((s) => s.positiveOnly)
      ? { positiveOnly: samples.map((s) => s.positiveOnly === true) }
      : {}),
  };
}

/** Several sources read as one, in order (e.g. a budget split's unlabelled images + dataset.unlabeled). */
export function concatSources<T>(sources: SampleSource<T>[]): SampleSource<T> {
  if (sources.length === 1) return sources[0]!;
  const size = sources.reduce((n, s) => n + s.size, 0);
  return {
    size,
    get(index) {
      let i = index;
      for (const s of sources) {
        if (i < s.size) return s.get(i);
        i -= s.size;
      }
      throw new RangeError(`index ${index} outside a source of ${size} items`);
    },
  };
}
