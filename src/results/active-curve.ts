import type * as vl from "vega-lite";
import type { ActiveLabels, JsonValue, RunConfig } from "../spec/types.js";
import { axisLabel } from "./axis-label.js";
import type { Chart } from "./report-charts.js";
import type { Summary } from "./summary.js";

// The standard active-learning figure (AL-SSL, METHODS.md §1d: "mAP vs number
// of labelled images, for random / entropy / consistency / combined"): one
// curve per table row (e.g. labels.acquisition), mean ± std over seeds, the
// x axis the labelled images of each cycle. Beside it, the annotation cost of
// reaching a target: the labelled images each curve needs to reach the final
// mean of the baseline row (table.baseline, else the first row), linearly
// interpolated between cycles — how AL papers state "x % less labelling".

const CYCLE = "labels.cycle";

export interface CurvePoint {
  row: string;
  cycle: number;
  labelled: number;
  mean: number;
  std: number;
  n: number;
}

export interface AnnotationCost {
  row: string;
  /** Labelled images needed to reach the target, interpolated; null when the curve never reaches it. */
  images: number | null;
}

/** Floor of fraction · N, or the count (data/protocols/derivation.ts sizeOf). */
function sizeOf(a: { fraction?: number; count?: number }, total: number | undefined): number | undefined {
  if (a.count !== undefined) return a.count;
  if (a.fraction !== undefined && total !== undefined) return Math.floor(a.fraction * total);
  return undefined;
}

/** Labelled images after `cycle` cycles, when the config tells (counts, or shapes' known pool size). */
export function labelledAt(config: RunConfig | undefined, cycle: number): number | undefined {
  if (config?.labels.protocol !== "active") return undefined;
  const labels = config.labels as ActiveLabels;
  const ds = config.dataset as { name: string; train_images?: number };
  const total = ds.name === "shapes" ? (ds.train_images ?? 2000) : undefined;
  const initial = sizeOf(labels.initial, total);
  const per = sizeOf(labels.per_cycle, total);
  return initial === undefined || per === undefined ? undefined : initial + cycle * per;
}

/** The curve's points, or null when the table has no cycle column. */
export function activeCurve(s: Summary, metric: string): CurvePoint[] | null {
  if (!s.table.columns.includes(CYCLE)) return null;
  const scale = s.table.scale ?? 100;
  const points: CurvePoint[] = [];
  for (const c of s.cells) {
    const cycle = c.column[CYCLE];
    const st = c.stats[metric];
    if (typeof cycle !== "number" || !st || st.mean === null) continue;
    const config = c.config ? s.configs[c.config] : undefined;
    const labelled = labelledAt(config, cycle) ?? cycle;
    const rest = Object.fromEntries(Object.entries(c.column).filter(([k]) => k !== CYCLE));
    const row = [axisLabel(c.row), axisLabel(rest)].filter((t) => t !== "").join(" · ");
    points.push({ row, cycle, labelled, mean: st.mean * scale, std: (st.std ?? 0) * scale, n: st.n });
  }
  return points.length > 0 ? points : null;
}

/** Images needed to reach `target` on each curve (first crossing, linear between cycles). */
export function annotationCost(points: readonly CurvePoint[], target: number): AnnotationCost[] {
  const rows = [...new Set(points.map((p) => p.row))];
  return rows.map((row) => {
    const curve = points.filter((p) => p.row === row).sort((a, b) => a.labelled - b.labelled);
    for (let i = 0; i < curve.length; i++) {
      const p = curve[i]!;
      if (p.mean < target) continue;
      if (i === 0) return { row, images: p.labelled };
      const q = curve[i - 1]!;
      const t = (target - q.mean) / (p.mean - q.mean);
      return { row, images: q.labelled + t * (p.labelled - q.labelled) };
    }
    return { row, images: null };
  });
}

/** The target: the final mean of the baseline row (table.baseline), else of the first row. */
export function costTarget(s: Summary, points: readonly CurvePoint[]): { row: string; value: number } | null {
  const baseline = s.table.baseline as Record<string, JsonValue> | undefined;
  const rowOf = baseline
    ? s.cells.find((c) =>
        Object.entries(baseline).every(([k, v]) => JSON.stringify(c.row[k] ?? null) === JSON.stringify(v)),
      )
    : undefined;
  const name = rowOf ? axisLabel(rowOf.row) : points[0]?.row;
  const curve = points.filter((p) => p.row === name || (rowOf && p.row.startsWith(`${name} · `)));
  const last = curve.sort((a, b) => a.labelled - b.labelled).at(-1);
  return name !== undefined && last ? { row: name, value: last.mean } : null;
}

/** Metric vs labelled images per row with a ±std band, the annotation cost in the subtitle. */
export function activeChart(s: Summary): Chart | null {
  const metric = Array.isArray(s.table.metric) ? s.table.metric[0]! : s.table.metric;
  const points = activeCurve(s, metric);
  if (!points) return null;
  const target = costTarget(s, points);
  const costs = target ? annotationCost(points, target.value) : [];
  const subtitle = target
    ? [
        `labelled images to reach ${target.value.toFixed(1)} ${metric} (${target.row}'s last cycle):`,
        costs.map((c) => `${c.row} ${c.images === null ? "not reached" : Math.round(c.images)}`).join(" · "),
      ]
    : [];
  const values = points.map((p) => ({ ...p, lo: p.mean - p.std, hi: p.mean + p.std }));
  // Legend swatches at full strength (the band layer comes first and would lend them its opacity).
  const color = {
    field: "row",
    type: "nominal",
    title: s.table.rows.join(" · ") || "runs",
    legend: { symbolOpacity: 1 },
  } as const;
  return {
    name: `${s.experiment}-active`,
    title: `${metric} vs labelled images (mean ± std over seeds)`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: { text: `${metric} vs labelled images`, subtitle },
      width: 420,
      height: 260,
      data: { values },
      encoding: { x: { field: "labelled", type: "quantitative", title: "labelled images" }, color },
      layer: [
        {
          mark: { type: "area", opacity: 0.18 },
          encoding: {
            // Acquisition functions differ by a few points: an axis from zero would flatten them.
            y: {
              field: "lo",
              type: "quantitative",
              title: `${metric} (×${s.table.scale ?? 100})`,
              scale: { zero: false },
            },
            y2: { field: "hi" },
          },
        },
        {
          mark: { type: "line", point: true },
          encoding: {
            y: { field: "mean", type: "quantitative" },
            tooltip: [
              { field: "row" },
              { field: "cycle" },
              { field: "labelled" },
              { field: "mean", format: ".2f" },
              { field: "n" },
            ],
          },
        },
      ],
    } as vl.TopLevelSpec,
  };
}
