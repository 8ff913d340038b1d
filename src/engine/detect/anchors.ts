// Anchor grids over a multi-level feature pyramid.
//
// Order of the flattened anchor index: level, then row, then column, then the
// anchor shape within a cell, which is the order the heads' outputs are
// reshaped to ([B, H, W, A·K] → [B, H·W·A, K]). Anchor centres sit at
// (j + 0.5)·stride, so when the input width is a multiple of every stride the
// grid is mirror-symmetric: flipping a head's output map along W lines up
// anchor (y, x, a) of the flipped image with anchor (y, W−1−x, a) of the
// original. CSD relies on that correspondence (METHODS.md §1a, §1e).

import type { Box } from "./boxes.js";

export interface LevelGeometry {
  stride: number;
  /** Feature-map height and width at this level. */
  height: number;
  width: number;
  /** Anchor (width, height) pairs, the same in every cell. */
  shapes: [number, number][];
}

export interface AnchorLevel extends LevelGeometry {
  /** Index of this level's first anchor in the flattened list. */
  offset: number;
  count: number;
}

export interface AnchorSet {
  imageHeight: number;
  imageWidth: number;
  levels: AnchorLevel[];
  /** xyxy per anchor, 4 floats each. */
  boxes: Float32Array;
  count: number;
}

export function makeAnchors(imageHeight: number, imageWidth: number, levels: LevelGeometry[]): AnchorSet {
  let total = 0;
  const out: AnchorLevel[] = [];
  for (const l of levels) {
    const count = l.height * l.width * l.shapes.length;
    out.push({ ...l, offset: total, count });
    total += count;
  }
  const boxes = new Float32Array(total * 4);
  let k = 0;
  for (const l of out) {
    for (let y = 0; y < l.height; y++) {
      for (let x = 0; x < l.width; x++) {
        const cx = (x + 0.5) * l.stride;
        const cy = (y + 0.5) * l.stride;
        for (const [w, h] of l.shapes) {
          boxes[k++] = cx - w / 2;
          boxes[k++] = cy - h / 2;
          boxes[k++] = cx + w / 2;
          boxes[k++] = cy + h / 2;
        }
      }
    }
  }
  return { imageHeight, imageWidth, levels: out, boxes, count: total };
}

/** RetinaNet shapes: sizes base·m for each scale m, each at aspect ratios h/w ∈ ratios, area kept. */
export function retinaShapes(base: number, scales: number[], ratios: number[]): [number, number][] {
  const shapes: [number, number][] = [];
  for (const m of scales) {
    for (const r of ratios) shapes.push([(base * m) / Math.sqrt(r), base * m * Math.sqrt(r)]);
  }
  return shapes;
}

/**
 * SSD shapes at one level, for each size multiplier m: ratio 1 gives a square
 * of side m·s_k and one of side m·√(s_k·s_{k+1}); any other ratio r = w/h gives
 * m·s_k at that ratio (METHODS.md §1a: SSD lists every ratio with its
 * reciprocal, e.g. [1, 2, 0.5]).
 */
export function ssdShapes(
  size: number,
  nextSize: number,
  ratios: number[],
  scales: number[] = [1],
): [number, number][] {
  const shapes: [number, number][] = [];
  for (const m of scales) {
    for (const r of ratios) {
      if (r === 1) {
        const between = Math.sqrt(size * nextSize);
        shapes.push([m * size, m * size], [m * between, m * between]);
      } else {
        shapes.push([m * size * Math.sqrt(r), (m * size) / Math.sqrt(r)]);
      }
    }
  }
  return shapes;
}

/** For each anchor, the index of its left–right mirror image (same level, row and shape). */
export function mirrorIndex(set: AnchorSet): Int32Array {
  const out = new Int32Array(set.count);
  for (const l of set.levels) {
    const a = l.shapes.length;
    for (let y = 0; y < l.height; y++) {
      for (let x = 0; x < l.width; x++) {
        for (let s = 0; s < a; s++) {
          out[l.offset + (y * l.width + x) * a + s] = l.offset + (y * l.width + (l.width - 1 - x)) * a + s;
        }
      }
    }
  }
  return out;
}

export function anchorBox(set: AnchorSet, k: number): Box {
  const b = set.boxes;
  return [b[4 * k]!, b[4 * k + 1]!, b[4 * k + 2]!, b[4 * k + 3]!];
}

/** Spatial size after a chain of stride-2 'same' convolutions: ceil at each step. */
export function downsampled(size: number, stride: number): number {
  let s = size;
  for (let f = 1; f < stride; f *= 2) s = Math.ceil(s / 2);
  return s;
}
