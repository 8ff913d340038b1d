import { describe, expect, it } from "vitest";
import { Rng } from "../../src/engine/nn/rng.js";
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianBlur3,
  grayscale,
  STRONG_VIEW,
  strongViews,
} from "../../src/engine/strong-view.js";

const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  for (const [i, w] of want.entries()) expect(got[i]).toBeCloseTo(w, digits);
};

/** An Rng whose uniform draws are all `u` (so each op's coin can be forced). */
class FixedRng extends Rng {
  constructor(private readonly u: number) {
    super(0);
  }
  override next(): number {
    return this.u;
  }
}

describe("strong view (Scob hard_augment, torchvision formulas)", () => {
  it("brightness, contrast and saturation blend and clamp like torchvision's _blend", () => {
    const px = Float32Array.from([0.2, 0.4, 1.0, 0.6, 0.2, 0.0]);
    const b = Float32Array.from(px);
    adjustBrightness(b, 1.5);
    close(b, [0.3, 0.6, 1, 0.9, 0.3, 0]);
    // Contrast blends with the image's mean grey: (0.2989·.2 + .587·.4 + .114·1 + 0.2989·.6 + .587·.2) / 2.
    const mean = (0.2989 * 0.2 + 0.587 * 0.4 + 0.114 + 0.2989 * 0.6 + 0.587 * 0.2) / 2;
    const c = Float32Array.from(px);
    adjustContrast(c, 0.5);
    close(
      c,
      Array.from(px, (v) => 0.5 * v + 0.5 * mean),
    );
    const s = Float32Array.from(px);
    adjustSaturation(s, 0);
    const g0 = 0.2989 * 0.2 + 0.587 * 0.4 + 0.114;
    const g1 = 0.2989 * 0.6 + 0.587 * 0.2;
    close(s, [g0, g0, g0, g1, g1, g1]);
    const gray = Float32Array.from(px);
    grayscale(gray);
    close(gray, [g0, g0, g0, g1, g1, g1]);
  });

  it("hue shifts through HSV: a third of a turn takes red to green, zero leaves colours alone", () => {
    const red = Float32Array.from([1, 0, 0, 0.5, 0.25, 0.75]);
    adjustHue(red, 1 / 3);
    close(red.subarray(0, 3), [0, 1, 0]);
    const same = Float32Array.from([0.9, 0.3, 0.2, 0.1, 0.5, 0.4, 0.3, 0.3, 0.3]);
    adjustHue(same, 0);
    close(same, [0.9, 0.3, 0.2, 0.1, 0.5, 0.4, 0.3, 0.3, 0.3]);
    const back = Float32Array.from([0.9, 0.3, 0.2]);
    adjustHue(back, -0.2);
    adjustHue(back, 0.2);
    close(back, [0.9, 0.3, 0.2]);
  });

  it("blurs 3×3 with a normalised Gaussian and reflect padding", () => {
    // σ = 1: k = [e, 1, e] / (1 + 2e), e = exp(−1/2). A delta in the centre of a 3×3 image:
    // the centre keeps k1², a corner gets (k0 + k2)² (its reflected neighbours are all the centre).
    const e = Math.exp(-0.5);
    const k = [e / (1 + 2 * e), 1 / (1 + 2 * e)];
    const img = new Float32Array(27);
    img.fill(0);
    img[3 * 4] = 1;
    img[3 * 4 + 1] = 1;
    img[3 * 4 + 2] = 1;
    gaussianBlur3(img, 3, 3, 1);
    expect(img[3 * 4]).toBeCloseTo(k[1]! * k[1]!, 6);
    expect(img[0]).toBeCloseTo((2 * k[0]!) ** 2, 6);
    expect(img[3 * 1]).toBeCloseTo(2 * k[0]! * k[1]!, 6); // top edge centre: (k0 + k2)·k1
  });

  it("always applies the code's blue-channel std typo, and nothing else when every coin fails", () => {
    const px = Float32Array.from([0.2, 0.4, 0.6, 0.1, 0.1, 0.9]);
    // Draws of 0.99 fail every op (p ≤ 0.3); only blue × 0.255/0.225 remains (never clamped).
    const out = strongViews(px, 1, 1, 2, new FixedRng(0.99));
    close(out, [0.2, 0.4, 0.6 * STRONG_VIEW.blueTypo, 0.1, 0.1, 0.9 * STRONG_VIEW.blueTypo]);
    expect(out[5]).toBeGreaterThan(1);
    expect(Array.from(px)).toEqual(Array.from(Float32Array.from([0.2, 0.4, 0.6, 0.1, 0.1, 0.9])));
  });

  it("draws each image's ops from the seeded stream: same seed, same views; ops change pixels", () => {
    const n = 40;
    const px = new Float32Array(n * 4 * 4 * 3);
    const rng = new Rng(5);
    for (let i = 0; i < px.length; i++) px[i] = rng.next();
    const a = strongViews(px, n, 4, 4, new Rng(11));
    const b = strongViews(px, n, 4, 4, new Rng(11));
    expect(Array.from(a)).toEqual(Array.from(b));
    const typoOnly = strongViews(px, n, 4, 4, new FixedRng(0.99));
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const at = i * 48;
      if (a.subarray(at, at + 48).some((v, j) => v !== typoOnly[at + j])) changed++;
    }
    // P(some op) = 1 − 0.7·(1 − 0.02)·0.8 ≈ 0.45 per image.
    expect(changed).toBeGreaterThan(5);
    expect(changed).toBeLessThan(35);
  });
});
