import { describe, expect, it } from "vitest";
import { evaluateJson } from "../../src/eval/index.js";
import { UserError } from "../../src/util/errors.js";

// Bad input is a clear error or a counted warning, never a silently wrong number.

function gt(extra: Record<string, unknown> = {}) {
  return {
    images: [{ id: 1 }, { id: 2 }],
    categories: [
      { id: 1, name: "a" },
      { id: 2, name: "b" },
    ],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 2, bbox: [5, 5, 20, 20], area: 400, iscrowd: 0 },
    ],
    ...extra,
  };
}

const good = [
  { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.9 },
  { image_id: 2, category_id: 2, bbox: [5, 5, 20, 20], score: 0.8 },
];

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error("expected a UserError");
}

const coco = { type: "coco" } as const;

describe("input checks", () => {
  it("perfect detections give AP 1", () => {
    const r = evaluateJson(coco, gt(), good);
    expect(r.metrics.AP).toBeCloseTo(1, 12); // tp / (tp + fp + eps), as pycocotools
    expect(r.metrics.APl).toBeNull(); // no large objects: undefined, not 0
    expect(r.warnings).toEqual([]);
  });

  it("rejects a detection on an image that is not in the ground truth", () => {
    const msg = errorOf(() =>
      evaluateJson(coco, gt(), [...good, { ...good[0], image_id: 7 }], { gt: "g.json", dt: "d.json" }),
    );
    expect(msg).toContain("d.json");
    expect(msg).toContain('[2]: "image_id" 7 is not an image of the ground truth g.json');
  });

  it("counts and ignores detections of unknown categories", () => {
    const r = evaluateJson(coco, gt(), [...good, { ...good[0], category_id: 42, score: 1 }]);
    expect(r.metrics.AP).toBeCloseTo(1, 12); // tp / (tp + fp + eps), as pycocotools
    expect(r.warnings.map((w) => [w.code, w.count])).toEqual([["dt-unknown-category", 1]]);
    expect(r.counts.detectionsUnknownCategory).toBe(1);
  });

  it("rejects negative, non-finite, malformed boxes and scores, naming each record", () => {
    const bad = [
      { image_id: 1, category_id: 1, bbox: [0, 0, -1, 10], score: 0.5 },
      { image_id: 1, category_id: 1, bbox: [0, 0, 10], score: 0.5 },
      { image_id: 1, category_id: 1, bbox: [0, 0, "10", 10], score: 0.5 },
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10] },
      { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: null },
      { category_id: 1, bbox: [0, 0, 10, 10], score: 0.5 },
    ];
    const msg = errorOf(() => evaluateJson(coco, gt(), bad));
    expect(msg).toContain("6 problems");
    expect(msg).toContain('[0]: "bbox" has a negative width or height');
    expect(msg).toContain('[1]: "bbox" must be 4 finite numbers');
    expect(msg).toContain('[2]: "bbox" must be 4 finite numbers');
    expect(msg).toContain('[3]: "score" must be a finite number, got nothing');
    expect(msg).toContain('[4]: "score" must be a finite number, got null');
    expect(msg).toContain('[5]: "image_id" must be a number or string, got nothing');
  });

  it("counts zero-size boxes: they match nothing", () => {
    const r = evaluateJson(coco, gt(), [
      ...good,
      { image_id: 1, category_id: 1, bbox: [0, 0, 0, 10], score: 0.95 },
    ]);
    expect(r.warnings.map((w) => [w.code, w.count])).toEqual([["dt-empty-box", 1]]);
    expect(r.metrics.AP).toBeLessThan(1);
  });

  it("rejects duplicate ground-truth ids and dangling references", () => {
    const g = gt();
    g.annotations.push({ ...g.annotations[0]!, image_id: 2 });
    expect(errorOf(() => evaluateJson(coco, g, good))).toContain(
      "annotations[2]: duplicate annotation id 1 (also annotations[0])",
    );
    const g2 = gt({ images: [{ id: 1 }, { id: 1 }, { id: 2 }] });
    expect(errorOf(() => evaluateJson(coco, g2, good))).toContain("images[1]: duplicate image id 1");
    const g3 = gt();
    g3.annotations[1]!.category_id = 9;
    expect(errorOf(() => evaluateJson(coco, g3, good))).toContain(
      'annotations[1]: "category_id" 9 is not an id in "categories"',
    );
    const g4 = gt();
    delete (g4.annotations[0] as { bbox?: unknown }).bbox;
    expect(errorOf(() => evaluateJson(coco, g4, good))).toContain(
      'annotations[0]: "bbox" must be 4 finite numbers',
    );
  });

  it("warns on fields it has to default, and on annotation id 0", () => {
    const g = gt();
    delete (g.annotations[0] as { area?: unknown }).area;
    delete (g.annotations[1] as { iscrowd?: unknown }).iscrowd;
    g.annotations[1]!.id = 0;
    const r = evaluateJson(coco, g, good);
    expect(r.warnings.map((w) => w.code).sort()).toEqual([
      "gt-area-missing",
      "gt-id-zero",
      "gt-iscrowd-missing",
    ]);
    // As pycocotools: the match to annotation 0 is lost (a false positive); compat corrected counts it.
    expect(r.metrics.AP!).toBeLessThan(1);
    const fixed = evaluateJson({ ...coco, compat: "corrected" }, g, good);
    expect(fixed.metrics.AP).toBeCloseTo(1, 12); // tp / (tp + fp + eps), as pycocotools
  });

  it("rejects structural problems and parameters that do not apply", () => {
    expect(errorOf(() => evaluateJson(coco, { images: [] }, good))).toContain(
      'key "categories" must be an array',
    );
    expect(errorOf(() => evaluateJson(coco, gt(), { annotations: [] }))).toContain(
      "detections must be a JSON array",
    );
    expect(errorOf(() => evaluateJson({ type: "coco", threshold: 0.5 }, gt(), good))).toContain(
      'eval.threshold does not apply to eval type "coco"',
    );
    expect(errorOf(() => evaluateJson({ type: "coco", max_dets: [0] }, gt(), good))).toContain("max_dets");
    expect(errorOf(() => evaluateJson({ type: "nope" as "coco" }, gt(), good))).toContain(
      'unknown eval type "nope"',
    );
  });

  it("accepts an empty detections list (everything missed)", () => {
    const r = evaluateJson(coco, gt(), []);
    expect(r.metrics.AP).toBe(0);
    expect(r.metrics.AR100).toBe(0);
  });
});
