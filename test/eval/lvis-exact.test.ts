import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseDetections } from "../../src/eval/detections.js";
import { parseGroundTruth } from "../../src/eval/ground-truth.js";
import { evaluateJson, formatReport } from "../../src/eval/index.js";
import { accumulateLvis, evaluateLvis, lvisParamsFromSpec } from "../../src/eval/lvis-eval.js";
import type { EvalSpec } from "../../src/spec/types.js";
import { listCases, loadCase } from "./cases.js";

function f64Digest(a: Float64Array): string {
  return createHash("sha256")
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest("hex");
}

interface Expected {
  results: Record<string, number>;
  summaryText: string;
  catIds: number[];
  perCategoryAp: (number | null)[];
  recall: number[];
  precisionSha256: string;
}

describe("LVIS evaluator agrees with lvis-api", () => {
  for (const name of listCases("lvis")) {
    it(name, () => {
      const c = loadCase(name);
      const exp = c.expected as unknown as Expected;
      const spec = { type: "lvis", ...(c.info.params ?? {}) } as EvalSpec;
      const r = evaluateJson(spec, c.gt, c.dt);
      expect(Object.keys(r.metrics)).toEqual(Object.keys(exp.results));
      for (const [k, v] of Object.entries(exp.results)) {
        if (v === -1) expect(r.metrics[k], k).toBeNull();
        else expect(Math.abs(r.metrics[k]! - v), k).toBeLessThanOrEqual(1e-12);
      }
      expect(formatReport(r)).toBe(exp.summaryText);
      expect(r.perCategory.map((p) => p.id)).toEqual(exp.catIds);
      r.perCategory.forEach((p, k) => {
        const e = exp.perCategoryAp[k];
        if (e === null || e === undefined) expect(p.ap).toBeNull();
        else expect(Math.abs(p.ap! - e)).toBeLessThanOrEqual(1e-12);
      });
      // The full arrays, bit for bit.
      const gt = parseGroundTruth(c.gt, "gt", "lvis");
      const dt = parseDetections(c.dt, gt, "dt");
      const acc = accumulateLvis(
        evaluateLvis(gt, dt, lvisParamsFromSpec(spec), {
          groupsFromCounts: !gt.categories.some((x) => x.frequency),
        }),
      );
      expect(Array.from(acc.recall)).toEqual(exp.recall);
      expect(f64Digest(acc.precision)).toBe(exp.precisionSha256);
    });
  }
});

describe("LVIS input rules", () => {
  const gt = (images: Record<string, unknown>[], categories: Record<string, unknown>[]) => ({
    images,
    categories,
    annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100 }],
  });
  const dt = [{ image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.9 }];

  it("needs the federated lists on every image or on none", () => {
    const g = gt(
      [{ id: 1, neg_category_ids: [], not_exhaustive_category_ids: [] }, { id: 2 }],
      [{ id: 1, frequency: "f" }],
    );
    expect(() => evaluateJson({ type: "lvis" }, g, dt)).toThrow(
      'images[1] lacks "neg_category_ids" while other images have the federated lists',
    );
  });

  it("without frequency data APr/APc/APf are null, with a warning", () => {
    const r = evaluateJson({ type: "lvis" }, gt([{ id: 1 }], [{ id: 1 }]), dt);
    expect(r.metrics.AP).toBeCloseTo(1, 12);
    expect([r.metrics.APr, r.metrics.APc, r.metrics.APf]).toEqual([null, null, null]);
    expect(r.warnings.map((w) => w.code)).toEqual(["lvis-exhaustive-assumed", "lvis-no-frequency"]);
  });

  it("rare_max/common_max regroup categories by image_count", () => {
    const cats = [
      { id: 1, image_count: 12, frequency: "f" },
      { id: 2, image_count: 500, frequency: "f" },
    ];
    const r = evaluateJson({ type: "lvis", rare_max: 20, common_max: 100 }, gt([{ id: 1 }], cats), dt);
    expect(r.counts).toMatchObject({ rare: 1, common: 0, frequent: 1 });
    expect(r.metrics.APr).toBeCloseTo(1, 12);
    expect(r.metrics.APf).toBeNull(); // category 2 has no ground truth
  });
});
