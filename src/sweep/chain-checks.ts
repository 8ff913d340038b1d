import { BUILTIN_DATASETS } from "../spec/compat.js";
import type { Expansion } from "./expand.js";
import { problem, type SweepProblem } from "./problems.js";

// What `validate` can tell about active-learning chains before any run
// (chains.ts): a cycle's split grows from its parents' selections, so the
// data stage must read the dataset; the pool is scored from detections, so
// the model must be a detector. One problem per distinct reason.

export function checkChains(expansion: Expansion): SweepProblem[] {
  const out: SweepProblem[] = [];
  const seen = new Set<string>();
  const add = (path: (string | number)[], message: string, hint?: string) => {
    if (seen.has(message)) return;
    seen.add(message);
    out.push(problem(path, "value", message, hint));
  };
  for (const cell of expansion.cells) {
    const c = cell.config;
    if (c.labels.protocol !== "active") continue;
    if (!(BUILTIN_DATASETS as readonly string[]).includes(c.dataset.name))
      add(
        ["dataset", "name"],
        `labels.protocol active: dataset ${JSON.stringify(c.dataset.name)} is not one labelsweep reads (${BUILTIN_DATASETS.join(", ")}); each cycle's split grows from the previous cycle's selection, so labelsweep must derive the splits`,
      );
    if (c.detector.arch === "mlc-lite")
      add(
        ["detector", "arch"],
        "labels.protocol active: acquisition scores detections, and mlc-lite is a multi-label classifier",
        "use ssd-lite or retinanet-lite",
      );
    if ((c.labels as { cycle_init?: string }).cycle_init === "continue" && "command" in (c.engine as object))
      add(
        ["labels", "cycle_init"],
        "labels.cycle_init continue: a cycle starts from the previous cycle's final weights, which only the built-in engine (engine: tfjs) hands over",
        "use cycle_init: reinit with engine.command, or engine: tfjs",
      );
    const pseudo = (c.labels as { pseudo_labels?: object }).pseudo_labels;
    if (pseudo && "command" in (c.engine as object))
      add(
        ["labels", "pseudo_labels"],
        "labels.pseudo_labels: the built-in engine pseudo-labels the pool and trains on the result; an external trainer (engine.command) is not handed them",
        "remove pseudo_labels, or use engine: tfjs",
      );
  }
  return out;
}
