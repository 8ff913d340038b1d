import { describe, expect, it } from "vitest";
import { aggregate, type RunOutcome } from "../../src/results/aggregate.js";
import { checkReferences } from "../../src/results/references.js";
import { renderCsv, renderLatex, renderMarkdown } from "../../src/results/render-table.js";
import type { RunConfig, TableSpec } from "../../src/spec/types.js";

function run(
  method: string,
  fraction: number,
  seed: number,
  ap50: number | null,
  status: RunOutcome["status"] = "done",
): RunOutcome {
  const config = {
    dataset: { name: "shapes" },
    labels: { protocol: "budget", fraction, fold: 1 },
    detector: { arch: "ssd-lite" },
    method: { name: method },
    train: {},
    engine: { name: "tfjs" },
    eval: { type: "coco" },
    seed,
  } as RunConfig;
  return {
    key: `${method}-${fraction}-${seed}`,
    config,
    status,
    metrics: ap50 === null ? undefined : { AP50: ap50, AP: ap50 / 2 },
  };
}

const table: TableSpec = {
  rows: ["method.name"],
  columns: ["labels.fraction"],
  metric: "AP50",
  precision: 1,
  scale: 100,
};
const runs = [
  run("supervised", 0.1, 0, 0.5),
  run("supervised", 0.1, 1, 0.52),
  run("supervised", 0.3, 0, 0.6),
  run("supervised", 0.3, 1, 0.62),
  run("csd", 0.1, 0, 0.55),
  run("csd", 0.1, 1, 0.57),
  run("csd", 0.3, 0, 0.61),
  run("csd", 0.3, 1, null, "failed"),
];

describe("paper-style tables", () => {
  it("aggregates seeds into mean ± std (n) and marks missing and failed runs", () => {
    const agg = aggregate(table, runs);
    expect(agg.rows).toEqual([{ "method.name": "supervised" }, { "method.name": "csd" }]);
    expect(agg.columns).toEqual([{ "labels.fraction": 0.1 }, { "labels.fraction": 0.3 }]);
    const s = agg.cells[0]![0]!.stats.AP50!;
    expect(s.n).toBe(2);
    expect(s.mean).toBeCloseTo(0.51, 12);
    expect(s.std).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(agg.cells[1]![1]!).toMatchObject({ expected: 2, failed: 1 });
    expect(renderMarkdown(agg, table)).toBe(
      [
        "| method.name | 0.1 | 0.3 |",
        "|---|---:|---:|",
        "| supervised | 51.0 ± 1.4 (2) | **61.0 ± 1.4 (2)** |",
        "| csd | **56.0 ± 1.4 (2)** | **61.0 (1/2)†** |",
        "",
        "AP50 (%), mean ± std (n runs; n/m when only n of m planned runs finished); † some runs failed; bold: best per column (max). Columns: labels.fraction.",
        "",
      ].join("\n"),
    );
  });

  it("prints several metrics per column, a 95 % interval, LaTeX and long-format CSV", () => {
    const t2: TableSpec = { ...table, metric: ["AP50", "AP"], aggregate: "ci95", best: "none" };
    const agg = aggregate(t2, runs.slice(0, 4));
    const md = renderMarkdown(agg, t2);
    expect(md.split("\n")[0]).toBe("| method.name | 0.1 AP50 | 0.1 AP | 0.3 AP50 | 0.3 AP |");
    // t(0.975, 1) · std / √2 = 12.706 · 0.01414 / 1.414 = 0.127 → 12.7 points
    expect(md).toContain("51.0 ± 12.7 (2)");
    const tex = renderLatex(agg, t2);
    expect(tex).toContain("\\toprule");
    expect(tex).toContain("51.0 $\\pm$ 12.7 (2)");
    const csv = renderCsv(agg).trim().split("\n");
    expect(csv[0]).toBe("method.name,labels.fraction,metric,mean,std,ci95,n,expected,failed");
    expect(csv).toHaveLength(1 + 4);
    expect(csv[1]).toMatch(/^supervised,0\.1,AP50,0\.51\d*,0\.0141\d*,0\.127\d*,2,2,0$/);
  });

  it("shows a value a run's config lacks (null) as none", () => {
    const withOption = (
      name: string,
      weight: number | undefined,
      images: number | undefined,
      seed: number,
    ) => {
      const r = run("supervised", 0.1, seed, 0.5 + seed / 100);
      const config = r.config as unknown as { method: object; labels: object };
      config.method = weight === undefined ? { name } : { name, distill_weight: weight };
      if (images !== undefined) config.labels = { ...config.labels, extra: { images } };
      return { ...r, key: `${name}-${weight}-${images}-${seed}` };
    };
    const t: TableSpec = {
      rows: ["method.name", "method.distill_weight"],
      columns: ["labels.extra.images"],
      metric: "AP50",
      precision: 1,
      scale: 100,
    };
    const agg = aggregate(t, [
      withOption("supervised", undefined, undefined, 0),
      withOption("richsem", 0.5, undefined, 0),
      withOption("richsem", 0.5, 400, 0),
    ]);
    const md = renderMarkdown(agg, t).split("\n");
    expect(md[0]).toBe("| method.name · method.distill_weight | none | 400 |");
    expect(md[2]).toBe("| supervised · none | **50.0 (1)** | — |");
    expect(md[3]).toBe("| richsem · 0.5 | **50.0 (1)** | 50.0 (1) |");
  });

  it("compares paper references with the runs' noise", () => {
    const agg = aggregate(table, runs);
    const refs = checkReferences(table, agg, [
      {
        cell: { "method.name": "csd", "labels.fraction": 0.1 },
        metric: "AP50",
        value: 57.0,
        source: "paper T1",
        verified: true,
      },
      {
        cell: { "method.name": "csd", "labels.fraction": 0.1 },
        metric: "AP50",
        value: 60.0,
        source: "paper T1",
        verified: false,
      },
      {
        cell: { "method.name": "csd", "labels.fraction": 0.3 },
        metric: "AP50",
        value: 60.0,
        source: "x",
        verified: true,
      },
      {
        cell: { "method.name": "csd", "labels.fraction": 0.3 },
        metric: "AP50",
        value: 60.0,
        source: "x",
        verified: true,
        tolerance: { abs: 2 },
      },
      {
        cell: { "method.name": "sed", "labels.fraction": 0.1 },
        metric: "AP50",
        value: 1,
        source: "x",
        verified: true,
      },
    ]);
    expect(refs.map((r) => r.status)).toEqual([
      "within-noise",
      "differs",
      "undetermined",
      "within-noise",
      "no-cell",
    ]);
    expect(refs[0]!.delta).toBeCloseTo(-1.0, 10);
    expect(refs[0]!.bound).toBeCloseTo(2 * Math.SQRT2, 10);
    const md = renderMarkdown(agg, table, refs);
    expect(md).toContain(
      "| csd / 0.1 | AP50 | 56.0 ± 1.4 | 57.0 | -1.0 | ✓ within noise (bound 2.8) | paper T1 | yes |",
    );
  });
});
