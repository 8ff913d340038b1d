import type { Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { iou, xywhToXyxy } from "../../src/engine/detect/boxes.js";
import type { Detector } from "../../src/engine/detect/detector.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../src/engine/detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../src/engine/detect/ssd-lite.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { predictDetections } from "../../src/engine/predict.js";
import { arraySource, type DetectionSample } from "../../src/engine/samples.js";
import { tf } from "../../src/engine/tf.js";
import { detectionTask } from "../../src/engine/train/detection-task.js";
import { type TrainEvent, train } from "../../src/engine/train/loop.js";
import { expectClose, on } from "./helpers.js";
import { scene } from "./synthetic.js";

const S = 32;
const C = 3;

function samples(n: number, offset = 0): DetectionSample[] {
  return Array.from({ length: n }, (_, i) => {
    const s = scene(offset + i, S, C);
    return { imageId: offset + i, width: S, height: S, image: s.image, boxes: s.boxes, classes: s.classes };
  });
}

const DETECTORS: [string, () => Detector][] = [
  [
    "ssd-lite",
    () =>
      new SsdLite({ ...SSD_LITE_DEFAULTS, numClasses: C, imageSize: S, backbone: { width: 8, levels: 3 } }),
  ],
  [
    "retinanet-lite",
    () =>
      new RetinaNetLite({
        ...RETINANET_LITE_DEFAULTS,
        numClasses: C,
        imageSize: S,
        backbone: { width: 8, levels: 3 },
        fpnChannels: 32,
        headConvs: 1,
      }),
  ],
  [
    "retinanet-lite with a class-embedding classifier",
    () =>
      new RetinaNetLite({
        ...RETINANET_LITE_DEFAULTS,
        numClasses: C,
        imageSize: S,
        backbone: { width: 8, levels: 3 },
        fpnChannels: 32,
        headConvs: 1,
        embedding: { dim: 16, scale: 10 },
      }),
  ],
];

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("detectors learn a tiny synthetic set", () => {
  for (const [name, make] of DETECTORS) {
    it(`${name}: loss falls and the top detections land on the ground truth`, async () => {
      const det = make();
      const params = det.createParams(new Rng(1));
      const data = samples(8);
      const events: TrainEvent[] = [];
      const task = detectionTask(det, params, arraySource(data), {
        batchSize: 8,
        seed: 1,
        augment: { flip: true },
      });
      await train(
        task,
        {
          iterations: 80,
          lr: 0.004,
          optimizer: { kind: "adam" },
          seed: 1,
          schedule: { type: "constant", warmup: 5 },
        },
        [],
        {
          onEvent: (e) => events.push(e),
        },
      );
      const losses = events.flatMap((e) => (e.type === "progress" ? [e.loss] : []));
      expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses[0]! / 3);

      const results = await predictDetections(det, params, arraySource(data), {
        categoryIds: [11, 12, 13],
        batchSize: 4,
      });
      let hits = 0;
      let total = 0;
      for (const s of data) {
        const mine = results.filter((r) => r.image_id === s.imageId).sort((a, b) => b.score - a.score);
        s.boxes.forEach((b, j) => {
          total++;
          const found = mine
            .slice(0, 5)
            .some(
              (r) => r.category_id === 11 + s.classes[j]! && iou(xywhToXyxy(r.bbox), xywhToXyxy(b)) >= 0.5,
            );
          if (found) hits++;
        });
      }
      expect(hits / total).toBeGreaterThanOrEqual(0.75);
      for (const r of results) {
        expect(Object.keys(r).sort()).toEqual(["bbox", "category_id", "image_id", "score"]);
        expect(r.bbox[2]).toBeGreaterThanOrEqual(0);
      }
      params.dispose();
    });
  }
});

