// Batch augmentation as tensor ops (whole batch at once, per-image random
// parameters from the seeded Rng), with the matching box transforms.
//
// flip: left–right mirror with probability 0.5 (CSD keeps random mirror, §1e).
// scaleJitter: zoom by s ∈ [lo, hi] around a random point (crop-and-resize;
//   s < 1 shrinks the image inside a zero border).
// colorJitter: brightness, contrast and saturation factors in [1−j, 1+j]
//   (torchvision ColorJitter without hue; Co-mining's photometric view, §2a).

import type { Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import type { Box } from "./detect/boxes.js";
import type { Rng } from "./nn/rng.js";
import { tf } from "./tf.js";

export interface AugmentOptions {
  flip?: boolean;
  scaleJitter?: [number, number];
  colorJitter?: number;
}

export interface BoxedImages {
  /** [B, S, S, 3] in [0, 1]. */
  images: Tensor4D;
  /** xyxy in input pixels, per image. */
  boxes: Box[][];
  classes: number[][];
}

/** Mirrors the images whose flag is set (boxes too). */
export function flipImages(batch: BoxedImages, flags: boolean[]): BoxedImages {
  const s = batch.images.shape[2];
  const images = tf.tidy(() => {
    const mask = tf.tensor4d(
      flags.map((f) => (f ? 1 : 0)),
      [flags.length, 1, 1, 1],
      "bool",
    );
    return tf.where(mask, tf.reverse(batch.images, 2), batch.images) as Tensor4D;
  });
  const boxes = batch.boxes.map((bs, i) =>
    flags[i] ? bs.map((b): Box => [s - b[2], b[1], s - b[0], b[3]]) : bs,
  );
  return { images, boxes, classes: batch.classes };
}

/**
 * Zooms each image i by scales[i] about a random centre. Boxes are mapped,
 * clipped to the image, and dropped when less than 2 px wide or high.
 */
export function scaleImages(batch: BoxedImages, scales: number[], rng: Rng): BoxedImages {
  const [n, h, w] = batch.images.shape;
  const crops = new Float32Array(n * 4);
  const windows: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    const s = scales[i]!;
    const ch = h / s;
    const cw = w / s;
    // Window origin: inside the image when zooming in, around it when zooming out.
    const top = s >= 1 ? rng.uniform(0, h - ch) : rng.uniform(h - ch, 0);
    const left = s >= 1 ? rng.uniform(0, w - cw) : rng.uniform(w - cw, 0);
    windows.push([top, left, s]);
    crops.set([top / (h - 1), left / (w - 1), (top + ch - 1) / (h - 1), (left + cw - 1) / (w - 1)], 4 * i);
  }
  const images = tf.tidy(
    () =>
      tf.image.cropAndResize(
        batch.images,
        tf.tensor2d(crops, [n, 4]) as Tensor2D,
        tf.tensor1d(
          Array.from({ length: n }, (_, i) => i),
          "int32",
        ) as Tensor1D,
        [h, w],
        "bilinear",
        0,
      ) as Tensor4D,
  );
  const boxes: Box[][] = [];
  const classes: number[][] = [];
  batch.boxes.forEach((bs, i) => {
    const [top, left, s] = windows[i]!;
    const keptBoxes: Box[] = [];
    const keptClasses: number[] = [];
    bs.forEach((b, j) => {
      const x1 = Math.min(Math.max((b[0] - left) * s, 0), w);
      const y1 = Math.min(Math.max((b[1] - top) * s, 0), h);
      const x2 = Math.min(Math.max((b[2] - left) * s, 0), w);
      const y2 = Math.min(Math.max((b[3] - top) * s, 0), h);
      if (x2 - x1 >= 2 && y2 - y1 >= 2) {
        keptBoxes.push([x1, y1, x2, y2]);
        keptClasses.push(batch.classes[i]![j]!);
      }
    });
    boxes.push(keptBoxes);
    classes.push(keptClasses);
  });
  return { images, boxes, classes };
}

/** Per-image brightness, contrast and saturation factors in [1 − j, 1 + j]; pixels stay in [0, 1]. */
export function colorJitter(images: Tensor4D, strength: number, rng: Rng): Tensor4D {
  const n = images.shape[0];
  const draw = () =>
    tf.tensor4d(
      Array.from({ length: n }, () => rng.uniform(1 - strength, 1 + strength)),
      [n, 1, 1, 1],
    );
  const bright = draw();
  const contrast = draw();
  const saturation = draw();
  return tf.tidy(() => {
    let x: Tensor4D = tf.mul(images, bright);
    const gray = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true);
    const mean = tf.mean(gray, [1, 2], true);
    x = tf.add(tf.mul(tf.sub(x, mean), contrast), mean);
    const gray2 = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true);
    x = tf.add(gray2, tf.mul(tf.sub(x, gray2), saturation));
    tf.dispose([bright, contrast, saturation]);
    return tf.clipByValue(x, 0, 1) as Tensor4D;
  });
}

