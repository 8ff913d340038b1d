import { readdirSync } from "node:fs";
import { effectiveStatus, type RunStatus, runDir, runsDir } from "./run-store.js";

// The status of many planned runs at once, for `labelsweep plan`: one readdir
// of results/<experiment>/runs/, then state.json only for the keys that have a
// directory, so planning 100k runs against an empty results dir reads nothing.

export type { RunStatus };

export const RUN_STATUSES: readonly RunStatus[] = [
  "new",
  "done",
  "failed",
  "running",
  "interrupted",
  "corrupt",
  "unknown",
  "blocked",
];

/** Status of one run key: "new" when its directory or state.json is missing. */
export function readRunStatus(resultsDir: string, experiment: string, key: string): RunStatus {
  return effectiveStatus(runDir(resultsDir, experiment, key));
}

/** Statuses of `keys`, in order. */
export function readRunStatuses(
  resultsDir: string,
  experiment: string,
  keys: readonly string[],
): RunStatus[] {
  let present: Set<string>;
  try {
    present = new Set(readdirSync(runsDir(resultsDir, experiment)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return keys.map(() => "new");
    throw err;
  }
  const now = Date.now();
  return keys.map((key) =>
    present.has(key) ? effectiveStatus(runDir(resultsDir, experiment, key), now) : "new",
  );
}
