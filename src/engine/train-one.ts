// `labelsweep train`: one run of a spec, in this process, on the tfjs engine
// (for debugging a configuration; the runner drives runs through workers).
// The run is picked from the expanded sweep by index or key prefix; its split
// is prepared (or found in the cache) exactly as `labelsweep run` does, and
// its predictions are scored with labelsweep's evaluator.

import { dirname, join, resolve } from "node:path";
import { dataSplits, prepareSplitsForRuns } from "../data/index.js";
import type { EvalReport } from "../eval/types.js";
import type { RunConfig } from "../spec/types.js";
import { pickRun } from "../sweep/pick-run.js";
import { resolveSweep } from "../sweep/resolve.js";
import { UserError } from "../util/errors.js";
import type { BackendChoice } from "./backend.js";
import { runTfjsEngine, type TfjsOutcome } from "./run-tfjs.js";
import { scorePredictions } from "./score.js";
import { splitInputs } from "./split-inputs.js";
import type { TrainEvent } from "./train/loop.js";

export interface TrainOneOptions {
  set?: string[];
  sweep?: string[];
  resultsDir?: string;
  /** Which run of the sweep: its index in the plan (default 0) or a prefix of its key. */
  run?: string;
  backend?: BackendChoice;
  threads?: number;
  /** Continue from the run's checkpoint instead of starting over. */
  resume?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** What the overrides did beyond setting values (pinned sweep axes). */
  onNotes?: (notes: readonly string[]) => void;
}

export interface TrainOneResult {
  key: string;
  index: number;
  runs: number;
  config: RunConfig;
  dir: string;
  outcome: TfjsOutcome;
  report?: EvalReport;
}

export async function trainOne(specFile: string, options: TrainOneOptions = {}): Promise<TrainOneResult> {
  const baseDir = dirname(resolve(specFile));
  const resolved = await resolveSweep(specFile, {
    set: options.set ?? [],
    sweep: options.sweep ?? [],
    ...(options.resultsDir === undefined ? {} : { resultsDir: options.resultsDir }),
    splits: dataSplits(baseDir),
  });
  options.onNotes?.(resolved.notes);
  const runs = resolved.plan.runs;
  const index = pickRun(resolved.plan, options.run);
  const run = runs[index]!;
  let config = run.config;
  if ("command" in config.engine) {
    throw new UserError("this run uses engine.command (an external trainer): run it with `labelsweep run`");
  }
  if (options.backend) config = { ...config, engine: { name: "tfjs", backend: options.backend } };
  const prepared = await prepareSplitsForRuns(
    [config],
    join(resolved.resultsDir, resolved.plan.experiment, "splits"),
    {
      baseDir,
    },
  );
  const files = prepared.filesFor(config);
  const dir = join(resolved.resultsDir, resolved.plan.experiment, "train", run.key.slice(0, 12));
  const outcome = await runTfjsEngine(config, await splitInputs(config, files), {
    dir,
    resume: options.resume ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const result: TrainOneResult = { key: run.key, index, runs: runs.length, config, dir, outcome };
  if (outcome.kind === "predictions" && files.eval_annotations) {
    result.report = await scorePredictions(config.eval, files.eval_annotations, outcome.file);
  }
  return result;
}
