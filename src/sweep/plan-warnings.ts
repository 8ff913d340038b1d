import { epochWarnings } from "./epochs.js";
import { mixedCellWarnings } from "./mixed-cells.js";
import type { Plan } from "./plan.js";

/** What `plan` and `run` warn about a plan before anything trains (one line each). */
export function planWarnings(
  plan: Plan,
  table: { rows: readonly string[]; columns: readonly string[] } | undefined,
): string[] {
  return [...epochWarnings(plan), ...mixedCellWarnings(plan, table)];
}
