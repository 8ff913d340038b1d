import type { JsonValue } from "../spec/types.js";
import { axisValue } from "./axis-label.js";
import type { CellDiff, CellSide, CellStatus, ExperimentDiff } from "./diff.js";
import type { DiffReport } from "./diff-report.js";

// `labelsweep diff` output: aligned text for a terminal, Markdown for a PR
// comment. Cells are grouped by why they may differ, config drift first.

const STATUS_ORDER: CellStatus[] = ["config-drift", "split-drift", "re-run", "same-runs", "only-a", "only-b"];

export const STATUS_TITLE: Record<CellStatus, string> = {
  "config-drift": "config drift (resolved config changed)",
  "split-drift": "split drift (label split changed, same config)",
  "re-run": "re-run (same config and split, new run keys: code or environment changed)",
  "same-runs": "unchanged (same run keys)",
  "only-a": "only at A",
  "only-b": "only at B",
};

const valueText = (v: JsonValue | undefined): string => (v === undefined ? "(absent)" : axisValue(v));

export function cellLabel(c: { row: Record<string, JsonValue>; column: Record<string, JsonValue> }): string {
  return [...Object.values(c.row), ...Object.values(c.column)].map((v) => valueText(v)).join(" · ");
}

export function sideText(s: CellSide | undefined, precision: number): string {
  if (!s) return "—";
  if (s.mean === null) return s.failed > 0 ? "failed" : `— (0/${s.expected})`;
  let t = s.mean.toFixed(precision);
  if (s.std !== null) t += ` ± ${s.std.toFixed(precision)}`;
  t += s.n < s.expected ? ` (${s.n}/${s.expected})` : ` (${s.n})`;
  return t;
}

export function deltaText(d: number | null, precision: number): string {
  if (d === null) return "—";
  const t = d.toFixed(precision);
  return d > 0 ? `+${t}` : Number(t) === 0 ? t.replace(/^-/, "") : t;
}

export function pText(p: number | null): string {
  if (p === null) return "n<2";
  if (p < 1e-4) return "<0.0001";
  return p.toPrecision(2);
}

function noiseText(c: CellDiff): string {
  if (c.p === null) return c.a && c.b ? "undetermined" : "";
  if (!c.beyondNoise) return "within noise";
  return c.worse ? "WORSE" : "better";
}

function rowsOf(d: ExperimentDiff): string[][] {
  const out: string[][] = [];
  for (const status of STATUS_ORDER) {
    for (const c of d.cells.filter((x) => x.status === status)) {
      out.push([
        cellLabel(c),
        status,
        sideText(c.a, d.precision),
        sideText(c.b, d.precision),
        deltaText(c.delta, d.precision),
        pText(c.p),
        noiseText(c),
        c.configChanges.map((k) => `${k.path}: ${valueText(k.a)} → ${valueText(k.b)}`).join("; "),
      ]);
    }
  }
  return out;
}

const HEAD = ["cell", "status", "A", "B", "Δ", "p (Welch)", "", "config changes"];

function legend(r: DiffReport, d: ExperimentDiff): string {
  return (
    `${d.metric} ×${d.scale}, mean ± sample std (n runs) over seeds × folds; ` +
    `p: two-sided Welch t-test of the runs at A vs B; beyond noise: p < ${d.alpha}; ` +
    `${d.better} is better. A = ${r.a.label}, B = ${r.b.label}.`
  );
}

function codeLines(r: DiffReport): string[] {
  const lines: string[] = [];
  if (r.code) {
    const n = r.code.commits.length;
    lines.push(
      `code drift: ${n} commit${n === 1 ? "" : "s"} from A to B${r.code.worktree ? " + uncommitted changes" : ""}; ` +
        `${r.code.files.length} file${r.code.files.length === 1 ? "" : "s"} changed outside the results`,
    );
    for (const c of r.code.commits.slice(0, 20)) lines.push(`  ${c.hash.slice(0, 12)} ${c.subject}`);
    if (n > 20) lines.push(`  … ${n - 20} more`);
    if (r.code.files.length > 0)
      lines.push(`  files: ${r.code.files.slice(0, 15).join(", ")}${r.code.files.length > 15 ? ", …" : ""}`);
  }
  for (const d of r.experiments) {
    const both = d.cells.filter((c) => c.a && c.b);
    const same = both.filter((c) => c.status === "same-runs").length;
    lines.push(`${d.experiment}: ${same} of ${both.length} cells kept their run keys`);
    if (d.runCommits.a.join() !== d.runCommits.b.join())
      lines.push(
        `  runs made at commits ${d.runCommits.a.join(", ") || "—"} → ${d.runCommits.b.join(", ") || "—"}`,
      );
    for (const e of d.environment)
      lines.push(`  environment drift: ${e.key}: ${e.a.join(", ") || "—"} → ${e.b.join(", ") || "—"}`);
    if (d.environment.length === 0)
      lines.push("  environment: no drift recorded (backend, versions, hardware)");
  }
  for (const e of r.onlyA) lines.push(`experiment ${e}: only at A`);
  for (const e of r.onlyB) lines.push(`experiment ${e}: only at B`);
  return lines;
}

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell + " ".repeat(widths[i]! - [...cell].length))
      .join("  ")
      .trimEnd(),
  );
}

export function formatDiffText(r: DiffReport): string {
  const out: string[] = [`diff ${r.a.label} → ${r.b.label}`, ...codeLines(r), ""];
  for (const d of r.experiments) {
    out.push(`experiment ${d.experiment}: ${legend(r, d)}`);
    const rows = rowsOf(d);
    if (rows.length > 0) out.push(...pad([HEAD, ...rows]).map((l) => `  ${l}`));
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

const mdCell = (s: string) => s.replace(/\|/g, "\\|");

export function formatDiffMarkdown(r: DiffReport): string {
  const out: string[] = [`### labelsweep diff ${r.a.label} → ${r.b.label}`, ""];
  for (const l of codeLines(r)) out.push(l.startsWith("  ") ? `  - ${l.trim()}` : `- ${l}`);
  out.push("");
  for (const d of r.experiments) {
    out.push(`#### ${d.experiment}`, "", legend(r, d), "");
    out.push(`| ${HEAD.map((h) => h || "noise").join(" | ")} |`, `|${HEAD.map(() => "---").join("|")}|`);
    for (const row of rowsOf(d)) out.push(`| ${row.map(mdCell).join(" | ")} |`);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
