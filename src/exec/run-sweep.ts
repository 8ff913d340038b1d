import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type RunStatus, readRunStatuses } from "../results/run-status.js";
import { RUN_FILES } from "../results/run-store.js";
import { writeSummary } from "../results/summary.js";
import { SpecError } from "../spec/diagnostics.js";
import type { LoadOptions } from "../spec/load.js";
import { loadSpec } from "../spec/load.js";
import type { RunConfig, Spec, TableSpec } from "../spec/types.js";
import { codeVersion } from "../sweep/code-version.js";
import { checkSweep, keyExpansion, type Plan, type PlannedRun } from "../sweep/plan.js";
import type { CodeVersion } from "../sweep/run-key.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { discoverGpus } from "./gpus.js";
import { executeLocal, type TaskResult } from "./local-executor.js";
import { createProgress } from "./progress.js";
import type { RunRecord, SplitFiles } from "./run-record.js";
import { makeSlots, selectGpus } from "./slots.js";
import { readUserConfig, type SlurmFlags, slurmSettings } from "./slurm-config.js";
import { activeKeys, previewSlurm } from "./slurm-executor.js";
import { runSlurmSweep, type SlurmSweepOutcome } from "./slurm-run.js";

// `labelsweep run`: plan the spec, prepare the label splits its runs need,
// pick the runs that still have to execute (new, interrupted; failed with
// --retry-failed; all with --force), write their run.json, execute them on the
// local slots, and keep results/<experiment>/summary.json and the table
// current after every finished run.

/** What the data stage gives the runner: each run's split identity and files. */
export interface SplitProvider {
  /** Each config's split identity, without deriving or writing a split (plan, status, table). */
  identify(
    configs: readonly RunConfig[],
    ctx: { experiment: string; resultsDir: string },
  ): Promise<{ hashFor(config: RunConfig): string | null; problems: string[] }>;
  /** Prepares (or finds in the cache) every split the configs need; hashFor equals identify's. */
  prepare(
    configs: readonly RunConfig[],
    ctx: { experiment: string; resultsDir: string },
  ): Promise<{
    hashFor(config: RunConfig): string | null;
    filesFor(config: RunConfig): SplitFiles;
  }>;
}

export interface RunSweepOptions extends LoadOptions {
  resultsDir?: string;
  maxRuns?: number;
  jobs?: number;
  /** --gpus: "all" (default), "none", or "0,1,…". */
  gpus?: string;
  force?: boolean;
  retryFailed?: boolean;
  dryRun?: boolean;
  timeoutSec?: number;
  splits: SplitProvider;
  out?: NodeJS.WriteStream;
  /** Called with a function that stops the sweep (first call graceful, second immediate). */
  onStopHandle?: (stop: () => void) => void;
  /** local (default: spec executor.type, then the user config) or slurm. */
  executor?: "local" | "slurm";
  slurm?: SlurmFlags;
  /** Called when the Slurm executor starts following its jobs (Ctrl-C then stops following). */
  onSlurmFollow?: () => void;
  /** Slurm: return once submitted. */
  detach?: boolean;
}

export interface RunSweepResult {
  plan: Plan;
  statuses: RunStatus[];
  selected: PlannedRun[];
  results: TaskResult[];
  table: string | null;
  resultsDir: string;
  /** Slurm executor: the submission and what happened to it; with --dry-run, the script preview. */
  slurm?: SlurmSweepOutcome & { preview?: string };
}

const HEADLINE: Record<string, string> = {
  coco: "AP",
  lvis: "AP",
  voc07: "mAP",
  voc: "mAP",
  multilabel: "mAP",
};

/** The spec's table, or a default one: swept paths as rows, the family's headline metric. */
export function tableOf(spec: Spec, plan: Plan): TableSpec {
  if (spec.table) return spec.table;
  const rows = plan.columns.filter((c) => c !== "seed" && c !== "labels.fold");
  return {
    rows: rows.length > 0 ? rows : ["method.name"],
    columns: [],
    metric: HEADLINE[spec.eval.type] ?? "AP",
  };
}

