import { describe, expect, it } from "vitest";
import { resolveShapesSpec, shapesDataset } from "../../src/data/index.js";
import { evaluateJson } from "../../src/eval/index.js";
import type { EvalSpec } from "../../src/spec/types.js";

// The LVIS evaluator's per-category report names each category's frequency
// group — the same groups APr / APc / APf average — from the ground truth's
// "frequency", or from "image_count" when eval.rare_max / common_max rescale
// the thresholds (METHODS.md §4c, §4e).

function ground(): Record<string, unknown> {
  const cats = [
    { id: 1, name: "a", frequency: "f", image_count: 500 },
    { id: 2, name: "b", frequency: "c", image_count: 40 },
    { id: 3, name: "c", frequency: "r", image_count: 4 },
  ];
  const images = [1, 2, 3].map((id) => ({
    id,
    width: 100,
    height: 100,
    neg_category_ids: [],
    not_exhaustive_category_ids: [],
  }));
  const annotations = [1, 2, 3].map((c) => ({
    id: c,
    image_id: c,
    category_id: c,
    bbox: [10, 10, 30, 30],
    area: 900,
  }));
  return { images, categories: cats, annotations };
}

// Category 1 found exactly, 2 found with a poor box, 3 missed.
const DETECTIONS = [
  { image_id: 1, category_id: 1, bbox: [10, 10, 30, 30], score: 0.9 },
  { image_id: 2, category_id: 2, bbox: [20, 20, 30, 30], score: 0.8 },
];

describe("LVIS frequency groups per category", () => {
  it("come from 'frequency', and APr/APc/APf are the means over each group", () => {
    const r = evaluateJson({ type: "lvis" } as EvalSpec, ground(), DETECTIONS);
    expect(r.perCategory.map((c) => [c.id, c.group])).toEqual([
      [1, "f"],
      [2, "c"],
      [3, "r"],
    ]);
    const ap = (g: string) => r.perCategory.find((c) => c.group === g)!.ap;
    expect(r.metrics.APf).toBeCloseTo(ap("f")!, 12);
    expect(r.metrics.APc).toBeCloseTo(ap("c")!, 12);
    expect(r.metrics.APr).toBe(0);
  });

  it("come from image_count with rescaled thresholds (rare ≤ 5, common ≤ 50 here)", () => {
    const spec = { type: "lvis", rare_max: 5, common_max: 50 } as EvalSpec;
    const r = evaluateJson(spec, ground(), DETECTIONS);
    expect(r.perCategory.map((c) => c.group)).toEqual(["f", "c", "r"]);
    // Thresholds that make every class rare.
    const all = evaluateJson(
      { type: "lvis", rare_max: 1000, common_max: 2000 } as EvalSpec,
      ground(),
      DETECTIONS,
    );
    expect(all.perCategory.map((c) => c.group)).toEqual(["r", "r", "r"]);
    expect(all.metrics.APc).toBeNull();
  });

  it("shapes ground truth carries each class's training image count, so rescaled thresholds work on it", () => {
    const spec = resolveShapesSpec({
      name: "shapes",
      train_images: 60,
      eval_images: 10,
      classes: 6,
      class_frequency: { zipf: 1.5 },
    });
    const train = shapesDataset(spec, "train");
    const evalDs = shapesDataset(spec, "eval");
    const counts = new Array(6).fill(0);
    for (let i = 0; i < train.images.count; i++) {
      const seen = new Set<number>();
      for (let j = train.byImage.start[i]!; j < train.byImage.start[i + 1]!; j++)
        seen.add(train.annotations.categoryIndex[train.byImage.order[j]!]!);
      for (const c of seen) counts[c]++;
    }
    expect(train.categories.map((c) => c.image_count)).toEqual(counts);
    expect(evalDs.categories.map((c) => c.image_count)).toEqual(counts);
    expect(evalDs.categories.map((c) => c.frequency)).toEqual(
      counts.map((n) => (n <= 10 ? "r" : n <= 100 ? "c" : "f")),
    );
  });
});
