import { canonicalJson } from "../util/canonical-json.js";
import { getAt, splitPath } from "./paths.js";
import type { Plan, PlannedRun } from "./plan.js";

// A table cell is the mean of the runs that share its row and column values.
// Seeds and folds are there to be averaged; any other swept path whose value
// differs inside a cell mixes configurations into one number without a word
// (a swept learning rate that is neither a row nor a column). `plan` and `run`
// warn; the spec alone shows it, so it is said before anything trains.

/** Replicate axes: averaging over them is what a cell is for. */
const REPLICATES = new Set(["seed", "labels.fold"]);

/** One warning naming every swept path that varies inside some cell of the table; none when each cell is one setting. */
export function mixedCellWarnings(
  plan: Pick<Plan, "columns" | "runs">,
  table: { rows: readonly string[]; columns: readonly string[] } | undefined,
): string[] {
  if (!table) return [];
  const shown = [...table.rows, ...table.columns].map(splitPath);
  const cells = new Map<string, PlannedRun[]>();
  for (const run of plan.runs) {
    const cell = canonicalJson(shown.map((p) => getAt(run.config, p) ?? null));
    const runs = cells.get(cell);
    if (runs) runs.push(run);
    else cells.set(cell, [run]);
  }
  const mixed = plan.columns.filter(
    (path, i) =>
      !REPLICATES.has(path) &&
      [...cells.values()].some(
        (runs) => new Set(runs.map((r) => canonicalJson(r.values[i] ?? null))).size > 1,
      ),
  );
  if (mixed.length === 0) return [];
  const them = mixed.length === 1 ? "it" : "them";
  return [
    `table cells average runs that differ in ${mixed.join(", ")} (swept, but not among table.rows or table.columns), ` +
      `so a cell's mean mixes those settings; add ${them} to table.rows or table.columns, or pin ${them} with --set`,
  ];
}
