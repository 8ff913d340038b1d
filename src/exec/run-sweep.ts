import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { metricList } from "../results/aggregate.js";
import { type SummaryWrite, writeSummary } from "../results/summary.js";
import { guardMessage } from "../results/summary-guard.js";
import { summaryInputOf } from "../results/summary-input.js";
import type { LoadOptions } from "../spec/load.js";
import type { Spec } from "../spec/types.js";
import { startable } from "../sweep/chains.js";
import { claimExperiment } from "../sweep/experiment-owner.js";
import type { Plan, PlannedRun } from "../sweep/plan.js";
import { namesByKey } from "../sweep/plan-format.js";
import { recordedProcessAlive } from "../sweep/process-identity.js";
import { type ResolvedSweep, resolveSweep, type SplitProvider } from "../sweep/resolve.js";
import { linkRunName } from "../sweep/run-links.js";
import type { RunRecord } from "../sweep/run-record.js";
import type { RunStatus } from "../sweep/run-status.js";
import { FORCE_STALE_AFTER_MS, lastHeartbeat, RUN_FILES, readState, runDir } from "../sweep/run-store.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { describeFsFault } from "../util/fs-faults.js";
import { runnerCapabilities } from "./capabilities.js";
import { chainRecord } from "./chain-record.js";
import { discoverGpus } from "./gpus.js";
import { checkGroundTruth } from "./ground-truth-check.js";
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
  /** Set when the summary on disk had more finished runs and was kept: why (summary-guard.ts). */
  summaryKept?: string;
  /** Finished runs counted as failed because their metrics cannot be used (summary.ts). */
  metricProblems?: string[];
  /** Set when the sweep stopped because the disk is full: what was full. */
  diskFull?: string;
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
  opts: { force?: boolean; retryFailed?: boolean; resultsDir?: string },
): PlannedRun[] {
  const picked = plan.runs.filter((run, i) => {
    const s = statuses[i]!;
    // --force re-runs everything but a run a live process holds; a "running" run on another
    // host whose heartbeat stopped 90 s ago is taken to be gone (its lock is broken).
    if (opts.force)
      return (
        s !== "running" ||
        (opts.resultsDir !== undefined && holderGone(runDir(opts.resultsDir, plan.experiment, run.key)))
      );
    // --retry-failed also re-runs what a failed run blocked (its descendants: chains.ts).
    return (
      s === "new" || s === "interrupted" || (opts.retryFailed === true && (s === "failed" || s === "blocked"))
    );
  });
  // Dependent runs start only after their parents (chains.ts).
  return startable(plan.runs, statuses, picked);
}

function holderGone(dir: string): boolean {
  const state = readState(dir);
  if (!state || recordedProcessAlive(state) !== null) return false;
  return Date.now() - lastHeartbeat(dir, state) > FORCE_STALE_AFTER_MS;
}

export async function runSweep(specPath: string, options: RunSweepOptions): Promise<RunSweepResult> {
  const out = options.out ?? process.stdout;
  const resolved = await resolveSweep(specPath, {
    ...options,
    capabilities: runnerCapabilities(),
    prepare: !options.dryRun,
  });
  const { spec, plan, statuses, resultsDir, code, splits } = resolved;
  options.onPlanned?.(resolved);
  const user = readUserConfig();
  const executor = options.executor ?? spec.executor?.type ?? user.executor ?? "local";
  const settings = executor === "slurm" ? slurmSettings(options.slurm ?? {}, spec.executor, user) : undefined;
  // A run with a task still queued or running in an earlier submission is not submitted again.
  const alreadyQueued =
    settings && !options.dryRun ? await activeKeys(resultsDir, plan.experiment) : new Map();
  const selected = selectRuns(plan, statuses, { ...options, resultsDir }).filter(
    (r) => !alreadyQueued.has(r.key),
  );
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

  // Before any run trains: ground truth the evaluator cannot read fails here, once, not after every run.
  if (splits)
    await checkGroundTruth(
      selected.map((r) => r.config),
      (c) => splits.filesFor(c),
    );

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
      code: { commit: code.commit, dirty: code.dirty, identity: run.code },
      needs: metricList(summaryInput.table),
      ...chainRecord(run, plan, { resultsDir, specPath }),
    };
    await writeJsonAtomic(join(dir, RUN_FILES.run), record);
    linkRunName(experimentDir, record.name!, run.key);
    tasks.push({ key: run.key, dir, ...(run.parents?.length ? { after: run.parents } : {}) });
  }

  const labels = new Map(selected.map((r) => [r.key, names.get(r.key) ?? ""]));
  const metrics = metricDisplay(spec);
  // After every finished run; a summary on disk with more finished runs is kept (summary-guard.ts)
  // until this sweep has caught up with it, and the last verdict is reported at the end.
  let summaries: Promise<SummaryWrite | null> = Promise.resolve(null);
  // A disk-full while writing the summary, or reported by a worker, stops the sweep: the
  // running workers checkpoint and stop, nothing new starts, and `run` says "disk full".
  let diskFull: string | undefined;
  let stopSweep: (() => void) | undefined;
  const full = (why: string) => {
    if (diskFull) return;
    diskFull = why;
    stopSweep?.();
  };
  const refresh = () => {
    summaries = summaries.then(async (last) => {
      try {
        return await writeSummary(summaryInput);
      } catch (err) {
        const fault = describeFsFault(err, "writing", "ENOSPC", "EDQUOT");
        if (!fault) throw err;
        full(fault);
        return last;
      }
    });
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
    return { ...base, results: slurm.results, ...tableOf(await summaries), slurm };
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
        if (result.diskFull) full(result.error ?? "disk full");
        refresh();
      },
    },
  });
  stopSweep = execution.stop;
  if (diskFull) execution.stop();
  options.onStopHandle?.(execution.stop);
  const results = await execution.results;
  progress.stop();
  refresh();
  const written = await summaries;
  return { ...base, results, ...tableOf(written), ...(diskFull ? { diskFull } : {}) };
}

function tableOf(w: SummaryWrite | null): Pick<RunSweepResult, "table" | "summaryKept" | "metricProblems"> {
  return {
    table: w?.md ?? null,
    metricProblems: w?.problems ?? [],
    ...(w?.kept ? { summaryKept: guardMessage(w.kept, w.file) } : {}),
  };
}
