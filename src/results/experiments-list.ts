import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { OWNER_FILE } from "../sweep/experiment-owner.js";
import type { RunStatus } from "../sweep/run-status.js";
import { effectiveStatus, readJsonFile, readState, runsDir } from "../sweep/run-store.js";

// `labelsweep ls [results]`: the experiments in a results folder, with their
// runs by status, last activity and table (like `dvc exp show`, one line each).

export interface ExperimentListing {
  experiment: string;
  dir: string;
  /** Runs found under runs/, by status (or, without run folders, as the summary records them). */
  runs: Record<Exclude<RunStatus, "new">, number> & { total: number };
  /** Where the counts come from: the run folders, or a summary alone (a fresh clone holds only that). */
  counted: "runs" | "summary";
  /** Latest time anything happened: a run's state, or the summary (ISO), null when nothing. */
  lastActivity: string | null;
  /** table.md, when written. */
  table: string | null;
  /** The spec that owns the folder (experiment.json), relative to the results folder's parent. */
  spec: string | null;
}

function mtime(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

export function listExperiments(resultsDir: string): ExperimentListing[] {
  let names: string[];
  try {
    names = readdirSync(resultsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  const out: ExperimentListing[] = [];
  for (const experiment of names) {
    const dir = join(resultsDir, experiment);
    const summary = join(dir, "summary.json");
    const runs = runsDir(resultsDir, experiment);
    if (!existsSync(summary) && !existsSync(runs)) continue;
    const counts = {
      done: 0,
      failed: 0,
      running: 0,
      interrupted: 0,
      corrupt: 0,
      unknown: 0,
      blocked: 0,
      total: 0,
    };
    let last = mtime(summary) ?? 0;
    let keys: string[] = [];
    try {
      keys = readdirSync(runs);
    } catch {
      keys = [];
    }
    const now = Date.now();
    for (const key of keys) {
      const runDir = join(runs, key);
      const status = effectiveStatus(runDir, now);
      if (status === "new") continue;
      counts[status]++;
      counts.total++;
      const updated = Date.parse(readState(runDir)?.updated ?? "");
      if (Number.isFinite(updated)) last = Math.max(last, updated);
    }
    let counted: ExperimentListing["counted"] = "runs";
    if (counts.total === 0 && existsSync(summary)) {
      // A committed summary without its (git-ignored) run folders still says what ran.
      const cells = readJsonFile<{ cells?: { runs?: { status?: string }[] }[] }>(summary)?.cells ?? [];
      for (const run of cells.flatMap((c) => c.runs ?? [])) {
        const status = run.status as keyof typeof counts;
        if (status in counts && status !== "total") {
          counts[status]++;
          counts.total++;
        }
      }
      if (counts.total > 0) counted = "summary";
    }
    const table = join(dir, "table.md");
    const owner = readJsonFile<{ spec?: string }>(join(dir, OWNER_FILE));
    out.push({
      experiment,
      dir,
      runs: counts,
      counted,
      lastActivity: last > 0 ? new Date(last).toISOString() : null,
      table: existsSync(table) ? table : null,
      spec: typeof owner?.spec === "string" ? owner.spec : null,
    });
  }
  return out;
}

/** `3 min ago`, `2 h ago`, `5 d ago`. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "–";
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
