import type { Tensor3D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import type { AnchorTargets, DetectorOutputs } from "../../src/engine/detect/detector.js";
import { BACKGROUND, IGNORE } from "../../src/engine/detect/matcher.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../src/engine/detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../src/engine/detect/ssd-lite.js";
import { keepPositivesOnly } from "../../src/engine/detect/targets.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { arraySource, type DetectionSample } from "../../src/engine/samples.js";
import { tf } from "../../src/engine/tf.js";
import { composeDetectionBatch } from "../../src/engine/train/detection-task.js";
import { scene } from "./synthetic.js";

// AL-SSL's pseudo-labelled images (METHODS.md §1a) train with positive-only
// classification: their background anchors are ignored, so nothing an
// unlabelled object's anchor predicts is pushed towards background.

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("keepPositivesOnly", () => {
  const t: AnchorTargets = {
    batch: 2,
    anchors: 3,
    labels: Int32Array.from([0, BACKGROUND, IGNORE, BACKGROUND, 1, BACKGROUND]),
    deltas: new Float32Array(24),
    matched: Int32Array.from([0, -1, -1, -1, 0, -1]),
    numForeground: 2,
  };
  it("ignores the flagged images' background anchors and nothing else", () => {
    const out = keepPositivesOnly(t, [false, true]);
    expect(Array.from(out.labels)).toEqual([0, BACKGROUND, IGNORE, IGNORE, 1, IGNORE]);
    expect(out.numForeground).toBe(2);
    expect(Array.from(t.labels)).toEqual([0, BACKGROUND, IGNORE, BACKGROUND, 1, BACKGROUND]); // input untouched
    expect(keepPositivesOnly(t, [false, false])).toBe(t);
    expect(() => keepPositivesOnly(t, [true])).toThrow("1 flags for a batch of 2");
  });
});

/** d loss_cls / d logits at every anchor, [B·P, K]. */
function clsGrad(
  det: SsdLite | RetinaNetLite,
  outputs: DetectorOutputs,
  targets: AnchorTargets,
): Float32Array {
  const g = tf.grad((cls) => det.loss({ ...outputs, cls: cls as Tensor3D }, targets).loss_cls!)(outputs.cls);
  return g.dataSync() as Float32Array;
}

describe("positive-only classification", () => {
  for (const det of [
    new SsdLite({ ...SSD_LITE_DEFAULTS, numClasses: 3, imageSize: 32, backbone: { width: 4, levels: 3 } }),
    new RetinaNetLite({
      ...RETINANET_LITE_DEFAULTS,
      numClasses: 3,
      imageSize: 32,
      backbone: { width: 4, levels: 3 },
    }),
  ]) {
    it(`${det.arch}: no gradient reaches a background anchor of a pseudo-labelled image`, async () => {
      const s = scene(3, 32, 3);
      const sample: DetectionSample = {
        imageId: 1,
        width: 32,
        height: 32,
        image: s.image,
        boxes: s.boxes,
        classes: s.classes,
      };
      const params = det.createParams(new Rng(1));
      const full = await composeDetectionBatch(det, arraySource([sample]), [0], undefined, 0, 0);
      const pseudo = await composeDetectionBatch(
        det,
        arraySource([{ ...sample, positiveOnly: true }]),
        [0],
        undefined,
        0,
        0,
      );
      const k = det.scoreKind === "softmax" ? det.numClasses + 1 : det.numClasses;
      const outputs = det.forward(params, full.images);
      const gFull = clsGrad(det, outputs, full.anchorTargets);
      const gPseudo = clsGrad(det, outputs, pseudo.anchorTargets);
      const bgWith = (g: Float32Array) =>
        Array.from(full.anchorTargets.labels).filter(
          (l, a) => l === BACKGROUND && g.slice(a * k, (a + 1) * k).some((v) => v !== 0),
        ).length;
      // The same image as a labelled one: (mined) background anchors learn "background".
      expect(bgWith(gFull)).toBeGreaterThan(0);
      expect(bgWith(gPseudo)).toBe(0);
      // The matched anchors still learn their classes, and the box loss is the same.
      const fg = Array.from(full.anchorTargets.labels).findIndex((l) => l >= 0);
      expect(fg).toBeGreaterThanOrEqual(0);
      expect(gPseudo.slice(fg * k, (fg + 1) * k).some((v) => v !== 0)).toBe(true);
      const box = (t: AnchorTargets) => det.loss(outputs, t).loss_box!.dataSync()[0];
      expect(box(pseudo.anchorTargets)).toBe(box(full.anchorTargets));
      params.dispose();
      tf.dispose([full.images, pseudo.images]);
    });
  }
});
