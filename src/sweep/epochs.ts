import { labelledPerStep } from "../spec/train-length.js";
import type { RunConfig, TrainSpec } from "../spec/types.js";
import type { Plan } from "./plan.js";
import { runNames } from "./plan-format.js";

// First-spec defaults that do not mislead (issue 17 §8). With a fixed
// `train.iterations`, a sweep over label budgets trains the larger budgets for
// fewer passes over their labelled images: a 5/10/25 % sweep at 300
// iterations gave AP50 53.2 → 61.1 → 54.7 (the 25 % runs underfit), and the
// quickstart's 100 % cell fell below its 30 % cell (10.7 vs 35.6 passes). `plan`
// warns when a tfjs run sees each labelled image fewer than MIN_PASSES times,
// and points at `train.epochs`, which sizes the run by its labelled set.

/** Passes over the labelled images below which a tfjs run is likely to underfit. */
export const MIN_PASSES = 20;

/** Labelled training images of a run when the spec alone tells (the built-in shapes dataset), else null. */
export function labelledImages(config: RunConfig): number | null {
  const dataset = config.dataset as { name: string; train_images?: number };
  if (dataset.name !== "shapes") return null;
  const total = dataset.train_images ?? 2000;
  const labels = config.labels as { protocol: string; fraction?: number; count?: number };
  switch (labels.protocol) {
    case "full":
    case "sparse":
    case "single-positive":
      return total;
    case "budget":
      // budget.ts: floor(fraction · N) or count images.
      if (typeof labels.count === "number") return Math.min(labels.count, total);
      return typeof labels.fraction === "number" ? Math.floor(labels.fraction * total) : null;
    default:
      return null;
  }
}

function usesTfjs(config: RunConfig): boolean {
  const e = config.engine as unknown;
  return e === "tfjs" || (typeof e === "object" && e !== null && (e as { name?: string }).name === "tfjs");
}

/** One warning per distinct (iterations, batch, labelled images) that falls under MIN_PASSES. */
export function epochWarnings(plan: Plan): string[] {
  const names = runNames(plan);
  const seen = new Map<
    string,
    { runs: number; name: string; passes: number; iterations: number; batch: number; labelled: number }
  >();
  plan.runs.forEach((run, i) => {
    const train = run.config.train as TrainSpec;
    if (train.epochs !== undefined || !usesTfjs(run.config)) return;
    const labelled = labelledImages(run.config);
    if (!labelled) return;
    const iterations = train.iterations ?? 1000;
    // Labelled images per step: a semi-supervised method's batch is part unlabelled.
    const batch = labelledPerStep(train, run.config.method.name);
    const passes = (iterations * batch) / labelled;
    if (passes >= MIN_PASSES) return;
    const id = `${iterations}|${batch}|${labelled}`;
    const entry = seen.get(id) ?? { runs: 0, name: names[i] ?? "", passes, iterations, batch, labelled };
    entry.runs++;
    seen.set(id, entry);
  });
  return [...seen.values()].map((w) => {
    const who = w.runs === 1 ? `run ${w.name || "0"}` : `${w.runs} runs (e.g. ${w.name || "run 0"})`;
    const needed = Math.ceil((MIN_PASSES * w.labelled) / w.batch);
    return (
      `${who} see${w.runs === 1 ? "s" : ""} each labelled image ${w.passes.toFixed(1)} times ` +
      `(${w.iterations} iterations × ${w.batch} labelled images per step / ${w.labelled} labelled images); under ${MIN_PASSES} passes ` +
      `a detector underfits, so larger budgets can score below smaller ones. Set train.epochs (iterations then ` +
      `follow each run's labelled set) or train.iterations ≥ ${needed}.`
    );
  });
}