export function selectRuns(
  plan: Plan,
  statuses: readonly RunStatus[],
  opts: { force?: boolean; retryFailed?: boolean },
): PlannedRun[] {
  return plan.runs.filter((_, i) => {
    const s = statuses[i]!;
    if (opts.force) return s !== "running";
    return s === "new" || s === "interrupted" || (opts.retryFailed === true && s === "failed");
  });
}

export function label(plan: Plan, run: PlannedRun): string {
  return plan.columns
    .map((c, i) => {
      const v = run.values[i];
      if (v === undefined) return "";
      // A swept block is named by its variant (method.name, detector.arch, labels.protocol, dataset.name).
      const block =
        typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
      const variant = block ? (block.name ?? block.arch ?? block.protocol) : undefined;
      const text = block ? (typeof variant === "string" ? variant : JSON.stringify(v)) : String(v);
      return `${c}=${text}`;
    })
    .filter((s) => s !== "")
    .join(" ");
}

export interface ResolvedSweep {
  spec: Spec;
  plan: Plan;
  statuses: RunStatus[];
  resultsDir: string;
  code: CodeVersion;
  /** Present when the splits were prepared (`run`), absent when only identified. */
  splits?: Awaited<ReturnType<SplitProvider["prepare"]>>;
  /** Splits that could not be identified (e.g. dataset files not on this machine). */
  splitProblems: string[];
}

/**
 * Loads and plans a spec with the split identities in its run keys, and reads
 * every run's status: what `run`, `status` and `table` all start from.
 */
export async function resolveSweep(
  specPath: string,
  options: LoadOptions & { resultsDir?: string; maxRuns?: number; splits: SplitProvider; prepare?: boolean },
): Promise<ResolvedSweep> {
  const loaded = loadSpec(specPath, { set: options.set ?? [], sweep: options.sweep ?? [] });
  const spec = loaded.spec;
  const resultsDir = resolve(options.resultsDir ?? "results");
  const code = await codeVersion(dirname(resolve(specPath)), {
    exclude: [...loaded.files, resultsDir],
    specDirs: [dirname(resolve(specPath))],
  });
  // Check and expand once; splits are identified (or prepared) per distinct
  // (dataset, labels) pair — blocks are shared between cells, so identity dedupes them.
  const { expansion, diagnostics } = checkSweep(spec, {
    locate: loaded.locate,
    baseChecked: false,
    ...(options.maxRuns === undefined ? {} : { maxRuns: options.maxRuns }),
  });
  if (!expansion || diagnostics.length > 0) throw new SpecError(diagnostics);
  const configs: RunConfig[] = [];
  const seen = new Map<object, Set<object>>();
  for (const cell of expansion.cells) {
    const { dataset, labels } = cell.config;
    const labelsSeen = seen.get(dataset) ?? new Set<object>();
    seen.set(dataset, labelsSeen);
    if (labelsSeen.has(labels)) continue;
    labelsSeen.add(labels);
    configs.push(cell.config);
  }
  const ctx = { experiment: spec.name, resultsDir };
  const splits = options.prepare ? await options.splits.prepare(configs, ctx) : undefined;
  const identified = splits
    ? { hashFor: splits.hashFor, problems: [] as string[] }
    : await options.splits.identify(configs, ctx);
  const plan = keyExpansion(spec, expansion, { code, splitHash: identified.hashFor });
  const statuses = readRunStatuses(
    resultsDir,
    plan.experiment,
    plan.runs.map((r) => r.key),
  );
  return {
    spec,
    plan,
    statuses,
    resultsDir,
    code,
    splitProblems: identified.problems,
    ...(splits ? { splits } : {}),
  };
}