describe("detector forward pass", () => {
  it("gives the same outputs on cpu and wasm for the same parameters", async () => {
    const det = DETECTORS[1]![1]();
    const images = samples(2);
    const run = () => {
      const params = det.createParams(new Rng(5));
      const x = tf.tensor4d(Float32Array.from(images.flatMap((s) => Array.from(s.image))), [
        2,
        S,
        S,
        3,
      ]) as Tensor4D;
      const out = det.forward(params, x);
      const res = [tf.clone(out.cls), tf.clone(out.box)];
      params.dispose();
      return res;
    };
    const want = await on("cpu", run);
    const got = await on("wasm", run);
    expectClose(got[0]!, want[0]!, 1e-3);
    expectClose(got[1]!, want[1]!, 1e-3);
  });

  it("exposes per-level maps and flattened per-anchor outputs that agree", () => {
    const det = DETECTORS[0]![1]();
    const params = det.createParams(new Rng(2));
    tf.tidy(() => {
      const out = det.forward(params, tf.zeros([2, S, S, 3]) as Tensor4D);
      expect(out.cls.shape).toEqual([2, det.anchors.count, C + 1]);
      expect(out.box.shape).toEqual([2, det.anchors.count, 4]);
      expect(out.levels).toHaveLength(3);
      const l1 = out.levels[1]!;
      const a = det.anchors.levels[1]!;
      const fromLevel = tf.reshape(l1.cls, [2, -1, C + 1]).arraySync() as number[][][];
      const fromFlat = tf.slice(out.cls, [0, a.offset, 0], [2, a.count, C + 1]).arraySync() as number[][][];
      expect(fromFlat).toEqual(fromLevel);
    });
    params.dispose();
  });
});

describe("pyramid depth", () => {
  it("ssd-lite with 6 levels and retinanet-lite with 4 levels give one output map per level", () => {
    const dets: Detector[] = [
      new SsdLite({ ...SSD_LITE_DEFAULTS, numClasses: C, imageSize: 64, backbone: { width: 4, levels: 6 } }),
      new RetinaNetLite({
        ...RETINANET_LITE_DEFAULTS,
        numClasses: C,
        imageSize: 64,
        backbone: { width: 4, levels: 4 },
        fpnChannels: 8,
        headConvs: 1,
      }),
    ];
    for (const det of dets) {
      const params = det.createParams(new Rng(2));
      tf.tidy(() => {
        const out = det.forward(params, tf.zeros([1, 64, 64, 3]) as Tensor4D);
        expect(out.levels.map((l) => l.cls.shape[1])).toEqual(det.anchors.levels.map((l) => l.height));
        expect(out.cls.shape[1]).toBe(det.anchors.count);
      });
      params.dispose();
    }
    expect(dets[0]!.anchors.levels.map((l) => l.height)).toEqual([8, 4, 2, 1, 1, 1]);
  });
});

describe("training memory", () => {
  it("holds a constant number of tensors from step to step (no leak in targets, loss, backward or optimiser)", async () => {
    for (const [, make] of DETECTORS) {
      const det = make();
      const params = det.createParams(new Rng(1));
      const counts: number[] = [];
      const task = detectionTask(det, params, arraySource(samples(4)), {
        batchSize: 4,
        seed: 1,
        augment: { flip: true, scaleJitter: [0.8, 1.2], colorJitter: 0.3 },
      });
      await train(
        task,
        { iterations: 6, lr: 0.001, optimizer: { kind: "adamw", weightDecay: 0.01 }, seed: 1 },
        [],
        {
          onEvent: (e) => {
            if (e.type === "progress") counts.push(tf.memory().numTensors);
          },
        },
      );
      expect(counts[5]).toBe(counts[2]);
      params.dispose();
    }
  });
});

describe("two input scales (SED)", () => {
  it("one parameter store drives the detector at S and at S/2; level l at S has the grid of level l−1 at S/2", () => {
    const cfg = {
      ...RETINANET_LITE_DEFAULTS,
      numClasses: C,
      backbone: { width: 4, levels: 3 },
      fpnChannels: 8,
      headConvs: 1,
    };
    const full = new RetinaNetLite({ ...cfg, imageSize: 64 });
    const half = new RetinaNetLite({ ...cfg, imageSize: 32 });
    const params = full.createParams(new Rng(4));
    tf.tidy(() => {
      const x = tf.randomUniform([2, 64, 64, 3], 0, 1, "float32", 1) as Tensor4D;
      const a = full.forward(params, x);
      const b = half.forward(params, tf.image.resizeBilinear(x, [32, 32]) as Tensor4D);
      for (let l = 1; l < 3; l++) expect(a.levels[l]!.cls.shape).toEqual(b.levels[l - 1]!.cls.shape);
      expect(b.cls.shape[1]).toBe(half.anchors.count);
    });
    params.dispose();
  });
});
