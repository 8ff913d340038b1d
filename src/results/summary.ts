import { join } from "node:path";
import type { RunConfig } from "../spec/types.js";
import type { Metrics, MetricsFile } from "../sweep/run-record.js";
import { effectiveStatus, RUN_FILES, readJsonChecked, readJsonFile, runDir } from "../sweep/run-store.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic-write.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { type AggregatedTable, aggregate, metricList, type RunOutcome } from "./aggregate.js";
import { compareToBaseline } from "./baseline.js";
import { checkReferences, type ReferenceCheck } from "./references.js";
import { renderCsv, renderLatex, renderMarkdown } from "./render-table.js";
import { meanLossCurve, meanPerCategory, type RunExtras, readRunExtras } from "./run-extras.js";
import { type GuardVerdict, guardSummary } from "./summary-guard.js";
import { SUMMARY_VERSION, type Summary, type SummaryInput } from "./summary-types.js";

// results/<experiment>/summary.json, table.md, table.csv (and table.tex): small,
// deterministic files meant to be committed, so `labelsweep diff` can compare
// them across git revisions. No timestamps, no absolute paths; runs in plan order.

export {
  SUMMARY_VERSION,
  type Summary,
  type SummaryCode,
  type SummaryInput,
  type SummaryRun,
} from "./summary-types.js";

function cellConfigHash(configs: RunConfig[], store: Record<string, RunConfig>): string | null {
  if (configs.length === 0) return null;
  const stripped = configs.map((c) => {
    const { seed: _seed, ...rest } = c;
    const { fold: _fold, ...labels } = c.labels as { fold?: number };
    return { ...rest, labels } as unknown as RunConfig;
  });
  const text = canonicalJson(stripped[0]);
  const hash = sha256Hex(text).slice(0, 16);
  store[hash] = stripped[0]!;
  return hash;
}

/**
 * Reads every run's state and metrics from the store. A finished run whose
 * metrics.json cannot be read, or lacks a metric the table shows, counts as
 * failed (†) with the reason in `problem` — never silently as a missing run.
 */
export function collectOutcomes(input: SummaryInput): RunOutcome[] {
  const needs = metricList(input.table);
  return input.runs.map(({ key, config }) => {
    const dir = runDir(input.resultsDir, input.experiment, key);
    const status = effectiveStatus(dir);
    if (status !== "done") return { key, config, status };
    const file = join(dir, RUN_FILES.metrics);
    const read = readJsonChecked<MetricsFile>(file);
    const metrics = read.kind === "ok" ? (read.value as Partial<MetricsFile> | null)?.metrics : undefined;
    let problem: string | undefined;
    if (read.kind === "missing") problem = `finished, but ${file} is missing`;
    else if (read.kind === "corrupt") problem = `finished, but ${file} ${read.error}`;
    else if (!metrics || typeof metrics !== "object" || Array.isArray(metrics))
      problem = `finished, but ${file} has no "metrics" object`;
    else {
      const missing = needs.filter((m) => !Object.hasOwn(metrics, m));
      if (missing.length > 0)
        problem = `finished without ${missing.join(", ")} (the table shows ${missing.length === 1 ? "it" : "them"}; metrics.json has ${Object.keys(metrics).join(", ") || "none"})`;
    }
    return problem
      ? { key, config, status: "failed", problem }
      : { key, config, status, metrics: metrics as Metrics };
  });
}

function environmentOf(input: SummaryInput): Record<string, string[]> {
  const seen: Record<string, Set<string>> = {
    backend: new Set(),
    node: new Set(),
    commit: new Set(),
    gpus: new Set(),
    cpus: new Set(),
    versions: new Set(),
  };
  for (const { key } of input.runs) {
    const rec = readJsonFile<{
      provenance?: {
        backend?: string;
        node?: string;
        gpus?: string;
        cpus?: string;
        versions?: Record<string, string>;
      };
      code?: { commit?: string | null; dirty?: boolean; dirtyHash?: string | null };
    }>(join(runDir(input.resultsDir, input.experiment, key), RUN_FILES.run));
    if (!rec) continue;
    if (rec.provenance?.backend) seen.backend!.add(rec.provenance.backend);
    if (rec.provenance?.node) seen.node!.add(rec.provenance.node);
    if (rec.provenance?.gpus) seen.gpus!.add(rec.provenance.gpus);
    if (rec.provenance?.cpus) seen.cpus!.add(rec.provenance.cpus);
    for (const [name, v] of Object.entries(rec.provenance?.versions ?? {}))
      seen.versions!.add(`${name}=${v}`);
    const dirty = rec.code?.dirty === true || Boolean(rec.code?.dirtyHash);
    if (rec.code?.commit) seen.commit!.add(dirty ? `${rec.code.commit}+dirty` : rec.code.commit);
  }
  return Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v].sort()]));
}

