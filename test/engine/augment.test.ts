import type { Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { augmentBatch, colorJitter, flipImages, scaleImages } from "../../src/engine/augment.js";
import { selectBackend } from "../../src/engine/backend.js";
import type { Box } from "../../src/engine/detect/boxes.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { tf } from "../../src/engine/tf.js";

const S = 16;

/** One image: a white box at x 2..6, y 4..12 on black. */
function batch(): { images: Tensor4D; boxes: Box[][]; classes: number[][] } {
  const img = new Float32Array(S * S * 3);
  for (let y = 4; y < 12; y++)
    for (let x = 2; x < 6; x++) for (let c = 0; c < 3; c++) img[(y * S + x) * 3 + c] = 1;
  return { images: tf.tensor4d(img, [1, S, S, 3]) as Tensor4D, boxes: [[[2, 4, 6, 12]]], classes: [[1]] };
}

function brightColumns(images: Tensor4D): number[] {
  const data = images.dataSync();
  const cols = new Set<number>();
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (data[(y * S + x) * 3]! > 0.5) cols.add(x);
  return [...cols].sort((a, b) => a - b);
}

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("augmentation", () => {
  it("flip mirrors pixels and boxes together", () => {
    const b = batch();
    const f = flipImages(b, [true]);
    expect(f.boxes[0]).toEqual([[10, 4, 14, 12]]);
    expect(brightColumns(f.images)).toEqual([10, 11, 12, 13]);
    expect(brightColumns(flipImages(b, [false]).images)).toEqual([2, 3, 4, 5]);
  });

  it("scale 2 doubles box sizes; scale 0.5 halves them; boxes moved out of view are dropped", () => {
    const up = scaleImages(batch(), [2], new Rng(1));
    for (const bx of up.boxes[0]!) expect(bx[3] - bx[1]).toBeLessThanOrEqual(16);
    const down = scaleImages(batch(), [0.5], new Rng(1));
    const [x1, y1, x2, y2] = down.boxes[0]![0]!;
    expect(x2 - x1).toBeCloseTo(2, 5);
    expect(y2 - y1).toBeCloseTo(4, 5);
    // The bright pixels follow the box (within a pixel of bilinear blur).
    const cols = brightColumns(down.images);
    expect(cols[0]!).toBeGreaterThanOrEqual(Math.floor(x1) - 1);
    expect(cols.at(-1)!).toBeLessThanOrEqual(Math.ceil(x2) + 1);
    let dropped = 0;
    for (let seed = 0; seed < 20; seed++)
      if (scaleImages(batch(), [3], new Rng(seed)).boxes[0]!.length === 0) dropped++;
    expect(dropped).toBeGreaterThan(0);
  });

  it("colour jitter keeps pixels in [0, 1] and is the identity at strength 0", () => {
    const b = batch();
    expect(colorJitter(b.images, 0, new Rng(1)).dataSync()).toEqual(b.images.dataSync());
    const j = colorJitter(b.images, 0.8, new Rng(2));
    expect(tf.min(j).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.max(j).dataSync()[0]).toBeLessThanOrEqual(1);
  });

  it("the same seed gives the same augmented batch", () => {
    const opts = { flip: true, scaleJitter: [0.7, 1.3] as [number, number], colorJitter: 0.4 };
    const a = augmentBatch(batch(), opts, new Rng(7));
    const b = augmentBatch(batch(), opts, new Rng(7));
    expect(a.boxes).toEqual(b.boxes);
    expect(a.images.dataSync()).toEqual(b.images.dataSync());
  });
});
