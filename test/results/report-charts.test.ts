import { describe, expect, it } from "vitest";
import type { RunOutcome } from "../../src/results/aggregate.js";
import { baselineChart, budgetChart, perClassChart, renderSvg } from "../../src/results/report-charts.js";
import { buildSummary } from "../../src/results/summary.js";
import type { RunConfig, TableSpec } from "../../src/spec/types.js";

// The report's first plot when the table's column is not a label budget: `labels.extra.images`
// is 400 on some runs and absent (null) on others, as in longtail-shapes.

function run(method: object, images: number | null, seed: number, ap: number): RunOutcome {
  const config = {
    dataset: { name: "shapes" },
    labels: images === null ? { protocol: "full" } : { protocol: "full", extra: { images } },
    detector: { arch: "retinanet-lite" },
    method,
    train: {},
    engine: { name: "tfjs" },
    eval: { type: "lvis" },
    seed,
  } as unknown as RunConfig;
  return {
    key: `${JSON.stringify(method)}-${images}-${seed}`,
    config,
    status: "done",
    metrics: { AP: ap, APr: ap / 4 },
  };
}

const runs = [0, 1].flatMap((seed) => [
  run({ name: "supervised" }, null, seed, 0.16 + seed / 100),
  run({ name: "richsem", distill_weight: 0 }, null, seed, 0.17 + seed / 100),
  run({ name: "richsem", distill_weight: 0 }, 400, seed, 0.14 + seed / 100),
  run({ name: "richsem", distill_weight: 0.5 }, null, seed, 0.2 + seed / 100),
  run({ name: "richsem", distill_weight: 0.5 }, 400, seed, 0.14 + seed / 100),
]);

const table: TableSpec = {
  rows: ["method.name", "method.distill_weight"],
  columns: ["labels.extra.images"],
  metric: ["AP", "APr"],
  precision: 1,
  scale: 100,
  baseline: { "method.distill_weight": 0 },
};

const summary = () =>
  buildSummary(
    {
      resultsDir: "/nonexistent",
      experiment: "lt",
      table,
      runs: runs.map(({ key, config }) => ({ key, config })),
    },
    runs,
    () => ({ split: null }) as never,
  ).summary;

