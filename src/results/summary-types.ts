import type { JsonValue, ReferenceSpec, RunConfig, TableSpec } from "../spec/types.js";
import type { AggregatedTable } from "./aggregate.js";
import type { BaselineComparison } from "./baseline.js";
import type { ReferenceCheck } from "./references.js";
import type { CategoryAp } from "./run-extras.js";

// The shape of results/<experiment>/summary.json and of what it is built from.

export interface SummaryInput {
  resultsDir: string;
  experiment: string;
  table: TableSpec;
  references?: ReferenceSpec[];
  /** The planned runs; `code` is the code identity hash that entered each key. */
  runs: { key: string; config: RunConfig; code?: string; split?: string | null }[];
  /** The plan's code identities by hash (what a later `table` compares against). */
  code?: Record<string, SummaryCode>;
  /** The run-key format the keys were made with (sweep/run-key.ts KEY_VERSION). */
  keyVersion?: number;
}

export const SUMMARY_VERSION = 3;

/** A code identity as a summary keeps it: enough to say which files changed since its runs. */
export interface SummaryCode {
  engine: string;
  labelsweep: string;
  packages: Record<string, string>;
  /** Path → the first 12 hex digits of its digest. */
  files: Record<string, string>;
}

export interface SummaryRun {
  key: string;
  seed: number;
  fold: number | null;
  status: AggregatedTable["cells"][number][number]["runs"][number]["status"];
  metrics: Record<string, number | null>;
  /** The label split's content hash (split drift in diffs). Since summaryVersion 2. */
  split?: string | null;
  /** The code identity hash in the run's key. Since summaryVersion 3. */
  code?: string;
  /** Why a finished run counts as failed (unreadable metrics.json, a missing metric). Since summaryVersion 3. */
  problem?: string;
}

export interface Summary {
  experiment: string;
  /**
   * 1: first format; 2: per-run split hashes, per-category AP, loss curves, more environment;
   * 3: key version, per-run code identity and the identities' files.
   */
  summaryVersion: 1 | 2 | 3;
  /** Run-key format of the runs' keys. Since summaryVersion 3. */
  keyVersion?: number;
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
  references: Omit<ReferenceCheck, "row" | "column">[];
  environment: Record<string, string[]>;
  /** The runs' code identities by hash. Since summaryVersion 3. */
  code?: Record<string, SummaryCode>;
}
