import { dirname, resolve } from "node:path";
import { type LoadOptions, loadSpec } from "../spec/load.js";
import { codeVersion } from "./code-version.js";
import { type Plan, planSpec, type SplitHash } from "./plan.js";
import { defaultResultsDir } from "./project.js";
import { type RunStatus, readRunStatuses } from "./run-status.js";

// The whole of `labelsweep plan` short of printing: load the spec (extends,
// --set, --sweep), take the code version once, expand and check the sweep,
// key every run, and read each run's status from the results directory.

export interface PlanFileOptions extends LoadOptions {
  /** Where results/<experiment>/runs/<key>/ live (default "results", from the working directory). */
  resultsDir?: string;
  maxRuns?: number;
  splitHash?: SplitHash;
}

export interface PlanWithStatus {
  plan: Plan;
  statuses: RunStatus[];
  resultsDir: string;
  /** The spec file and every file it extends. */
  files: string[];
}

export async function planFile(path: string, options: PlanFileOptions = {}): Promise<PlanWithStatus> {
  const overrides: LoadOptions = {};
  if (options.set) overrides.set = options.set;
  if (options.sweep) overrides.sweep = options.sweep;
  const loaded = loadSpec(path, overrides);
  const resultsDir = resolve(options.resultsDir ?? defaultResultsDir(path));
  // Spec files and results are left out of the dirty hash: the spec enters each
  // key through its config, and results are written by the runs themselves.
  const code = await codeVersion(dirname(resolve(path)), {
    exclude: [...loaded.files, resultsDir],
    specDirs: [dirname(resolve(path))],
  });
  const plan = planSpec(loaded.spec, {
    code,
    locate: loaded.locate,
    ...(options.maxRuns === undefined ? {} : { maxRuns: options.maxRuns }),
    ...(options.splitHash ? { splitHash: options.splitHash } : {}),
  });
  const statuses = readRunStatuses(
    resultsDir,
    plan.experiment,
    plan.runs.map((r) => r.key),
  );
  return { plan, statuses, resultsDir, files: loaded.files };
}
