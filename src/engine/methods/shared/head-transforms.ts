// Flip and rescale of dense head outputs, written once for the methods that
// compare a detector's predictions across a transformed copy of its input:
// CSD's flipped pass (METHODS.md §1a) and SED's half-scale pass (§3a).
//
// Anchor order is level, row, column, shape (detect/anchors.ts), and a level's
// maps are [B, H, W, A·C]. Flipping an image left–right moves the anchor at
// (y, x, a) to (y, W−1−x, a): an axis-aligned box mirrored keeps its width and
// height, and centres at (x + 0.5)·stride mirror onto each other when the
// image side is a multiple of the level's stride. So reversing every level's
// maps along W lines prior k of the flipped pass up with prior k of the plain
// pass (CSD code: `flip(append_loc, 2)`, `flip(append_conf, 2)`), and a
// mirrored box's centre offset changes sign (the paper's −Δĉx).
//
// Halving the input moves an object seen by level l (stride 8·2^l) to level
// l−1 on the same grid, with anchors half the size on a half-size object, so
// box deltas (normalised by the anchor) and class scores are comparable anchor
// by anchor: full-scale levels 1…L−1 pair with half-scale levels 0…L−2.

import type { Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import type { AnchorSet } from "../../detect/anchors.js";
import { mirrorIndex } from "../../detect/anchors.js";
import type { AnchorTargets, Detector, DetectorOutputs, LevelOutputs } from "../../detect/detector.js";
import { tf } from "../../tf.js";

/** Scores per anchor: classes + background (softmax) or classes (sigmoid). */
export function scoreChannels(detector: Pick<Detector, "scoreKind" | "numClasses">): number {
  return detector.scoreKind === "softmax" ? detector.numClasses + 1 : detector.numClasses;
}

export interface FlatOutputs {
  /** [B, P, K] */
  cls: Tensor3D;
  /** [B, P, 4] */
  box: Tensor3D;
}

/** Level maps flattened in anchor order (what a detector's forward returns as cls / box). */
export function flattenLevels(
  levels: readonly Pick<LevelOutputs, "cls" | "box">[],
  numScores: number,
): FlatOutputs {
  const bs = levels[0]!.cls.shape[0];
  return {
    cls: tf.concat(
      levels.map((l) => tf.reshape(l.cls, [bs, -1, numScores])),
      1,
    ) as Tensor3D,
    box: tf.concat(
      levels.map((l) => tf.reshape(l.box, [bs, -1, 4])),
      1,
    ) as Tensor3D,
  };
}

/** Multiplies the centre-x offset (channel 0 of every anchor's deltas) by −1. */
export function mirrorDeltas(box: Tensor3D): Tensor3D {
  return tf.mul(box, tf.tensor1d([-1, 1, 1, 1])) as Tensor3D;
}

/**
 * The outputs of a pass over left–right flipped images, brought back to the
 * plain pass's anchor order: prior k of the result is the mirror of prior k of
 * the flipped pass. With `mirror` (default) the centre-x offsets change sign,
 * so both passes predict the same box for the same object.
 */
export function flipBack(
  flipped: DetectorOutputs,
  detector: Pick<Detector, "scoreKind" | "numClasses">,
  mirror = true,
): FlatOutputs {
  const levels = flipped.levels.map((l) => ({ cls: tf.reverse(l.cls, 2), box: tf.reverse(l.box, 2) }));
  const flat = flattenLevels(levels, scoreChannels(detector));
  return mirror ? { cls: flat.cls, box: mirrorDeltas(flat.box) } : flat;
}

/** Images flipped left–right [B, H, W, 3]. */
export function mirrorImages(images: Tensor4D): Tensor4D {
  return tf.reverse(images, 2) as Tensor4D;
}

/**
 * Whether flipping the maps pairs every anchor with its exact mirror image
 * (the image side is a multiple of every level's stride). When not, the pairing
 * is off by part of a stride at the levels that do not divide (as in SSD300's
 * 38×38 map on 300 px images); CSD still runs and the run records it.
 */
export function mirrorIsExact(anchors: AnchorSet, tolerance = 1e-3): boolean {
  const m = mirrorIndex(anchors);
  const w = anchors.imageWidth;
  const b = anchors.boxes;
  for (let k = 0; k < anchors.count; k++) {
    const j = m[k]!;
    if (
      Math.abs(w - b[4 * k + 2]! - b[4 * j]!) > tolerance ||
      Math.abs(w - b[4 * k]! - b[4 * j + 2]!) > tolerance
    )
      return false;
  }
  return true;
}

/** Images resized by `factor` (bilinear, half-pixel centres: at 0.5, each output pixel averages a 2×2 block). */
export function rescaleImages(images: Tensor4D, factor: number): Tensor4D {
  const [, h, w] = images.shape;
  const size: [number, number] = [Math.max(1, Math.round(h * factor)), Math.max(1, Math.round(w * factor))];
  return tf.image.resizeBilinear(images, size, false, true) as Tensor4D;
}

/** The outputs of images [start, start + count) of a batch. */
export function sliceBatch(out: DetectorOutputs, start: number, count: number): DetectorOutputs {
  const s4 = (t: Tensor4D) => tf.slice(t, [start, 0, 0, 0], [count, -1, -1, -1]) as Tensor4D;
  const s3 = (t: Tensor3D) => tf.slice(t, [start, 0, 0], [count, -1, -1]) as Tensor3D;
  return {
    levels: out.levels.map((l) => ({ cls: s4(l.cls), box: s4(l.box), clsFeat: s4(l.clsFeat) })),
    cls: s3(out.cls),
    box: s3(out.box),
  };
}

export interface LevelPairs {
  /** Full-scale levels shift…L−1, flattened in anchor order. */
  full: FlatOutputs;
  /** Rescaled-input levels 0…L−1−shift, flattened; anchor k here pairs with anchor k of `full`. */
  rescaled: FlatOutputs;
  /** Anchor index range of the paired full-scale levels in the detector's anchor list. */
  anchors: { start: number; end: number };
  /** (full level, rescaled level) pairs. */
  pairs: [number, number][];
}

/**
 * Pairs full-scale level l with level l − shift of a pass over images scaled
 * by 2^−shift (SED's cross-scale pairing at shift 1, METHODS.md §3a). Every
 * paired map must have the same grid; anything else is an error.
 */
export function pairLevels(
  full: Pick<DetectorOutputs, "levels">,
  rescaled: Pick<DetectorOutputs, "levels">,
  detector: Pick<Detector, "scoreKind" | "numClasses" | "anchors">,
  shift = 1,
): LevelPairs {
  const n = full.levels.length;
  if (rescaled.levels.length !== n)
    throw new Error("pairLevels: the two passes have different numbers of levels");
  if (n <= shift)
    throw new Error(`pairLevels: ${n} pyramid level(s) leave nothing to pair across ${shift} level(s)`);
  const pairs: [number, number][] = [];
  for (let l = shift; l < n; l++) {
    const a = full.levels[l]!.cls.shape;
    const b = rescaled.levels[l - shift]!.cls.shape;
    if (a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3]) {
      throw new Error(
        `pairLevels: full-scale level ${l} has a ${a[1]}×${a[2]} grid, rescaled level ${l - shift} ${b[1]}×${b[2]} (the image side must be a multiple of the coarsest stride)`,
      );
    }
    pairs.push([l, l - shift]);
  }
  const k = scoreChannels(detector);
  const levels = detector.anchors.levels;
  const last = levels[n - 1]!;
  return {
    full: flattenLevels(full.levels.slice(shift), k),
    rescaled: flattenLevels(rescaled.levels.slice(0, n - shift), k),
    anchors: { start: levels[shift]!.offset, end: last.offset + last.count },
    pairs,
  };
}

/** Anchor targets restricted to anchors [start, end) of every image (e.g. the levels SED pairs). */
export function anchorRange(t: AnchorTargets, start: number, end: number): AnchorTargets {
  const p = end - start;
  const labels = new Int32Array(t.batch * p);
  const matched = new Int32Array(t.batch * p);
  const deltas = new Float32Array(t.batch * p * 4);
  let numForeground = 0;
  for (let b = 0; b < t.batch; b++) {
    const from = b * t.anchors + start;
    labels.set(t.labels.subarray(from, from + p), b * p);
    matched.set(t.matched.subarray(from, from + p), b * p);
    deltas.set(t.deltas.subarray(4 * from, 4 * (from + p)), 4 * b * p);
  }
  for (const l of labels) if (l >= 0) numForeground++;
  return { batch: t.batch, anchors: p, labels, deltas, matched, numForeground };
}
