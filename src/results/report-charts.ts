import * as vega from "vega";
import * as vl from "vega-lite";
import { metricList } from "./aggregate.js";
import { axisLabel, axisValue } from "./axis-label.js";
import type { ExperimentDiff } from "./diff.js";
import { cellLabel } from "./diff-format.js";
import type { Summary } from "./summary.js";

const metricsOf = (s: Summary) => metricList(s.table);

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

/** Budgets spanning more than this ratio are drawn on a log axis (1 %, 5 %, 100 % stay readable). */
export const LOG_AXIS_SPAN = 10;

/** Whether the table's first column path is a numeric axis (a label budget) in every cell. */
function numericColumns(s: Summary): boolean {
  const xPath = s.table.columns[0];
  return xPath !== undefined && s.cells.every((c) => typeof c.column[xPath] === "number");
}

/**
 * A numeric column as the x axis: logarithmic when the budgets span more than LOG_AXIS_SPAN×,
 * whole-number ticks when every value is whole (image counts, active-learning cycles).
 */
function budgetAxis(xPath: string, budgets: number[]) {
  const lo = Math.min(...budgets);
  const log = lo > 0 && Math.max(...budgets) / lo > LOG_AXIS_SPAN;
  const whole = budgets.every(Number.isInteger);
  return {
    field: "budget",
    type: "quantitative",
    title: `${xPath}${log ? " (log scale)" : ""}`,
    scale: log ? { type: "log" } : { zero: false },
    ...(whole ? { axis: { tickMinStep: 1, format: "d" } } : {}),
  } as const;
}

/** The cells' column values as labels ("none" for an absent one), in the table's order. */
const columnOrder = (cells: Summary["cells"]) => [...new Set(cells.map((c) => axisLabel(c.column)))];

/** A cell's place on the x axis: its budget on a budget axis, else its column label. */
function xOf(s: Summary, c: Summary["cells"][number], numeric: boolean): number | string {
  return numeric ? (c.column[s.table.columns[0]!] as number) : axisLabel(c.column);
}

/** A table's columns as categories, in the table's order (when they are not a budget axis). */
function columnCategories(s: Summary) {
  return {
    field: "budget",
    type: "nominal",
    title: s.table.columns.join(" · "),
    sort: columnOrder(s.cells),
  } as const;
}

/**
 * Every metric of the table vs label budget (the first column path), one line
 * per row value: mean with a ±std band; one panel per metric. The x axis is
 * logarithmic when the budgets span more than LOG_AXIS_SPAN×. A column path
 * that is not a number in every cell (e.g. `labels.extra.images`, absent on
 * some runs) is not a budget: its values are drawn side by side as categories,
 * mean ± std per row, so no cell drops out of the plot.
 */
