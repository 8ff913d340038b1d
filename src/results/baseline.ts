import type { JsonValue, TableSpec } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import type { AggregatedTable } from "./aggregate.js";
import { axisValue } from "./axis-label.js";
import { mean, welchTTest } from "./stats.js";

// `table.baseline`: every cell beside the cell it is compared with. The
// baseline names values of some row or column paths (e.g. {method.name:
// supervised}); a cell's baseline cell has those values and the cell's own
// values on every other row and column path (so with rows [detector.arch,
// method.name], CSD on ssd-lite meets supervised on ssd-lite, in the same
// column). Δ = mean(cell) − mean(baseline cell); Welch's t-test over the two
// cells' runs (seeds × folds) says whether it is beyond noise (p < 0.05). With
// fewer than 2 runs on a side there is no test: "n too small".

export const BASELINE_ALPHA = 0.05;

export type BaselineStatus = "baseline" | "beyond-noise" | "within-noise" | "n-too-small" | "no-baseline";

export interface BaselineComparison {
  status: BaselineStatus;
  /** Difference of means, unscaled (metric units). */
  delta: number | null;
  /** Two-sided Welch p-value (null unless both sides have ≥ 2 runs). */
  p: number | null;
  t: number | null;
  df: number | null;
  /** Runs on this side and on the baseline side. */
  n: number;
  baselineN: number;
}

/** comparisons[r][c][metric], or null when the table has no baseline. */
export type BaselineTable = Record<string, BaselineComparison>[][];

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function indexOf(list: Record<string, JsonValue>[], want: Record<string, JsonValue>): number {
  return list.findIndex((v) => Object.keys(want).every((k) => same(v[k], want[k])));
}

export function compareToBaseline(agg: AggregatedTable, table: TableSpec): BaselineTable | null {
  const baseline = table.baseline;
  if (!baseline || Object.keys(baseline).length === 0) return null;
  const target = (values: Record<string, JsonValue>) => {
    const out = { ...values };
    for (const [path, v] of Object.entries(baseline)) if (path in out) out[path] = v;
    return out;
  };
  return agg.rows.map((row, r) =>
    agg.columns.map((column, c) => {
      const br = indexOf(agg.rows, target(row));
      const bc = indexOf(agg.columns, target(column));
      const out: Record<string, BaselineComparison> = {};
      for (const m of agg.metrics) {
        const values = agg.cells[r]![c]!.stats[m]!.values;
        const empty = { delta: null, p: null, t: null, df: null, n: values.length };
        if (br < 0 || bc < 0) {
          out[m] = { status: "no-baseline", ...empty, baselineN: 0 };
          continue;
        }
        const base = agg.cells[br]![bc]!.stats[m]!.values;
        if (br === r && bc === c) {
          out[m] = { status: "baseline", ...empty, baselineN: base.length };
          continue;
        }
        const delta = values.length > 0 && base.length > 0 ? mean(values) - mean(base) : null;
        const w = welchTTest(base, values);
        out[m] = w
          ? {
              status: w.p < BASELINE_ALPHA ? "beyond-noise" : "within-noise",
              delta,
              p: w.p,
              t: w.t,
              df: w.df,
              n: values.length,
              baselineN: base.length,
            }
          : { status: "n-too-small", ...empty, delta, baselineN: base.length };
      }
      return out;
    }),
  );
}

/** p printed with two significant digits, small values as an upper bound. */
export function pValueText(p: number): string {
  if (p < 0.001) return "< 0.001";
  return `= ${Number(p.toPrecision(2))}`;
}

/** "Δ +3.1 (p = 0.012)" and the mark for beyond-noise, in the table's printed scale. */
export function baselineText(
  cmp: BaselineComparison,
  table: TableSpec,
  mark: { better: string; worse: string },
): string {
  if (cmp.status === "baseline" || cmp.status === "no-baseline" || cmp.delta === null) return "";
  const scale = table.scale ?? 100;
  const d = cmp.delta * scale;
  const text = `Δ ${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(table.precision ?? 1)}`;
  if (cmp.status === "n-too-small") return `${text} (n too small)`;
  const better = (table.best ?? "max") === "min" ? d < 0 : d > 0;
  return `${text} (p ${pValueText(cmp.p!)})${cmp.status === "beyond-noise" ? (better ? mark.better : mark.worse) : ""}`;
}

/** The sentence under a table that has a baseline. */
export function baselineLegend(table: TableSpec): string {
  const which = Object.entries(table.baseline ?? {})
    .map(([k, v]) => `${k} = ${axisValue(v)}`)
    .join(", ");
  return `Δ: difference to the baseline cell (${which}, other row and column values the same); p: two-sided Welch's t-test over the runs of the two cells; ▲ / ▼: beyond noise (p < ${BASELINE_ALPHA}), better / worse; n too small: fewer than 2 runs on a side, no test.`;
}
