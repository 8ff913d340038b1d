import type { Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { photometricJitter, shiftHue } from "../../../src/engine/augment.js";
import { selectBackend } from "../../../src/engine/backend.js";
import type { Box } from "../../../src/engine/detect/boxes.js";
import type {
  AnchorTargets,
  Detector,
  DetectorOutputs,
  ImageTargets,
} from "../../../src/engine/detect/detector.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../../src/engine/detect/retinanet-lite.js";
import {
  CO_MINING_DEFAULTS,
  coMiningStep,
  crossTargets,
  mergePseudoBoxes,
} from "../../../src/engine/methods/co-mining.js";
import { pseudoBoxes } from "../../../src/engine/methods/shared/pseudo-boxes.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { tf } from "../../../src/engine/tf.js";
import { values } from "../helpers.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

const GT: ImageTargets = { boxes: [[0, 0, 10, 10]], classes: [0] };

describe("Co-mining merge rule (merge_ground_truth, matching IoU 0.4)", () => {
  it("drops a same-class pseudo-box at IoU 0.41, keeps one at 0.39 and any other-class box", () => {
    // IoU of [0, 0, 10, h] with [0, 0, 10, 10] is h / 10.
    const pseudo: ImageTargets = {
      boxes: [
        [0, 0, 10, 4.1],
        [0, 0, 10, 3.9],
        [0, 0, 10, 9],
      ],
      classes: [0, 0, 1],
    };
    const merged = mergePseudoBoxes(GT, pseudo, 0.4);
    expect(merged.boxes).toEqual([
      [0, 0, 10, 10],
      [0, 0, 10, 3.9],
      [0, 0, 10, 9],
    ]);
    expect(merged.classes).toEqual([0, 0, 1]);
    // The threshold is strict: exactly 0.4 is not a duplicate.
    expect(mergePseudoBoxes(GT, { boxes: [[0, 0, 10, 4]], classes: [0] }, 0.4).boxes).toHaveLength(2);
  });

  it("puts branch A's pseudo-boxes into branch O's targets and O's into A's, never into their own", () => {
    const fromO: ImageTargets = { boxes: [[20, 20, 30, 30]], classes: [1] };
    const fromA: ImageTargets = { boxes: [[40, 40, 50, 50]], classes: [2] };
    const { forO, forA } = crossTargets([GT], [fromO], [fromA], 0.4);
    expect(forO[0]!.boxes).toEqual([GT.boxes[0], fromA.boxes[0]]);
    expect(forA[0]!.boxes).toEqual([GT.boxes[0], fromO.boxes[0]]);
  });
});

/** A detector stub whose branches "see" different boxes: images with a mean above 0.5 are view A. */
function stubDetector(): Detector & { assigned: ImageTargets[][] } {
  const assigned: ImageTargets[][] = [];
  const k = 3;
  return {
    arch: "stub",
    numClasses: k,
    imageSize: 8,
    scoreKind: "sigmoid",
    anchors: { imageHeight: 8, imageWidth: 8, levels: [], boxes: new Float32Array(4), count: 1 },
    coder: undefined as never,
    config: {},
    assigned,
    createParams: () => undefined as never,
    forward: (params, images) => {
      const w = params.get("w");
      const cls = tf.mul(
        tf.reshape(tf.mean(images, [1, 2, 3]), [-1, 1, 1]),
        tf.reshape(w, [1, 1, k]),
      ) as Tensor3D;
      const box = tf.zeros([images.shape[0], 1, 4]) as Tensor3D;
      const feat = tf.zeros([images.shape[0], 1, 1, 1]) as Tensor4D;
      return { levels: [{ cls: feat, box: feat, clsFeat: feat }], cls, box };
    },
    assignTargets: (targets) => {
      assigned.push(targets);
      return {
        batch: targets.length,
        anchors: 1,
        labels: new Int32Array(targets.length),
        deltas: new Float32Array(4 * targets.length),
        matched: new Int32Array(targets.length),
        numForeground: 1,
      } satisfies AnchorTargets;
    },
    loss: (out: DetectorOutputs) => ({
      loss_cls: tf.sum(out.cls) as never,
      loss_box: tf.sum(out.box) as never,
    }),
    decode: (out: DetectorOutputs) => {
      const means = out.cls.dataSync();
      return Array.from({ length: out.cls.shape[0] }, (_, i) =>
        means[i * k]! > 0.5
          ? [{ box: [4, 4, 8, 8] as Box, score: 0.9, label: 2 }]
          : [{ box: [0, 0, 2, 2] as Box, score: 0.9, label: 1 }],
      );
    },
  };
}

describe("Co-mining step", () => {
  it("trains view O on view A's pseudo-boxes and A on O's", async () => {
    const { ParamStore } = await import("../../../src/engine/nn/params.js");
    const det = stubDetector();
    const params = new ParamStore(new Rng(1));
    params.fixed("w", [3], Float32Array.from([1, 1, 1]), true);
    const images = tf.fill([2, 8, 8, 3], 0.2) as Tensor4D; // view O: dark
    const viewA = tf.fill([2, 8, 8, 3], 0.8) as Tensor4D; // view A: bright
    const targets: ImageTargets[] = [GT, { boxes: [], classes: [] }];
    const step = coMiningStep(det, params, images, viewA, targets, CO_MINING_DEFAULTS);
    expect(step.pseudoO[0]!.boxes).toEqual([[0, 0, 2, 2]]);
    expect(step.pseudoA[0]!.boxes).toEqual([[4, 4, 8, 8]]);
    const [forO, forA] = det.assigned;
    expect(forO!.map((t) => t.boxes)).toEqual([[GT.boxes[0], [4, 4, 8, 8]], [[4, 4, 8, 8]]]);
    expect(forA!.map((t) => t.boxes)).toEqual([[GT.boxes[0], [0, 0, 2, 2]], [[0, 0, 2, 2]]]);
    expect(Object.keys(step.losses).sort()).toEqual(["loss_box", "loss_box_aug", "loss_cls", "loss_cls_aug"]);
    tf.dispose([images, viewA, ...Object.values(step.losses)]);
    params.dispose();
  });

  it("lets no gradient through pseudo-box generation: the gradient equals that of fixed merged targets", () => {
    const det = new RetinaNetLite({
      ...RETINANET_LITE_DEFAULTS,
      numClasses: 2,
      imageSize: 32,
      backbone: { width: 4, levels: 3 },
      fpnChannels: 8,
      headConvs: 1,
      priorProb: 0.5, // scores near 0.5 from the start, so pseudo-boxes exist
    });
    const params = det.createParams(new Rng(3));
    const images = tf.tensor4d(
      values(2 * 32 * 32 * 3, 7).map((v) => 0.5 + 0.4 * v),
      [2, 32, 32, 3],
    );
    const viewA = tf.tensor4d(
      values(2 * 32 * 32 * 3, 8).map((v) => 0.5 + 0.4 * v),
      [2, 32, 32, 3],
    );
    const targets: ImageTargets[] = [GT, { boxes: [[8, 8, 24, 20]], classes: [1] }];
    const options = { ...CO_MINING_DEFAULTS, pseudo: { ...CO_MINING_DEFAULTS.pseudo, scoreThreshold: 0.45 } };
    let pseudo: { o: ImageTargets[]; a: ImageTargets[] } = { o: [], a: [] };
    const viaStep = tf.variableGrads(() => {
      const s = coMiningStep(det, params, images, viewA, targets, options);
      pseudo = { o: s.pseudoO, a: s.pseudoA };
      return tf.addN(Object.values(s.losses)) as never;
    }, params.trainable());
    expect(pseudo.o.flatMap((t) => t.boxes).length).toBeGreaterThan(0);
    // The same loss with the pseudo-boxes fed in as constants.
    const { forO, forA } = crossTargets(targets, pseudo.o, pseudo.a, options.mergeIou);
    const fixed = tf.variableGrads(() => {
      const outO = det.forward(params, images);
      const outA = det.forward(params, viewA);
      const lo = det.loss(outO, det.assignTargets(forO));
      const la = det.loss(outA, det.assignTargets(forA));
      return tf.addN([...Object.values(lo), ...Object.values(la)]) as never;
    }, params.trainable());
    expect(viaStep.value.dataSync()[0]).toBeCloseTo(fixed.value.dataSync()[0]!, 4);
    for (const name of Object.keys(fixed.grads)) {
      const a = viaStep.grads[name]!.dataSync();
      const b = fixed.grads[name]!.dataSync();
      let worst = 0;
      let scale = 1e-6;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(b[i]!));
      }
      expect(worst / scale, name).toBeLessThan(1e-3);
    }
    tf.dispose([
      images,
      viewA,
      viaStep.value,
      fixed.value,
      ...Object.values(viaStep.grads),
      ...Object.values(fixed.grads),
    ]);
    params.dispose();
  });
});

