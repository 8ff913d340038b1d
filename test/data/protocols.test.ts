import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  annotationsOf,
  CROWD,
  DatasetBuilder,
  type DetectionDataset,
} from "../../src/data/detection-dataset.js";
import { deriveActive } from "../../src/data/protocols/active.js";
import { deriveBudget } from "../../src/data/protocols/budget.js";
import type { Derivation } from "../../src/data/protocols/derivation.js";
import { deriveFull } from "../../src/data/protocols/full.js";
import { deriveSinglePositive, positiveClasses } from "../../src/data/protocols/single-positive.js";
import { deriveSparse } from "../../src/data/protocols/sparse.js";
import type { BudgetLabels, SparseLevel } from "../../src/spec/types.js";
import { buildDataset, datasetShape, manyImages } from "./helpers/random-dataset.js";

const fold = fc.integer({ min: 0, max: 1000 });
const fraction = fc.double({ min: 0.001, max: 1, noNaN: true });

/** Invariants every derivation keeps: sorted disjoint image sets, no invented box, boxes only on labelled images. */
function checkCommon(ds: DetectionDataset, d: Derivation): void {
  const labeled = new Set(d.labeled);
  for (const s of [d.labeled, d.unlabeled, d.kept]) {
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
  }
  for (const i of d.unlabeled) expect(labeled.has(i)).toBe(false);
  for (const i of [...d.labeled, ...d.unlabeled]) expect(i >= 0 && i < ds.images.count).toBe(true);
  for (const a of d.kept) {
    expect(a >= 0 && a < ds.annotations.count).toBe(true);
    expect(labeled.has(ds.annotations.imageIndex[a]!)).toBe(true);
  }
}

function keptPerImage(ds: DetectionDataset, d: Derivation): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const a of d.kept) {
    const i = ds.annotations.imageIndex[a]!;
    out.set(i, [...(out.get(i) ?? []), a]);
  }
  return out;
}

const instances = (ds: DetectionDataset, i: number) =>
  Array.from(annotationsOf(ds, i)).filter((a) => (ds.annotations.flags[a]! & CROWD) === 0);

describe("full", () => {
  it("keeps every image and box", () => {
    fc.assert(
      fc.property(datasetShape(), (shape) => {
        const ds = buildDataset(shape);
        const d = deriveFull(ds);
        checkCommon(ds, d);
        expect(d.labeled.length).toBe(ds.images.count);
        expect(d.kept.length).toBe(ds.annotations.count);
        expect(d.unlabeled.length).toBe(0);
      }),
    );
  });
});

