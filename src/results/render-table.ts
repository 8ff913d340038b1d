import { stringify } from "csv-stringify/sync";
import type { JsonValue, TableSpec } from "../spec/types.js";
import type { AggregatedTable, MetricStats, TableCell } from "./aggregate.js";
import { axisLabel } from "./axis-label.js";
import { type BaselineTable, baselineLegend, baselineText, compareToBaseline } from "./baseline.js";
import type { ReferenceCheck } from "./references.js";

// The paper-style table in Markdown, LaTeX (booktabs) and CSV. Output is a
// pure function of the aggregated results, so a regenerated table diffs
// cleanly in git.

export type TableFormat = "md" | "csv" | "latex" | "json";

function valueText(v: JsonValue): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return JSON.stringify(v);
}

interface Shown {
  text: string;
  mean: number | null;
}

function spread(stats: MetricStats, table: TableSpec): number | null {
  return (table.aggregate ?? "mean_std") === "ci95" ? stats.ci95 : stats.std;
}

function cellText(cell: TableCell, metric: string, table: TableSpec, plusMinus: string): Shown {
  const stats = cell.stats[metric]!;
  const scale = table.scale ?? 100;
  const p = table.precision ?? 1;
  if (stats.mean === null) return { text: cell.failed > 0 ? "failed" : "—", mean: null };
  const s = spread(stats, table);
  let text = (stats.mean * scale).toFixed(p);
  if (s !== null) text += `${plusMinus}${(s * scale).toFixed(p)}`;
  text += stats.n < cell.expected ? ` (${stats.n}/${cell.expected})` : ` (${stats.n})`;
  if (cell.failed > 0) text += "†";
  return { text, mean: Number((stats.mean * scale).toFixed(p)) };
}

/** Which rows hold the best (rounded) mean of each column × metric. */
function bestRows(agg: AggregatedTable, table: TableSpec): Set<string> {
  const best = new Set<string>();
  const mode = table.best ?? "max";
  if (mode === "none") return best;
  agg.columns.forEach((_, c) => {
    for (const m of agg.metrics) {
      const shown = agg.cells.map((row) => cellText(row[c]!, m, table, "").mean);
      const finite = shown.filter((x): x is number => x !== null);
      if (finite.length < 2) continue;
      const target = mode === "max" ? Math.max(...finite) : Math.min(...finite);
      shown.forEach((x, r) => {
        if (x === target) best.add(`${r}/${c}/${m}`);
      });
    }
  });
  return best;
}

function headers(agg: AggregatedTable): string[] {
  const multi = agg.metrics.length > 1;
  const out: string[] = [];
  // Without column paths there is one column per metric, named after it.
  const noColumns = agg.columnPaths.length === 0;
  for (const col of agg.columns) {
    for (const m of agg.metrics) out.push(noColumns ? m : multi ? `${axisLabel(col)} ${m}` : axisLabel(col));
  }
  return out;
}

function legend(agg: AggregatedTable, table: TableSpec): string {
  const what = (table.aggregate ?? "mean_std") === "ci95" ? "mean ± 95 % t-interval" : "mean ± std";
  const scale = table.scale ?? 100;
  const metric = agg.metrics.length === 1 ? `${agg.metrics[0]}${scale === 100 ? " (%)" : ""}, ` : "";
  const best = table.best === "none" ? "" : `; bold: best per column (${table.best ?? "max"})`;
  const columns = agg.columnPaths.length > 0 ? ` Columns: ${agg.columnPaths.join(", ")}.` : "";
  return `${metric}${what} (n runs; n/m when only n of m planned runs finished); † some runs failed${best}.${columns}`;
}

/** The cell's Δ to its baseline, when the table has one ("" otherwise). */
function vsBaseline(
  cmp: BaselineTable | null,
  r: number,
  c: number,
  m: string,
  table: TableSpec,
  mark: { better: string; worse: string },
): string {
  const t = cmp ? baselineText(cmp[r]![c]![m]!, table, mark) : "";
  return t ? `, ${t}` : "";
}

export function renderMarkdown(
  agg: AggregatedTable,
  table: TableSpec,
  refs: readonly ReferenceCheck[] = [],
): string {
  const best = bestRows(agg, table);
  const cmp = compareToBaseline(agg, table);
  const head = [agg.rowPaths.join(" · "), ...headers(agg)];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  agg.rows.forEach((row, r) => {
    const cells: string[] = [axisLabel(row)];
    agg.columns.forEach((_, c) => {
      for (const m of agg.metrics) {
        const t = cellText(agg.cells[r]![c]!, m, table, " ± ").text;
        const d = vsBaseline(cmp, r, c, m, table, { better: " ▲", worse: " ▼" });
        cells.push(`${best.has(`${r}/${c}/${m}`) ? `**${t}**` : t}${d}`);
      }
    });
    lines.push(`| ${cells.join(" | ")} |`);
  });
  lines.push("", legend(agg, table));
  if (cmp) lines.push("", baselineLegend(table));
  if (refs.length > 0) lines.push("", renderReferencesMarkdown(agg, table, refs));
  return `${lines.join("\n")}\n`;
}

