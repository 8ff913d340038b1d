import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeSummary } from "../results/summary.js";
import { summaryInputOf } from "../results/summary-input.js";
import type { LoadOptions } from "../spec/load.js";
import type { Spec } from "../spec/types.js";
import { claimExperiment } from "../sweep/experiment-owner.js";
import type { Plan, PlannedRun } from "../sweep/plan.js";
import { namesByKey } from "../sweep/plan-format.js";
import { type ResolvedSweep, resolveSweep, type SplitProvider } from "../sweep/resolve.js";
import { linkRunName } from "../sweep/run-links.js";
import type { RunRecord } from "../sweep/run-record.js";
import type { RunStatus } from "../sweep/run-status.js";
import { RUN_FILES } from "../sweep/run-store.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { discoverGpus } from "./gpus.js";
import { executeLocal, type TaskResult } from "./local-executor.js";
import { createProgress, type MetricDisplay } from "./progress.js";
import { makeSlots, selectGpus } from "./slots.js";
import { readUserConfig, type SlurmFlags, slurmSettings } from "./slurm-config.js";
import { activeKeys, previewSlurm } from "./slurm-executor.js";
import { runSlurmSweep, type SlurmSweepOutcome } from "./slurm-run.js";

// `labelsweep run`: plan the spec, prepare the label splits its runs need,
// pick the runs that still have to execute (new, interrupted; failed with
// --retry-failed; all with --force), write their run.json, execute them on the
// local slots, and keep results/<experiment>/summary.json and the table
// current after every finished run.

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
  /** Progress as JSON lines (`run --json`). */
  json?: boolean;
  /** Called once the sweep is planned, before anything runs (notes and warnings for the user). */
  onPlanned?: (resolved: ResolvedSweep) => void;
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

/** The metrics a finished run's progress line shows, as the table prints them. */
export function metricDisplay(spec: Pick<Spec, "table">): MetricDisplay {
  const t = spec.table;
  return {
    names: t ? (Array.isArray(t.metric) ? t.metric : [t.metric]) : [],
    scale: t?.scale ?? 100,
    precision: t?.precision ?? 1,
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

export async function runSweep(specPath: string, options: RunSweepOptions): Promise<RunSweepResult> {
  const out = options.out ?? process.stdout;
  const resolved = await resolveSweep(specPath, { ...options, prepare: !options.dryRun });
  const { spec, plan, statuses, resultsDir, code, splits } = resolved;
  options.onPlanned?.(resolved);
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

  const names = namesByKey(plan);
  const experimentDir = join(resultsDir, plan.experiment);
  await claimExperiment(resultsDir, plan.experiment, resolved.specFile);
  const tasks = [];
  for (const run of selected) {
    const dir = join(resultsDir, plan.experiment, "runs", run.key);
    if (options.force) rmSync(dir, { recursive: true, force: true });
    const record: RunRecord = {
      key: run.key,
      experiment: plan.experiment,
      config: run.config,
      cell: Object.fromEntries(plan.columns.map((c, i) => [c, run.values[i] ?? null])),
      name: names.get(run.key) ?? "",
      specDir: dirname(resolved.specFile),
      split: { hash: run.split, files: splits?.filesFor(run.config) ?? {} },
      code: { commit: code.commit, dirty: code.dirty, dirtyHash: code.dirtyHash },
    };
    await writeJsonAtomic(join(dir, RUN_FILES.run), record);
    linkRunName(experimentDir, record.name!, run.key);
    tasks.push({ key: run.key, dir });
  }

  const labels = new Map(selected.map((r) => [r.key, names.get(r.key) ?? ""]));
  const metrics = metricDisplay(spec);
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
      metrics,
      ...(options.json ? { json: true } : {}),
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
  const progress = createProgress({
    total: tasks.length,
    labels,
    out,
    metrics,
    slots: slots.length,
    ...(options.json ? { json: true } : {}),
  });
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
