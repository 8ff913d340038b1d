// Tiny synthetic detection scenes made in the tests (the shapes dataset lives
// in the data stage): solid rectangles whose colour is their class, on a dark
// noisy background.

import { Rng } from "../../src/engine/nn/rng.js";

export const CLASS_COLOURS: [number, number, number][] = [
  [1, 0.15, 0.1],
  [0.1, 0.9, 0.2],
  [0.2, 0.3, 1],
  [0.95, 0.9, 0.1],
];

export interface Scene {
  image: Float32Array;
  size: number;
  /** COCO xywh. */
  boxes: [number, number, number, number][];
  classes: number[];
}

export function scene(seed: number, size: number, numClasses: number, maxObjects = 2): Scene {
  const rng = new Rng(seed);
  const image = new Float32Array(size * size * 3);
  for (let i = 0; i < image.length; i++) image[i] = 0.1 * rng.next();
  const boxes: [number, number, number, number][] = [];
  const classes: number[] = [];
  const n = 1 + rng.int(maxObjects);
  for (let o = 0; o < n; o++) {
    const w = Math.round(size * rng.uniform(0.25, 0.55));
    const h = Math.round(size * rng.uniform(0.25, 0.55));
    const x = rng.int(size - w + 1);
    const y = rng.int(size - h + 1);
    const c = rng.int(numClasses);
    const colour = CLASS_COLOURS[c]!;
    for (let yy = y; yy < y + h; yy++) {
      for (let xx = x; xx < x + w; xx++) {
        for (let ch = 0; ch < 3; ch++) image[(yy * size + xx) * 3 + ch] = colour[ch]!;
      }
    }
    boxes.push([x, y, w, h]);
    classes.push(c);
  }
  return { image, size, boxes, classes };
}
