import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { arange, linspace, npMean, npSum } from "../../src/eval/numpy-compat.js";

// Sums and means recorded from numpy (test/fixtures/eval/numpy-sums.json) on
// arrays defined by an exact formula, so both sides see the same bits.
const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/eval/numpy-sums.json", import.meta.url), "utf8"),
) as { cases: { n: number; sum: number; mean: number | null }[] };

function arr(n: number): Float64Array {
  const scale = [1, 1e-3, 1e5];
  return Float64Array.from({ length: n }, (_, i) => (((i * 7919) % 10007) / 10007) * scale[i % 3]!);
}

describe("NumPy-identical numerics", () => {
  it("np.sum and np.mean bit for bit, across the pairwise and buffer block sizes", () => {
    let naiveDiffers = 0;
    for (const c of fixture.cases) {
      const a = arr(c.n);
      expect(npSum(a), `n=${c.n}`).toBe(c.sum);
      if (c.mean !== null) expect(npMean(a), `n=${c.n}`).toBe(c.mean);
      let naive = 0;
      for (const v of a) naive += v;
      if (naive !== c.sum) naiveDiffers++;
    }
    // The fixture is sensitive: plain left-to-right summation gets some of them wrong.
    expect(naiveDiffers).toBeGreaterThan(0);
  });

  it("linspace and arange give pycocotools' and the VOC devkit's thresholds", () => {
    const iou = linspace(0.5, 0.95, 10);
    expect(iou[5]).toBe(0.75);
    expect(iou[8]).toBe(0.8999999999999999);
    expect(iou[9]).toBe(0.95);
    expect(linspace(0, 1, 101)[29]).toBe(0.29);
    const t = arange(0, 1.1, 0.1);
    expect(t.length).toBe(11);
    expect(t[3]).toBe(0.30000000000000004);
    expect(t[10]).toBe(1);
  });
});