export function budgetChart(s: Summary): Chart | null {
  const metrics = metricsOf(s);
  const scale = s.table.scale ?? 100;
  const xPath = s.table.columns[0];
  if (!xPath) return null;
  const numeric = numericColumns(s);
  const values = s.cells.flatMap((c) =>
    metrics.flatMap((metric) => {
      const st = c.stats[metric];
      if (!st || st.mean === null) return [];
      const std = st.std ?? 0;
      const budget = xOf(s, c, numeric);
      return [
        {
          metric,
          method: axisLabel(c.row),
          budget,
          mean: st.mean * scale,
          lo: (st.mean - std) * scale,
          hi: (st.mean + std) * scale,
          n: st.n,
        },
      ];
    }),
  );
  if (values.length === 0) return null;
  // Legend swatches at full strength (the band layer comes first and would lend them its opacity).
  const color = {
    field: "method",
    type: "nominal",
    title: s.table.rows.join(" · "),
    legend: { symbolOpacity: 1 },
  } as const;
  const yTitle = metrics.length > 1 ? `×${scale}` : `${metrics[0]} (×${scale})`;
  const tooltip = [
    { field: "metric" },
    { field: "method" },
    { field: "budget" },
    { field: "mean", format: ".2f" },
    { field: "n" },
  ];
  if (!numeric) {
    const categories = {
      width: 300,
      height: 220,
      encoding: { x: columnCategories(s), xOffset: { field: "method" }, color },
      layer: [
        {
          mark: "rule",
          encoding: {
            y: { field: "lo", type: "quantitative", title: yTitle, scale: { zero: false } },
            y2: { field: "hi" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 50 },
          encoding: { y: { field: "mean", type: "quantitative" }, tooltip },
        },
      ],
    };
    return {
      name: `${s.experiment}-budget`,
      title: `${metrics.join(", ")} per ${s.table.columns.join(" · ")} (mean ± std over seeds)`,
      spec: perMetric(metrics, values, categories),
    };
  }
  const x = budgetAxis(
    xPath,
    values.map((v) => v.budget as number),
  );
  const layers = {
    width: 300,
    height: 220,
    encoding: { x, color },
    layer: [
      {
        mark: { type: "area", opacity: 0.18 },
        encoding: {
          y: { field: "lo", type: "quantitative", title: yTitle, scale: { zero: false } },
          y2: { field: "hi" },
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: { y: { field: "mean", type: "quantitative" }, tooltip },
      },
    ],
  };
  return {
    name: `${s.experiment}-budget`,
    title: `${metrics.join(", ")} vs label budget (mean ± std over seeds)`,
    spec: perMetric(metrics, values, layers),
  };
}

/** One panel per metric (own y scales) when there are several; else one larger chart. */
function perMetric(metrics: string[], values: object[], layers: object): vl.TopLevelSpec {
  const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", data: { values } };
  return (metrics.length > 1
    ? {
        ...base,
        // Up to two panels side by side; more wrap two a line, so four metrics fit the page's width.
        ...(metrics.length <= 2
          ? { facet: { column: { field: "metric", type: "nominal", sort: metrics, title: null } } }
          : { facet: { field: "metric", type: "nominal", sort: metrics, title: null }, columns: 2 }),
        resolve: { scale: { y: "independent" } },
        spec: layers,
      }
    : { ...base, ...layers, width: 420, height: 260 }) as unknown as vl.TopLevelSpec;
}

/**
 * With `table.baseline`: each cell's Δ to its baseline cell per metric and
 * budget, ±1.96·SE of the difference (SE = Δ / Welch's t), zero marked — the
 * answer to "did my method help, at which budget?".
 */
export function baselineChart(s: Summary): Chart | null {
  if (!s.table.baseline) return null;
  const metrics = metricsOf(s);
  const scale = s.table.scale ?? 100;
  const xPath = s.table.columns[0];
  const numeric = numericColumns(s);
  const values = s.cells.flatMap((c) =>
    metrics.flatMap((metric) => {
      const vs = c.vsBaseline?.[metric];
      if (!vs || vs.status === "baseline" || vs.status === "no-baseline" || vs.delta === null) return [];
      const se = vs.t !== null && vs.t !== 0 ? Math.abs(vs.delta / vs.t) : null;
      const delta = vs.delta * scale;
      return [
        {
          metric,
          method: axisLabel(c.row),
          budget: xOf(s, c, numeric),
          delta,
          lo: se === null ? delta : delta - 1.96 * se * scale,
          hi: se === null ? delta : delta + 1.96 * se * scale,
          status: vs.status,
        },
      ];
    }),
  );
  if (values.length === 0) return null;
  const x = numeric
    ? budgetAxis(
        xPath!,
        values.map((v) => v.budget as number),
      )
    : columnCategories(s);
  const which = Object.entries(s.table.baseline)
    .map(([k, v]) => `${k} = ${axisValue(v)}`)
    .join(", ");
  const layers = {
    width: 300,
    height: 220,
    // Categories are not joined by lines; rows sit side by side within each.
    encoding: {
      x,
      ...(numeric ? {} : { xOffset: { field: "method" } }),
      color: { field: "method", type: "nominal", title: s.table.rows.join(" · ") },
    },
    layer: [
      {
        mark: { type: "rule", strokeDash: [4, 4], color: "#888" },
        encoding: { y: { datum: 0 }, x: null, xOffset: null, color: null },
      },
      {
        mark: "rule",
        encoding: { y: { field: "lo", type: "quantitative", title: `Δ (×${scale})` }, y2: { field: "hi" } },
      },
      {
        mark: numeric
          ? { type: "line", point: { filled: true, size: 50 } }
          : { type: "point", filled: true, size: 50 },
        encoding: {
          y: { field: "delta", type: "quantitative" },
          tooltip: [
            { field: "metric" },
            { field: "method" },
            { field: "budget" },
            { field: "delta", format: ".2f" },
            { field: "status" },
          ],
        },
      },
    ],
  };
  return {
    name: `${s.experiment}-baseline`,
    title: `Δ vs baseline (${which}) per ${numeric ? "label budget" : s.table.columns.join(" · ")}, ±1.96·SE`,
    spec: perMetric(metrics, values, layers),
  };
}

/**
 * Per-category AP (mean over seeds), grouped rare/common/frequent when known: at the
 * largest budget when the columns are a budget axis, else one panel per column value
 * in the table's order (cells of different columns are never drawn on the same bars).
 */
export function perClassChart(s: Summary): Chart | null {
  const withCats = s.cells.filter((c) => c.perCategory && c.perCategory.length > 0);
  if (withCats.length === 0) return null;
  const xPath = s.table.columns[0];
  const numeric = numericColumns(s);
  const columns = columnOrder(withCats);
  const byColumn = !numeric && columns.length > 1;
  const top = numeric ? Math.max(...withCats.map((c) => c.column[xPath!] as number)) : undefined;
  const cells = numeric ? withCats.filter((c) => c.column[xPath!] === top) : withCats;
  const values = cells.flatMap((c) =>
    c
      .perCategory!.filter((k) => k.ap !== null)
      .map((k) => ({
        method: axisLabel(c.row),
        column: axisLabel(c.column),
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
      // Below the panels: three groups of up to 20 categories already fill the page's width.
      color: {
        field: "method",
        type: "nominal",
        title: s.table.rows.join(" · "),
        legend: { orient: "bottom" },
      },
    },
  };
  const columnFacet = {
    field: "column",
    type: "nominal",
    sort: columns,
    title: s.table.columns.join(" · "),
  };
  const groupFacet = { field: "group", type: "nominal", sort: ["rare", "common", "frequent"], title: null };
  // Groups are panels side by side with their own x (categories); several column values
  // stack those rows, one titled row each (a 2-D facet misplaces the headers of panels of
  // different widths). A `spec` without a `facet` is not valid Vega-Lite: plain bars then.
  const byGroup = { facet: { column: groupFacet }, resolve: { scale: { x: "independent" } }, spec: bars };
  const spec = grouped
    ? byColumn
      ? {
          vconcat: columns.map((column) => ({
            title: `${s.table.columns.join(" · ")}: ${column}`,
            transform: [{ filter: { field: "column", equal: column } }],
            ...byGroup,
          })),
          resolve: { scale: { y: "shared" } },
        }
      : byGroup
    : byColumn
      ? { facet: { column: columnFacet }, spec: bars }
      : bars;
  const where = byColumn ? `per ${s.table.columns.join(" · ")}` : `at ${axisLabel(cells[0]!.column)}`;
  return {
    name: `${s.experiment}-per-class`,
    title: `per-class AP ${where}${grouped ? " (rare / common / frequent)" : ""}`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      data: { values },
      ...spec,
    } as unknown as vl.TopLevelSpec,
  };
}

/** Mean training loss by iteration, one line per cell (from events.jsonl progress events). */
export function lossChart(s: Summary): Chart | null {
  const values = s.cells.flatMap((c) =>
    (c.loss ?? []).map((p) => ({ cell: cellLabel(c), iter: p.iter, loss: p.loss })),
  );
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
    return [
      {
        cell: cellLabel(c),
        status: c.status,
        delta: c.delta,
        lo: c.delta - 1.96 * se,
        hi: c.delta + 1.96 * se,
      },
    ];
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
        {
          mark: "rule",
          encoding: {
            x: { field: "lo", type: "quantitative", title: `Δ ${d.metric} (×${d.scale})` },
            x2: { field: "hi" },
          },
        },
        {
          mark: { type: "point", filled: true, size: 60 },
          encoding: {
            x: { field: "delta", type: "quantitative" },
            color: { field: "status", type: "nominal" },
          },
        },
        {
          mark: { type: "rule", strokeDash: [4, 4] },
          data: { values: [{ zero: 0 }] },
          encoding: { x: { field: "zero", type: "quantitative" }, y: null },
        },
      ],
    } as unknown as vl.TopLevelSpec,
  };
}

/** Legend labels such as "retinanet-lite · mean-teacher" whole (Vega-Lite cuts them at 160 px). */
const RENDER_CONFIG = { legend: { labelLimit: 360, titleLimit: 360 } };

export async function renderSvg(chart: Chart): Promise<string> {
  const compiled = vl.compile(chart.spec, { config: RENDER_CONFIG }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
