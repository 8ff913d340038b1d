import { describe, expect, it } from "vitest";
import { estimateEta } from "../../src/exec/eta.js";
import { etaText, metricsLine } from "../../src/exec/progress.js";

// The sweep ETA (issue 17 §1) from finished durations and running rates, dealt to the slots.

describe("estimateEta", () => {
  it("is unknown before any duration or rate is known, and 0 when nothing is left", () => {
    expect(estimateEta({ finishedSeconds: [], running: [{ elapsed: 3 }], queued: 4, slots: 2 })).toBeNull();
    expect(estimateEta({ finishedSeconds: [], running: [], queued: 0, slots: 2 })).toBe(0);
  });

  it("uses a running run's iteration rate", () => {
    // 25 of 100 iterations at 5 it/s: 15 s left; nothing queued.
    const eta = estimateEta({
      finishedSeconds: [],
      running: [{ elapsed: 6, progress: { iter: 25, total: 100, itersPerSecond: 5 } }],
      queued: 0,
      slots: 1,
    });
    expect(eta).toBeCloseTo(15);
  });

  it("deals queued runs of the mean finished duration to the slot that frees first", () => {
    // Two slots free in 10 s and 20 s; three queued runs of 30 s: 10+30, 20+30, 40+30 → 70 s.
    const eta = estimateEta({
      finishedSeconds: [20, 40],
      running: [
        { elapsed: 5, progress: { iter: 50, total: 100, itersPerSecond: 5 } },
        { elapsed: 20, progress: { iter: 0, total: 100, itersPerSecond: 5 } },
      ],
      queued: 3,
      slots: 2,
    });
    expect(eta).toBeCloseTo(70);
  });

  it("before a run finishes, queued runs take the running runs' projected length", () => {
    // One run: 10 s in, half done at 5 it/s → 20 s long, 10 s left; one queued run of 20 s on one slot.
    const eta = estimateEta({
      finishedSeconds: [],
      running: [{ elapsed: 10, progress: { iter: 50, total: 100, itersPerSecond: 5 } }],
      queued: 1,
      slots: 1,
    });
    expect(eta).toBeCloseTo(30);
  });

  it("a run without a rate yet counts as the mean finished duration minus its time so far", () => {
    const eta = estimateEta({ finishedSeconds: [30], running: [{ elapsed: 12 }], queued: 0, slots: 1 });
    expect(eta).toBeCloseTo(18);
  });
});

describe("progress text", () => {
  it("renders the ETA as a time, and metrics on the table's scale", () => {
    expect(etaText(null)).toBe("ETA estimating");
    expect(etaText(185)).toBe("ETA 3m 05s");
    expect(etaText(4000)).toBe("ETA 1h 06m");
    expect(
      metricsLine({ AP50: 0.6114, AP: 0.342 }, { names: ["AP50", "AP"], scale: 100, precision: 1 }),
    ).toBe("AP50 61.1  AP 34.2");
    expect(metricsLine({ mAP: 0.5 }, { names: ["mAP"], scale: 1, precision: 3 })).toBe("mAP 0.500");
  });
});
