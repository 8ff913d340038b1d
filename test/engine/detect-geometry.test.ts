import { describe, expect, it } from "vitest";
import {
  anchorBox,
  makeAnchors,
  mirrorIndex,
  retinaShapes,
  ssdShapes,
} from "../../src/engine/detect/anchors.js";
import { type Box, BoxCoder, iou } from "../../src/engine/detect/boxes.js";
import { decodeDense } from "../../src/engine/detect/decode.js";
import { hardNegativeMask } from "../../src/engine/detect/losses.js";
import {
  BACKGROUND,
  IGNORE,
  matchAnchors,
  RETINANET_MATCHER,
  SSD_MATCHER,
} from "../../src/engine/detect/matcher.js";
import { classwiseNms } from "../../src/engine/detect/nms.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../src/engine/detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../src/engine/detect/ssd-lite.js";
import { toCocoResults } from "../../src/engine/predictions.js";

describe("anchors", () => {
  it("mirror index pairs every anchor with its left–right reflection (CSD)", () => {
    for (const det of [
      new SsdLite({ ...SSD_LITE_DEFAULTS, numClasses: 3, imageSize: 64 }),
      new RetinaNetLite({ ...RETINANET_LITE_DEFAULTS, numClasses: 3, imageSize: 64 }),
    ]) {
      const set = det.anchors;
      const m = mirrorIndex(set);
      for (let k = 0; k < set.count; k++) {
        const a = anchorBox(set, k);
        const b = anchorBox(set, m[k]!);
        expect(b[0]).toBeCloseTo(64 - a[2], 4);
        expect(b[2]).toBeCloseTo(64 - a[0], 4);
        expect(b[1]).toBeCloseTo(a[1], 4);
        expect(b[3]).toBeCloseTo(a[3], 4);
        expect(m[m[k]!]).toBe(k);
      }
    }
  });

  it("SSD shapes come with reciprocal ratios; RetinaNet shapes keep area per scale", () => {
    const s = ssdShapes(10, 20, [1, 2, 0.5]);
    expect(s).toHaveLength(4);
    expect(s[1]![0]).toBeCloseTo(Math.sqrt(200));
    expect(s[2]![0] / s[2]![1]).toBeCloseTo(2);
    expect(s[3]![0] / s[3]![1]).toBeCloseTo(0.5);
    for (const [w, h] of retinaShapes(16, [1, 1.26], [0.5, 1, 2]).slice(0, 3)) expect(w * h).toBeCloseTo(256);
  });

  it("level l at full scale and level l−1 at half scale have the same grid, anchors halved (SED)", () => {
    const full = new RetinaNetLite({ ...RETINANET_LITE_DEFAULTS, numClasses: 2, imageSize: 64 }).anchors;
    const half = new RetinaNetLite({ ...RETINANET_LITE_DEFAULTS, numClasses: 2, imageSize: 32 }).anchors;
    expect(full.levels.length).toBeGreaterThanOrEqual(3);
    for (let l = 1; l < full.levels.length; l++) {
      const f = full.levels[l]!;
      const h = half.levels[l - 1]!;
      expect([f.height, f.width, f.shapes.length]).toEqual([h.height, h.width, h.shapes.length]);
      for (let k = 0; k < f.count; k++) {
        const a = anchorBox(full, f.offset + k);
        const b = anchorBox(half, h.offset + k);
        for (let i = 0; i < 4; i++) expect(b[i]!).toBeCloseTo(a[i]! / 2, 4);
      }
    }
  });

  it("centres sit at (j + 0.5)·stride", () => {
    const set = makeAnchors(16, 16, [{ stride: 8, height: 2, width: 2, shapes: [[4, 4]] }]);
    expect(anchorBox(set, 3)).toEqual([10, 10, 14, 14]);
  });
});

describe("box coder", () => {
  it("decode inverts encode, with and without SSD variances", () => {
    const anchor: Box = [10, 20, 30, 60];
    const gt: Box = [12, 18, 40, 50];
    for (const coder of [new BoxCoder(), BoxCoder.fromVariances(0.1, 0.2)]) {
      const d = new Float32Array(4);
      coder.encode(anchor, gt, d, 0);
      const back = new Float32Array(4);
      coder.decode(anchor, d, 0, back, 0);
      for (let i = 0; i < 4; i++) expect(back[i]!).toBeCloseTo(gt[i]!, 3);
    }
    const d = new Float32Array(4);
    BoxCoder.fromVariances(0.1, 0.2).encode(anchor, [10, 20, 30, 60], d, 0);
    expect([...d]).toEqual([0, 0, 0, 0]);
  });
});

