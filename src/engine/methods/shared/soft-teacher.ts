// RichSem's teacher, made pluggable (METHODS.md §4a, §4e): something frozen
// that turns a box of a training image into a soft distribution over the K
// classes. RichSem uses CLIP RN50 (RoIAlign on the augmented image, attnpool,
// softmax(100·cos(f, t_c))); CLIP does not fit a CPU budget, so labelsweep has
//   - `classifier`: a small region classifier trained first on labelled crops
//     and extra images, then frozen (region-classifier.ts);
//   - `oracle`: on `shapes`, where the scene is known, the temperature-
//     softened share of each class's pixel area inside the box
//     (class-area-teacher.ts).
// Targets are computed outside the gradient tape, from the same augmented
// batch the detector sees (as RichSem feeds CLIP the detector's own input).

import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { ImageTargets } from "../../detect/detector.js";

export interface TeacherBatch {
  /** The detector's input images [B, S, S, 3] after augmentation (and mosaic). */
  images: Tensor4D;
  /** Per-pixel class coverage [B, S, S, K] moved with the images (oracle teacher only). */
  coverage?: Tensor4D;
  /** The boxes to describe, per image, in input pixels. */
  targets: ImageTargets[];
}

export interface SoftTeacher {
  readonly name: "classifier" | "oracle";
  /** Whether batches must carry per-pixel class coverage. */
  readonly needsCoverage: boolean;
  /** A probability distribution over the classes for every box of every image: [image][box][class]. */
  targets(batch: TeacherBatch): number[][][];
}

/** softmax(logits / temperature) of one row, in float64. */
export function softmaxRow(logits: ArrayLike<number>, temperature: number): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  const e = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! / temperature - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}