/** Applies the configured augmentations in a fixed order: scale, flip, colour. */
export function augmentBatch(batch: BoxedImages, options: AugmentOptions, rng: Rng): BoxedImages {
  let cur = batch;
  const owned: Tensor4D[] = [];
  const n = batch.images.shape[0];
  if (options.scaleJitter) {
    const [lo, hi] = options.scaleJitter;
    cur = scaleImages(
      cur,
      Array.from({ length: n }, () => rng.uniform(lo, hi)),
      rng,
    );
    owned.push(cur.images);
  }
  if (options.flip) {
    cur = flipImages(
      cur,
      Array.from({ length: n }, () => rng.next() < 0.5),
    );
    owned.push(cur.images);
  }
  if (options.colorJitter) {
    cur = { ...cur, images: colorJitter(cur.images, options.colorJitter, rng) };
    owned.push(cur.images);
  }
  for (const t of owned.slice(0, -1)) t.dispose();
  return cur;
}

/**
 * The photometric "strong" view of teacher–student methods (mean-teacher, SED):
 * pixels change, geometry does not, so boxes found on the weak view hold on
 * the strong one. Unbiased Teacher's recipe (facebookresearch/unbiased-teacher
 * ubteacher/data/detection_utils.py): ColorJitter(0.4, 0.4, 0.4) with p = 0.8,
 * RandomGrayscale p = 0.2, then three RandomErasing passes (p 0.7 / 0.5 / 0.3,
 * area 5–20 % / 2–20 % / 2–20 %, aspect ratio 0.3–3.3 / 0.1–6 / 0.05–8,
 * random fill). Its hue jitter and Gaussian blur are left out (tiny images).
 */
export interface StrongAugmentOptions {
  /** Colour-jitter strength (brightness, contrast, saturation in [1 − j, 1 + j]). */
  colorJitter: number;
  /** Probability that an image is colour-jittered. */
  colorP: number;
  /** Probability that an image becomes grayscale. */
  grayscaleP: number;
  /** Random erasing passes: [probability, area fraction min, max, aspect ratio min, max] each. */
  erasing: [number, number, number, number, number][];
}

export const STRONG_AUGMENT_DEFAULTS: StrongAugmentOptions = {
  colorJitter: 0.4,
  colorP: 0.8,
  grayscaleP: 0.2,
  erasing: [
    [0.7, 0.05, 0.2, 0.3, 3.3],
    [0.5, 0.02, 0.2, 0.1, 6],
    [0.3, 0.02, 0.2, 0.05, 8],
  ],
};

/** torchvision RandomErasing's draw: up to 10 tries for a rectangle that fits; null when none does. */
function erasingBox(
  h: number,
  w: number,
  [, lo, hi, rlo, rhi]: [number, number, number, number, number],
  rng: Rng,
): [number, number, number, number] | null {
  for (let t = 0; t < 10; t++) {
    const area = h * w * rng.uniform(lo, hi);
    const ratio = Math.exp(rng.uniform(Math.log(rlo), Math.log(rhi)));
    const eh = Math.round(Math.sqrt(area * ratio));
    const ew = Math.round(Math.sqrt(area / ratio));
    if (eh < h && ew < w && eh > 0 && ew > 0) return [rng.int(h - eh + 1), rng.int(w - ew + 1), eh, ew];
  }
  return null;
}

export function strongPhotometric(images: Tensor4D, options: StrongAugmentOptions, rng: Rng): Tensor4D {
  const [n, h, w] = images.shape;
  const factors: number[][] = [];
  const gray: number[] = [];
  const mask = new Float32Array(n * h * w);
  const noise = new Float32Array(n * h * w * 3);
  for (let i = 0; i < n; i++) {
    const j = options.colorJitter;
    const jitter = rng.next() < options.colorP;
    const f = [rng.uniform(1 - j, 1 + j), rng.uniform(1 - j, 1 + j), rng.uniform(1 - j, 1 + j)];
    factors.push(jitter ? f : [1, 1, 1]);
    gray.push(rng.next() < options.grayscaleP ? 1 : 0);
    for (const pass of options.erasing) {
      if (rng.next() >= pass[0]) continue;
      const box = erasingBox(h, w, pass, rng);
      if (!box) continue;
      const [top, left, eh, ew] = box;
      for (let y = top; y < top + eh; y++) {
        for (let x = left; x < left + ew; x++) {
          const o = i * h * w + y * w + x;
          mask[o] = 1;
          for (let c = 0; c < 3; c++) noise[3 * o + c] = rng.next();
        }
      }
    }
  }
  return tf.tidy(() => {
    const col = (k: number) =>
      tf.tensor4d(
        factors.map((f) => f[k]!),
        [n, 1, 1, 1],
      );
    const luma = tf.tensor1d([0.299, 0.587, 0.114]);
    let x: Tensor4D = tf.mul(images, col(0));
    const mean = tf.mean(tf.sum(tf.mul(x, luma), 3, true), [1, 2], true);
    x = tf.add(tf.mul(tf.sub(x, mean), col(1)), mean);
    const g = tf.sum(tf.mul(x, luma), 3, true);
    x = tf.add(g, tf.mul(tf.sub(x, g), col(2)));
    const grayMask = tf.tensor4d(gray, [n, 1, 1, 1]);
    x = tf.add(tf.mul(x, tf.sub(1, grayMask)), tf.mul(tf.sum(tf.mul(x, luma), 3, true), grayMask));
    x = tf.clipByValue(x, 0, 1);
    const m = tf.tensor4d(mask, [n, h, w, 1]);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(tf.tensor4d(noise, [n, h, w, 3]), m)) as Tensor4D;
  });
}