describe("budget (labelsweep)", () => {
  const budget = (f: number, extra: Partial<BudgetLabels> = {}): BudgetLabels => ({
    protocol: "budget",
    fraction: f,
    ...extra,
  });

  it("labels exactly floor(f·N) images, partitions the rest, and keeps exactly their boxes", () => {
    fc.assert(
      fc.property(datasetShape(), fraction, fold, (shape, f, k) => {
        const ds = buildDataset(shape);
        if (Math.floor(f * ds.images.count) === 0) {
          expect(() => deriveBudget(ds, budget(f), k)).toThrow(/labels no image/);
          return;
        }
        const d = deriveBudget(ds, budget(f), k);
        checkCommon(ds, d);
        expect(d.labeled.length).toBe(Math.floor(f * ds.images.count));
        expect(d.labeled.length + d.unlabeled.length).toBe(ds.images.count);
        const expected = Array.from(d.labeled).flatMap((i) => Array.from(annotationsOf(ds, i)));
        expect(Array.from(d.kept)).toEqual(expected.sort((a, b) => a - b));
      }),
    );
  });

  it("nests: a smaller budget of a fold lies inside a larger one", () => {
    fc.assert(
      fc.property(datasetShape(60), fraction, fraction, fold, (shape, f1, f2, k) => {
        const ds = buildDataset(shape);
        const [small, large] = [Math.min(f1, f2), Math.max(f1, f2)];
        fc.pre(Math.floor(small * ds.images.count) >= 1);
        const a = new Set(deriveBudget(ds, budget(large), k).labeled);
        for (const i of deriveBudget(ds, budget(small), k).labeled) expect(a.has(i)).toBe(true);
        const byCount = deriveBudget(
          ds,
          { protocol: "budget", count: Math.floor(small * ds.images.count) },
          k,
        );
        expect(Array.from(byCount.labeled)).toEqual(Array.from(deriveBudget(ds, budget(small), k).labeled));
      }),
    );
  });

  it("depends on the fold and on image ids, not on file order", () => {
    const ds = manyImages(500);
    const f1 = deriveBudget(ds, budget(0.1), 1).labeled;
    const f2 = deriveBudget(ds, budget(0.1), 2).labeled;
    expect(Array.from(f1)).not.toEqual(Array.from(f2));
    expect(Array.from(deriveBudget(ds, budget(0.1), 1).labeled)).toEqual(Array.from(f1));
    // Reverse the image list: the same ids are chosen.
    const reversed: DetectionDataset = {
      ...ds,
      images: { ...ds.images, ids: [...ds.images.ids].reverse() },
    };
    const ids = (d: DetectionDataset, s: Int32Array) => Array.from(s, (i) => d.images.ids[i]).sort();
    expect(ids(reversed, deriveBudget(reversed, budget(0.1), 1).labeled)).toEqual(ids(ds, f1));
  });

  it("draws independently per budget when nested is false", () => {
    const ds = manyImages(2000);
    const small = deriveBudget(ds, budget(0.05, { nested: false }), 1).labeled;
    const large = new Set(deriveBudget(ds, budget(0.5, { nested: false }), 1).labeled);
    expect(small.length).toBe(100);
    const inside = Array.from(small).filter((i) => large.has(i)).length;
    expect(inside).toBeLessThan(small.length); // independent draws: about half inside, not all
  });

  it("rejects impossible budgets with the key named", () => {
    const ds = manyImages(10);
    expect(() => deriveBudget(ds, { protocol: "budget", count: 11 }, 1)).toThrow(
      /labels\.count is 11.*only 10 images/,
    );
    expect(() => deriveBudget(ds, { protocol: "budget", fraction: 0.05 }, 1)).toThrow(
      /a budget of fraction 0\.05 labels no image of 10/,
    );
    expect(() => deriveBudget(ds, { protocol: "budget", fraction: 1.5 }, 1)).toThrow(
      /labels\.fraction must be in \(0, 1\]/,
    );
  });
});