describe("matcher", () => {
  const anchors = new Float32Array([0, 0, 10, 10, 2, 0, 12, 10, 6, 0, 16, 10, 40, 40, 50, 50]);
  it("RetinaNet: ≥ 0.5 foreground, < 0.4 background, ignore between, low-quality matches kept", () => {
    // IoUs with gt [0,0,10,10]: 1, 0.667, 0.25, 0
    const m = matchAnchors(anchors, 4, [[0, 0, 10, 10]], RETINANET_MATCHER);
    expect([...m]).toEqual([0, 0, BACKGROUND, BACKGROUND]);
    const m2 = matchAnchors(anchors, 4, [[1, 0, 11, 10]], RETINANET_MATCHER);
    // IoUs 0.818, 0.818, 0.333, 0
    expect([...m2]).toEqual([0, 0, BACKGROUND, BACKGROUND]);
    const m3 = matchAnchors(anchors, 4, [[4, 0, 14, 10]], RETINANET_MATCHER);
    // IoUs 0.429 (ignore), 0.667, 0.667, 0
    expect([...m3]).toEqual([IGNORE, 0, 0, BACKGROUND]);
    // A small box nobody overlaps ≥ 0.4 still gets its best anchor (low-quality match).
    const m4 = matchAnchors(anchors, 4, [[44, 44, 47, 47]], RETINANET_MATCHER);
    expect([...m4]).toEqual([BACKGROUND, BACKGROUND, BACKGROUND, 0]);
  });

  it("SSD: ≥ 0.5 foreground, the rest background, each ground truth forced onto its best anchor", () => {
    const m = matchAnchors(
      anchors,
      4,
      [
        [44, 44, 47, 47],
        [4, 0, 14, 10],
      ],
      SSD_MATCHER,
    );
    expect([...m]).toEqual([BACKGROUND, 1, 1, 0]);
    expect(matchAnchors(anchors, 4, [], SSD_MATCHER).every((v) => v === BACKGROUND)).toBe(true);
  });
});

describe("NMS and decoding", () => {
  it("suppresses overlaps within a class only, highest score first, at most maxOut", () => {
    const boxes = new Float32Array([0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10, 30, 30, 40, 40]);
    const scores = new Float32Array([0.9, 0.8, 0.7, 0.6]);
    const classes = new Int32Array([0, 0, 1, 0]);
    expect(classwiseNms(boxes, scores, classes, 0.5, 10)).toEqual([0, 2, 3]);
    expect(classwiseNms(boxes, scores, classes, 0.5, 2)).toEqual([0, 2]);
    expect(classwiseNms(boxes, scores, classes, 0.99, 10)).toEqual([0, 1, 2, 3]);
  });

  it("decodes the confident anchors of each image, mapped through the coder", () => {
    const set = makeAnchors(32, 32, [{ stride: 16, height: 2, width: 2, shapes: [[16, 16]] }]);
    const coder = new BoxCoder();
    const probs = new Float32Array(2 * 4 * 3); // B=2, P=4, K=3 with background at 0
    probs[(0 * 4 + 1) * 3 + 2] = 0.9; // image 0, anchor 1, class 1
    probs[(1 * 4 + 3) * 3 + 1] = 0.8; // image 1, anchor 3, class 0
    const deltas = new Float32Array(2 * 4 * 4);
    const dets = decodeDense(probs, deltas, 2, set, coder, {
      numScores: 3,
      classOffset: 1,
      scoreThreshold: 0.5,
      topKPerLevel: 10,
      nmsIou: 0.5,
      maxDetections: 5,
    });
    // Each detection names its anchor (active learning scores that prior's distribution).
    expect(dets[0]).toEqual([{ box: [16, 0, 32, 16], score: expect.closeTo(0.9, 5), label: 1, anchor: 1 }]);
    expect(dets[1]).toEqual([{ box: [16, 16, 32, 32], score: expect.closeTo(0.8, 5), label: 0, anchor: 3 }]);
  });

  it("hard-negative mining keeps positives and the 3× hardest background anchors per image", () => {
    const labels = new Int32Array([
      2,
      BACKGROUND,
      BACKGROUND,
      BACKGROUND,
      BACKGROUND,
      IGNORE,
      BACKGROUND,
      BACKGROUND,
    ]);
    const ce = new Float32Array([0, 0.1, 0.9, 0.5, 0.7, 5, 0.3, 0.2]);
    expect([...hardNegativeMask(ce, labels, 1, 8, 3)]).toEqual([1, 0, 1, 1, 1, 0, 0, 0]);
    expect([...hardNegativeMask(ce, new Int32Array(8).fill(BACKGROUND), 1, 8, 3)]).toEqual(
      new Array(8).fill(0),
    );
  });
});

describe("COCO results", () => {
  it("scales input-pixel boxes back to the original image and maps class index to category id", () => {
    const res = toCocoResults(
      [[{ box: [8, 16, 24, 32], score: 0.5, label: 1 }]],
      [{ imageId: 7, width: 64, height: 128 }],
      32,
      [3, 9],
    );
    expect(res).toEqual([{ image_id: 7, category_id: 9, bbox: [16, 64, 32, 64], score: 0.5 }]);
    expect(iou([16, 64, 48, 128], [16, 64, 48, 128])).toBe(1);
  });
});