export function buildSummary(
  input: SummaryInput,
  outcomes: RunOutcome[],
  extrasOf: (key: string) => RunExtras = (key) => readRunExtras(input.resultsDir, input.experiment, key),
): { summary: Summary; agg: AggregatedTable; refs: ReferenceCheck[] } {
  const agg = aggregate(input.table, outcomes);
  const refs = checkReferences(input.table, agg, input.references ?? []);
  const configs: Record<string, RunConfig> = {};
  const byKey = new Map(outcomes.map((o) => [o.key, o.config]));
  const codeOf = new Map(input.runs.map((r) => [r.key, r.code]));
  const cells: Summary["cells"] = [];
  const baseline = compareToBaseline(agg, input.table);
  agg.cells.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (cell.expected === 0) return;
      const stats: Summary["cells"][number]["stats"] = {};
      for (const [m, s] of Object.entries(cell.stats))
        stats[m] = { mean: s.mean, std: s.std, ci95: s.ci95, n: s.n };
      const extras = cell.runs.map((r) => extrasOf(r.key));
      const done = extras.filter((_, i) => cell.runs[i]!.status === "done");
      const out: Summary["cells"][number] = {
        row: cell.row,
        column: cell.column,
        config: cellConfigHash(
          cell.runs.map((r) => byKey.get(r.key)!),
          configs,
        ),
        expected: cell.expected,
        failed: cell.failed,
        runs: cell.runs.map((r, i) => {
          const code = codeOf.get(r.key);
          return { ...r, split: extras[i]!.split, ...(code ? { code } : {}) };
        }),
        stats,
      };
      const perCategory = meanPerCategory(done);
      if (perCategory) out.perCategory = perCategory;
      const loss = meanLossCurve(done);
      if (loss) out.loss = loss;
      if (baseline) out.vsBaseline = baseline[r]![c]!;
      cells.push(out);
    });
  });
  const summary: Summary = {
    experiment: input.experiment,
    summaryVersion: SUMMARY_VERSION as 3,
    ...(input.keyVersion === undefined ? {} : { keyVersion: input.keyVersion }),
    table: input.table,
    configs,
    cells,
    references: refs.map(({ row: _r, column: _c, ...rest }) => rest),
    environment: environmentOf(input),
    ...(input.code ? { code: input.code } : {}),
  };
  return { summary, agg, refs };
}

export interface SummaryWrite {
  /** The new table (Markdown), written or not. */
  md: string;
  /** Set when the summary on disk had more finished runs and was kept (guardMessage explains). */
  kept: GuardVerdict | null;
  /** Where the summary lives: results/<experiment>/summary.json. */
  file: string;
  summary: Summary;
  agg: AggregatedTable;
  /** One line per finished run counted as failed because its metrics cannot be used. */
  problems: string[];
}

/** The summary on disk, or null when there is none (or it cannot be read as one). */
export function readSummaryFile(file: string): Summary | null {
  const data = readJsonFile<Summary>(file);
  return data && typeof data === "object" && Array.isArray(data.cells) ? data : null;
}

/**
 * Writes summary.json and the table files the spec asks for — unless the
 * summary on disk has more finished runs and `force` is not set: then nothing
 * is written and `kept` says why (summary-guard.ts).
 */
export async function writeSummary(
  input: SummaryInput,
  options: { force?: boolean } = {},
): Promise<SummaryWrite> {
  const outcomes = collectOutcomes(input);
  const { summary, agg, refs } = buildSummary(input, outcomes);
  const problems = outcomeProblems(outcomes);
  const dir = join(input.resultsDir, input.experiment);
  const file = join(dir, "summary.json");
  const formats = input.table.formats ?? ["md", "csv"];
  const md = renderMarkdown(agg, input.table, refs);
  const previous = options.force ? null : readSummaryFile(file);
  if (previous) {
    const verdict = guardSummary(previous, summary, input);
    if (verdict.after < verdict.before) return { md, kept: verdict, file, summary, agg, problems };
  }
  await writeJsonAtomic(file, summary);
  if (formats.includes("md")) await writeFileAtomic(join(dir, "table.md"), md);
  if (formats.includes("csv")) await writeFileAtomic(join(dir, "table.csv"), renderCsv(agg, input.table));
  if (formats.includes("latex")) await writeFileAtomic(join(dir, "table.tex"), renderLatex(agg, input.table));
  return { md, kept: null, file, summary, agg, problems };
}

/** "run 0123456789ab: finished, but …/metrics.json is not valid JSON (…)" for each such run. */
export function outcomeProblems(outcomes: readonly RunOutcome[]): string[] {
  return outcomes.filter((o) => o.problem).map((o) => `run ${o.key.slice(0, 12)}: ${o.problem}`);
}
