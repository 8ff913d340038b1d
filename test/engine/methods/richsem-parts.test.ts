import type { Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import type { AnchorTargets, DetectorOutputs } from "../../../src/engine/detect/detector.js";
import { ClassAreaTeacher, classAreaShares } from "../../../src/engine/methods/shared/class-area-teacher.js";
import { extraStepsBefore, isExtraStep } from "../../../src/engine/methods/shared/extra-batches.js";
import { MOSAIC_PAD, mosaic, tilePlacement } from "../../../src/engine/methods/shared/mosaic.js";
import { cropBox } from "../../../src/engine/methods/shared/region-classifier.js";
import {
  RepeatFactorSampler,
  repeatFactorEpoch,
  repeatFactors,
} from "../../../src/engine/methods/shared/repeat-factor.js";
import { SemanticHead, softTargetKl } from "../../../src/engine/methods/shared/semantic-head.js";
import { ParamStore } from "../../../src/engine/nn/params.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { tf } from "../../../src/engine/tf.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("KL soft-target loss", () => {
  it("is Σ t·(log t − log softmax(z)) with 0·log 0 = 0, by hand", () => {
    const z = [
      [1, 2, 0],
      [0, 0, 0],
    ];
    const t = [
      [0.2, 0.8, 0],
      [0.5, 0.25, 0.25],
    ];
    let expected = 0;
    z.forEach((row, i) => {
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      row.forEach((v, c) => {
        const p = t[i]![c]!;
        if (p > 0) expected += p * (Math.log(p) - (v - lse));
      });
    });
    const kl = softTargetKl(tf.tensor2d(z) as Tensor2D, tf.tensor2d(t) as Tensor2D);
    expect(kl.dataSync()[0]).toBeCloseTo(expected, 5);
    // Zero when the student's distribution equals the target.
    const same = softTargetKl(
      tf.tensor2d([[Math.log(0.2), Math.log(0.8)]]) as Tensor2D,
      tf.tensor2d([[0.2, 0.8]]) as Tensor2D,
    );
    expect(same.dataSync()[0]).toBeCloseTo(0, 6);
  });

  it("the semantic head's loss is the KL of each positive anchor to its box's target, over the positive count", () => {
    const head = new SemanticHead(2, 1, 2, 1);
    const params = new ParamStore(new Rng(1));
    head.addParams(params);
    // Projection = the input features (1×1 centre tap of the 3×3 kernel), so embeddings are clsFeat itself.
    const w = new Float32Array(3 * 3 * 2 * 2);
    w[(1 * 3 + 1) * 4 + 0] = 1;
    w[(1 * 3 + 1) * 4 + 3] = 1;
    params.get("semantic.proj.w").assign(tf.tensor4d(w, [3, 3, 2, 2]));
    // One image, a 1×2 map: anchor 0 points along x, anchor 1 along y.
    const feat = tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]) as Tensor4D;
    const outputs = { levels: [{ cls: feat, box: feat, clsFeat: feat }] } as unknown as DetectorOutputs;
    const targets: AnchorTargets = {
      batch: 1,
      anchors: 2,
      labels: Int32Array.from([1, -1]),
      matched: Int32Array.from([0, -1]),
      deltas: new Float32Array(8),
      numForeground: 1,
    };
    const embed = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]) as Tensor2D;
    const loss = head.loss(params, outputs, targets, [[[0.3, 0.7]]], embed);
    // Anchor 0's logits: scale·cos = [1, 0].
    const lse = Math.log(Math.E + 1);
    const expected = 0.3 * (Math.log(0.3) - (1 - lse)) + 0.7 * (Math.log(0.7) - (0 - lse));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    params.dispose();
  });
});