const STATUS_TEXT: Record<ReferenceCheck["status"], string> = {
  "within-noise": "✓ within noise",
  differs: "✗ differs",
  undetermined: "? too few runs",
  "no-runs": "– no finished runs",
  "no-cell": "– no such cell",
};

export function renderReferencesMarkdown(
  agg: AggregatedTable,
  table: TableSpec,
  refs: readonly ReferenceCheck[],
): string {
  const p = table.precision ?? 1;
  const lines = [
    "Paper references:",
    "",
    "| cell | metric | ours | paper | Δ | agreement | source | verified |",
    "|---|---|---:|---:|---:|---|---|---|",
  ];
  for (const ref of refs) {
    const cell =
      ref.row !== null && ref.column !== null
        ? `${axisLabel(agg.rows[ref.row]!)} / ${axisLabel(agg.columns[ref.column]!)}`
        : axisLabel(ref.reference.cell);
    const ours = ref.ours
      ? `${ref.ours.mean.toFixed(p)}${ref.ours.std === null ? "" : ` ± ${ref.ours.std.toFixed(p)}`}`
      : "—";
    const delta = ref.delta === null ? "—" : `${ref.delta >= 0 ? "+" : ""}${ref.delta.toFixed(p)}`;
    const bound = ref.bound === null ? "" : ` (bound ${ref.bound.toFixed(p)})`;
    const note = ref.reference.note ? ` ${ref.reference.note}` : "";
    lines.push(
      `| ${cell} | ${ref.reference.metric} | ${ours} | ${ref.reference.value.toFixed(p)} | ${delta} | ${STATUS_TEXT[ref.status]}${ref.status === "within-noise" || ref.status === "differs" ? bound : ""} | ${ref.reference.source}${note} | ${ref.reference.verified ? "yes" : "no"} |`,
    );
  }
  return lines.join("\n");
}

function latexEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (ch) =>
    ch === "\\" ? "\\textbackslash{}" : ch === "~" || ch === "^" ? `\\${ch}{}` : `\\${ch}`,
  );
}

export function renderLatex(agg: AggregatedTable, table: TableSpec): string {
  const best = bestRows(agg, table);
  const cmp = compareToBaseline(agg, table);
  const head = [agg.rowPaths.join(" / "), ...headers(agg)].map(latexEscape);
  const lines = [
    `\\begin{tabular}{l${"c".repeat(head.length - 1)}}`,
    "\\toprule",
    `${head.join(" & ")} \\\\`,
    "\\midrule",
  ];
  agg.rows.forEach((row, r) => {
    const cells = [latexEscape(axisLabel(row))];
    agg.columns.forEach((_, c) => {
      for (const m of agg.metrics) {
        const t = cellText(agg.cells[r]![c]!, m, table, " $\\pm$ ").text.replace("†", "$^\\dagger$");
        const d = vsBaseline(cmp, r, c, m, table, {
          better: " $\\blacktriangle$",
          worse: " $\\blacktriangledown$",
        })
          .replace("Δ", "$\\Delta$")
          .replace("−", "$-$")
          .replace("< 0.001", "$<$ 0.001");
        cells.push(`${best.has(`${r}/${c}/${m}`) ? `\\textbf{${t}}` : t}${d}`);
      }
    });
    lines.push(`${cells.join(" & ")} \\\\`);
  });
  lines.push("\\bottomrule", "\\end{tabular}", `% ${legend(agg, table)}`);
  if (cmp)
    lines.push(
      `% ${baselineLegend(table).replace(/▲ \/ ▼/, "\\blacktriangle / \\blacktriangledown (amssymb)")}`,
    );
  return `${lines.join("\n")}\n`;
}

/** Long format: one line per cell × metric, numbers unscaled and unrounded. */
export function renderCsv(agg: AggregatedTable, table?: TableSpec): string {
  const cmp = table ? compareToBaseline(agg, table) : null;
  const header = [
    ...agg.rowPaths,
    ...agg.columnPaths,
    "metric",
    "mean",
    "std",
    "ci95",
    "n",
    "expected",
    "failed",
  ];
  if (cmp) header.push("delta", "p", "baseline_n", "vs_baseline");
  const records: (string | number)[][] = [];
  agg.rows.forEach((row, r) => {
    agg.columns.forEach((col, c) => {
      const cell = agg.cells[r]![c]!;
      for (const m of agg.metrics) {
        const s = cell.stats[m]!;
        const record: (string | number)[] = [
          ...Object.values(row).map(valueText),
          ...Object.values(col).map(valueText),
          m,
          s.mean ?? "",
          s.std ?? "",
          s.ci95 ?? "",
          s.n,
          cell.expected,
          cell.failed,
        ];
        if (cmp) {
          const b = cmp[r]![c]![m]!;
          record.push(b.delta ?? "", b.p ?? "", b.baselineN, b.status);
        }
        records.push(record);
      }
    });
  });
  return stringify(records, { header: true, columns: header });
}
