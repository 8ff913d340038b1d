import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  accumulateCoco,
  defaultCocoParams,
  evaluateCoco,
  perCategoryAp,
  summarizeCoco,
} from "../../src/eval/coco-eval.js";
import { parseDetections } from "../../src/eval/detections.js";
import { parseGroundTruth } from "../../src/eval/ground-truth.js";
import { imageResult } from "../../src/eval/image-result.js";
import { evaluateJson, formatReport } from "../../src/eval/index.js";
import { listCases, loadCase } from "./cases.js";

function f64Digest(a: Float64Array): string {
  return createHash("sha256")
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest("hex");
}

describe("COCO evaluator agrees with pycocotools", () => {
  for (const name of listCases("coco")) {
    it(name, () => {
      const c = loadCase(name);
      const gt = parseGroundTruth(c.gt, "gt.json", "coco");
      const dt = parseDetections(c.dt, gt, "dt.json");
      const params = { ...defaultCocoParams(), ...(c.info.params ?? {}) };
      const ev = evaluateCoco(gt, dt, params);
      const acc = accumulateCoco(ev);
      const summary = summarizeCoco(acc, ev.params);
      const exp = c.expected as {
        stats: number[];
        counts: number[];
        iouThrs: number[];
        perCategoryAp: (number | null)[];
        recall: number[];
        precisionSha256: string;
        scoresSha256: string;
        catIds: number[];
      };
      expect(ev.params.iouThrs).toEqual(exp.iouThrs);
      expect(acc.counts).toEqual(exp.counts);
      expect(ev.order.categoryIds).toEqual(exp.catIds);
      expect(summary.stats.length).toBe(exp.stats.length);
      summary.stats.forEach((s, i) => {
        expect(Math.abs(s - exp.stats[i]!), `stat ${i}`).toBeLessThanOrEqual(1e-12);
      });
      const perCat = perCategoryAp(acc, ev.params);
      perCat.forEach((ap, k) => {
        const e = exp.perCategoryAp[k];
        if (e === null || e === undefined) expect(ap).toBeNull();
        else expect(Math.abs(ap! - e), `category ${k}`).toBeLessThanOrEqual(1e-12);
      });
      expect(Array.from(acc.recall)).toEqual(exp.recall);
      expect(f64Digest(acc.precision)).toBe(exp.precisionSha256);
      expect(f64Digest(acc.scores)).toBe(exp.scoresSha256);
    });
  }
});

describe("the text summary is pycocotools' printout", () => {
  for (const name of listCases("coco").filter((n) => !loadCase(n).info.params)) {
    it(name, () => {
      const c = loadCase(name);
      expect(formatReport(evaluateJson({ type: "coco" }, c.gt, c.dt))).toBe(c.expected.summaryText);
    });
  }
});

describe("evaluate() records match pycocotools' evalImgs", () => {
  for (const name of listCases("coco")) {
    it(name, () => {
      const c = loadCase(name);
      const gt = parseGroundTruth(c.gt, "gt.json", "coco");
      const dt = parseDetections(c.dt, gt, "dt.json");
      const ev = evaluateCoco(
        gt,
        dt,
        { ...defaultCocoParams(), ...(c.info.params ?? {}) },
        { keepMatches: true },
      );
      const samples = (
        c.expected as { evalImgs: ({ imageId: number; categoryId: number; area: number } & object)[] }
      ).evalImgs;
      expect(samples.length).toBeGreaterThan(10);
      for (const s of samples) {
        const r = imageResult(ev, gt, s.imageId, s.categoryId, s.area);
        const { imageId, categoryId, area, ...want } = s;
        expect(r).not.toBeNull();
        const { detections, groundTruth, gtIgnore, dtMatches, dtIgnore, gtMatches } = r!;
        expect(
          { detections, groundTruth, gtIgnore, dtMatches, dtIgnore, gtMatches },
          `${imageId}/${categoryId}/${area}`,
        ).toEqual(want);
      }
      // Neither detections nor ground truth: pycocotools stores None.
      const used = new Set<string>();
      for (let i = 0; i < gt.annotations.length; i++)
        used.add(`${gt.annotations.image[i]},${gt.annotations.category[i]}`);
      for (let i = 0; i < dt.length; i++) used.add(`${dt.image[i]},${dt.category[i]}`);
      const free = gt.imageIds.flatMap((img, i) =>
        gt.categoryIds.filter((_, k) => !used.has(`${i},${k}`)).map((cat) => [img, cat] as const),
      )[0]!;
      expect(imageResult(ev, gt, free[0], free[1], 0)).toBeNull();
    });
  }
});
