import type { Plan } from "./plan.js";
import { shortKey } from "./run-key.js";
import type { RunStatus } from "./run-status.js";
import { runDir, stateProblem } from "./run-store.js";

// One line per run whose state cannot be trusted (corrupt or unknown status):
// `plan`, `status` and `run` name them instead of counting them silently.

export function stateNotes(plan: Plan, statuses: readonly RunStatus[], resultsDir: string): string[] {
  const out: string[] = [];
  plan.runs.forEach((run, i) => {
    const s = statuses[i];
    if (s !== "corrupt" && s !== "unknown") return;
    out.push(`${s} ${shortKey(run.key)}: ${stateProblem(runDir(resultsDir, plan.experiment, run.key))}`);
  });
  return out;
}
