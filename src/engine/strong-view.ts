// The strongly augmented view of Scob's query (METHODS.md §5a step 3;
// iCVTEAM/Scob main.py `hard_augment`, a Preprocess with per-op
// probabilities [1, 0.3, 0.2, 0.2, 1], drawn per image and per op):
//   1. (p 1)   de-normalise — with the code's typo (std 0.255 for the blue
//              channel instead of 0.225), which in pixel terms scales blue by
//              0.255 / 0.225 (and is never undone);
//   2. (p 0.3) ColorJitter(0.8, 0.8, 0.8, 0.2): brightness, contrast,
//              saturation factors in [0.2, 1.8], hue shift in [−0.2, 0.2],
//              applied in a random order (torchvision 0.15);
//   3. (p 0.2) RandomGrayscale() — itself grey with p 0.1;
//   4. (p 0.2) GaussianBlur(3 × 3, σ ∈ [1, 2]), reflect padding;
//   5. (p 1)   re-normalise (the model normalises its own input here).
// Pixels are computed in JavaScript from the seeded Rng, so the view is the
// same on every backend. Formulas are torchvision's functional_tensor ones.

import type { Rng } from "./nn/rng.js";

/** The hard_augment probabilities of ops 2–4 and the blue-channel typo factor. */
export const STRONG_VIEW = {
  colorJitter: 0.3,
  grayscale: 0.2,
  grayscaleInner: 0.1,
  blur: 0.2,
  blueTypo: 0.255 / 0.225,
} as const;

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** torchvision rgb_to_grayscale weights. */
function gray(r: number, g: number, b: number): number {
  return 0.2989 * r + 0.587 * g + 0.114 * b;
}

/** _blend: ratio·img + (1 − ratio)·other, clamped to [0, 1]; `other` per pixel or one value. */
function blend(img: Float32Array, ratio: number, other: (p: number) => number): void {
  for (let p = 0; p < img.length / 3; p++) {
    const o = other(p);
    for (let ch = 0; ch < 3; ch++) img[3 * p + ch] = clamp01(ratio * img[3 * p + ch]! + (1 - ratio) * o);
  }
}

export function adjustBrightness(img: Float32Array, factor: number): void {
  blend(img, factor, () => 0);
}

export function adjustContrast(img: Float32Array, factor: number): void {
  let sum = 0;
  const n = img.length / 3;
  for (let p = 0; p < n; p++) sum += gray(img[3 * p]!, img[3 * p + 1]!, img[3 * p + 2]!);
  const mean = sum / n;
  blend(img, factor, () => mean);
}

export function adjustSaturation(img: Float32Array, factor: number): void {
  const grays = new Float32Array(img.length / 3);
  for (let p = 0; p < grays.length; p++) grays[p] = gray(img[3 * p]!, img[3 * p + 1]!, img[3 * p + 2]!);
  blend(img, factor, (p) => grays[p]!);
}

/** torchvision adjust_hue: RGB → HSV (_rgb2hsv), h ← (h + shift) mod 1, HSV → RGB (_hsv2rgb). */
export function adjustHue(img: Float32Array, shift: number): void {
  for (let p = 0; p < img.length / 3; p++) {
    const r = img[3 * p]!;
    const g = img[3 * p + 1]!;
    const b = img[3 * p + 2]!;
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eqc = maxc === minc;
    const cr = maxc - minc;
    const s = cr / (eqc ? 1 : maxc);
    const div = eqc ? 1 : cr;
    const rc = (maxc - r) / div;
    const gc = (maxc - g) / div;
    const bc = (maxc - b) / div;
    let h: number;
    if (maxc === r) h = bc - gc;
    else if (maxc === g) h = 2 + rc - bc;
    else h = 4 + gc - rc;
    h = (((h / 6 + 1) % 1) + shift) % 1;
    if (h < 0) h += 1; // torch's % takes the divisor's sign
    const v = maxc;
    const i6 = Math.floor(h * 6);
    const f = h * 6 - i6;
    const pp = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    const out = [
      [v, t, pp],
      [q, v, pp],
      [pp, v, t],
      [pp, q, v],
      [t, pp, v],
      [v, pp, q],
    ][((i6 % 6) + 6) % 6]!;
    img[3 * p] = out[0]!;
    img[3 * p + 1] = out[1]!;
    img[3 * p + 2] = out[2]!;
  }
}

export function grayscale(img: Float32Array): void {
  for (let p = 0; p < img.length / 3; p++) {
    const l = gray(img[3 * p]!, img[3 * p + 1]!, img[3 * p + 2]!);
    img[3 * p] = l;
    img[3 * p + 1] = l;
    img[3 * p + 2] = l;
  }
}

/** 3 × 3 Gaussian blur with σ, reflect padding (torchvision gaussian_blur). */
export function gaussianBlur3(img: Float32Array, height: number, width: number, sigma: number): void {
  const e = Math.exp(-0.5 / (sigma * sigma));
  const k = [e / (1 + 2 * e), 1 / (1 + 2 * e), e / (1 + 2 * e)];
  const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const src = Float32Array.from(img);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let acc = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = reflect(y + dy, height);
            const xx = reflect(x + dx, width);
            acc += k[dy + 1]! * k[dx + 1]! * src[3 * (yy * width + xx) + ch]!;
          }
        }
        img[3 * (y * width + x) + ch] = acc;
      }
    }
  }
}

/** One image's strong view, in place (H × W × 3 in [0, 1]). */
export function strongViewImage(img: Float32Array, height: number, width: number, rng: Rng): void {
  for (let p = 0; p < img.length / 3; p++) img[3 * p + 2] = img[3 * p + 2]! * STRONG_VIEW.blueTypo;
  if (rng.next() <= STRONG_VIEW.colorJitter) {
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const b = rng.uniform(0.2, 1.8);
    const c = rng.uniform(0.2, 1.8);
    const s = rng.uniform(0.2, 1.8);
    const h = rng.uniform(-0.2, 0.2);
    for (const op of order) {
      if (op === 0) adjustBrightness(img, b);
      else if (op === 1) adjustContrast(img, c);
      else if (op === 2) adjustSaturation(img, s);
      else adjustHue(img, h);
    }
  }
  if (rng.next() <= STRONG_VIEW.grayscale && rng.next() < STRONG_VIEW.grayscaleInner) grayscale(img);
  if (rng.next() <= STRONG_VIEW.blur) gaussianBlur3(img, height, width, rng.uniform(1, 2));
}

/** Strong views of a batch [B, H, W, 3] (row-major), each image from the same stream in turn. */
export function strongViews(
  images: Float32Array,
  batch: number,
  height: number,
  width: number,
  rng: Rng,
): Float32Array {
  const out = Float32Array.from(images);
  const size = height * width * 3;
  for (let i = 0; i < batch; i++) strongViewImage(out.subarray(i * size, (i + 1) * size), height, width, rng);
  return out;
}
