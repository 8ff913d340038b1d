import { UserError } from "../util/errors.js";
import type { Plan } from "./plan.js";

/**
 * One run of a plan, as `--run` names it (`train`, `config`): its index
 * (default 0) or a prefix of its key. A short number is always an index, never
 * a key prefix: "7" must not pick a key that happens to start with 7.
 */
export function pickRun(plan: Plan, pick = "0"): number {
  const runs = plan.runs;
  const asIndex = /^\d{1,5}$/.test(pick);
  const index = asIndex
    ? Number(pick) < runs.length
      ? Number(pick)
      : -1
    : runs.findIndex((r) => r.key.startsWith(pick));
  if (index < 0 || !runs[index]) {
    throw new UserError(
      `--run ${pick}: the plan has ${runs.length} run(s) (indices 0–${runs.length - 1})` +
        (asIndex ? "" : " and no key starting with it"),
    );
  }
  return index;
}
