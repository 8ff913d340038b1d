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

/** RetinaNet shapes: sizes base·2^(i/scales), each at aspect ratios h/w ∈ ratios, area kept. */
export function retinaShapes(base: number, scalesPerOctave: number, ratios: number[]): [number, number][] {
  const shapes: [number, number][] = [];
  for (let i = 0; i < scalesPerOctave; i++) {
    const size = base * 2 ** (i / scalesPerOctave);
    for (const r of ratios) shapes.push([size / Math.sqrt(r), size * Math.sqrt(r)]);
  }
  return shapes;
}

/**
 * SSD shapes at one level: a square of side s_k, a square of side √(s_k·s_{k+1}),
 * and s_k at each extra aspect ratio r and its reciprocal 1/r (METHODS.md §1a:
 * "every ratio comes with its reciprocal").
 */
export function ssdShapes(size: number, nextSize: number, ratios: number[]): [number, number][] {
  const shapes: [number, number][] = [
    [size, size],
    [Math.sqrt(size * nextSize), Math.sqrt(size * nextSize)],
  ];
  for (const r of ratios) {
    shapes.push([size * Math.sqrt(r), size / Math.sqrt(r)]);
    shapes.push([size / Math.sqrt(r), size * Math.sqrt(r)]);
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
