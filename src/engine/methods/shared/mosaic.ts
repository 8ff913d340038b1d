// 4-image mosaic (YOLOX / mmdetection `Mosaic`, which RichSem applies to its
// extra ImageNet-LVIS images, METHODS.md §4a: img_scale (640, 640), centre
// ratio 0.5–1.5, pad 114), at the model's input size: each S×S input is
// resized to an (S/2)×(S/2) tile and the four tiles meet at a centre (cx, cy)
// drawn in [S/4, 3S/4] (centre ratio 0.5–1.5 of S/2). Tile k's corner touches
// the centre (top-left, top-right, bottom-left, bottom-right, as mmdet's
// _mosaic_combine), so each tile is cropped only by the canvas border; the
// rest of the canvas is the pad value. Boxes are scaled, shifted and clipped
// to the canvas, and dropped when less than 2 px remain in either direction
// (a whole-image coarse box becomes its tile's visible part).
// Works on any number of channels, so coverage maps ride along with pixels.

import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { BoxedImages } from "../../augment.js";
import type { Box } from "../../detect/boxes.js";
import type { Rng } from "../../nn/rng.js";
import { tf } from "../../tf.js";

/** mmdet's Mosaic pad_val, 114, on the engine's [0, 1] pixel scale. */
export const MOSAIC_PAD = 114 / 255;

/** The canvas rectangle tile k (0 TL, 1 TR, 2 BL, 3 BR) covers, and the crop of the tile shown there. */
export function tilePlacement(
  k: number,
  cx: number,
  cy: number,
  size: number,
): { x1: number; y1: number; x2: number; y2: number; cropX: number; cropY: number } {
  const t = size / 2;
  const left = k === 0 || k === 2;
  const top = k === 0 || k === 1;
  const x1 = left ? Math.max(cx - t, 0) : cx;
  const x2 = left ? cx : Math.min(cx + t, size);
  const y1 = top ? Math.max(cy - t, 0) : cy;
  const y2 = top ? cy : Math.min(cy + t, size);
  // Tile pixel (u, v) lands on canvas (u + ox, v + oy): the tile's inner corner sits on the centre.
  const ox = left ? cx - t : cx;
  const oy = top ? cy - t : cy;
  return { x1, y1, x2, y2, cropX: x1 - ox, cropY: y1 - oy };
}

/** Integer mosaic centres for `count` canvases of side `size` (centre ratio 0.5–1.5 of size/2). */
export function mosaicCentres(count: number, size: number, rng: Rng): [number, number][] {
  const t = size / 2;
  return Array.from({ length: count }, () => [
    Math.floor(rng.uniform(0.5, 1.5) * t),
    Math.floor(rng.uniform(0.5, 1.5) * t),
  ]);
}

/**
 * Canvases from 4·B tiles (inputs 4i..4i+3 make canvas i) and their centres.
 * images: [4B, S, S, C]; returns [B, S, S, C] with boxes in canvas pixels.
 */
export function mosaic(tiles: BoxedImages, centres: [number, number][], pad = MOSAIC_PAD): BoxedImages {
  const [n, size, , c] = tiles.images.shape;
  const b = centres.length;
  if (n !== 4 * b) throw new Error(`mosaic: ${n} tiles for ${b} canvases (need 4 each)`);
  const t = size / 2;
  if (!Number.isInteger(t)) throw new Error(`mosaic: the input side ${size} must be even`);
  const small = tf.tidy(() => tf.image.resizeBilinear(tiles.images, [t, t]) as Tensor4D);
  const src = small.dataSync() as Float32Array;
  small.dispose();
  const out = new Float32Array(b * size * size * c).fill(pad);
  const boxes: Box[][] = [];
  const classes: number[][] = [];
  for (let i = 0; i < b; i++) {
    const [cx, cy] = centres[i]!;
    const canvasBoxes: Box[] = [];
    const canvasClasses: number[] = [];
    for (let k = 0; k < 4; k++) {
      const tile = 4 * i + k;
      const p = tilePlacement(k, cx, cy, size);
      for (let y = p.y1; y < p.y2; y++) {
        const from = ((tile * t + (y - p.y1 + p.cropY)) * t + p.cropX) * c;
        const to = ((i * size + y) * size + p.x1) * c;
        out.set(src.subarray(from, from + (p.x2 - p.x1) * c), to);
      }
      const ox = p.x1 - p.cropX;
      const oy = p.y1 - p.cropY;
      tiles.boxes[tile]!.forEach((bx, j) => {
        // Scale to the tile (½), shift onto the canvas, clip to what the canvas shows.
        const x1 = Math.min(Math.max(bx[0] / 2 + ox, p.x1), p.x2);
        const y1 = Math.min(Math.max(bx[1] / 2 + oy, p.y1), p.y2);
        const x2 = Math.min(Math.max(bx[2] / 2 + ox, p.x1), p.x2);
        const y2 = Math.min(Math.max(bx[3] / 2 + oy, p.y1), p.y2);
        if (x2 - x1 >= 2 && y2 - y1 >= 2) {
          canvasBoxes.push([x1, y1, x2, y2]);
          canvasClasses.push(tiles.classes[tile]![j]!);
        }
      });
    }
    boxes.push(canvasBoxes);
    classes.push(canvasClasses);
  }
  return { images: tf.tensor4d(out, [b, size, size, c]), boxes, classes };
}
