import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { dataSplits } from "../data/index.js";
import { resolveSweep } from "../sweep/resolve.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { EXIT, UserError } from "../util/errors.js";
import { activeChart } from "./active-curve.js";
import { buildDiff, type DiffRequest } from "./diff-report.js";
import { summariesInDir } from "./diff-sources.js";
import {
  baselineChart,
  budgetChart,
  type Chart,
  diffChart,
  lossChart,
  perClassChart,
  renderSvg,
} from "./report-charts.js";
import { type ExperimentSection, type RenderedChart, renderReportHtml } from "./report-html.js";
import { reportRuns } from "./report-runs.js";
import { buildSummary, collectOutcomes, type Summary } from "./summary.js";
import { summaryInputOf } from "./summary-input.js";

// `labelsweep report`: summaries (from a results directory, or built from a
// spec's runs) → Vega-Lite plots rendered to SVG → one self-contained HTML
// file (by default results/<experiment>/report.html), plus SVG and PNG exports
// of each plot for papers. A report with no finished run is refused: an empty
// page answers nothing.

export interface ReportOptions {
  /** A spec file (YAML) or a results directory (results/ or results/<experiment>/). */
  input: string;
  /** Default: results/<experiment>/report.html (results/report.html for several experiments). */
  out?: string;
  plotsDir?: string;
  /** Two git revisions to diff (the report's diff view). */
  diff?: [string, string];
  resultsDir?: string;
  cwd?: string;
  /** Overrides for a spec input (--set / --sweep). */
  set?: string[];
  sweep?: string[];
}

export interface ReportResult {
  html: string;
  out: string;
  charts: RenderedChart[];
  files: string[];
  /** Experiments left out because none of their runs has finished. */
  empty: string[];
}

interface Loaded {
  summary: Summary;
  /** results/<experiment>/ of this summary, where its run folders would be. */
  experimentDir: string;
}

async function loadSummaries(options: ReportOptions): Promise<{ loaded: Loaded[]; defaultOut: string }> {
  const input = options.input;
  if (!existsSync(input)) throw new UserError(`${input}: no such spec file or results directory`);
  if (statSync(input).isDirectory()) {
    const set = summariesInDir(input);
    if (set.summaries.size === 0)
      throw new UserError(
        `${input}: no summary.json here or in its subdirectories (run \`labelsweep table <spec>\` first)`,
      );
    const own = existsSync(join(input, "summary.json"));
    const loaded = [...set.summaries.values()].map((summary) => ({
      summary,
      experimentDir: own ? resolve(input) : resolve(input, summary.experiment),
    }));
    return { loaded, defaultOut: join(input, "report.html") };
  }
  const r = await resolveSweep(input, {
    set: options.set ?? [],
    sweep: options.sweep ?? [],
    ...(options.resultsDir === undefined ? {} : { resultsDir: options.resultsDir }),
    splits: dataSplits(dirname(resolve(input))),
  });
  const summaryInput = summaryInputOf(r);
  const experimentDir = join(r.resultsDir, r.plan.experiment);
  return {
    loaded: [{ summary: buildSummary(summaryInput, collectOutcomes(summaryInput)).summary, experimentDir }],
    defaultOut: join(experimentDir, "report.html"),
  };
}

/** Whether any run of the summary finished with a metric. */
function hasFinished(s: Summary): boolean {
  return s.cells.some((c) => c.runs.some((r) => r.status === "done"));
}

async function render(charts: (Chart | null)[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const c of charts) if (c) out.push({ name: c.name, title: c.title, svg: await renderSvg(c) });
  return out;
}

export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const { loaded, defaultOut } = await loadSummaries(options);
  const ready = loaded.filter((l) => hasFinished(l.summary));
  const empty = loaded.filter((l) => !hasFinished(l.summary)).map((l) => l.summary.experiment);
  if (ready.length === 0) {
    throw new UserError(
      `no finished runs in ${empty.join(", ")}: nothing to report, no report written ` +
        `(run \`labelsweep run <spec>\` first; \`labelsweep status <spec>\` shows where the runs stand)`,
      EXIT.failure,
    );
  }
  const out = options.out ?? defaultOut;
  const sections: ExperimentSection[] = [];
  for (const { summary: s, experimentDir } of ready) {
    sections.push({
      summary: s,
      // Active learning: metric vs labelled images with the annotation cost (active-curve.ts) instead of vs budget.
      charts: await render([
        activeChart(s) ?? budgetChart(s),
        baselineChart(s),
        perClassChart(s),
        lossChart(s),
      ]),
      runs: reportRuns(s, experimentDir),
    });
  }
  let diff: Parameters<typeof renderReportHtml>[1];
  if (options.diff) {
    const request: DiffRequest = {
      revs: options.diff,
      experiments: ready.map((l) => l.summary.experiment),
      ...(options.resultsDir ? { resultsDir: options.resultsDir } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    };
    const report = await buildDiff(request);
    diff = { report, charts: await render(report.experiments.map(diffChart)) };
  }
  const base = dirname(resolve(out));
  const html = renderReportHtml(sections, diff, (path) => relative(base, path).split("\\").join("/"));
  const files: string[] = [];
  const charts = [...sections.flatMap((s) => s.charts), ...(diff?.charts ?? [])];
  // Plots first: a failed export leaves no report claiming plots that are not there.
  if (options.plotsDir) {
    const { default: sharp } = await import("sharp");
    for (const c of charts) {
      const svgFile = join(options.plotsDir, `${c.name}.svg`);
      const pngFile = join(options.plotsDir, `${c.name}.png`);
      await writeFileAtomic(svgFile, c.svg);
      // 2× density for print; sharp rasterises SVG with librsvg.
      await writeFileAtomic(pngFile, await sharp(Buffer.from(c.svg), { density: 144 }).png().toBuffer());
      files.push(svgFile, pngFile);
    }
  }
  await writeFileAtomic(out, html);
  files.push(out);
  return { html, out, charts, files, empty };
}
