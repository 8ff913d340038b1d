import { join } from "node:path";
import type { MetricsFile } from "../sweep/run-record.js";
import type { JsonValue, ReferenceSpec, RunConfig, TableSpec } from "../spec/types.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic-write.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { type AggregatedTable, aggregate, type RunOutcome } from "./aggregate.js";
import { type BaselineComparison, compareToBaseline } from "./baseline.js";
import { checkReferences, type ReferenceCheck } from "./references.js";
import { renderCsv, renderLatex, renderMarkdown } from "./render-table.js";
import { type CategoryAp, meanLossCurve, meanPerCategory, type RunExtras, readRunExtras } from "./run-extras.js";
import { effectiveStatus, readJsonFile, RUN_FILES, runDir } from "../sweep/run-store.js";

// results/<experiment>/summary.json, table.md, table.csv (and table.tex): small,
// deterministic files meant to be committed, so `labelsweep diff` can compare
// them across git revisions. No timestamps, no absolute paths; runs in plan order.

export interface SummaryInput {
  resultsDir: string;
  experiment: string;
  table: TableSpec;
  references?: ReferenceSpec[];
  runs: { key: string; config: RunConfig }[];
}

export const SUMMARY_VERSION = 2;

export interface SummaryRun {
  key: string;
  seed: number;
  fold: number | null;
  status: AggregatedTable["cells"][number][number]["runs"][number]["status"];
  metrics: Record<string, number | null>;
  /** The label split's content hash (split drift in diffs). Since summaryVersion 2. */
  split?: string | null;
}

export interface Summary {
  experiment: string;
  /** 1: first format; 2: per-run split hashes, per-category AP, loss curves, more environment. */
  summaryVersion: 1 | 2;
  table: TableSpec;
  /** Resolved configs without seed and fold, by hash: what a cell's runs share (for config-drift diffs). */
  configs: Record<string, RunConfig>;
  cells: {
    row: Record<string, JsonValue>;
    column: Record<string, JsonValue>;
    config: string | null;
    expected: number;
    failed: number;
    runs: SummaryRun[];
    stats: Record<string, { mean: number | null; std: number | null; ci95: number | null; n: number }>;
    /** Mean AP per category over the cell's runs, when labelsweep's evaluator scored them. */
    perCategory?: (CategoryAp & { n: number })[];
    /** Mean training loss by iteration over the cell's runs (events.jsonl `progress`), thinned. */
    loss?: { iter: number; loss: number; n: number }[];
    /** Per metric: Δ to the table.baseline cell and Welch's t-test (when the table has a baseline). */
    vsBaseline?: Record<string, BaselineComparison>;
  }[];
  references: (Omit<ReferenceCheck, "row" | "column">)[];
  environment: Record<string, string[]>;
}

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

/** Reads every run's state and metrics from the store. */
export function collectOutcomes(input: SummaryInput): RunOutcome[] {
  return input.runs.map(({ key, config }) => {
    const dir = runDir(input.resultsDir, input.experiment, key);
    const status = effectiveStatus(dir);
    const metrics = status === "done" ? readJsonFile<MetricsFile>(join(dir, RUN_FILES.metrics))?.metrics : undefined;
    return { key, config, status, metrics };
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
      provenance?: { backend?: string; node?: string; gpus?: string; cpus?: string; versions?: Record<string, string> };
      code?: { commit?: string | null; dirtyHash?: string | null };
    }>(join(runDir(input.resultsDir, input.experiment, key), RUN_FILES.run));
    if (!rec) continue;
    if (rec.provenance?.backend) seen.backend!.add(rec.provenance.backend);
    if (rec.provenance?.node) seen.node!.add(rec.provenance.node);
    if (rec.provenance?.gpus) seen.gpus!.add(rec.provenance.gpus);
    if (rec.provenance?.cpus) seen.cpus!.add(rec.provenance.cpus);
    for (const [name, v] of Object.entries(rec.provenance?.versions ?? {})) seen.versions!.add(`${name}=${v}`);
    if (rec.code?.commit) seen.commit!.add(rec.code.dirtyHash ? `${rec.code.commit}+dirty` : rec.code.commit);
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
  const cells: Summary["cells"] = [];
  const baseline = compareToBaseline(agg, input.table);
  agg.cells.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (cell.expected === 0) return;
      const stats: Summary["cells"][number]["stats"] = {};
      for (const [m, s] of Object.entries(cell.stats)) stats[m] = { mean: s.mean, std: s.std, ci95: s.ci95, n: s.n };
      const extras = cell.runs.map((r) => extrasOf(r.key));
      const done = extras.filter((_, i) => cell.runs[i]!.status === "done");
      const out: Summary["cells"][number] = {
        row: cell.row,
        column: cell.column,
        config: cellConfigHash(cell.runs.map((r) => byKey.get(r.key)!), configs),
        expected: cell.expected,
        failed: cell.failed,
        runs: cell.runs.map((r, i) => ({ ...r, split: extras[i]!.split })),
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
    summaryVersion: SUMMARY_VERSION as 2,
    table: input.table,
    configs,
    cells,
    references: refs.map(({ row: _r, column: _c, ...rest }) => rest),
    environment: environmentOf(input),
  };
  return { summary, agg, refs };
}

/** Writes summary.json and the table files the spec asks for; returns the Markdown table. */
export async function writeSummary(input: SummaryInput): Promise<string> {
  const { summary, agg, refs } = buildSummary(input, collectOutcomes(input));
  const dir = join(input.resultsDir, input.experiment);
  const formats = input.table.formats ?? ["md", "csv"];
  const md = renderMarkdown(agg, input.table, refs);
  await writeJsonAtomic(join(dir, "summary.json"), summary);
  if (formats.includes("md")) await writeFileAtomic(join(dir, "table.md"), md);
  if (formats.includes("csv")) await writeFileAtomic(join(dir, "table.csv"), renderCsv(agg, input.table));
  if (formats.includes("latex")) await writeFileAtomic(join(dir, "table.tex"), renderLatex(agg, input.table));
  return md;
}
