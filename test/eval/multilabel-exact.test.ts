import { describe, expect, it } from "vitest";
import { evaluateJson } from "../../src/eval/index.js";
import { UserError } from "../../src/util/errors.js";
import { listCases, loadCase } from "./cases.js";

// Against Scob's AveragePrecisionMeter (METHODS.md §5c), run on the same cases.

type Expected = Record<string, number | null> & { catIds: number[]; ap: number[] };

describe("multi-label evaluator agrees with Scob's meter", () => {
  for (const name of listCases("multilabel")) {
    it(name, () => {
      const c = loadCase(name);
      const exp = c.expected as unknown as Expected;
      const r = evaluateJson({ type: "multilabel", ...(c.info.params ?? {}) }, c.gt, c.dt);
      expect(r.perCategory.map((p) => p.id)).toEqual(exp.catIds);
      r.perCategory.forEach((p, k) => {
        expect(Math.abs(p.ap! - exp.ap[k]!), `class ${p.id}`).toBeLessThanOrEqual(1e-12);
      });
      for (const key of ["mAP", "OP", "OR", "OF1", "CP"]) {
        expect(Math.abs(r.metrics[key]! - exp[key]!), key).toBeLessThanOrEqual(1e-12);
      }
      if (exp.CR === null) {
        // The meter divides 0 by 0 for a class without positives: undefined, as it prints (compat scob)…
        expect([r.metrics.CR, r.metrics.CF1]).toEqual([null, null]);
        expect(r.warnings.map((w) => w.code)).toContain("ml-class-without-positives");
        // …and labelsweep's documented rule with compat corrected.
        const fixed = evaluateJson(
          { type: "multilabel", compat: "corrected", ...(c.info.params ?? {}) },
          c.gt,
          c.dt,
        );
        expect(Math.abs(fixed.metrics.CR! - exp.CR_labelsweep_rule!)).toBeLessThanOrEqual(1e-12);
        expect(Math.abs(fixed.metrics.CF1! - exp.CF1_labelsweep_rule!)).toBeLessThanOrEqual(1e-12);
      } else {
        expect(Math.abs(r.metrics.CR! - exp.CR!)).toBeLessThanOrEqual(1e-12);
        expect(Math.abs(r.metrics.CF1! - exp.CF1!)).toBeLessThanOrEqual(1e-12);
      }
    });
  }

  it("hand-checked AP, and errors for missing or doubled scores", () => {
    const gt = {
      images: [{ id: "a" }, { id: "b" }, { id: "c" }],
      categories: [{ id: 1 }],
      annotations: [
        { image_id: "a", category_id: 1 },
        { image_id: "c", category_id: 1 },
      ],
    };
    const dt = [
      { image_id: "a", category_id: 1, score: 0.9 },
      { image_id: "b", category_id: 1, score: 0.8 },
      { image_id: "c", category_id: 1, score: 0.7 },
    ];
    // Ranked a(+), b(−), c(+): AP = (1/1 + 2/3) / 2.
    expect(evaluateJson({ type: "multilabel" }, gt, dt).metrics.mAP).toBe((1 + 2 / 3) / 2);
    const missing = () => evaluateJson({ type: "multilabel" }, gt, dt.slice(0, 2));
    expect(missing).toThrow(UserError);
    expect(missing).toThrow('no score for image "c", category 1');
    const doubled = () => evaluateJson({ type: "multilabel" }, gt, [...dt, dt[0]]);
    expect(doubled).toThrow('[3]: a second score for image "a", category 1');
  });
});