describe("report charts over a column that is not a budget", () => {
  it("draws every cell, the absent value as 'none', as categories instead of a budget line", async () => {
    const chart = budgetChart(summary())!;
    expect(chart.title).toBe("AP, APr per labels.extra.images (mean ± std over seeds)");
    const spec = chart.spec as unknown as {
      data: { values: { budget: unknown; method: string; metric: string }[] };
      spec: { encoding: { x: { type: string } } };
    };
    const ap = spec.data.values.filter((v) => v.metric === "AP").map((v) => `${v.method} @ ${v.budget}`);
    expect(ap.sort()).toEqual([
      "richsem · 0 @ 400",
      "richsem · 0 @ none",
      "richsem · 0.5 @ 400",
      "richsem · 0.5 @ none",
      "supervised · none @ none",
    ]);
    expect(spec.spec.encoding.x.type).toBe("nominal");
    const svg = await renderSvg(chart);
    expect(svg).toContain(">none<");
    expect(svg).not.toContain("null");
  });

  it("puts the baseline chart's cells on the same categories, in the table's order, unjoined", async () => {
    const chart = baselineChart(summary())!;
    expect(chart.title).toBe("Δ vs baseline (method.distill_weight = 0) per labels.extra.images, ±1.96·SE");
    const layers = (
      chart.spec as unknown as { spec: { encoding: { x: { sort: string[] } }; layer: { mark: unknown }[] } }
    ).spec;
    expect(layers.encoding.x.sort).toEqual(["none", "400"]);
    expect(layers.layer.map((l) => l.mark)).not.toContainEqual(expect.objectContaining({ type: "line" }));
    expect(await renderSvg(chart)).toContain(">none<");
    const values = (chart.spec as unknown as { data: { values: { budget: unknown; method: string }[] } }).data
      .values;
    expect([...new Set(values.map((v) => `${v.method} @ ${v.budget}`))].sort()).toEqual([
      "richsem · 0.5 @ 400",
      "richsem · 0.5 @ none",
    ]);
  });

  it("draws per-class AP once per column value, never one column's bars on another's", async () => {
    // Category "a" scores 0.1 with the extra images and 0.3 without; "b" 0.5 everywhere.
    const extras = (key: string) => ({
      split: null,
      perCategory: [
        { id: 1, name: "a", ap: key.includes("-400-") ? 0.1 : 0.3, group: "r" as const },
        { id: 2, name: "b", ap: 0.5, group: "f" as const },
      ],
    });
    const s = buildSummary(
      {
        resultsDir: "/nonexistent",
        experiment: "lt",
        table,
        runs: runs.map(({ key, config }) => ({ key, config })),
      },
      runs,
      extras,
    ).summary;
    const chart = perClassChart(s)!;
    expect(chart.title).toBe("per-class AP per labels.extra.images (rare / common / frequent)");
    const spec = chart.spec as unknown as {
      data: { values: { method: string; column: string; category: string; ap: number }[] };
      vconcat: {
        title: string;
        transform: { filter: { field: string; equal: string } }[];
        facet: { column: { field: string } };
      }[];
    };
    // One row of rare / common / frequent panels per column value, in the table's order.
    expect(spec.vconcat.map((r) => r.title)).toEqual([
      "labels.extra.images: none",
      "labels.extra.images: 400",
    ]);
    expect(spec.vconcat.map((r) => r.transform[0]!.filter)).toEqual([
      { field: "column", equal: "none" },
      { field: "column", equal: "400" },
    ]);
    expect(spec.vconcat[0]!.facet.column.field).toBe("group");
    const bars = spec.data.values.map((v) => `${v.method} @ ${v.column} ${v.category} ${v.ap.toFixed(1)}`);
    expect(bars.sort()).toEqual([
      "richsem · 0 @ 400 a 10.0",
      "richsem · 0 @ 400 b 50.0",
      "richsem · 0 @ none a 30.0",
      "richsem · 0 @ none b 50.0",
      "richsem · 0.5 @ 400 a 10.0",
      "richsem · 0.5 @ 400 b 50.0",
      "richsem · 0.5 @ none a 30.0",
      "richsem · 0.5 @ none b 50.0",
      "supervised · none @ none a 30.0",
      "supervised · none @ none b 50.0",
    ]);
    const svg = await renderSvg(chart);
    expect(svg).toContain(">labels.extra.images: 400<");
    expect(svg).toContain("category: a; AP (×100): 10;");
  });

  it("gives a whole-number column (counts, cycles) whole-number ticks, a fractional one not", () => {
    const xOf = (images: number[]) => {
      const rs = images.flatMap((n, i) =>
        [0, 1].map((seed) => run({ name: "supervised" }, n, seed, 0.1 + i / 10)),
      );
      const t: TableSpec = {
        rows: ["method.name"],
        columns: ["labels.extra.images"],
        metric: "AP",
        precision: 1,
        scale: 100,
      };
      const sum = buildSummary(
        {
          resultsDir: "/nonexistent",
          experiment: "c",
          table: t,
          runs: rs.map(({ key, config }) => ({ key, config })),
        },
        rs,
        () => ({ split: null }) as never,
      ).summary;
      return (
        budgetChart(sum)!.spec as unknown as { encoding: { x: { type: string; axis?: { format: string } } } }
      ).encoding.x;
    };
    expect(xOf([0, 1, 2])).toMatchObject({ type: "quantitative", axis: { format: "d", tickMinStep: 1 } });
    expect(xOf([0.05, 0.1]).axis).toBeUndefined();
  });
});