describe("pseudo-box generator on retinanet-lite outputs", () => {
  it("keeps scores strictly above the threshold, suppresses same-class overlaps (NMS 0.5), caps the count", () => {
    const det = new RetinaNetLite({
      ...RETINANET_LITE_DEFAULTS,
      numClasses: 2,
      imageSize: 32,
      backbone: { width: 4, levels: 3 },
    });
    const p = det.anchors.count;
    const logits = new Float32Array(p * 2).fill(-10);
    // Anchors 0..8 share the first cell of level 0 (9 shapes about one centre): 0 and 1 overlap strongly.
    const a = det.anchors.boxes;
    const box = (i: number) => Array.from(a.subarray(4 * i, 4 * i + 4));
    logits[0 * 2 + 0] = 2; // anchor 0, class 0: kept
    logits[1 * 2 + 0] = 1; // anchor 1, class 0: suppressed by anchor 0 if IoU > 0.5
    logits[1 * 2 + 1] = 1.5; // anchor 1, class 1: another class, kept
    logits[5 * 2 + 1] = 0; // sigmoid(0) = 0.5: not above the threshold
    const iou01 = (() => {
      const [x1, y1, x2, y2] = box(0);
      const [u1, v1, u2, v2] = box(1);
      const iw = Math.max(0, Math.min(x2!, u2!) - Math.max(x1!, u1!));
      const ih = Math.max(0, Math.min(y2!, v2!) - Math.max(y1!, v1!));
      const inter = iw * ih;
      return inter / ((x2! - x1!) * (y2! - y1!) + (u2! - u1!) * (v2! - v1!) - inter);
    })();
    expect(iou01).toBeGreaterThan(0.5);
    const out: DetectorOutputs = {
      levels: [],
      cls: tf.tensor3d(logits, [1, p, 2]),
      box: tf.zeros([1, p, 4]) as Tensor3D,
    };
    const got = pseudoBoxes(det, out, { scoreThreshold: 0.5, nmsIou: 0.5, maxDetections: 100 });
    expect(got[0]!.classes.sort()).toEqual([0, 1]);
    const capped = pseudoBoxes(det, out, { scoreThreshold: 0.5, nmsIou: 0.5, maxDetections: 1 });
    expect(capped[0]!.classes).toEqual([0]);
    expect(capped[0]!.scores[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 5);
    tf.dispose([out.cls, out.box]);
  });
});

describe("photometric view (torchvision ColorJitter inside RandomApply)", () => {
  it("shifts hue like adjust_hue: red + 1/3 turn is green, − 1/3 is blue; grey stays grey", () => {
    const g = shiftHue(1, 0, 0, 1 / 3);
    expect(g.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 1, 0]);
    const b = shiftHue(1, 0, 0, -1 / 3);
    expect(b.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 1]);
    expect(shiftHue(0.4, 0.4, 0.4, 0.2)).toEqual([0.4, 0.4, 0.4]);
  });

  it("is the identity with p = 0, stays in [0, 1], and changes pixels only (same shape)", () => {
    const x = tf.tensor4d(
      values(2 * 8 * 8 * 3, 3).map((v) => 0.5 + 0.5 * v),
      [2, 8, 8, 3],
    );
    const off = { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, p: 0 };
    expect(photometricJitter(x, off, new Rng(1)).dataSync()).toEqual(x.dataSync());
    const on = photometricJitter(x, { ...off, p: 1 }, new Rng(1));
    expect(on.shape).toEqual([2, 8, 8, 3]);
    const d = on.dataSync();
    expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...d)).toBeLessThanOrEqual(1);
    expect(Array.from(d)).not.toEqual(Array.from(x.dataSync()));
    // Same seed, same view.
    expect(photometricJitter(x, { ...off, p: 1 }, new Rng(1)).dataSync()).toEqual(d);
    tf.dispose([x, on]);
  });
});
