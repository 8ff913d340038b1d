import { closeSync, constants, lstatSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { pidAlive, recordedProcessAlive } from "./process-identity.js";

// One run's directory: results/<experiment>/runs/<key>/
//   run.json      inputs (resolved config, swept values, split, code version) + provenance
//   state.json    lifecycle: running → done | failed | interrupted (written atomically)
//   lock          held by the process executing the run
//   log           the worker's (and external trainer's) stdout + stderr
//   events.jsonl  progress / checkpoint / metrics events, one JSON object per line
//   predictions.json, metrics.json, checkpoints/, out/ (the external trainer's {out})

/**
 * corrupt: state.json exists but cannot be read as a state (truncated, not
 * JSON); unknown: its status is none this labelsweep knows. Neither is run
 * again on its own: their outputs are kept until a person looks.
 */
export type RunStatus =
  | "new"
  | "running"
  | "done"
  | "failed"
  | "interrupted"
  | "corrupt"
  | "unknown"
  /** Not stored: a run whose parent failed (dependent runs, chains.ts). */
  | "blocked";

export interface RunState {
  status: Exclude<RunStatus, "new" | "corrupt" | "unknown" | "blocked">;
  /** 1 for the first execution; a resume or retry increments it. */
  attempt: number;
  /** Executions that continued from a checkpoint (preemption, kill, requeue). */
  restarts: number;
  pid?: number;
  host?: string;
  /** The process's start ("<boot id>:<ticks>", Linux): tells a live run from a reused pid. */
  pidStart?: string;
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

/** Names in a run directory that must be a plain file or folder, never a symbolic link. */
const WRITTEN = [...Object.values(RUN_FILES), "config.json"];

/** Files of a run directory that are symbolic links (planted: labelsweep never makes one). */
export function plantedLinks(dir: string): string[] {
  return WRITTEN.filter((name) => {
    try {
      return lstatSync(join(dir, name)).isSymbolicLink();
    } catch {
      return false;
    }
  });
}

/** Appends to a run's log or events file, refusing to follow a symbolic link (O_NOFOLLOW). */
export function appendNoFollow(file: string, text: string): void {
  const fd = openSync(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function runsDir(resultsDir: string, experiment: string): string {
  return join(resultsDir, experiment, "runs");
}

export function runDir(resultsDir: string, experiment: string, key: string): string {
  return join(runsDir(resultsDir, experiment), key);
}

export function readJsonFile<T>(file: string): T | undefined {
  const r = readJsonChecked<T>(file);
  return r.kind === "ok" ? r.value : undefined;
}

export type JsonRead<T> = { kind: "missing" } | { kind: "ok"; value: T } | { kind: "corrupt"; error: string };

/** A JSON file, telling a missing file from one that cannot be read or parsed. */
export function readJsonChecked<T>(file: string): JsonRead<T> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "corrupt", error: `cannot be read (${code ?? (err as Error).message})` };
  }
  if (text.trim() === "") return { kind: "corrupt", error: "is empty (truncated?)" };
  try {
    return { kind: "ok", value: JSON.parse(text) as T };
  } catch (err) {
    return { kind: "corrupt", error: `is not valid JSON (${(err as Error).message})` };
  }
}

const KNOWN: readonly string[] = ["running", "done", "failed", "interrupted"];

export type StateRead =
  | { kind: "missing" }
  | { kind: "ok"; state: RunState }
  | { kind: "corrupt"; error: string }
  | { kind: "unknown"; status: string; state: RunState };

/** A run's state.json, checked: what it says, or why it cannot be trusted. */
export function readStateChecked(dir: string): StateRead {
  const r = readJsonChecked<RunState>(join(dir, RUN_FILES.state));
  if (r.kind !== "ok") return r;
  const s = r.value as Partial<RunState> | null;
  if (!s || typeof s !== "object" || Array.isArray(s) || typeof s.status !== "string")
    return { kind: "corrupt", error: "has no status (not a labelsweep run state)" };
  if (!KNOWN.includes(s.status)) return { kind: "unknown", status: s.status, state: s as RunState };
  return { kind: "ok", state: s as RunState };
}

/** The state when it can be trusted (a corrupt or unknown one is undefined here: see readStateChecked). */
export function readState(dir: string): RunState | undefined {
  const r = readStateChecked(dir);
  return r.kind === "ok" ? r.state : undefined;
}

/** Why a run's state cannot be trusted, for status and plan ("" when it can). */
export function stateProblem(dir: string): string {
  const r = readStateChecked(dir);
  if (r.kind === "corrupt")
    return `state.json ${r.error}; the run's outputs are kept (look at them, then remove state.json to run it again)`;
  if (r.kind === "unknown")
    return `state.json says status ${JSON.stringify(r.status)}, which this labelsweep does not know (written by another version?); the run's outputs are kept`;
  return "";
}

export async function writeState(dir: string, state: RunState): Promise<void> {
  await writeJsonAtomic(join(dir, RUN_FILES.state), state);
}

/**
 * Records a run as failed now: `base` is what its state said (or a stand-in
 * when it had none), `exitCode` the process's when one ended.
 */
export async function writeFailed(
  dir: string,
  base: Pick<RunState, "attempt" | "restarts"> & Partial<RunState>,
  error: string,
  exitCode?: number | null,
): Promise<void> {
  const now = new Date().toISOString();
  await writeState(dir, {
    ...base,
    status: "failed",
    updated: now,
    ended: now,
    error,
    ...(exitCode === undefined ? {} : { exitCode }),
  });
}

export { pidAlive };

/** The newest sign of life of a run's holder: its state's `updated` or its lock's heartbeat (mtime). */
export function lastHeartbeat(dir: string, state: RunState): number {
  let beat = Date.parse(state.updated);
  try {
    beat = Math.max(Number.isNaN(beat) ? 0 : beat, statSync(join(dir, RUN_FILES.lock)).mtimeMs);
  } catch {
    // No lock file: the state's own time is all there is.
  }
  return Number.isNaN(beat) ? 0 : beat;
}

/**
 * The status a person should see: a "running" state whose process is gone
 * (a kill -9, a crashed node, a reused pid) is "interrupted", so the next run
 * resumes it. On this host the process (pid + start time) decides; on another
 * host, the heartbeat.
 */
export function effectiveStatus(dir: string, now = Date.now()): RunStatus {
  const r = readStateChecked(dir);
  if (r.kind === "missing") return "new";
  if (r.kind === "corrupt") return "corrupt";
  if (r.kind === "unknown") return "unknown";
  const state = r.state;
  if (state.status !== "running") return state.status;
  const alive = recordedProcessAlive(state);
  if (alive !== null) return alive ? "running" : "interrupted";
  return now - lastHeartbeat(dir, state) > STALE_AFTER_MS ? "interrupted" : "running";
}

/** A run whose holder has not written for this long is considered gone. */
export const STALE_AFTER_MS = 10 * 60 * 1000;
/** With --force, a holder on another host that missed this many heartbeats (30 s each) is gone. */
export const FORCE_STALE_AFTER_MS = 90 * 1000;
