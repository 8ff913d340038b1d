import { join, relative } from "node:path";
import type { Plan } from "./plan.js";
import type { RunLine } from "./plan-format.js";
import type { MetricsFile } from "./run-record.js";
import type { RunStatus } from "./run-status.js";
import { RUN_FILES, readJsonFile, readState, runDir } from "./run-store.js";

// What `labelsweep status` shows beside each run's status: its metrics, how
// long it took (or has been running), where its log is, and its error.

export function readRunLines(
  plan: Plan,
  statuses: readonly RunStatus[],
  resultsDir: string,
  options: { cwd?: string; now?: number } = {},
): (RunLine | undefined)[] {
  const cwd = options.cwd ?? process.cwd();
  const now = options.now ?? Date.now();
  return plan.runs.map((run, i) => {
    if (statuses[i] === "new") return undefined;
    const dir = runDir(resultsDir, plan.experiment, run.key);
    const state = readState(dir);
    const line: RunLine = {};
    const metrics = readJsonFile<MetricsFile>(join(dir, RUN_FILES.metrics));
    if (metrics?.metrics && statuses[i] === "done") line.metrics = metrics.metrics;
    const started = state?.started ? Date.parse(state.started) : Number.NaN;
    const ended = state?.ended ? Date.parse(state.ended) : statuses[i] === "running" ? now : Number.NaN;
    if (Number.isFinite(started) && Number.isFinite(ended))
      line.seconds = Math.max(0, (ended - started) / 1000);
    const log = join(dir, RUN_FILES.log);
    const rel = relative(cwd, log);
    line.log = rel.length < log.length ? rel : log;
    if (state?.error) line.error = state.error;
    return line;
  });
}
