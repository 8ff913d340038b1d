import { dirname, join, resolve } from "node:path";
import type { ActiveLabels } from "../spec/types.js";
import { ancestorsOf } from "../sweep/chains.js";
import type { Plan, PlannedRun } from "../sweep/plan.js";
import type { RunRecord } from "../sweep/run-record.js";

// What run.json holds of a dependent run (sweep/chains.ts) for its worker:
// its parents and, for an active-learning cycle, its place in the chain and
// where the splits live, so the worker can grow its split from the parents'
// selections wherever it runs (a local slot, a Slurm node).

export function chainRecord(
  run: PlannedRun,
  plan: Plan,
  ctx: { resultsDir: string; specPath: string },
): Pick<RunRecord, "parents" | "active"> {
  if (run.cycle === undefined) return {};
  const byKey = new Map(plan.runs.map((r) => [r.key, r]));
  const labels = run.config.labels as ActiveLabels;
  // External trainers read shapes images from files (data/split-provider.ts does the same for cycle 0).
  const files = "command" in run.config.engine && run.config.dataset.name === "shapes";
  return {
    parents: (run.parents ?? []).map((key) => ({ key })),
    active: {
      cycle: run.cycle,
      cycles: labels.cycles,
      ancestors: ancestorsOf(run, byKey),
      splits: join(resolve(ctx.resultsDir), plan.experiment, "splits"),
      baseDir: dirname(resolve(ctx.specPath)),
      ...(files ? { shapesImages: "files" as const } : {}),
    },
  };
}
