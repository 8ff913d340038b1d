import type { JsonValue } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import { metricList } from "./aggregate.js";
import { configChanges, type KeyChange } from "./diff-config.js";
import { mean, sampleStd, welchTTest } from "./stats.js";
import type { Summary } from "./summary.js";

// Seed-aware diff of two summaries of one experiment, cell by cell (RUNNERS.md
// §4.5: nobody diffs at the level of (budget, method) cells with noise in
// mind; `dvc metrics diff` compares one number per file). Each cell's runs
// (seeds × folds) on each side are compared with Welch's unequal-variance
// t-test; a change is "beyond noise" when p < alpha. Cells are classified by
// why they may differ: their resolved config changed, their label split
// changed, the same config was re-run (code or environment changed the run
// keys), or the very same runs (same keys) appear on both sides.

export const DEFAULT_ALPHA = 0.05;

export type CellStatus = "same-runs" | "re-run" | "config-drift" | "split-drift" | "only-a" | "only-b";

export interface CellSide {
  mean: number | null;
  std: number | null;
  n: number;
  expected: number;
  failed: number;
  /** Metric values of the done runs, in the table's scale. */
  values: number[];
  config: string | null;
  keys: string[];
  splits: string[];
}

export interface CellDiff {
  row: Record<string, JsonValue>;
  column: Record<string, JsonValue>;
  status: CellStatus;
  a?: CellSide;
  b?: CellSide;
  /** mean(b) − mean(a) in the table's scale. */
  delta: number | null;
  /** Two-sided Welch t-test p-value; null when a side has fewer than two runs. */
  p: number | null;
  beyondNoise: boolean;
  /** Worse beyond noise (lower when higher is better, per the table's `best`). */
  worse: boolean;
  configChanges: KeyChange[];
}

export interface EnvironmentChange {
  key: string;
  a: string[];
  b: string[];
}

export interface ExperimentDiff {
  experiment: string;
  metric: string;
  scale: number;
  precision: number;
  /** Which direction is better, from the table's `best` (max unless "min"). */
  better: "higher" | "lower";
  test: "welch-t";
  alpha: number;
  cells: CellDiff[];
  environment: EnvironmentChange[];
  /** Commits recorded in the runs of each side (summary.environment.commit). */
  runCommits: { a: string[]; b: string[] };
}

type SummaryCell = Summary["cells"][number];

const cellId = (c: { row: Record<string, JsonValue>; column: Record<string, JsonValue> }) =>
  canonicalJson({ row: c.row, column: c.column });

function side(cell: SummaryCell, metric: string, scale: number): CellSide {
  const done = cell.runs.filter((r) => r.status === "done");
  const values = done
    .map((r) => r.metrics[metric])
    .filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    .map((v) => v * scale);
  const std = values.length > 1 ? sampleStd(values) : Number.NaN;
  return {
    mean: values.length > 0 ? mean(values) : null,
    std: Number.isFinite(std) ? std : null,
    n: values.length,
    expected: cell.expected,
    failed: cell.failed,
    values,
    config: cell.config,
    keys: cell.runs.map((r) => r.key).sort(),
    splits: [...new Set(cell.runs.map((r) => r.split ?? null).filter((s): s is string => s !== null))].sort(),
  };
}

const sameList = (a: readonly string[], b: readonly string[]) => canonicalJson(a) === canonicalJson(b);

export interface DiffOptions {
  metric?: string;
  alpha?: number;
}

export function diffSummaries(a: Summary, b: Summary, options: DiffOptions = {}): ExperimentDiff {
  const metrics = metricList(b.table);
  const metric = options.metric ?? metrics[0]!;
  const known = new Set([...metricList(a.table), ...metrics]);
  if (!known.has(metric))
    throw new UserError(`--metric ${metric}: experiment ${b.experiment} tables ${[...known].join(", ")}`);
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const scale = b.table.scale ?? 100;
  const better = b.table.best === "min" ? "lower" : "higher";
  const inA = new Map(a.cells.map((c) => [cellId(c), c]));
  const inB = new Map(b.cells.map((c) => [cellId(c), c]));
  const cells: CellDiff[] = [];
  const empty = { delta: null, p: null, beyondNoise: false, worse: false, configChanges: [] };
  // Order: B's cells in B's (plan) order, then cells only in A in A's order.
  for (const [id, cb] of inB) {
    const ca = inA.get(id);
    const sb = side(cb, metric, scale);
    if (!ca) {
      cells.push({ row: cb.row, column: cb.column, status: "only-b", b: sb, ...empty });
      continue;
    }
    const sa = side(ca, metric, scale);
    const changes =
      ca.config !== cb.config
        ? configChanges(a.configs[ca.config ?? ""] ?? {}, b.configs[cb.config ?? ""] ?? {})
        : [];
    const status: CellStatus =
      ca.config !== cb.config
        ? "config-drift"
        : !sameList(sa.splits, sb.splits)
          ? "split-drift"
          : sameList(sa.keys, sb.keys)
            ? "same-runs"
            : "re-run";
    const delta = sa.mean !== null && sb.mean !== null ? sb.mean - sa.mean : null;
    const test = welchTTest(sa.values, sb.values);
    const p = test ? test.p : null;
    const beyondNoise = p !== null && p < alpha && delta !== 0;
    const worse = beyondNoise && delta !== null && (better === "higher" ? delta < 0 : delta > 0);
    cells.push({
      row: cb.row,
      column: cb.column,
      status,
      a: sa,
      b: sb,
      delta,
      p,
      beyondNoise,
      worse,
      configChanges: changes,
    });
  }
  for (const [id, ca] of inA) {
    if (!inB.has(id))
      cells.push({ row: ca.row, column: ca.column, status: "only-a", a: side(ca, metric, scale), ...empty });
  }
  const environment: EnvironmentChange[] = [];
  const envKeys = [...new Set([...Object.keys(a.environment), ...Object.keys(b.environment)])].sort();
  for (const key of envKeys) {
    if (key === "commit") continue; // code drift, reported apart
    const ea = a.environment[key] ?? [];
    const eb = b.environment[key] ?? [];
    if (!sameList(ea, eb)) environment.push({ key, a: ea, b: eb });
  }
  return {
    experiment: b.experiment,
    metric,
    scale,
    precision: b.table.precision ?? 1,
    better,
    test: "welch-t",
    alpha,
    cells,
    environment,
    runCommits: { a: a.environment.commit ?? [], b: b.environment.commit ?? [] },
  };
}

/** Cells worse than `threshold` (table scale) beyond noise: what `--fail-on-regression` fails on. */
export function regressions(diff: ExperimentDiff, threshold: number): CellDiff[] {
  return diff.cells.filter((c) => c.worse && c.delta !== null && Math.abs(c.delta) > threshold);
}
