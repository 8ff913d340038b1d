import { describe, expect, it } from "vitest";
import {
  activeChart,
  activeCurve,
  annotationCost,
  costTarget,
  labelledAt,
} from "../../src/results/active-curve.js";
import type { Summary } from "../../src/results/summary.js";
import type { RunConfig } from "../../src/spec/types.js";

const config = (acquisition: string): RunConfig =>
  ({
    dataset: { name: "shapes", train_images: 2000 },
    labels: {
      protocol: "active",
      initial: { fraction: 0.1 },
      per_cycle: { fraction: 0.05 },
      cycles: 2,
      acquisition,
    },
    detector: { arch: "ssd-lite" },
    method: { name: "csd" },
    train: {},
    engine: { name: "tfjs" },
    eval: { type: "coco" },
    seed: 0,
  }) as RunConfig;

function summary(means: Record<string, number[]>): Summary {
  const cells = Object.entries(means).flatMap(([acq, ms]) =>
    ms.map((m, cycle) => ({
      row: { "labels.acquisition": acq },
      column: { "labels.cycle": cycle },
      config: acq,
      expected: 3,
      failed: 0,
      runs: [],
      stats: { AP50: { mean: m, std: 0.01, ci95: null, n: 3 } },
    })),
  );
  return {
    experiment: "al",
    summaryVersion: 3,
    table: {
      rows: ["labels.acquisition"],
      columns: ["labels.cycle"],
      metric: "AP50",
      baseline: { "labels.acquisition": "random" },
    },
    configs: Object.fromEntries(Object.keys(means).map((a) => [a, config(a)])),
    cells,
    references: [],
    environment: {},
  } as unknown as Summary;
}

describe("the active-learning curve and annotation cost", () => {
  it("puts each cycle at its number of labelled images", () => {
    expect(labelledAt(config("random"), 0)).toBe(200);
    expect(labelledAt(config("random"), 2)).toBe(400);
    const points = activeCurve(summary({ random: [0.3, 0.4, 0.5] }), "AP50")!;
    expect(points.map((p) => [p.labelled, p.mean])).toEqual([
      [200, 30],
      [300, 40],
      [400, 50],
    ]);
  });

  it("interpolates the images each function needs to reach the baseline's final mean", () => {
    const s = summary({ random: [0.3, 0.4, 0.5], entropy: [0.3, 0.45, 0.55], consistency: [0.2, 0.3, 0.4] });
    const points = activeCurve(s, "AP50")!;
    const target = costTarget(s, points)!;
    expect(target).toEqual({ row: "random", value: 50 });
    const cost = annotationCost(points, target.value).map((c) => ({
      ...c,
      images: c.images === null ? null : Math.round(c.images * 1e6) / 1e6,
    }));
    expect(cost).toEqual([
      { row: "random", images: 400 },
      // 45 at 300, 55 at 400: 50 is reached half-way.
      { row: "entropy", images: 350 },
      { row: "consistency", images: null },
    ]);
    const chart = activeChart(s)!;
    const subtitle = (chart.spec as { title: { subtitle: string[] } }).title.subtitle;
    expect(subtitle[1]).toBe("random 400 · entropy 350 · consistency not reached");
  });

  it("draws nothing for a table without a cycle column", () => {
    const s = summary({ random: [0.3] });
    s.table.columns = ["labels.fraction"];
    expect(activeChart(s)).toBeNull();
  });
});
