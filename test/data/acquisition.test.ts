import { describe, expect, it } from "vitest";
import { type ImageScore, selectImages } from "../../src/data/protocols/acquisition.js";

const base = { seed: 0, cycle: 0 };

describe("acquisition: choosing the next images from pool scores", () => {
  const pool: ImageScore[] = [
    { image_id: 5, entropy: 0.9, consistency: 0.01 },
    { image_id: 2, entropy: 0.8, consistency: 0.5 },
    { image_id: 9, entropy: 0.1, consistency: 0.9 },
    { image_id: 1, entropy: 0.7, consistency: 0.3 },
    { image_id: 7, entropy: 0.0, consistency: 0.0 },
    { image_id: 3, entropy: 0.75, consistency: 0.2 },
  ];

  it("takes the top B by entropy or by consistency", () => {
    const none = new Set<string>();
    expect(selectImages(pool, none, { ...base, acquisition: "entropy", budget: 2 })).toEqual([5, 2]);
    expect(selectImages(pool, none, { ...base, acquisition: "consistency", budget: 2 })).toEqual([9, 2]);
    // A budget above the pool takes the whole pool.
    expect(selectImages(pool, none, { ...base, acquisition: "entropy", budget: 99 })).toHaveLength(6);
  });

  it("combined: the prefilter·B highest entropies, then the top B by consistency (AL-SSL's default)", () => {
    const none = new Set<string>();
    // prefilter 2 × B 2 = entropy top 4: 5, 2, 3, 1 — image 9 (best consistency, low entropy) is filtered out.
    expect(selectImages(pool, none, { ...base, acquisition: "combined", budget: 2, prefilter: 2 })).toEqual([
      2, 1,
    ]);
    // With a prefilter wide enough to hold every image, combined is consistency.
    expect(selectImages(pool, none, { ...base, acquisition: "combined", budget: 2, prefilter: 3 })).toEqual([
      9, 2,
    ]);
    // The default prefilter is 3 (filter_entropy_num 3000 for a budget of 1000).
    expect(selectImages(pool, none, { ...base, acquisition: "combined", budget: 1 })).toEqual([2]);
  });

  it("breaks ties by image id, whatever order the scores come in", () => {
    const tied: ImageScore[] = [
      { image_id: 30, entropy: 0.5 },
      { image_id: 4, entropy: 0.5 },
      { image_id: 12, entropy: 0.5 },
      { image_id: 8, entropy: 0.6 },
    ];
    const none = new Set<string>();
    expect(selectImages(tied, none, { ...base, acquisition: "entropy", budget: 3 })).toEqual([8, 4, 12]);
    expect(selectImages([...tied].reverse(), none, { ...base, acquisition: "entropy", budget: 3 })).toEqual([
      8, 4, 12,
    ]);
    const names: ImageScore[] = [
      { image_id: "b", consistency: 1 },
      { image_id: "a", consistency: 1 },
    ];
    expect(selectImages(names, none, { ...base, acquisition: "consistency", budget: 1 })).toEqual(["a"]);
  });

  it("random: a seeded draw per (seed, cycle), independent of the pool's order", () => {
    const ids: ImageScore[] = Array.from({ length: 50 }, (_, i) => ({ image_id: i }));
    const none = new Set<string>();
    const a = selectImages(ids, none, { acquisition: "random", budget: 10, seed: 0, cycle: 1 });
    expect(a).toHaveLength(10);
    expect(new Set(a).size).toBe(10);
    expect(
      selectImages([...ids].reverse(), none, { acquisition: "random", budget: 10, seed: 0, cycle: 1 }),
    ).toEqual(a);
    expect(selectImages(ids, none, { acquisition: "random", budget: 10, seed: 1, cycle: 1 })).not.toEqual(a);
    expect(selectImages(ids, none, { acquisition: "random", budget: 10, seed: 0, cycle: 2 })).not.toEqual(a);
  });

  it("never picks an already-labelled image, and refuses scores that would", () => {
    expect(() =>
      selectImages(pool, new Set(["9"]), { ...base, acquisition: "consistency", budget: 1 }),
    ).toThrow(/image 9 is already labelled/);
    expect(() =>
      selectImages([...pool, { image_id: 5, entropy: 1 }], new Set(), {
        ...base,
        acquisition: "entropy",
        budget: 1,
      }),
    ).toThrow(/scored twice/);
    expect(() =>
      selectImages([{ image_id: 1 }], new Set(), { ...base, acquisition: "entropy", budget: 1 }),
    ).toThrow(/no entropy score/);
  });
});