describe("mosaic geometry", () => {
  const S = 16;
  function tiles(): { images: Tensor4D; boxes: [number, number, number, number][][]; classes: number[][] } {
    // Four constant tiles: values 0.1, 0.2, 0.3, 0.4 (every channel); whole-image boxes plus one small box.
    const data = new Float32Array(4 * S * S * 3);
    for (let k = 0; k < 4; k++) data.fill(0.1 * (k + 1), k * S * S * 3, (k + 1) * S * S * 3);
    return {
      images: tf.tensor4d(data, [4, S, S, 3]) as Tensor4D,
      boxes: [
        [[0, 0, S, S]],
        [[0, 0, S, S]],
        [
          [0, 0, S, S],
          [0, 0, 4, 4],
        ],
        [[0, 0, S, S]],
      ],
      classes: [[0], [1], [2, 5], [3]],
    };
  }

  it("places the tiles around the centre, pads the rest with 114, clips boxes to the visible tiles", () => {
    // Centre (6, 10): tiles are 8×8; TL covers x 0..6, y 2..10; TR x 6..14; BL y 10..16.
    const out = mosaic(tiles(), [[6, 10]]);
    const px = out.images.dataSync();
    const at = (x: number, y: number) => Math.round(px[(y * S + x) * 3]! * 100) / 100;
    expect(at(0, 2)).toBe(0.1);
    expect(at(5, 9)).toBe(0.1);
    expect(at(6, 2)).toBe(0.2);
    expect(at(13, 9)).toBe(0.2);
    expect(at(0, 10)).toBe(0.3);
    expect(at(6, 15)).toBe(0.4);
    expect(at(13, 15)).toBe(0.4);
    // Padding: above the top tiles (y < 2) and right of the right tiles (x ≥ 14).
    expect(at(3, 0)).toBe(Math.round(MOSAIC_PAD * 100) / 100);
    expect(at(15, 12)).toBe(Math.round(MOSAIC_PAD * 100) / 100);
    expect(out.boxes[0]).toEqual([
      [0, 2, 6, 10], // TL whole image: cropped on the left by the canvas
      [6, 2, 14, 10],
      [0, 10, 6, 16], // BL whole image: cropped left and bottom
      [6, 10, 14, 16],
    ]);
    // BL's small box [0, 0, 4, 4] → [−2, 10, 0, 12] on the canvas: clipped to nothing, dropped.
    expect(out.classes[0]).toEqual([0, 1, 2, 3]);
    tf.dispose(out.images);
  });

  it("keeps a partly visible box, clipped; tile placements follow mmdet's _mosaic_combine", () => {
    const t = tiles();
    t.boxes[3] = [[4, 4, 16, 16]];
    const out = mosaic(t, [[8, 8]]);
    // BL's small box [0, 0, 4, 4] / 2 + (0, 8) = [0, 8, 2, 10]: 2 px, kept.
    // BR tile at (8, 8): box [4, 4, 16, 16] / 2 + (8, 8) = [10, 10, 16, 16].
    expect(out.boxes[0]!.slice(2)).toEqual([
      [0, 8, 8, 16],
      [0, 8, 2, 10],
      [10, 10, 16, 16],
    ]);
    expect(out.classes[0]).toEqual([0, 1, 2, 5, 3]);
    expect(tilePlacement(0, 4, 12, 16)).toEqual({ x1: 0, y1: 4, x2: 4, y2: 12, cropX: 4, cropY: 0 });
    expect(tilePlacement(3, 12, 4, 16)).toEqual({ x1: 12, y1: 4, x2: 16, y2: 12, cropX: 0, cropY: 0 });
    tf.dispose(out.images);
    expect(() =>
      mosaic(tiles(), [
        [8, 8],
        [8, 8],
      ]),
    ).toThrow(/4 each/);
  });
});

