import { describe, expect, it } from "vitest";
import { evaluateJson } from "../../src/eval/index.js";
import { listCases, loadCase } from "./cases.js";

// Against the VOC devkit's Python port (detectron2 voc_eval/voc_ap, stable ranking) on scores at full
// precision, with classes without positives left out: labelsweep's eval.compat corrected. The reference
// code's own end-to-end numbers (detectron2, ssd-pytorch) are checked in test/compat/.

describe("VOC evaluators agree with the devkit's Python port", () => {
  for (const name of [...listCases("voc07"), ...listCases("voc")]) {
    it(name, () => {
      const c = loadCase(name);
      const exp = c.expected as { catIds: number[]; ap: (number | null)[]; mAP: number };
      const r = evaluateJson({ type: c.info.type as "voc" | "voc07", compat: "corrected" }, c.gt, c.dt);
      expect(r.perCategory.map((p) => p.id)).toEqual(exp.catIds);
      r.perCategory.forEach((p, k) => {
        const e = exp.ap[k];
        if (e === null || e === undefined) expect(p.ap).toBeNull();
        else expect(Math.abs(p.ap! - e), `class ${p.id}`).toBeLessThanOrEqual(1e-12);
      });
      expect(Math.abs(r.metrics.mAP! - exp.mAP)).toBeLessThanOrEqual(1e-12);
      const nulls = exp.ap.filter((a) => a === null).length;
      if (nulls > 0) {
        expect(r.warnings.find((w) => w.code === "voc-class-without-positives")?.count).toBe(nulls);
      }
    });
  }

  it("difficult objects are neither hits nor misses; 11-point vs area AP", () => {
    const gt = {
      images: [{ id: 1 }],
      categories: [{ id: 1, name: "cat" }],
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10] },
        { id: 2, image_id: 1, category_id: 1, bbox: [50, 50, 10, 10], difficult: 1 },
        { id: 3, image_id: 1, category_id: 1, bbox: [100, 100, 10, 10] },
      ],
    };
    const dt = [
      { image_id: 1, category_id: 1, bbox: [50, 50, 10, 10], score: 0.9 }, // on the difficult one: ignored
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.8 }, // TP
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.7 }, // duplicate: FP
    ];
    const area = evaluateJson({ type: "voc", compat: "corrected" }, gt, dt);
    // recall reaches 0.5 at precision 1: area AP = 0.5 × 1.
    expect(area.metrics.mAP).toBe(0.5);
    const v07 = evaluateJson({ type: "voc07", compat: "corrected" }, gt, dt);
    // 11-point: t = 0 … 0.5 (6 points) at precision 1, the rest 0.
    expect(v07.metrics.mAP).toBeCloseTo(6 / 11, 15);
  });
});
