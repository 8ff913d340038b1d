import type { ActiveLabels } from "../../spec/types.js";
import { SpecValueError } from "../../util/errors.js";
import type { DetectionDataset } from "../detection-dataset.js";
import { BUDGET_RANKING, lowestRanks } from "./budget.js";
import { annotationsOfImages, complement, type Derivation, sizeOf } from "./derivation.js";

// `active`: the initial labelled set and the unlabelled pool of an
// active-learning run (METHODS.md §1b / §6, AL-SSL: random initial set,
// fixed budget per cycle). The initial set is the budget split of the same
// size and fold (same ranking, budget.ts), so an active-learning run starts
// from exactly the images a `budget: {count: initial}` run labels. Later cycles add
// images chosen by the acquisition function from a trained model; those
// selections become child artifacts (see active-cycle.ts), not part of this one.

export function planActive(
  spec: ActiveLabels,
  total: number,
): { initial: number; perCycle: number; sizes: number[] } {
  const initial = sizeOf(spec.initial, total, ["labels", "initial"]);
  const perCycle = sizeOf(spec.per_cycle, total, ["labels", "per_cycle"]);
  if (!Number.isInteger(spec.cycles) || spec.cycles < 0) {
    throw new SpecValueError(["labels", "cycles"], `must be a whole number ≥ 0, got ${spec.cycles}`);
  }
  const sizes = Array.from({ length: spec.cycles + 1 }, (_, c) => initial + c * perCycle);
  const last = sizes[sizes.length - 1] as number;
  if (last > total) {
    throw new SpecValueError(
      ["labels", "cycles"],
      `${spec.cycles} cycles of ${perCycle} images after an initial ${initial} need ${last} images, ` +
        `but the dataset has ${total}`,
    );
  }
  return { initial, perCycle, sizes };
}

export function deriveActive(ds: DetectionDataset, spec: ActiveLabels, fold: number): Derivation {
  const plan = planActive(spec, ds.images.count);
  const labeled = lowestRanks(ds, BUDGET_RANKING(fold), plan.initial);
  return {
    labeled,
    unlabeled: complement(ds.images.count, labeled),
    kept: annotationsOfImages(ds, labeled),
    details: {
      cycle: 0,
      initial: plan.initial,
      per_cycle: plan.perCycle,
      cycles: spec.cycles,
      acquisition: spec.acquisition,
      planned_labeled_sizes: plan.sizes,
    },
  };
}
