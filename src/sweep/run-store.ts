import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeJsonAtomic } from "../util/atomic-write.js";

// One run's directory: results/<experiment>/runs/<key>/
//   run.json      inputs (resolved config, swept values, split, code version) + provenance
//   state.json    lifecycle: running → done | failed | interrupted (written atomically)
//   lock          held by the process executing the run
//   log           the worker's (and external trainer's) stdout + stderr
//   events.jsonl  progress / checkpoint / metrics events, one JSON object per line
//   predictions.json, metrics.json, checkpoints/, out/ (the external trainer's {out})

export type RunStatus = "new" | "running" | "done" | "failed" | "interrupted";

export interface RunState {
  status: Exclude<RunStatus, "new">;
  /** 1 for the first execution; a resume or retry increments it. */
  attempt: number;
  /** Executions that continued from a checkpoint (preemption, kill, requeue). */
  restarts: number;
  pid?: number;
  host?: string;
  started?: string;
  updated: string;
  ended?: string;
  error?: string;
  exitCode?: number | null;
}

export const RUN_FILES = {
  run: "run.json",
  state: "state.json",
  lock: "lock",
  log: "log",
  events: "events.jsonl",
  predictions: "predictions.json",
  metrics: "metrics.json",
  checkpoints: "checkpoints",
  out: "out",
} as const;

export function runsDir(resultsDir: string, experiment: string): string {
  return join(resultsDir, experiment, "runs");
}

export function runDir(resultsDir: string, experiment: string, key: string): string {
  return join(runsDir(resultsDir, experiment), key);
}

export function readJsonFile<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

export function readState(dir: string): RunState | undefined {
  return readJsonFile<RunState>(join(dir, RUN_FILES.state));
}

export async function writeState(dir: string, state: RunState): Promise<void> {
  await writeJsonAtomic(join(dir, RUN_FILES.state), state);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The status a person should see: a "running" state whose process is gone
 * (a kill -9, a crashed node) is "interrupted", so the next run resumes it.
 */
export function effectiveStatus(dir: string, now = Date.now()): RunStatus {
  const state = readState(dir);
  if (!state) return "new";
  if (state.status !== "running") return state.status;
  if (state.host === hostname() && state.pid !== undefined)
    return pidAlive(state.pid) ? "running" : "interrupted";
  // Another host: trust its heartbeat (state.updated) for a while.
  return now - Date.parse(state.updated) > STALE_AFTER_MS ? "interrupted" : "running";
}

/** A run whose holder has not written for this long is considered gone. */
export const STALE_AFTER_MS = 10 * 60 * 1000;
