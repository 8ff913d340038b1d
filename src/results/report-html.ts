import type { JsonValue } from "../spec/types.js";
import { formatSeconds } from "../sweep/plan-format.js";
import { metricList } from "./aggregate.js";
import { axisLabel } from "./axis-label.js";
import { baselineLegend, baselineText } from "./baseline.js";
import { deltaText, pText, STATUS_TITLE, sideText } from "./diff-format.js";
import type { DiffReport } from "./diff-report.js";
import type { ReportRun } from "./report-runs.js";
import type { Summary } from "./summary.js";

const metricsOf = (s: Summary) => metricList(s.table);

// The report page: one self-contained HTML file (inline CSS, inline SVG, no
// script, nothing fetched at view time) with the paper-style table, the
// reference comparison, the plots and, when asked, the diff of two revisions.

export interface RenderedChart {
  name: string;
  title: string;
  svg: string;
}

export interface ExperimentSection {
  summary: Summary;
  charts: RenderedChart[];
  /** Every run with status, duration and its folder (report-runs.ts). */
  runs?: ReportRun[];
}

/** Turns an absolute path into a link relative to the report's folder. */
export type Href = (path: string) => string;

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f4f4f4}.best{font-weight:bold}
.note{color:#666;font-size:.9em}.plots{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0}
figcaption{font-weight:600;margin-bottom:.3rem}details.runs summary{cursor:pointer;font-weight:600;margin:1rem 0 .3rem}details.runs td:nth-child(-n+3){text-align:left}.status-failed{color:#b00020}.worse{color:#b00020;font-weight:bold}.better{color:#0a7a2f;font-weight:bold}.delta{font-size:.85em;font-weight:normal}`;

/** The paper-style table with every metric of the spec's table: a column group per column value. */
function paperTable(s: Summary): string {
  const metrics = metricsOf(s);
  const scale = s.table.scale ?? 100;
  const p = s.table.precision ?? 1;
  const rows: string[] = [];
  const cols: string[] = [];
  for (const c of s.cells) {
    if (!rows.includes(axisLabel(c.row))) rows.push(axisLabel(c.row));
    if (!cols.includes(axisLabel(c.column))) cols.push(axisLabel(c.column));
  }
  const at = new Map(s.cells.map((c) => [`${axisLabel(c.row)}\u0000${axisLabel(c.column)}`, c]));
  const spread = (s.table.aggregate ?? "mean_std") === "ci95" ? "ci95" : "std";
  const best = new Map<string, number>();
  for (const col of cols) {
    for (const metric of metrics) {
      const means = rows
        .map((r) => at.get(`${r}\u0000${col}`)?.stats[metric]?.mean)
        .filter((m): m is number => typeof m === "number");
      if (means.length > 1)
        best.set(`${col}\u0000${metric}`, (s.table.best === "min" ? Math.min : Math.max)(...means));
    }
  }
  const cell = (r: string, col: string, metric: string): string => {
    const c = at.get(`${r}\u0000${col}`);
    const st = c?.stats[metric];
    if (!c || !st || st.mean === null) return `<td>${c && c.failed > 0 ? "failed" : "—"}</td>`;
    const sp = st[spread];
    let t = (st.mean * scale).toFixed(p);
    if (sp !== null) t += ` ± ${(sp * scale).toFixed(p)}`;
    t += st.n < c.expected ? ` (${st.n}/${c.expected})` : ` (${st.n})`;
    const isBest = best.get(`${col}\u0000${metric}`) === st.mean && s.table.best !== "none";
    const vs = c.vsBaseline?.[metric];
    const delta = vs ? baselineText(vs, s.table, { better: " ▲", worse: " ▼" }) : "";
    const mark = vs?.status === "beyond-noise" ? (delta.endsWith("▲") ? "better" : "worse") : "";
    const deltaHtml = delta ? `<br><span class="delta${mark ? ` ${mark}` : ""}">${esc(delta)}</span>` : "";
    return `<td${isBest ? ' class="best"' : ""}>${esc(t)}${c.failed > 0 ? "†" : ""}${deltaHtml}</td>`;
  };
  const body = rows.map(
    (r) =>
      `<tr><th>${esc(r)}</th>${cols.flatMap((col) => metrics.map((m) => cell(r, col, m))).join("")}</tr>`,
  );
  const multi = metrics.length > 1;
  const head = multi
    ? `<tr><th rowspan="2">${esc(s.table.rows.join(" · "))}</th>${cols.map((c) => `<th colspan="${metrics.length}">${esc(c)}</th>`).join("")}</tr>` +
      `<tr>${cols.flatMap(() => metrics.map((m) => `<th>${esc(m)}</th>`)).join("")}</tr>`
    : `<tr><th>${esc(s.table.rows.join(" · "))}</th>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
  return `<table class="paper"><thead>${head}</thead><tbody>${body.join("")}</tbody></table>
<p class="note">${esc(metrics.join(", "))} (×${scale}), mean ± ${spread === "ci95" ? "95 % CI" : "sample std"} (n runs); bold: best per column; † some runs failed. Columns: ${esc(s.table.columns.join(", "))}.</p>${s.table.baseline ? `<p class="note">${esc(baselineLegend(s.table))}</p>` : ""}`;
}

function referencesTable(s: Summary): string {
  if (s.references.length === 0) return "";
  const rows = s.references.map((r) => {
    const ref = r.reference as unknown as {
      paper?: string;
      table?: string;
      metric: string;
      value: number;
      cell: Record<string, JsonValue>;
    };
    return `<tr><td>${esc(ref.paper ?? "")}${ref.table ? ` (${esc(ref.table)})` : ""}</td><td>${esc(axisLabel(ref.cell))}</td><td>${esc(ref.metric)}</td><td>${ref.value}</td><td>${r.ours ? `${r.ours.mean.toFixed(1)}${r.ours.std !== null ? ` ± ${r.ours.std.toFixed(1)}` : ""} (${r.ours.n})` : "—"}</td><td>${r.delta === null ? "—" : deltaText(r.delta, 1)}</td><td>${esc(r.status)}</td></tr>`;
  });
  return `<h3>Against the papers</h3><table><thead><tr><th>reference</th><th>cell</th><th>metric</th><th>paper</th><th>ours</th><th>Δ</th><th>status</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function figures(charts: RenderedChart[]): string {
  if (charts.length === 0) return "";
  return `<div class="plots">${charts
    .map(
      (c) => `<figure data-chart="${esc(c.name)}"><figcaption>${esc(c.title)}</figcaption>${c.svg}</figure>`,
    )
    .join("")}</div>`;
}

function diffSection(d: DiffReport, charts: RenderedChart[]): string {
  const parts = [`<h2>Diff ${esc(d.a.label)} → ${esc(d.b.label)}</h2>`];
  if (d.code) {
    parts.push(
      `<p>Code drift: ${d.code.commits.length} commit(s)${d.code.worktree ? " + uncommitted changes" : ""}; ${d.code.files.length} file(s) changed outside the results${d.code.files.length ? `: ${esc(d.code.files.slice(0, 15).join(", "))}` : ""}.</p>`,
    );
  }
  for (const e of d.experiments) {
    parts.push(`<h3>${esc(e.experiment)}</h3>`);
    const env = e.environment.map(
      (x) => `${esc(x.key)}: ${esc(x.a.join(", ") || "—")} → ${esc(x.b.join(", ") || "—")}`,
    );
    parts.push(
      `<p class="note">Environment drift: ${env.length ? env.join("; ") : "none recorded"}. p: two-sided Welch t-test over seeds × folds; beyond noise: p &lt; ${e.alpha}.</p>`,
    );
    const rows = e.cells.map((c) => {
      const cls = c.worse ? "worse" : c.beyondNoise ? "better" : "";
      const changes = c.configChanges
        .map((k) => `${k.path}: ${JSON.stringify(k.a)} → ${JSON.stringify(k.b)}`)
        .join("; ");
      return `<tr><td>${esc(axisLabel({ ...c.row, ...c.column }))}</td><td title="${esc(STATUS_TITLE[c.status])}">${c.status}</td><td>${esc(sideText(c.a, e.precision))}</td><td>${esc(sideText(c.b, e.precision))}</td><td class="${cls}">${deltaText(c.delta, e.precision)}</td><td>${pText(c.p)}</td><td>${esc(changes)}</td></tr>`;
    });
    parts.push(
      `<table><thead><tr><th>cell</th><th>status</th><th>A</th><th>B</th><th>Δ</th><th>p (Welch)</th><th>config changes</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
    );
    parts.push(figures(charts.filter((c) => c.name === `${e.experiment}-diff`)));
  }
  for (const x of d.onlyA) parts.push(`<p>Experiment ${esc(x)}: only at A.</p>`);
  for (const x of d.onlyB) parts.push(`<p>Experiment ${esc(x)}: only at B.</p>`);
  return parts.join("\n");
}

const seconds = (x: number | null) => (x === null ? "—" : formatSeconds(x));

/** Every run: status, metrics (table scale), time, links to its folder and log. */
function runsTable(s: Summary, runs: ReportRun[], href: Href): string {
  if (runs.length === 0) return "";
  const metrics = metricsOf(s);
  const scale = s.table.scale ?? 100;
  const p = s.table.precision ?? 1;
  const rows = runs.map((r) => {
    const key = r.dir
      ? `<a href="${esc(href(r.dir))}">${esc(r.key.slice(0, 12))}</a>`
      : esc(r.key.slice(0, 12));
    const log = r.log ? `<a href="${esc(href(r.log))}">log</a>` : "—";
    const ms = metrics.map((m) => {
      const v = r.metrics[m];
      return `<td>${typeof v === "number" ? (v * scale).toFixed(p) : "—"}</td>`;
    });
    return `<tr data-status="${esc(r.status)}"><td>${key}</td><td>${esc(r.name)}</td><td class="status-${esc(r.status)}">${esc(r.status)}</td>${ms.join("")}<td>${seconds(r.seconds)}</td><td>${log}</td></tr>`;
  });
  const done = runs.filter((r) => r.status === "done").length;
  return `<details class="runs"${runs.length <= 24 ? " open" : ""}><summary>Runs: ${done} of ${runs.length} done</summary><table><thead><tr><th>key</th><th>run</th><th>status</th>${metrics.map((m) => `<th>${esc(m)}</th>`).join("")}<th>time</th><th>log</th></tr></thead><tbody>${rows.join("")}</tbody></table>${runs.some((r) => r.dir) ? "" : '<p class="note">The run folders are not on this machine (a committed summary holds no run folders or durations).</p>'}</details>`;
}

export function renderReportHtml(
  sections: ExperimentSection[],
  diff?: { report: DiffReport; charts: RenderedChart[] },
  href: Href = (path) => path,
): string {
  const title = `labelsweep report: ${sections.map((s) => s.summary.experiment).join(", ")}`;
  const body = sections.map(({ summary, charts, runs }) => {
    const env = Object.entries(summary.environment)
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => `${esc(k)}: ${esc(v.join(", "))}`);
    return `<section data-experiment="${esc(summary.experiment)}"><h2>${esc(summary.experiment)}</h2>${paperTable(summary)}${referencesTable(summary)}${figures(charts)}${runsTable(summary, runs ?? [], href)}<p class="note">Environment — ${env.join("; ") || "not recorded"}</p></section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
${body.join("\n")}
${diff ? diffSection(diff.report, diff.charts) : ""}
<p class="note">Made by labelsweep. Plots: Vega-Lite, rendered to SVG when the report was written.</p>
</body></html>
`;
}
