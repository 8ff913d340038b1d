import type { Scalar, Tensor2D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import {
  ESTIMATOR_PARAM,
  initialLogits,
  LabelEstimator,
  labelCorrelation,
  logit,
} from "../../../src/engine/methods/shared/label-estimator.js";
import {
  expectedPositiveRegulariser,
  expectedPositives,
  roleBce,
  roleLoss,
} from "../../../src/engine/methods/shared/role.js";
import { ParamStore } from "../../../src/engine/nn/params.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { tf } from "../../../src/engine/tf.js";
import type { TrainContext } from "../../../src/engine/train/loop.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

// Two images, three classes: image 0 observed class 0, image 1 observed class 1; k = 1.5.
const P = [
  [0.8, 0.3, 0.6],
  [0.1, 0.9, 0.5],
];
const EST = [
  [0.995, 0.5, 0.2],
  [0.4, 0.995, 0.7],
];
const Z = [
  [1, 0, 0],
  [0, 1, 0],
];
const ln = Math.log;
const E = 1e-5;

describe("ROLE loss (Scob losses.py)", () => {
  it("BCE weighs the negative term by 1 − y + ε, per image, divided by C", () => {
    const got = tf.tidy(() => roleBce(tf.tensor2d(P), tf.tensor2d(EST)).arraySync());
    // Image 0 by hand: −[0.995·ln(0.8+ε) + 0.00501·ln(0.2+ε) + 0.5·ln(0.3+ε) + 0.50001·ln(0.7+ε)
    //                  + 0.2·ln(0.6+ε) + 0.80001·ln(0.4+ε)] / 3
    const image0 =
      -(
        0.995 * ln(0.8 + E) +
        (0.005 + E) * ln(0.2 + E) +
        0.5 * ln(0.3 + E) +
        (0.5 + E) * ln(0.7 + E) +
        0.2 * ln(0.6 + E) +
        (0.8 + E) * ln(0.4 + E)
      ) / 3;
    expect(got[0]).toBeCloseTo(image0, 5);
  });

  it("EPR = mean over images of −Σ z·ln(p+ε)/C plus ((mean Σp − k)/C)²", () => {
    const got = tf.tidy(
      () => expectedPositiveRegulariser(tf.tensor2d(P), tf.tensor2d(Z), 1.5).dataSync()[0]!,
    );
    // (−ln 0.80001 − ln 0.90001) / 3 / 2 = 0.0547467 ; mean Σp = (1.7 + 1.5)/2 = 1.6 → ((1.6 − 1.5)/3)² = 0.0011111
    expect(got).toBeCloseTo(0.0547467 + 0.0011111, 6);
  });

  it("gives L1/2 and L2/2 of the symmetric loss, each half training only its own side", () => {
    const pLogits = tf.variable(tf.tensor2d(P.map((r) => r.map((v) => logit(v)))), true, "role-p");
    const eLogits = tf.variable(tf.tensor2d(EST.map((r) => r.map((v) => logit(v)))), true, "role-e");
    const z = tf.tensor2d(Z);
    const halves = tf.tidy(() => {
      const { net, est } = roleLoss(tf.sigmoid(pLogits) as Tensor2D, tf.sigmoid(eLogits) as Tensor2D, z, 1.5);
      return [net.dataSync()[0]!, est.dataSync()[0]!];
    });
    // L1 = mean BCE(p, ŷ) + EPR(p) ; L2 = mean BCE(ŷ, p) + EPR(ŷ), evaluated from the formulas above.
    expect(halves[0]).toBeCloseTo(0.331200807, 5);
    expect(halves[1]).toBeCloseTo(0.399268415, 5);
    for (const [term, trained, untouched] of [
      ["net", "role-p", "role-e"],
      ["est", "role-e", "role-p"],
    ] as const) {
      const { value, grads } = tf.variableGrads(() => {
        const l = roleLoss(tf.sigmoid(pLogits) as Tensor2D, tf.sigmoid(eLogits) as Tensor2D, z, 1.5);
        return l[term] as Scalar;
      });
      expect(Object.keys(grads)).toContain(trained);
      expect(Object.keys(grads)).not.toContain(untouched);
      tf.dispose([value, ...Object.values(grads)]);
    }
    tf.dispose([pLogits, eLogits, z]);
  });

  it("takes k from the spec or from the split's mean positives per image", () => {
    const observed = { numClasses: 2, labels: new Int8Array(4), meanPositives: 2.25 };
    expect(expectedPositives(1.5, observed)).toBe(1.5);
    expect(expectedPositives("ground-truth", observed)).toBe(2.25);
    expect(expectedPositives(undefined, observed)).toBe(2.25);
    expect(() => expectedPositives("ground-truth", { numClasses: 2, labels: new Int8Array(4) })).toThrow(
      /ground-truth needs the split's mean positives per image/,
    );
  });
});

describe("label estimator", () => {
  it("starts observed positives at logit(0.995), negatives at logit(0.005), the rest uniform in [logit 0.2, logit 0.8]", () => {
    const labels = new Int8Array(200 * 3);
    for (let i = 0; i < 200; i++) labels[i * 3 + (i % 3)] = 1;
    labels[1 * 3 + 0] = -1;
    const a = initialLogits({ numClasses: 3, labels }, new Rng(7));
    const b = initialLogits({ numClasses: 3, labels }, new Rng(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a[0]).toBeCloseTo(Math.log(0.995 / 0.005), 5); // 5.2933
    expect(a[3]).toBeCloseTo(-Math.log(0.995 / 0.005), 5);
    const free = Array.from(a).filter((_, i) => labels[i] === 0);
    expect(Math.min(...free)).toBeGreaterThanOrEqual(Math.log(0.2 / 0.8) - 1e-6); // −1.3863
    expect(Math.max(...free)).toBeLessThanOrEqual(Math.log(0.8 / 0.2) + 1e-6);
    expect(Math.min(...free)).toBeLessThan(-1.2);
    expect(Math.max(...free)).toBeGreaterThan(1.2);
  });

  it("is a trainable parameter added at setup; ŷ picks the batch's rows and only they get a gradient", () => {
    const params = new ParamStore(new Rng(1));
    const labels = Int8Array.from([1, 0, 0, 1, 0, 0]);
    const estimator = new LabelEstimator({ numClasses: 2, labels }, new Rng(3));
    estimator.hook().setup!({ params } as unknown as TrainContext);
    expect(params.trainableNames()).toEqual([ESTIMATOR_PARAM]);
    const logits = params.get(ESTIMATOR_PARAM).arraySync() as number[][];
    const picked = tf.tidy(() => estimator.labels([2, 0]).arraySync());
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    expect(picked[0]![0]).toBeCloseTo(sig(logits[2]![0]!), 6);
    expect(picked[1]![0]).toBeCloseTo(0.995, 5);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(estimator.labels([2])) as Scalar,
      params.trainable(),
    );
    const g = Object.values(grads)[0]!.arraySync() as number[][];
    expect(g[0]).toEqual([0, 0]);
    expect(g[1]).toEqual([0, 0]);
    // d sigmoid(x)/dx = s(1 − s)
    const s = sig(logits[2]![1]!);
    expect(g[2]![1]).toBeCloseTo(s * (1 - s), 6);
    tf.dispose([value, ...Object.values(grads)]);
    expect(estimator.all()).toHaveLength(6);
    params.dispose();
  });

  it("computes the label correlation mean(ŷi·ŷj)/mean(ŷi) with a unit diagonal", () => {
    // ŷ = [[1, 0.5], [0.5, 0.5]]: mean(y0·y1) = (0.5 + 0.25)/2 = 0.375; mean y0 = 0.75, mean y1 = 0.5.
    const corr = labelCorrelation(Float32Array.from([1, 0.5, 0.5, 0.5]), 2);
    expect(Array.from(corr)).toEqual([1, 0.5, 0.75, 1]);
  });
});
