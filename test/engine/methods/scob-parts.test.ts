import type { Tensor3D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import { MLC_LITE_DEFAULTS, MlcLite } from "../../../src/engine/classify/mlc-lite.js";
import {
  classActivationMaps,
  gradCamPlusPlus,
  gradCamPlusPlusMap,
  patchMasks,
} from "../../../src/engine/methods/scob/cam-mask.js";
import { contrastiveWeights, prototypeInfoNce } from "../../../src/engine/methods/scob/infonce.js";
import { PrototypeBank } from "../../../src/engine/methods/scob/prototype-bank.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { tf } from "../../../src/engine/tf.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  for (const [i, w] of want.entries()) expect(got[i]).toBeCloseTo(w, digits);
};

describe("CAM patch mask (cam.py, pytorch_grad_cam post-processing)", () => {
  it("scales, resizes to the input, average-pools back to the grid and thresholds", () => {
    // 2×2 map ×2 (the min–max scale undoes the ×2), stride 2: bilinear 2 → 4 gives per axis
    // [v0, .75v0+.25v1, .25v0+.75v1, v1]; 2×2 pooling gives a = [[.875, .125], [.125, .875]]
    // per axis, so pooled[i][j] = Σ a[i][r]·a[j][s]·m[r][s] with m = [[0, 1], [.5, .25]].
    const maps = tf.tensor3d([
      [
        [0, 2],
        [1, 0.5],
      ],
    ]) as Tensor3D;
    const out = patchMasks(maps, { stride: 2, threshold: 0.4, cropCorners: false });
    close(out.scores, [0.16796875, 0.80078125, 0.42578125, 0.35546875]);
    expect(Array.from(out.mask)).toEqual([0, 1, 1, 0]);
    expect(out.nonEmpty).toEqual([true]);
    maps.dispose();
  });

  it("zeroes negative evidence and the four corners; an image with only corner activations keeps no patch", () => {
    // Stride 1: no resize, no pooling. Image 0: ReLU turns −0.2 into 0; the corners 1, .9, .8 are cropped,
    // so only the centre (.6) passes 0.5. Image 1: only corners are active.
    const maps = tf.tensor3d([
      [
        [1, -0.2, 0.9],
        [0.3, 0.6, 0.1],
        [0.8, 0.4, 0],
      ],
      [
        [1, 0, 1],
        [0, 0, 0],
        [1, 0, 1],
      ],
    ]) as Tensor3D;
    const out = patchMasks(maps, { stride: 1, threshold: 0.5, cropCorners: true });
    expect(out.scores.length).toBe(18);
    close(out.scores.subarray(0, 9), [0, 0, 0, 0.3, 0.6, 0.1, 0, 0.4, 0]);
    expect(Array.from(out.mask.subarray(0, 9))).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(out.mask.subarray(9))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(out.nonEmpty).toEqual([true, false]);
    maps.dispose();
  });

  it("plain CAM is each patch value times the classifier weights of the image's class", () => {
    const model = new MlcLite({
      ...MLC_LITE_DEFAULTS,
      numClasses: 3,
      imageSize: 32,
      backbone: { width: 4, levels: 2 },
      dim: 2,
    });
    const params = model.createParams(new Rng(1));
    params.get("cls.w").assign(
      tf.tensor2d([
        [1, 0, 2],
        [0, 1, -1],
      ]),
    );
    // Four patches (2×2 grid) with values (1,0), (0,1), (2,3), (−1,1).
    const patches = tf.tensor3d([
      [
        [1, 0],
        [0, 1],
        [2, 3],
        [-1, 1],
      ],
    ]);
    const outputs = { patches, logits: tf.zeros([1, 3]), features: tf.zeros([1, 2]) } as never;
    const cam = classActivationMaps(model, params, outputs, [2]);
    expect(cam.shape).toEqual([1, 2, 2]);
    // class 2 weights (2, −1): 2, −1, 1, −3
    close(cam.dataSync(), [2, -1, 1, -3]);
    tf.dispose([cam, patches, outputs]);
    params.dispose();
  });

  it("Grad-CAM++ weighs each channel by Σ ReLU(g)·g²/(2g² + ΣA·g³ + 1e-6)", () => {
    // One image, 1×2 patches, 2 channels. A: p0 = (1, 2), p1 = (3, 0); g: p0 = (.5, −1), p1 = (.2, 0).
    // channel 0 (ΣA = 4): .5·.25/(.5 + 4·.125 + 1e-6) + .2·.04/(.08 + 4·.008 + 1e-6);
    // channel 1 (ΣA = 2): ReLU(−1) = 0 and g = 0 → weight 0. Map = w0·A0 + w1·A1.
    const a = tf.tensor4d([
      [
        [
          [1, 2],
          [3, 0],
        ],
      ],
    ]);
    const g = tf.tensor4d([
      [
        [
          [0.5, -1],
          [0.2, 0],
        ],
      ],
    ]);
    const w0 = (0.5 * 0.25) / (0.5 + 4 * 0.125 + 1e-6) + (0.2 * 0.04) / (0.08 + 4 * 0.008 + 1e-6);
    const map = gradCamPlusPlusMap(a, g);
    expect(map.shape).toEqual([1, 1, 2]);
    close(map.dataSync(), [w0, 3 * w0]);
    tf.dispose([a, g, map]);
  });

  it("Grad-CAM++ gives one map per image on the patch grid, following its class", () => {
    const model = new MlcLite({
      ...MLC_LITE_DEFAULTS,
      numClasses: 3,
      imageSize: 48,
      backbone: { width: 4, levels: 2 },
      dim: 8,
    });
    const params = model.createParams(new Rng(2));
    const images = tf.randomUniform([2, 48, 48, 3], 0, 1, "float32", 5) as tf.Tensor4D;
    const a = gradCamPlusPlus(model, params, images, [0, 1]);
    const b = gradCamPlusPlus(model, params, images, [2, 1]);
    expect(a.shape).toEqual([2, 3, 3]);
    const [a0, a1] = [a.arraySync()[0], a.arraySync()[1]];
    const [b0, b1] = [b.arraySync()[0], b.arraySync()[1]];
    expect(b1).toEqual(a1); // same class, same image
    expect(b0).not.toEqual(a0);
    tf.dispose([images, a, b]);
    params.dispose();
  });
});

