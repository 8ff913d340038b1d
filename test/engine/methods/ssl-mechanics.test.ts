import type { Scalar, Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import {
  anchorBox,
  makeAnchors,
  mirrorIndex,
  retinaShapes,
  ssdShapes,
} from "../../../src/engine/detect/anchors.js";
import type { DetectorOutputs } from "../../../src/engine/detect/detector.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../../src/engine/detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../../src/engine/detect/ssd-lite.js";
import {
  backgroundMask,
  bernoulliJs,
  bernoulliSymmetricKl,
  consistencyLoss,
  locConsistency,
  softmaxJs,
  softmaxSymmetricKl,
} from "../../../src/engine/methods/shared/consistency.js";
import {
  distillWeights,
  softDistill,
  teacherProbabilities,
  weightedMean,
} from "../../../src/engine/methods/shared/distill.js";
import { EmaTeacher } from "../../../src/engine/methods/shared/ema-teacher.js";
import {
  anchorRange,
  flipBack,
  mirrorIsExact,
  pairLevels,
  rescaleImages,
} from "../../../src/engine/methods/shared/head-transforms.js";
import { rampWeight } from "../../../src/engine/methods/shared/ramp.js";
import { ParamStore } from "../../../src/engine/nn/params.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { tf } from "../../../src/engine/tf.js";

// The semi-supervised mechanics on small hand-computed tensors. Expected
// divergence values and gradients: NumPy (float64, the code's +1e-7 on
// probabilities), central differences for gradients:
//   p = softmax([0, 0]) + 1e-7, q = softmax([ln 3, 0]) + 1e-7
//   [KL(q‖p) + KL(p‖q)]/2 = 0.13732650275018923,  JS(p, q) = 0.033822067638355775
//   d/da KL(q‖p)/2 = [−0.125, 0.125];  d/da JS = [−0.06385319, 0.06385319],  d/db JS = [0.05510498, −0.05510498]
//   Bernoulli(0.5) vs Bernoulli(0.75): sym-KL/2 = 0.1373265360835137, JS = 0.033822075568605205

beforeAll(async () => {
  await selectBackend("cpu");
});

const t2 = (rows: number[][]) => tf.tensor2d(rows);
const vals = (t: Tensor) => Array.from(t.dataSync());

describe("flip correspondence of priors", () => {
  const detectors = [
    new SsdLite({ ...SSD_LITE_DEFAULTS, numClasses: 3, imageSize: 64, ratios: [1, 2, 0.5, 3, 1 / 3] }),
    new RetinaNetLite({ ...RETINANET_LITE_DEFAULTS, numClasses: 3, imageSize: 64 }),
  ];

  it.each(detectors.map((d) => [d.arch, d] as const))(
    "%s: after flipBack, prior k holds the flipped pass's prediction at the mirror k′ of k, for every level and shape",
    (_arch, det) => {
      const set = det.anchors;
      const mirror = mirrorIndex(set);
      // A flipped pass whose every score channel and every delta holds the index j of its own prior.
      const k = det.scoreKind === "softmax" ? det.numClasses + 1 : det.numClasses;
      const levels = set.levels.map((l) => {
        const a = l.shapes.length;
        const cls = new Float32Array(l.height * l.width * a * k);
        const box = new Float32Array(l.height * l.width * a * 4);
        for (let cell = 0; cell < l.height * l.width; cell++) {
          for (let s = 0; s < a; s++) {
            const j = l.offset + cell * a + s;
            cls.fill(j, (cell * a + s) * k, (cell * a + s + 1) * k);
            box.set([j, j + 0.25, j + 0.5, j + 0.75], (cell * a + s) * 4);
          }
        }
        return {
          cls: tf.tensor4d(cls, [1, l.height, l.width, a * k]),
          box: tf.tensor4d(box, [1, l.height, l.width, a * 4]),
          clsFeat: tf.zeros([1, l.height, l.width, 1]) as Tensor4D,
        };
      });
      const back = flipBack({ levels } as unknown as DetectorOutputs, det);
      const c = back.cls.dataSync();
      const b = back.box.dataSync();
      expect(back.cls.shape).toEqual([1, set.count, k]);
      for (let p = 0; p < set.count; p++) {
        const m = mirror[p]!;
        expect(c[p * k]).toBe(m);
        // Δcx changes sign (the paper's −Δĉx), the other offsets do not.
        expect([b[4 * p], b[4 * p + 1], b[4 * p + 2], b[4 * p + 3]]).toEqual([
          -m,
          m + 0.25,
          m + 0.5,
          m + 0.75,
        ]);
        // k′ is k's mirror image: same level, row and shape, x mirrored about the image centre.
        const [x1, y1, x2, y2] = anchorBox(set, p);
        const [mx1, my1, mx2, my2] = anchorBox(set, m);
        expect(mx1).toBeCloseTo(64 - x2, 4);
        expect(mx2).toBeCloseTo(64 - x1, 4);
        expect([my1, my2]).toEqual([y1, y2]);
      }
      expect(mirrorIsExact(set)).toBe(true);
    },
  );

  it("pairs cells (y, x) with (y, W−1−x) by hand on a 2×3 grid, and knows when the grid is not symmetric", () => {
    const set = makeAnchors(16, 24, [
      {
        stride: 8,
        height: 2,
        width: 3,
        shapes: [
          [4, 4],
          [8, 4],
        ],
      },
    ]);
    // (row, col, shape) → index: (0,0,0)=0 (0,0,1)=1 (0,1,0)=2 … (1,2,1)=11
    expect(Array.from(mirrorIndex(set))).toEqual([4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
    expect(mirrorIsExact(set)).toBe(true);
    // 300 px with a 38-wide stride-8 map (SSD300): centres run to 300 on one side, 4 on the other.
    const ssd300 = makeAnchors(300, 300, [
      { stride: 8, height: 38, width: 38, shapes: ssdShapes(30, 60, [1, 2, 0.5]) },
    ]);
    expect(mirrorIsExact(ssd300)).toBe(false);
    expect(retinaShapes(16, [1], [0.5, 1, 2])).toHaveLength(3);
  });
});

describe("CSD consistency", () => {
  const a = () => t2([[0, 0]]);
  const b = () => t2([[Math.log(3), 0]]);

  it("values: the code's symmetric KL/2 and the paper's JS, softmax and Bernoulli", () => {
    expect(vals(softmaxSymmetricKl(a(), b()))[0]).toBeCloseTo(0.13732650275018923, 6);
    expect(vals(softmaxJs(a(), b()))[0]).toBeCloseTo(0.033822067638355775, 6);
    expect(vals(bernoulliSymmetricKl(t2([[0]]), t2([[Math.log(3)]])))[0]).toBeCloseTo(0.1373265360835137, 6);
    expect(vals(bernoulliJs(t2([[0]]), t2([[Math.log(3)]])))[0]).toBeCloseTo(0.033822075568605205, 6);
    // Identical predictions diverge by nothing.
    expect(vals(softmaxSymmetricKl(b(), b()))[0]).toBeCloseTo(0, 7);
  });

  it("gradients: each KL of the symmetric form reaches one branch only; JS reaches both", () => {
    const [ga, gb] = tf.grads((x: Tensor, y: Tensor) =>
      tf.sum(softmaxSymmetricKl(x as Tensor2D, y as Tensor2D)),
    )([a(), b()]);
    // d/da of [KL(sg q ‖ p_a)]/2 = (p − q)/2; the KL(sg p ‖ q_b) term adds nothing to a.
    expect(vals(ga!)[0]).toBeCloseTo(-0.125, 5);
    expect(vals(ga!)[1]).toBeCloseTo(0.125, 5);
    // … and symmetrically (q − p)/2 into b from KL(sg p ‖ q_b) alone.
    expect(vals(gb!)[0]).toBeCloseTo(0.125, 5);
    expect(vals(gb!)[1]).toBeCloseTo(-0.125, 5);
    // Without the stop-gradients a would also get d/da KL(p_a ‖ q)/2 = −0.1373 in its first entry.
    const [ja, jb] = tf.grads((x: Tensor, y: Tensor) => tf.sum(softmaxJs(x as Tensor2D, y as Tensor2D)))([
      a(),
      b(),
    ]);
    expect(vals(ja!)[0]).toBeCloseTo(-0.06385318967669362, 5);
    expect(vals(jb!)[0]).toBeCloseTo(0.0551049848043772, 5);
    // Sigmoid head: the same stop-gradient pattern (d/dx of Bernoulli KL(sg q ‖ σ(x)) = σ(x) − q).
    const [sa, sb] = tf.grads((x: Tensor, y: Tensor) =>
      tf.sum(bernoulliSymmetricKl(x as Tensor2D, y as Tensor2D)),
    )([t2([[0]]), t2([[Math.log(3)]])]);
    expect(vals(sa!)[0]).toBeCloseTo((0.5 - 0.75) / 2, 5);
    expect(vals(sb!)[0]).toBeCloseTo((0.75 - 0.5) / 2, 5);
  });

  it("background elimination: from the plain pass (single), both passes (both) or none", () => {
    // Softmax, background at index 0: prior 0 foreground on both, 1 only on the flip, 2 only plain.
    const plain = Float32Array.from([0, 2, 1, 3, 1, 0, 0, 0, 0.5]);
    const flipped = Float32Array.from([0, 0, 4, 0, 2, 1, 2, 1, 0]);
    expect(Array.from(backgroundMask("single", plain, flipped, 3, "softmax"))).toEqual([1, 0, 1]);
    expect(Array.from(backgroundMask("both", plain, flipped, 3, "softmax"))).toEqual([1, 0, 0]);
    expect(Array.from(backgroundMask("none", plain, flipped, 3, "softmax"))).toEqual([1, 1, 1]);
    // Sigmoid: max_c p_c > 0.5 ⇔ max logit > 0; threshold 0.9 ⇔ logit > ln 9 ≈ 2.197.
    const s = Float32Array.from([-1, 0.1, 2.5, -3, -0.2, -0.1]);
    expect(Array.from(backgroundMask("single", s, s, 2, "sigmoid"))).toEqual([1, 1, 0]);
    expect(Array.from(backgroundMask("single", s, s, 2, "sigmoid", 0.9))).toEqual([0, 1, 0]);
  });

  it("loss: masked means of the class divergence and ¼ Σ (δ − δ̂)², 0 when nothing is kept", () => {
    const plain = {
      cls: t2([
        [0, 2, 0],
        [3, 0, 0],
      ]),
      box: t2([
        [1, 2, 0, 0],
        [5, 5, 5, 5],
      ]),
    };
    const flipped = {
      cls: t2([
        [0, 2, 0],
        [3, 0, 0],
      ]),
      box: t2([
        [-1, 0, 0, 2],
        [0, 0, 0, 0],
      ]),
    };
    const opts = {
      head: "softmax",
      divergence: "symmetric-kl",
      backgroundElimination: "single",
      cls: true,
      loc: true,
    } as const;
    const r = consistencyLoss(plain, flipped, opts);
    expect(r.kept).toBe(1); // prior 1 is background on the plain pass
    expect(vals(r.cls)[0]).toBeCloseTo(0, 6);
    // ¼[(1 − (−1))² + (2 − 0)² + 0 + (0 − 2)²] = 3
    expect(vals(r.loc)[0]).toBeCloseTo(3, 6);
    expect(vals(locConsistency(t2([[1, 1, 1, 1]]), t2([[0, 0, 0, 0]])))).toEqual([1]);
    const none = consistencyLoss(
      {
        ...plain,
        cls: t2([
          [5, 0, 0],
          [3, 0, 0],
        ]),
      },
      flipped,
      opts,
    );
    expect([none.kept, vals(none.cls)[0], vals(none.loc)[0]]).toEqual([0, 0, 0]);
    const all = consistencyLoss(plain, flipped, { ...opts, backgroundElimination: "none" });
    // mean over both priors: (3 + ¼·4·25)/2 = 14
    expect(vals(all.loc)[0]).toBeCloseTo(14, 5);
  });

  it("ramp weight at its breakpoints (the code's 32k / 100k / 120k)", () => {
    const o = { total: 120000, up: 32000 / 120000, down: 100000 / 120000 };
    expect(rampWeight(0, o)).toBe(0);
    expect(rampWeight(1, o)).toBeCloseTo(Math.exp(-5 * (1 - 1 / 32000) ** 2), 12);
    expect(rampWeight(16000, o)).toBeCloseTo(Math.exp(-1.25), 12);
    expect(rampWeight(32000, o)).toBe(1);
    expect(rampWeight(100000, o)).toBe(1);
    expect(rampWeight(110000, o)).toBeCloseTo(Math.exp(-12.5 * 0.25), 12);
    expect(rampWeight(120000, o)).toBeCloseTo(Math.exp(-12.5), 12);
    // Scaled to a 300-step run: the same shape.
    expect(rampWeight(40, { total: 300, up: 0.267, down: 0.833 })).toBeCloseTo(
      Math.exp(-5 * (1 - 40 / 80.1) ** 2),
      12,
    );
  });
});

describe("SED", () => {
  it("pairs full-scale level l with half-scale level l−1: same grids, anchors and shapes", () => {
    for (const size of [64, 96]) {
      const det = new RetinaNetLite({
        ...RETINANET_LITE_DEFAULTS,
        numClasses: 2,
        imageSize: size,
        backbone: { width: 4, levels: 3 },
      });
      const params = det.createParams(new Rng(1));
      const x = tf.randomUniform([2, size, size, 3], 0, 1, "float32", 3) as Tensor4D;
      const full = det.forward(params, x);
      const half = det.forward(params, rescaleImages(x, 0.5));
      const p = pairLevels(full, half, det);
      expect(p.pairs).toEqual([
        [1, 0],
        [2, 1],
      ]);
      const l = det.anchors.levels;
      const paired = l[1]!.count + l[2]!.count;
      expect(p.full.cls.shape).toEqual([2, paired, 2]);
      expect(p.rescaled.cls.shape).toEqual([2, paired, 2]);
      expect(p.rescaled.box.shape).toEqual([2, paired, 4]);
      expect(p.anchors).toEqual({ start: l[1]!.offset, end: det.anchors.count });
      // Half-scale level l−1 has level l's grid; its anchors are level l's, halved.
      expect([half.levels[0]!.cls.shape[1], half.levels[0]!.cls.shape[2]]).toEqual([
        l[1]!.height,
        l[1]!.width,
      ]);
      expect(l[0]!.shapes.map(([w, h]) => [2 * w, 2 * h])).toEqual(l[1]!.shapes);
      params.dispose();
    }
    const bad = { levels: [{ cls: tf.zeros([1, 4, 4, 2]) }, { cls: tf.zeros([1, 2, 2, 2]) }] };
    const worse = { levels: [{ cls: tf.zeros([1, 3, 3, 2]) }, { cls: tf.zeros([1, 1, 1, 2]) }] };
    const det = new RetinaNetLite({ ...RETINANET_LITE_DEFAULTS, numClasses: 2, imageSize: 32 });
    expect(() => pairLevels(bad as never, worse as never, det)).toThrow(
      /level 1 has a 2×2 grid, rescaled level 0 3×3/,
    );
  });

  it("anchor targets restricted to the paired levels", () => {
    const t = {
      batch: 2,
      anchors: 3,
      labels: Int32Array.from([0, -1, 1, -2, 2, -1]),
      deltas: Float32Array.from([...Array(24).keys()]),
      matched: Int32Array.from([0, -1, 1, -1, 0, -1]),
      numForeground: 3,
    };
    const r = anchorRange(t, 1, 3);
    expect(Array.from(r.labels)).toEqual([-1, 1, 2, -1]);
    expect(Array.from(r.deltas)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect([r.anchors, r.numForeground]).toEqual([2, 2]);
  });

  it("re-weighting by teacher confidence, normalised by the total weight", () => {
    // Sigmoid, 2 classes: q = [0.5, 0.5] → 1 − p_bg = 1 − 0.25 = 0.75; q = [0.1, 0] → 0.1.
    const q = Float32Array.from([0.5, 0.5, 0.1, 0]);
    expect(Array.from(distillWeights(q, 2, "sigmoid", "foreground"))).toEqual([0.75, expect.closeTo(0.1, 7)]);
    expect(Array.from(distillWeights(q, 2, "sigmoid", "max-prob", 2))).toEqual([
      0.25,
      expect.closeTo(0.01, 7),
    ]);
    expect(Array.from(distillWeights(q, 2, "sigmoid", "none"))).toEqual([1, 1]);
    // Softmax: 1 − q_0.
    expect(Array.from(distillWeights(Float32Array.from([0.2, 0.8]), 2, "softmax", "foreground"))).toEqual([
      expect.closeTo(0.8, 7),
    ]);
    // Σ w·ℓ / Σ w: (0.75·2 + 0.25·6) / 1 = 3, whatever the weights' overall scale.
    const per = tf.tensor1d([2, 6]);
    expect(vals(weightedMean(per, Float32Array.from([0.75, 0.25])))[0]).toBeCloseTo(3, 6);
    expect(vals(weightedMean(per, Float32Array.from([7.5, 2.5])))[0]).toBeCloseTo(3, 6);
    expect(vals(weightedMean(per, Float32Array.from([0, 0])))[0]).toBe(0);
  });

  it("soft distillation: 0 when the student matches the teacher, Bernoulli KL to the teacher otherwise", () => {
    const teacher = { cls: Float32Array.from([0, Math.log(3)]), box: Float32Array.from([1, 2, 3, 4]) };
    const same = softDistill({ cls: t2([[0, Math.log(3)]]), box: t2([[1, 2, 3, 4]]) }, teacher, {
      head: "sigmoid",
      reweight: "foreground",
      gamma: 1,
    });
    expect(vals(same.cls)[0]).toBeCloseTo(0, 6);
    expect(vals(same.box)[0]).toBeCloseTo(0, 6);
    // 1 − (1 − 0.5)(1 − 0.75) = 0.875
    expect(same.weight).toBeCloseTo(0.875, 6);
    const off = softDistill({ cls: t2([[0, 0]]), box: t2([[0, 2, 3, 5]]) }, teacher, {
      head: "sigmoid",
      reweight: "foreground",
      gamma: 1,
    });
    // class 1: KL(Bern(0.75) ‖ Bern(0.5)) = 0.1308121; boxes: |1| + |1| = 2 (one anchor: weight cancels).
    expect(vals(off.cls)[0]).toBeCloseTo(0.130812035941137, 5);
    expect(vals(off.box)[0]).toBeCloseTo(2, 6);
    expect(Array.from(teacherProbabilities(Float32Array.from([0, Math.log(3)]), 2, "softmax"))).toEqual([
      expect.closeTo(0.25, 6),
      expect.closeTo(0.75, 6),
    ]);
  });
});

describe("EMA teacher with a burn-in", () => {
  it("is re-copied from the student when the burn-in ends, then moves by decay·t + (1 − decay)·s", () => {
    const student = new ParamStore(new Rng(1));
    student.fixed("w", [2], Float32Array.from([1, 2]), true);
    const teacher = new EmaTeacher(student, { decay: 0.5, startAt: 2 });
    const hook = teacher.hook<null>();
    const ctx = (iter: number) => ({ iter }) as never;
    const record = (iter: number) => ({ iter }) as never;
    const w = () => vals(teacher.params.get("w"));
    const set = (v: number[]) => student.get("w").assign(tf.tensor1d(v));
    for (const [iter, value] of [
      [0, [3, 3]],
      [1, [5, 5]],
    ] as const) {
      hook.beforeIter!(ctx(iter), null);
      set([...value]);
      hook.afterStep!(ctx(iter), record(iter + 1));
      expect(w()).toEqual([1, 2]); // burn-in: untouched
      expect(teacher.active(iter)).toBe(false);
    }
    hook.beforeIter!(ctx(2), null);
    expect(w()).toEqual([5, 5]); // copied at step 2
    set([7, 9]);
    hook.afterStep!(ctx(2), record(3));
    expect(w()).toEqual([6, 7]); // 0.5·5 + 0.5·7, 0.5·5 + 0.5·9
    hook.beforeIter!(ctx(3), null);
    expect(w()).toEqual([6, 7]); // no second copy
    teacher.dispose();
    student.dispose();
  });
});

it("rescaling at 0.5 averages 2×2 blocks (half-pixel centres)", () => {
  const x = tf.tensor4d([1, 3, 5, 7, 2, 4, 6, 8, 0, 0, 4, 4, 0, 0, 4, 4], [1, 4, 4, 1]);
  expect(vals(rescaleImages(x as Tensor4D, 0.5))).toEqual([2.5, 6.5, 0, 4]);
  expect((tf.scalar(0) as Scalar).shape).toEqual([]);
});
