import { join } from "node:path";
import type { Plan, PlannedRun } from "../sweep/plan.js";
import type { ExecTask, TaskResult } from "./local-executor.js";
import { createProgress, type MetricDisplay } from "./progress.js";
import type { SlurmSettings } from "./slurm-config.js";
import { followSlurm, type SlurmSubmission, submitSlurm } from "./slurm-executor.js";

// What `run --executor slurm` and `collect` share: submit (unless picking up),
// then follow the arrays with the same progress lines/bars as the local executor.

export interface SlurmSweepOutcome {
  submission: SlurmSubmission | null;
  /** Runs left out because a task of an earlier submission still holds them: key → job_task. */
  alreadyQueued: Map<string, string>;
  detached: boolean;
  /** Following stopped by the user (Ctrl-C): the jobs keep running unless cancelled. */
  stoppedFollowing: boolean;
  results: TaskResult[];
}

export interface FollowSweepOptions {
  plan: Plan;
  labels: Map<string, string>;
  resultsDir: string;
  out: NodeJS.WriteStream;
  /** Metrics shown in each finished run's line (the table's, at its scale). */
  metrics?: MetricDisplay;
  json?: boolean;
  onStopHandle?: (stop: () => void) => void;
  /** Called after each finished task (refresh the summary). */
  onFinished?: () => void;
}

export async function followSweep(submission: SlurmSubmission, opts: FollowSweepOptions) {
  const total = submission.arrays.reduce((n, a) => n + a.keys.length, 0);
  const progress = createProgress({
    total,
    labels: opts.labels,
    out: opts.out,
    slots: submission.arrays.reduce((n, a) => n + a.keys.length, 0),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.json ? { json: true } : {}),
  });
  let stoppedFollowing = false;
  const follow = followSlurm(submission, (key) => join(opts.resultsDir, opts.plan.experiment, "runs", key), {
    observer: {
      started: progress.started,
      event: progress.event,
      finished(task, result) {
        progress.finished?.(task, result);
        opts.onFinished?.();
      },
    },
  });
  opts.onStopHandle?.(() => {
    stoppedFollowing = true;
    follow.stop();
  });
  const results = await follow.results;
  progress.stop();
  return { results, stoppedFollowing };
}

export async function runSlurmSweep(
  tasks: ExecTask[],
  selected: readonly PlannedRun[],
  opts: FollowSweepOptions & { settings: SlurmSettings; detach: boolean; alreadyQueued: Map<string, string> },
): Promise<SlurmSweepOutcome> {
  const base = { alreadyQueued: opts.alreadyQueued, detached: opts.detach };
  if (tasks.length === 0 || selected.length === 0)
    return { ...base, submission: null, stoppedFollowing: false, results: [] };
  const submission = await submitSlurm(tasks, {
    resultsDir: opts.resultsDir,
    experiment: opts.plan.experiment,
    settings: opts.settings,
  });
  opts.out.write(
    `submitted ${tasks.length} run(s) to Slurm as array job(s) ${submission.arrays.map((a) => a.jobId).join(", ")} (script: ${submission.script})\n`,
  );
  if (opts.detach) return { ...base, submission, stoppedFollowing: false, results: [] };
  const followed = await followSweep(submission, opts);
  return { ...base, submission, ...followed };
}