describe("repeat-factor sampling (LVIS)", () => {
  it("r_c = max(1, sqrt(t / f_c)) and r_i = max over the image's classes", () => {
    // 10 images: class 0 in all, class 1 in one (f = 0.1), class 2 in two (f = 0.2).
    const images = [[0, 1], [0, 2], [0, 2], [0], [0], [0], [0], [0], [0], []];
    const t = 0.4;
    const r = repeatFactors(images, t);
    expect(r[0]).toBeCloseTo(Math.sqrt(0.4 / 0.1), 12); // 2
    expect(r[1]).toBeCloseTo(Math.sqrt(0.4 / 0.2), 12); // √2
    expect(r[3]).toBe(1); // class 0: sqrt(0.4 / 1) < 1
    expect(r[9]).toBe(1); // no boxes
    // LVIS's t = 0.001 changes nothing on a 10-image set.
    expect(repeatFactors(images, 0.001).every((v) => v === 1)).toBe(true);
  });

  it("repeats each image ⌊r⌋ times plus once with probability frac(r); batches are stateless", () => {
    const factors = [2, 1, 1.5];
    let extra = 0;
    for (let e = 0; e < 400; e++) {
      const epoch = repeatFactorEpoch(factors, new Rng(e));
      expect(epoch.filter((i) => i === 0)).toHaveLength(2);
      expect(epoch.filter((i) => i === 1)).toHaveLength(1);
      const twos = epoch.filter((i) => i === 2).length;
      expect([1, 2]).toContain(twos);
      extra += twos - 1;
    }
    expect(extra / 400).toBeGreaterThan(0.4);
    expect(extra / 400).toBeLessThan(0.6);
    const a = new RepeatFactorSampler(factors, 7);
    const walked = Array.from({ length: 6 }, (_, k) => a.batch(k, 3));
    expect(new RepeatFactorSampler(factors, 7).batch(5, 3)).toEqual(walked[5]);
  });
});

describe("extra batches and teachers", () => {
  it("alternates 1 : 1 starting with a detection batch; ratio 0 never draws extra", () => {
    expect(Array.from({ length: 6 }, (_, i) => isExtraStep(i, 1))).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
    expect(extraStepsBefore(5, 1)).toBe(2);
    expect(Array.from({ length: 6 }, (_, i) => isExtraStep(i, 0.5))).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(Array.from({ length: 4 }, (_, i) => isExtraStep(i, 0))).toEqual([false, false, false, false]);
  });

  it("oracle: class-area shares inside a box (fractional pixels) and softmax(scale·a / T)", () => {
    // 4×4 image, 2 classes: class 0 covers column 0 fully, class 1 half-covers pixel (3, 3).
    const cov = new Float32Array(4 * 4 * 2);
    for (let y = 0; y < 4; y++) cov[(y * 4 + 0) * 2 + 0] = 1;
    cov[(3 * 4 + 3) * 2 + 1] = 0.5;
    expect(classAreaShares(cov, 4, 4, 2, [0, 0, 4, 4])).toEqual([4 / 16, 0.5 / 16]);
    // Half of column 0 inside the box [0.5, 0, 2.5, 2]: 0.5·2 of class 0 over an area of 4.
    expect(classAreaShares(cov, 4, 4, 2, [0.5, 0, 2.5, 2])).toEqual([0.25, 0]);
    const teacher = new ClassAreaTeacher(2, 10, 2);
    const coverage = tf.tensor4d(cov, [1, 4, 4, 2]) as Tensor4D;
    const p = teacher.targets({
      images: coverage,
      coverage,
      targets: [{ boxes: [[0, 0, 4, 4]], classes: [0] }],
    })[0]![0]!;
    const a = [10 * (4 / 16), 10 * (0.5 / 16)].map((v) => Math.exp(v / 2));
    expect(p[0]).toBeCloseTo(a[0]! / (a[0]! + a[1]!), 10);
    tf.dispose(coverage);
  });

  it("crops a box from its first to its last pixel centre", () => {
    expect(cropBox([0, 0, 64, 64], 64, 64)).toEqual([0, 0, 1, 1]);
    expect(cropBox([10, 20, 20, 40], 64, 64).map((v) => v * 63)).toEqual(
      [20, 10, 39, 19].map((v) => expect.closeTo(v, 9)),
    );
  });
});
