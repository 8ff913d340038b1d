// Batch augmentation as tensor ops (whole batch at once, per-image random
// parameters from the seeded Rng), with the matching box transforms.
//
// flip: left–right mirror with probability 0.5 (CSD keeps random mirror, §1e).
// scaleJitter: zoom by s ∈ [lo, hi] around a random point (crop-and-resize;
//   s < 1 shrinks the image inside a zero border).
// colorJitter: brightness, contrast and saturation factors in [1−j, 1+j]
//   (torchvision ColorJitter without hue, fixed order, one clamp at the end).
// photometricJitter: torchvision's ColorJitter(b, c, s, h) inside
//   RandomApply(p), op for op — Co-mining's second view (METHODS.md §2a).
// Geometric steps (scale, flip) also move an optional `aux` tensor of extra
// per-pixel channels (e.g. class-coverage maps), never the photometric ones.

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

/**
 * Mirrors the images whose flag is set (boxes too). A row copy in
 * JavaScript: wasm's Reverse plus a broadcast Select cost ~10× more on these
 * small images (same values either way).
 */
export function flipImages(batch: BoxedImages, flags: boolean[]): BoxedImages {
  const [n, h, s, c] = batch.images.shape;
  const src = batch.images.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  const row = s * c;
  for (let i = 0; i < n; i++) {
    const base = i * h * row;
    if (!flags[i]) {
      out.set(src.subarray(base, base + h * row), base);
      continue;
    }
    for (let y = 0; y < h; y++) {
      const r = base + y * row;
      for (let x = 0; x < s; x++) {
        const from = r + x * c;
        const to = r + (s - 1 - x) * c;
        for (let k = 0; k < c; k++) out[to + k] = src[from + k]!;
      }
    }
  }
  const images = tf.tensor4d(out, [n, h, s, c]);
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

/**
 * Applies the configured augmentations in a fixed order: scale, flip, colour.
 * `aux` ([B, S, S, C], e.g. class-coverage maps) takes the geometric steps
 * with the images and skips the colour step; the random draws are the same
 * with or without it.
 */
export function augmentBatch(
  batch: BoxedImages,
  options: AugmentOptions,
  rng: Rng,
  aux?: Tensor4D,
): BoxedImages & { aux?: Tensor4D } {
  let cur = batch;
  const owned: Tensor4D[] = [];
  const n = batch.images.shape[0];
  const channels = batch.images.shape[3];
  if (aux) {
    cur = { ...cur, images: tf.concat([batch.images, aux], 3) as Tensor4D };
    owned.push(cur.images);
  }
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
  let outAux: Tensor4D | undefined;
  if (aux) {
    const [images, moved] = tf.split(cur.images, [channels, aux.shape[3]], 3) as [Tensor4D, Tensor4D];
    cur = { ...cur, images };
    outAux = moved;
    owned.push(images);
  }
  if (options.colorJitter) {
    cur = { ...cur, images: colorJitter(cur.images, options.colorJitter, rng) };
    owned.push(cur.images);
  }
  // Every intermediate goes; the result (and the caller's input) stays.
  for (const t of owned) if (t !== cur.images) t.dispose();
  return outAux ? { ...cur, aux: outAux } : cur;
}

export interface PhotometricOptions {
  brightness: number;
  contrast: number;
  saturation: number;
  /** At most 0.5: a hue shift is a fraction of the colour circle. */
  hue: number;
  /** Probability that the jitter is applied to an image (RandomApply). */
  p: number;
}

/** torchvision's rgb_to_grayscale weights. */
const GRAY_R = 0.2989;
const GRAY_G = 0.587;
const GRAY_B = 0.114;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * torchvision adjust_hue on one float RGB pixel: _rgb2hsv, h += shift
 * (mod 1), _hsv2rgb, op for op. Returns [r, g, b].
 */
export function shiftHue(r: number, g: number, b: number, shift: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eqc = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eqc ? 1 : maxc);
  const crDiv = eqc ? 1 : cr;
  const rc = (maxc - r) / crDiv;
  const gc = (maxc - g) / crDiv;
  const bc = (maxc - b) / crDiv;
  let h: number;
  if (maxc === r) h = bc - gc;
  else if (maxc === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  h = (((h / 6 + 1) % 1) + shift + 1) % 1; // torch.fmod of a non-negative value, then the shift mod 1
  const v = maxc;
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = clamp01(v * (1 - s));
  const q = clamp01(v * (1 - s * f));
  const t = clamp01(v * (1 - s * (1 - f)));
  switch (i % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

interface JitterPlan {
  order: number[];
  /** brightness, contrast, saturation, hue. */
  factors: number[];
}

/** One image (H·W·3 floats, in place) through the plan's ops in order, each clamping to [0, 1] (torchvision _blend). */
function jitterImage(px: Float32Array, plan: JitterPlan, enabled: boolean[]): void {
  const n = px.length / 3;
  for (const op of plan.order) {
    if (!enabled[op]) continue;
    const f = plan.factors[op]!;
    if (op === 0) {
      for (let k = 0; k < px.length; k++) px[k] = clamp01(f * px[k]!);
    } else if (op === 1) {
      let mean = 0;
      for (let k = 0; k < n; k++)
        mean += GRAY_R * px[3 * k]! + GRAY_G * px[3 * k + 1]! + GRAY_B * px[3 * k + 2]!;
      mean /= n;
      for (let k = 0; k < px.length; k++) px[k] = clamp01(f * px[k]! + (1 - f) * mean);
    } else if (op === 2) {
      for (let k = 0; k < n; k++) {
        const gray = GRAY_R * px[3 * k]! + GRAY_G * px[3 * k + 1]! + GRAY_B * px[3 * k + 2]!;
        for (let c = 0; c < 3; c++) px[3 * k + c] = clamp01(f * px[3 * k + c]! + (1 - f) * gray);
      }
    } else {
      for (let k = 0; k < n; k++) {
        const [r, g, b] = shiftHue(px[3 * k]!, px[3 * k + 1]!, px[3 * k + 2]!, f);
        px[3 * k] = r;
        px[3 * k + 1] = g;
        px[3 * k + 2] = b;
      }
    }
  }
}

/**
 * torchvision RandomApply([ColorJitter(brightness, contrast, saturation, hue)], p)
 * for each image: with probability p, factors drawn uniformly from
 * [max(0, 1 − b), 1 + b] (hue from [−h, h]) and the four ops applied in a
 * random order, each clamping to [0, 1] as torchvision's _blend does; other
 * images pass unchanged. Photometric only: boxes and anchors stay aligned
 * (Co-mining, §2a). Per-pixel work in JavaScript: dozens of tiny tensor ops
 * per image cost more than the arithmetic on small images.
 */
export function photometricJitter(images: Tensor4D, o: PhotometricOptions, rng: Rng): Tensor4D {
  const [n, h, w, c] = images.shape;
  if (c !== 3) throw new Error(`photometricJitter: expected RGB images, got ${c} channels`);
  const factor = (j: number) => rng.uniform(Math.max(0, 1 - j), 1 + j);
  const plans: (JitterPlan | null)[] = Array.from({ length: n }, () => {
    if (!(rng.next() < o.p)) return null;
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return {
      order,
      factors: [factor(o.brightness), factor(o.contrast), factor(o.saturation), rng.uniform(-o.hue, o.hue)],
    };
  });
  const enabled = [o.brightness > 0, o.contrast > 0, o.saturation > 0, o.hue > 0];
  const data = Float32Array.from(images.dataSync() as Float32Array);
  const size = h * w * 3;
  plans.forEach((plan, i) => {
    if (plan) jitterImage(data.subarray(i * size, (i + 1) * size), plan, enabled);
  });
  return tf.tensor4d(data, [n, h, w, 3]);
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