export function summaryInputOf(r: ResolvedSweep) {
  return {
    resultsDir: r.resultsDir,
    experiment: r.plan.experiment,
    table: tableOf(r.spec, r.plan),
    references: r.spec.references ?? [],
    runs: r.plan.runs.map((run) => ({ key: run.key, config: run.config })),
  };
}

export async function runSweep(specPath: string, options: RunSweepOptions): Promise<RunSweepResult> {
  const out = options.out ?? process.stdout;
  const resolved = await resolveSweep(specPath, { ...options, prepare: !options.dryRun });
  const { spec, plan, statuses, resultsDir, code, splits } = resolved;
  const user = readUserConfig();
  const executor = options.executor ?? spec.executor?.type ?? user.executor ?? "local";
  const settings = executor === "slurm" ? slurmSettings(options.slurm ?? {}, spec.executor, user) : undefined;
  // A run with a task still queued or running in an earlier submission is not submitted again.
  const alreadyQueued =
    settings && !options.dryRun ? await activeKeys(resultsDir, plan.experiment) : new Map();
  const selected = selectRuns(plan, statuses, options).filter((r) => !alreadyQueued.has(r.key));
  const summaryInput = summaryInputOf(resolved);
  const base = { plan, statuses, selected, resultsDir };
  if (options.dryRun) {
    if (!settings) return { ...base, results: [], table: null };
    const preview = await previewSlurm(selected.length, {
      resultsDir,
      experiment: plan.experiment,
      settings,
    });
    const slurm = {
      submission: null,
      alreadyQueued,
      detached: false,
      stoppedFollowing: false,
      results: [],
      preview,
    };
    return { ...base, results: [], table: null, slurm };
  }

  const tasks = [];
  for (const run of selected) {
    const dir = join(resultsDir, plan.experiment, "runs", run.key);
    if (options.force) rmSync(dir, { recursive: true, force: true });
    const record: RunRecord = {
      key: run.key,
      experiment: plan.experiment,
      config: run.config,
      cell: Object.fromEntries(plan.columns.map((c, i) => [c, run.values[i] ?? null])),
      split: { hash: run.split, files: splits?.filesFor(run.config) ?? {} },
      code: { commit: code.commit, dirty: code.dirty, dirtyHash: code.dirtyHash },
    };
    await writeJsonAtomic(join(dir, RUN_FILES.run), record);
    tasks.push({ key: run.key, dir });
  }

  const labels = new Map(selected.map((r) => [r.key, label(plan, r)]));
  let summaries = Promise.resolve("");
  const refresh = () => {
    summaries = summaries.then(() => writeSummary(summaryInput));
  };
  if (settings) {
    options.onSlurmFollow?.();
    const slurm = await runSlurmSweep(tasks, selected, {
      plan,
      labels,
      resultsDir,
      out,
      settings,
      detach: options.detach === true,
      alreadyQueued,
      onFinished: refresh,
      ...(options.onStopHandle ? { onStopHandle: options.onStopHandle } : {}),
    });
    refresh();
    return { ...base, results: slurm.results, table: await summaries, slurm };
  }

  const gpus = selectGpus(
    options.gpus,
    (await discoverGpus()).map((g) => g.index),
  );
  const slots = makeSlots({
    gpus,
    gpusPerRun: spec.executor?.gpus_per_run ?? 1,
    jobs: options.jobs ?? spec.executor?.jobs ?? 1,
  });
  const progress = createProgress({ total: tasks.length, labels, out });
  const execution = executeLocal(tasks, {
    slots,
    ...(options.timeoutSec === undefined ? {} : { timeoutSec: options.timeoutSec }),
    observer: {
      started: progress.started,
      event: progress.event,
      finished(task, result) {
        progress.finished?.(task, result);
        refresh();
      },
    },
  });
  options.onStopHandle?.(execution.stop);
  const results = await execution.results;
  progress.stop();
  refresh();
  const md = await summaries;
  return { ...base, results, table: md };
}
