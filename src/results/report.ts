import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import sharp from "sharp";
import { dataSplits } from "../data/index.js";
import { resolveSweep } from "../sweep/resolve.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { activeChart } from "./active-curve.js";
import { buildDiff, type DiffRequest } from "./diff-report.js";
import { summariesInDir } from "./diff-sources.js";
import { budgetChart, type Chart, diffChart, lossChart, perClassChart, renderSvg } from "./report-charts.js";
import { type ExperimentSection, type RenderedChart, renderReportHtml } from "./report-html.js";
import { buildSummary, collectOutcomes, type Summary } from "./summary.js";
import { summaryInputOf } from "./summary-input.js";

// `labelsweep report`: summaries (from a results directory, or built from a
// spec's runs) → Vega-Lite plots rendered to SVG → one self-contained HTML
// file, plus SVG and PNG exports of each plot for papers.

export interface ReportOptions {
  /** A spec file (YAML) or a results directory (results/ or results/<experiment>/). */
  input: string;
  out: string;
  plotsDir?: string;
  /** Two git revisions to diff (the report's diff view). */
  diff?: [string, string];
  resultsDir?: string;
  cwd?: string;
}

export interface ReportResult {
  html: string;
  charts: RenderedChart[];
  files: string[];
}

async function loadSummaries(input: string, resultsDir?: string): Promise<Summary[]> {
  if (!existsSync(input)) throw new UserError(`${input}: no such spec file or results directory`);
  if (statSync(input).isDirectory()) {
    const set = summariesInDir(input);
    if (set.summaries.size === 0)
      throw new UserError(`${input}: no summary.json here or in its subdirectories (run \`labelsweep table <spec>\` first)`);
    return [...set.summaries.values()];
  }
  const r = await resolveSweep(input, { resultsDir: resultsDir ?? "results", splits: dataSplits(dirname(resolve(input))) });
  const summaryInput = summaryInputOf(r);
  return [buildSummary(summaryInput, collectOutcomes(summaryInput)).summary];
}

async function render(charts: (Chart | null)[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const c of charts) if (c) out.push({ name: c.name, title: c.title, svg: await renderSvg(c) });
  return out;
}

export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const summaries = await loadSummaries(options.input, options.resultsDir);
  const sections: ExperimentSection[] = [];
  for (const s of summaries) {
    // Active learning: metric vs labelled images with the annotation cost (active-curve.ts) instead of vs budget.
    const budget = activeChart(s) ?? budgetChart(s);
    sections.push({ summary: s, charts: await render([budget, perClassChart(s), lossChart(s)]) });
  }
  let diff: Parameters<typeof renderReportHtml>[1];
  if (options.diff) {
    const request: DiffRequest = {
      revs: options.diff,
      experiments: summaries.map((s) => s.experiment),
      ...(options.resultsDir ? { resultsDir: options.resultsDir } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    };
    const report = await buildDiff(request);
    diff = { report, charts: await render(report.experiments.map(diffChart)) };
  }
  const html = renderReportHtml(sections, diff);
  const files: string[] = [];
  const charts = [...sections.flatMap((s) => s.charts), ...(diff?.charts ?? [])];
  // Plots first: a failed export leaves no report claiming plots that are not there.
  if (options.plotsDir) {
    for (const c of charts) {
      const svgFile = join(options.plotsDir, `${c.name}.svg`);
      const pngFile = join(options.plotsDir, `${c.name}.png`);
      await writeFileAtomic(svgFile, c.svg);
      // 2× density for print; sharp rasterises SVG with librsvg.
      await writeFileAtomic(pngFile, await sharp(Buffer.from(c.svg), { density: 144 }).png().toBuffer());
      files.push(svgFile, pngFile);
    }
  }
  await writeFileAtomic(options.out, html);
  files.push(options.out);
  return { html, charts, files };
}
