import { describe, expect, it } from "vitest";
import { imageScore, priorEntropy, priorInconsistency } from "../../src/engine/active/acquire.js";

// Hand-made priors: AL-SSL's formulas (METHODS.md §1a) computed by hand.

describe("acquisition scores of one image", () => {
  it("entropy is normalised by log C: uniform gives 1, one-hot 0", () => {
    expect(priorEntropy([0.25, 0.25, 0.25, 0.25], "softmax")).toBeCloseTo(1, 12);
    expect(priorEntropy([1, 0, 0], "softmax")).toBe(0);
    const p = [0.7, 0.2, 0.1];
    const h = -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1)) / Math.log(3);
    expect(priorEntropy(p, "softmax")).toBeCloseTo(h, 12);
    // sigmoid: mean Bernoulli entropy in bits.
    expect(priorEntropy([0.5, 1], "sigmoid")).toBeCloseTo(0.5, 12);
  });

  it("inconsistency is the symmetric KL / 2 between the image and its flip, with the code's 1e-7", () => {
    const p = [0.6, 0.3, 0.1];
    const q = [0.2, 0.5, 0.3];
    const e = 1e-7;
    let kl = 0;
    for (let c = 0; c < 3; c++) {
      const a = p[c]! + e;
      const b = q[c]! + e;
      kl += a * Math.log(a / b) + b * Math.log(b / a);
    }
    expect(priorInconsistency(p, q, "softmax")).toBeCloseTo(kl / 2, 12);
    expect(priorInconsistency(p, p, "softmax")).toBe(0);
  });

  it("an image's score is the max over the priors of its kept detections, 0 when none", () => {
    // Three priors × 3 channels (background + 2 classes).
    const probs = Float32Array.from([0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.34, 0.33, 0.33]);
    const flipped = Float32Array.from([0.9, 0.05, 0.05, 0.1, 0.1, 0.8, 0.34, 0.33, 0.33]);
    const none = imageScore(probs, flipped, 3, [], "softmax");
    expect(none).toEqual({ entropy: 0, consistency: 0 });
    const one = imageScore(probs, flipped, 3, [1], "softmax");
    expect(one.entropy).toBeCloseTo(priorEntropy([0.1, 0.8, 0.1], "softmax"), 6);
    expect(one.consistency).toBeCloseTo(priorInconsistency([0.1, 0.8, 0.1], [0.1, 0.1, 0.8], "softmax"), 5);
    const both = imageScore(probs, flipped, 3, [1, 2], "softmax");
    // Prior 2 is nearly uniform (highest entropy) but consistent; prior 1 is the inconsistent one.
    expect(both.entropy).toBeCloseTo(priorEntropy([0.34, 0.33, 0.33], "softmax"), 6);
    expect(both.consistency).toBeCloseTo(one.consistency, 6);
  });
});
