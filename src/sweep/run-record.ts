import { join } from "node:path";
import type { JsonValue, RunConfig, SplitFiles } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { RUN_FILES, readJsonFile } from "./run-store.js";

// run.json: everything a worker needs to execute a run, written by the runner
// before the worker starts, plus the provenance the worker adds.

export type { SplitFiles };

/** A run's metrics under labelsweep's names (AP, AP50, …, mAP), as fractions; null where undefined. */
export type Metrics = Record<string, number | null>;

/** Which code made a run: its identity (in the key) and the spec repository's git state (provenance). */
export interface RunCode {
  commit: string | null;
  /** A tracked file of the spec's repository differed from the commit. */
  dirty: boolean;
  /** The code identity hash that entered the run key (sweep/code-identity.ts). */
  identity?: string;
  /** Before key version 3: hash of uncommitted changes (tracked diff + untracked files). */
  dirtyHash?: string | null;
}

export interface Provenance {
  backend?: string;
  backendReason?: string;
  hostname?: string;
  cpus?: string;
  gpus?: string;
  node?: string;
  versions?: Record<string, string>;
  started?: string;
  ended?: string;
  seconds?: number;
  /** The worker's attempt and the executions that resumed from a checkpoint (kill, preemption, requeue). */
  attempt?: number;
  restarts?: number;
}

export interface RunRecord {
  key: string;
  experiment: string;
  config: RunConfig;
  /** The swept values that name this cell (path → value), seed and fold included. */
  cell: Record<string, JsonValue>;
  /** The cell's readable name (`method.name=csd labels.fraction=0.1 seed=0`). */
  name?: string;
  /** The spec's folder: an external trainer's default working directory (engine.cwd resolves against it). */
  specDir?: string;
  split: { hash: string | null; files: SplitFiles };
  code: RunCode;
  /** Metrics the experiment's table shows: a run whose metrics lack one fails. */
  needs?: string[];
  provenance?: Provenance;
  /** Dependent runs: the runs whose outputs this one consumes, with the hash of that output once read. */
  parents?: { key: string; selection_sha256?: string; pseudo_sha256?: string }[];
  /** Active learning: this run's place in its chain (exec/active-run.ts). */
  active?: ActiveRunInfo;
}

export interface ActiveRunInfo {
  cycle: number;
  cycles: number;
  /** Keys of the chain's earlier cycles, oldest first (their selections grow this cycle's split). */
  ancestors: string[];
  /** The split cache (results/<experiment>/splits). */
  splits: string;
  /** Relative dataset paths resolve against this folder. */
  baseDir: string;
  /** shapes images as files (external trainers) rather than rendered. */
  shapesImages?: "files";
}

export interface MetricsFile {
  key: string;
  metrics: Metrics;
  /** How the metrics were obtained (evaluator family, or the parser of the trainer's output). */
  source: string;
  /** The scale the trainer printed in, and what decided it (command engine). */
  scale?: { scale: "fraction" | "percent"; how: "declared" | "format" | "detected"; evidence?: string };
  /** Choices where the papers' code and text differ, as this run made them. */
  variants?: Record<string, string>;
  /** Per-category AP from labelsweep's evaluator (long-tail plots, per-class tables). */
  perCategory?: { id: number | string; name: string | null; ap: number | null; group?: "r" | "c" | "f" }[];
  counts?: Record<string, number>;
  warnings?: string[];
}

export function readRunRecord(dir: string): RunRecord {
  const record = readJsonFile<RunRecord>(join(dir, RUN_FILES.run));
  if (!record)
    throw new UserError(`${join(dir, RUN_FILES.run)}: missing or not JSON; is ${dir} a run directory?`);
  return record;
}