describe("budget (compat: mmdet)", () => {
  it("reproduces split_coco.py's unique-image counts on COCO train2017's 118,287 images, fold 1", () => {
    const ds = manyImages(118287);
    const counts = [0.01, 0.02, 0.05, 0.1].map(
      (f) => deriveBudget(ds, { protocol: "budget", fraction: f, compat: "mmdet" }, 1).labeled.length,
    );
    // RUNNERS.md §4.1: 1,174 / 2,329 / 5,764 / 11,285 (requested 1,182 / 2,365 / 5,914 / 11,828).
    expect(counts).toEqual([1174, 2329, 5764, 11285]);
    const d = deriveBudget(ds, { protocol: "budget", fraction: 0.1, compat: "mmdet" }, 1);
    expect(d.details).toMatchObject({ requested: 11828, draws: 11828, unique: 11285 });
  });

  it("nests within a fold, as the prefix of one randint stream", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fraction,
        fraction,
        fc.integer({ min: 0, max: 50 }),
        (n, f1, f2, k) => {
          const ds = manyImages(n);
          const [small, large] = [Math.min(f1, f2), Math.max(f1, f2)];
          fc.pre(Math.floor(small * n) >= 1);
          const big = new Set(
            deriveBudget(ds, { protocol: "budget", fraction: large, compat: "mmdet" }, k).labeled,
          );
          const d = deriveBudget(ds, { protocol: "budget", fraction: small, compat: "mmdet" }, k);
          checkCommon(ds, d);
          expect(d.labeled.length).toBeLessThanOrEqual(Math.floor(small * n));
          for (const i of d.labeled) expect(big.has(i)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("sparse", () => {
  const fixed: [SparseLevel, (n: number) => number][] = [
    ["easy", (n) => (n >= 2 ? n - 1 : n)],
    ["hard", (n) => Math.ceil(n / 2)],
    ["extreme", (n) => Math.min(1, n)],
  ];
  for (const [level, expected] of fixed) {
    it(`${JSON.stringify(level)} keeps the stated number of boxes in every image, crowd regions untouched`, () => {
      fc.assert(
        fc.property(datasetShape(), fold, (shape, k) => {
          const ds = buildDataset(shape);
          const d = deriveSparse(ds, { protocol: "sparse", level }, k);
          checkCommon(ds, d);
          expect(d.labeled.length).toBe(ds.images.count);
          const kept = keptPerImage(ds, d);
          for (let i = 0; i < ds.images.count; i++) {
            const mine = kept.get(i) ?? [];
            const inst = instances(ds, i);
            const crowd = Array.from(annotationsOf(ds, i)).filter((a) => !inst.includes(a));
            expect(mine.filter((a) => inst.includes(a)).length).toBe(expected(inst.length));
            for (const a of crowd) expect(mine).toContain(a);
          }
        }),
      );
    });
  }

  it("easy, hard and extreme keep a box by construction, whatever keep_at_least_one says", () => {
    fc.assert(
      fc.property(
        datasetShape(),
        fold,
        fc.constantFrom<SparseLevel>("easy", "hard", "extreme"),
        (shape, k, level) => {
          const ds = buildDataset(shape);
          const a = deriveSparse(ds, { protocol: "sparse", level, keep_at_least_one: false }, k);
          const b = deriveSparse(ds, { protocol: "sparse", level }, k);
          expect(Array.from(a.kept)).toEqual(Array.from(b.kept));
        },
      ),
    );
  });

  it("missing50p and {keep: f} keep each box with a probability, and one per image unless told otherwise", () => {
    const level = fc.oneof(
      fc.constant<SparseLevel>("missing50p"),
      fraction.map((keep): SparseLevel => ({ keep })),
    );
    fc.assert(
      fc.property(datasetShape(), fold, fc.boolean(), level, (shape, k, keepOne, lv) => {
        const ds = buildDataset(shape);
        const d = deriveSparse(ds, { protocol: "sparse", level: lv, keep_at_least_one: keepOne }, k);
        checkCommon(ds, d);
        const kept = keptPerImage(ds, d);
        for (let i = 0; i < ds.images.count; i++) {
          const inst = instances(ds, i);
          const n = (kept.get(i) ?? []).filter((a) => inst.includes(a)).length;
          expect(n).toBeLessThanOrEqual(inst.length);
          if (keepOne && inst.length > 0) expect(n).toBeGreaterThanOrEqual(1);
        }
      }),
    );
    const big = manyImages(4000);
    const share =
      deriveSparse(big, { protocol: "sparse", level: "missing50p", keep_at_least_one: false }, 3).kept
        .length / 4000;
    expect(share).toBeGreaterThan(0.46);
    expect(share).toBeLessThan(0.54);
    const share3 =
      deriveSparse(big, { protocol: "sparse", level: { keep: 0.3 }, keep_at_least_one: false }, 3).kept
        .length / 4000;
    expect(Math.abs(share3 - 0.3)).toBeLessThan(0.04);
  });

  it("rejects settings that cannot apply", () => {
    const ds = manyImages(3);
    expect(() => deriveSparse(ds, { protocol: "sparse", level: { keep: 0 } }, 1)).toThrow(
      /level\.keep must be in \(0, 1\]/,
    );
  });

  it("differs between folds and repeats within one", () => {
    const shape = {
      classes: 2,
      images: Array.from({ length: 50 }, () => ({
        boxes: Array.from({ length: 6 }, (_, j) => ({ c: j % 2, crowd: false, x: j, y: j, w: 5, h: 5 })),
      })),
      order: Array.from({ length: 300 }, (_, i) => i),
    };
    const ds = buildDataset(shape);
    const a = deriveSparse(ds, { protocol: "sparse", level: "hard" }, 1).kept;
    expect(Array.from(deriveSparse(ds, { protocol: "sparse", level: "hard" }, 1).kept)).toEqual(
      Array.from(a),
    );
    expect(Array.from(deriveSparse(ds, { protocol: "sparse", level: "hard" }, 2).kept)).not.toEqual(
      Array.from(a),
    );
  });
});

describe("single-positive", () => {
  it("observes exactly one true positive per image and drops images without one", () => {
    fc.assert(
      fc.property(datasetShape(), fold, (shape, k) => {
        const ds = buildDataset(shape);
        const d = deriveSinglePositive(ds, k);
        checkCommon(ds, d);
        expect(d.observed!.length).toBe(d.labeled.length);
        const labeled = new Set(d.labeled);
        for (let i = 0; i < ds.images.count; i++) {
          expect(labeled.has(i)).toBe(positiveClasses(ds, i).length > 0);
        }
        d.labeled.forEach((i, row) => {
          const c = d.observed![row]!;
          expect(positiveClasses(ds, i)).toContain(c);
        });
        for (const a of d.kept) {
          const row = Array.from(d.labeled).indexOf(ds.annotations.imageIndex[a]!);
          expect(ds.annotations.categoryIndex[a]).toBe(d.observed![row]);
        }
      }),
    );
  });

  it("is seeded by the fold and stable under the order of images and annotations in the file", () => {
    fc.assert(
      fc.property(datasetShape(), fold, fc.nat(), (shape, k, shuffleSeed) => {
        const ds = buildDataset(shape);
        const d = deriveSinglePositive(ds, k);
        const byId = new Map(Array.from(d.labeled, (i, row) => [ds.images.ids[i], d.observed![row]]));
        // The same images (same ids) written in another order, annotations reversed.
        const n = shape.images.length;
        const perm = Array.from({ length: n }, (_, i) => i);
        let s = shuffleSeed || 1;
        for (let i = n - 1; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        const cats = Array.from({ length: shape.classes }, (_, i) => ({ id: i + 1, name: `c${i + 1}` }));
        const b = new DatasetBuilder("coco", "permuted", cats);
        for (const orig of perm) b.addImage(1000 + orig * 7, `img${orig}.jpg`, 100, 100);
        const flat = shape.images.flatMap((img, i) => img.boxes.map((box) => ({ i, box })));
        for (const { i, box } of [...flat].reverse()) {
          b.addAnnotation(perm.indexOf(i), box.c, [box.x, box.y, box.w, box.h], box.crowd ? CROWD : 0);
        }
        const permuted = b.build();
        const e = deriveSinglePositive(permuted, k);
        const byId2 = new Map(Array.from(e.labeled, (i, row) => [permuted.images.ids[i], e.observed![row]]));
        expect(byId2).toEqual(byId);
        expect(deriveSinglePositive(ds, k).observed).toEqual(d.observed);
      }),
    );
    // Another fold draws again: over 300 images with 4 positives each, some choice changes.
    const shape = {
      classes: 4,
      images: Array.from({ length: 300 }, () => ({
        boxes: [0, 1, 2, 3].map((c) => ({ c, crowd: false, x: 0, y: 0, w: 2, h: 2 })),
      })),
      order: Array.from({ length: 1200 }, (_, i) => i),
    };
    const a = deriveSinglePositive(buildDataset(shape), 1).observed!;
    const b2 = deriveSinglePositive(buildDataset(shape), 2).observed!;
    expect(Array.from(a)).not.toEqual(Array.from(b2));
  });

  it("chooses uniformly among an image's positives", () => {
    const shape = {
      classes: 4,
      images: Array.from({ length: 4000 }, () => ({
        boxes: [0, 1, 2, 3].map((c) => ({ c, crowd: false, x: 0, y: 0, w: 2, h: 2 })),
      })),
      order: Array.from({ length: 16000 }, (_, i) => i),
    };
    const d = deriveSinglePositive(buildDataset(shape), 1);
    const counts = [0, 0, 0, 0];
    for (const c of d.observed!) counts[c]!++;
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(120);
  });
});

describe("active", () => {
  it("draws the initial set, partitions the pool and plans the cycles", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 300 }), fold, (n, k) => {
        const ds = manyImages(n);
        const d = deriveActive(
          ds,
          {
            protocol: "active",
            initial: { count: 5 },
            per_cycle: { count: 1 },
            cycles: 5,
            acquisition: "random",
          },
          k,
        );
        checkCommon(ds, d);
        expect(d.labeled.length).toBe(5);
        expect(d.unlabeled.length).toBe(n - 5);
        expect(d.details.planned_labeled_sizes).toEqual([5, 6, 7, 8, 9, 10]);
      }),
    );
  });

  it("refuses cycles that need more images than there are", () => {
    expect(() =>
      deriveActive(
        manyImages(20),
        {
          protocol: "active",
          initial: { count: 10 },
          per_cycle: { count: 5 },
          cycles: 3,
          acquisition: "entropy",
        },
        1,
      ),
    ).toThrow(/need 25 images, but the dataset has 20/);
  });
});
