import * as vega from "vega";
import * as vl from "vega-lite";
import type { JsonValue } from "../spec/types.js";
import type { ExperimentDiff } from "./diff.js";
import { cellLabel } from "./diff-format.js";
import type { Summary } from "./summary.js";

// The report's plots as Vega-Lite specs, rendered to SVG by Vega in Node
// (no browser, no network), so the HTML carries finished SVG and the same
// SVG goes to --plots-dir (PNG through sharp).

export interface Chart {
  /** File-name stem: <experiment>-<kind>. */
  name: string;
  title: string;
  spec: vl.TopLevelSpec;
}

const GROUP_NAME: Record<string, string> = { r: "rare", c: "common", f: "frequent" };

const text = (v: JsonValue): string => (typeof v === "string" ? v : JSON.stringify(v));
const labelOf = (values: Record<string, JsonValue>) => Object.values(values).map(text).join(" · ");

function metricOf(s: Summary): string {
  return Array.isArray(s.table.metric) ? s.table.metric[0]! : s.table.metric;
}

/** Metric vs label budget per method: mean line with a ±std band (first column path on x). */
export function budgetChart(s: Summary): Chart | null {
  const metric = metricOf(s);
  const scale = s.table.scale ?? 100;
  const xPath = s.table.columns[0];
  if (!xPath) return null;
  const values = s.cells.flatMap((c) => {
    const st = c.stats[metric];
    const x = c.column[xPath];
    if (!st || st.mean === null || typeof x !== "number") return [];
    const std = st.std ?? 0;
    return [{ method: labelOf(c.row), budget: x, mean: st.mean * scale, lo: (st.mean - std) * scale, hi: (st.mean + std) * scale, n: st.n }];
  });
  if (values.length === 0) return null;
  const color = { field: "method", type: "nominal", title: s.table.rows.join(" · ") } as const;
  return {
    name: `${s.experiment}-budget`,
    title: `${metric} vs label budget (mean ± std over seeds)`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: 420,
      height: 260,
      data: { values },
      encoding: { x: { field: "budget", type: "quantitative", title: xPath }, color },
      layer: [
        {
          mark: { type: "area", opacity: 0.18 },
          encoding: { y: { field: "lo", type: "quantitative", title: `${metric} (×${scale})` }, y2: { field: "hi" } },
        },
        {
          mark: { type: "line", point: true },
          encoding: {
            y: { field: "mean", type: "quantitative" },
            tooltip: [{ field: "method" }, { field: "budget" }, { field: "mean", format: ".2f" }, { field: "n" }],
          },
        },
      ],
    } as vl.TopLevelSpec,
  };
}

/** Per-category AP (mean over seeds) at the largest budget, grouped rare/common/frequent when known. */
export function perClassChart(s: Summary): Chart | null {
  const withCats = s.cells.filter((c) => c.perCategory && c.perCategory.length > 0);
  if (withCats.length === 0) return null;
  const xPath = s.table.columns[0];
  const budgetOf = (c: Summary["cells"][number]) => (xPath && typeof c.column[xPath] === "number" ? (c.column[xPath] as number) : 0);
  const top = Math.max(...withCats.map(budgetOf));
  const cells = withCats.filter((c) => budgetOf(c) === top);
  const values = cells.flatMap((c) =>
    c.perCategory!.filter((k) => k.ap !== null).map((k) => ({
      method: labelOf(c.row),
      category: k.name ?? String(k.id),
      group: k.group ? GROUP_NAME[k.group] : "all",
      ap: (k.ap as number) * 100,
    })),
  );
  const grouped = values.some((v) => v.group !== "all");
  const bars = {
    width: { step: 14 },
    height: 200,
    mark: "bar",
    encoding: {
      x: { field: "category", type: "nominal", title: null },
      xOffset: { field: "method" },
      y: { field: "ap", type: "quantitative", title: "AP (×100)" },
      color: { field: "method", type: "nominal" },
    },
  };
  return {
    name: `${s.experiment}-per-class`,
    title: `per-class AP at ${labelOf(cells[0]!.column)}${grouped ? " (rare / common / frequent)" : ""}`,
    // Faceted by frequency group when groups are known; a plain bar chart otherwise
    // (a `spec` without a `facet` is not a valid Vega-Lite spec).
    spec: (grouped
      ? {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          data: { values },
          facet: { column: { field: "group", type: "nominal", sort: ["rare", "common", "frequent"], title: null } },
          resolve: { scale: { x: "independent" } },
          spec: bars,
        }
      : { $schema: "https://vega.github.io/schema/vega-lite/v6.json", data: { values }, ...bars }) as unknown as vl.TopLevelSpec,
  };
}

/** Mean training loss by iteration, one line per cell (from events.jsonl progress events). */
export function lossChart(s: Summary): Chart | null {
  const values = s.cells.flatMap((c) => (c.loss ?? []).map((p) => ({ cell: cellLabel(c), iter: p.iter, loss: p.loss })));
  if (values.length === 0) return null;
  return {
    name: `${s.experiment}-loss`,
    title: "training loss (mean over seeds)",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: 420,
      height: 220,
      data: { values },
      mark: { type: "line" },
      encoding: {
        x: { field: "iter", type: "quantitative", title: "iteration" },
        y: { field: "loss", type: "quantitative", title: "loss" },
        color: { field: "cell", type: "nominal", title: "cell" },
      },
    } as vl.TopLevelSpec,
  };
}

/** Δ per cell between two revisions, ±1.96·SE of the difference, coloured by drift class. */
export function diffChart(d: ExperimentDiff): Chart | null {
  const values = d.cells.flatMap((c) => {
    if (c.delta === null || !c.a || !c.b) return [];
    const se = Math.sqrt((c.a.std ?? 0) ** 2 / Math.max(1, c.a.n) + (c.b.std ?? 0) ** 2 / Math.max(1, c.b.n));
    return [{ cell: cellLabel(c), status: c.status, delta: c.delta, lo: c.delta - 1.96 * se, hi: c.delta + 1.96 * se }];
  });
  if (values.length === 0) return null;
  return {
    name: `${d.experiment}-diff`,
    title: `Δ ${d.metric} per cell (B − A)`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: 360,
      data: { values },
      encoding: { y: { field: "cell", type: "nominal", title: null, sort: null } },
      layer: [
        { mark: "rule", encoding: { x: { field: "lo", type: "quantitative", title: `Δ ${d.metric} (×${d.scale})` }, x2: { field: "hi" } } },
        { mark: { type: "point", filled: true, size: 60 }, encoding: { x: { field: "delta", type: "quantitative" }, color: { field: "status", type: "nominal" } } },
        { mark: { type: "rule", strokeDash: [4, 4] }, data: { values: [{ zero: 0 }] }, encoding: { x: { field: "zero", type: "quantitative" }, y: null } },
      ],
    } as unknown as vl.TopLevelSpec,
  };
}

export async function renderSvg(chart: Chart): Promise<string> {
  const compiled = vl.compile(chart.spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