describe("prototype InfoNCE (loss_contrastive_infonce)", () => {
  it("weights the observed class's prototype to zero (hard correlation) or by 1 − corr²", () => {
    const corr = Float32Array.from([1, 0.7, 0.3, 0.2, 1, 0.4, 0.1, 0.5, 1]);
    close(contrastiveWeights(corr, 3, [0], true), [1, 0, 1, 1]);
    close(contrastiveWeights(corr, 3, [0, 2], false), [1, 0, 0.51, 0.91, 1, 0.99, 0.75, 0]);
  });

  it("is CE over ([q·k, q·pq_j] + 1)·w / τ with unit-normalised vectors and zero prototypes", () => {
    // q = (3, 4) → (.6, .8); k = (1, 0): pos .6. Prototypes (0, 2) → .8, (1, 1) → .98995, (0, 0) → 0.
    // hard weights [1, 0, 1, 1], τ = .5: logits [3.2, 0, 3.97990, 2.0] → CE = lse − 3.2 = 1.2593720.
    // soft weights [1, 0, .51, .91]: logits [3.2, 0, 2.02975, 1.82] → CE = 0.4716458.
    const q = tf.tensor2d([
      [3, 4],
      [3, 4],
    ]);
    const k = tf.tensor2d([
      [1, 0],
      [1, 0],
    ]);
    const protos = tf.tensor2d([
      [0, 2],
      [1, 1],
      [0, 0],
    ]);
    const hard = tf.tensor2d([
      [1, 0, 1, 1],
      [1, 0, 0.51, 0.91],
    ]);
    const both = prototypeInfoNce(q, k, protos, hard, 0.5);
    expect(both.dataSync()[0]).toBeCloseTo((1.259372 + 0.4716458) / 2, 5);
    const firstOnly = prototypeInfoNce(q, k, protos, hard, 0.5, tf.tensor1d([1, 0]));
    expect(firstOnly.dataSync()[0]).toBeCloseTo(1.259372, 5);
    tf.dispose([q, k, protos, hard, both, firstOnly]);
  });
});

describe("prototype bank (IPT)", () => {
  const f = (a: number, b: number) => Float32Array.from([a, b]);

  it("keeps the top-k most confident features per class, each image once, the best as the prototype", () => {
    const bank = new PrototypeBank(2, 2, 2);
    close(bank.prototypes(), [0, 0, 0, 0]);
    bank.update(0, 0.5, 1, f(1, 1));
    bank.update(0, 0.7, 2, f(2, 2));
    expect(bank.contents()[0]).toEqual([
      { image: 2, confidence: 0.7 },
      { image: 1, confidence: 0.5 },
    ]);
    bank.update(0, 0.6, 3, f(3, 3)); // full: replaces the least confident (0.5)
    bank.update(0, 0.55, 4, f(4, 4)); // not more confident than 0.6
    bank.update(0, 0.9, 2, f(9, 9)); // image 2 is already there
    bank.update(0, 0.6, 5, f(5, 5)); // strictly more confident only
    expect(bank.contents()[0]).toEqual([
      { image: 2, confidence: 0.7 },
      { image: 3, confidence: 0.6 },
    ]);
    // Equal confidences rank by image index, as the code's heap tuples.
    bank.update(1, 0.7, 9, f(-1, 0));
    bank.update(1, 0.7, 2, f(0, -1));
    close(bank.prototypes(), [2, 2, -1, 0]);
    const saved = bank.save();
    expect(() => new PrototypeBank(2, 2, 2).load({ json: saved.json })).toThrow(/lacks prototype bank\.0\.0/);
    const restored = new PrototypeBank(2, 2, 2);
    restored.load(saved);
    expect(restored.contents()).toEqual(bank.contents());
    close(restored.prototypes(), [2, 2, -1, 0]);
    bank.clear();
    close(bank.prototypes(), [0, 0, 0, 0]);
    expect(bank.contents()).toEqual([[], []]);
  });
});
