import { describe, expect, it } from "vitest";
import {
  ci95HalfWidth,
  incompleteBeta,
  mean,
  sampleStd,
  tCdf,
  tQuantile,
  welchTTest,
} from "../../src/results/stats.js";

// Expected values from SciPy 1.17 (scipy.stats.t, scipy.special.betainc, scipy.stats.ttest_ind(equal_var=False)).

describe("statistics", () => {
  it("mean and sample std", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(1.2909944487358056, 14);
    expect(sampleStd([5])).toBeNaN();
  });

  it("regularized incomplete beta", () => {
    expect(incompleteBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.018927124071945658, 13);
    expect(incompleteBeta(0.9, 10, 3)).toBeCloseTo(0.889130022255, 11);
  });

  it("Student t CDF and quantiles", () => {
    expect(tCdf(2.0, 5)).toBeCloseTo(0.9490302605850708, 13);
    expect(tCdf(-1.3, 3.7)).toBeCloseTo(0.13433336208631375, 13);
    expect(tCdf(0.1, 100)).toBeCloseTo(0.5397277344520743, 13);
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.706204736174694, 9);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.302652729749462, 10);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 11);
    expect(tQuantile(0.975, 2.5)).toBeCloseTo(3.5746548420036817, 10);
    expect(tQuantile(0.025, 10)).toBeCloseTo(-2.228138851986274, 11);
  });

  it("95 % interval of the mean", () => {
    // t(0.975, 2) · s / √3 with s = 1.
    expect(ci95HalfWidth([1, 2, 3])).toBeCloseTo(4.302652729749462 / Math.sqrt(3), 10);
  });

  it("Welch's t-test matches SciPy (sign: mean(b) − mean(a))", () => {
    const r1 = welchTTest([1, 2, 3], [4, 5, 6])!;
    expect(r1.t).toBeCloseTo(3.6742346141747673, 12);
    expect(r1.df).toBeCloseTo(4, 12);
    expect(r1.p).toBeCloseTo(0.021311641128756713, 12);
    const r2 = welchTTest([0.712, 0.705, 0.721], [0.731, 0.722, 0.729, 0.735])!;
    expect(r2.t).toBeCloseTo(3.0879631626851665, 10);
    expect(r2.p).toBeCloseTo(0.046425365945850526, 10);
    expect(welchTTest([1], [2, 3])).toBeUndefined();
    expect(welchTTest([1, 1], [1, 1])!.p).toBe(1);
  });
});
