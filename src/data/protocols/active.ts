import type { ActiveLabels } from "../../spec/types.js";
import { UserError } from "../../util/errors.js";
import type { DetectionDataset } from "../detection-dataset.js";
import { PythonRandom } from "../mt19937.js";
import { BUDGET_RANKING, lowestRanks } from "./budget.js";
import { annotationsOfImages, complement, type Derivation, sizeOf } from "./derivation.js";

// `active`: the initial labelled set and the unlabelled pool of an
// active-learning run (METHODS.md §1b / §6, AL-SSL: random initial set,
// fixed budget per cycle). The initial set is the budget split of the same
// size and fold (same ranking, budget.ts), so an active-learning run starts
// from exactly the images a `budget: {count: initial}` run labels. Later cycles add
// images chosen by the acquisition function from a trained model; those
// selections become child artifacts (see active-cycle.ts), not part of this one.
// compat al-ssl: AL-SSL's own initial set instead (METHODS.md §1b, §6), drawn
// over its pool in its loader's order with Python's random (mt19937.ts).

export function planActive(
  spec: ActiveLabels,
  total: number,
): { initial: number; perCycle: number; sizes: number[] } {
  const initial = sizeOf(spec.initial, total, "labels.initial");
  const perCycle = sizeOf(spec.per_cycle, total, "labels.per_cycle");
  if (!Number.isInteger(spec.cycles) || spec.cycles < 0) {
    throw new UserError(`labels.cycles must be a whole number ≥ 0, got ${spec.cycles}`);
  }
  const sizes = Array.from({ length: spec.cycles + 1 }, (_, c) => initial + c * perCycle);
  const last = sizes[sizes.length - 1] as number;
  if (last > total) {
    throw new UserError(
      `labels: ${spec.cycles} cycles of ${perCycle} images after an initial ${initial} need ${last} images, ` +
        `but the dataset has ${total}`,
    );
  }
  return { initial, perCycle, sizes };
}

/**
 * AL-SSL's pool in its loader's order: VOCDetection lists every line of the
 * image sets in order; COCODetection takes list(coco.imgToAnns.keys()), the
 * images in order of their first annotation (images without one are not in
 * the pool at all).
 */
export function alSslPool(ds: DetectionDataset): Int32Array {
  if (ds.format === "voc") return Int32Array.from({ length: ds.images.count }, (_, i) => i);
  const seen = new Uint8Array(ds.images.count);
  const pool: number[] = [];
  for (let a = 0; a < ds.annotations.count; a++) {
    const i = ds.annotations.imageIndex[a] as number;
    if (!seen[i]) {
      seen[i] = 1;
      pool.push(i);
    }
  }
  return Int32Array.from(pool);
}

/** AL-SSL loaders.py create_loaders: random.seed(314); shuffle(list(range(N))); the first `initial` are labelled. */
function alSslInitial(ds: DetectionDataset, spec: ActiveLabels) {
  const pool = alSslPool(ds);
  const plan = planActive(spec, pool.length);
  const order = Int32Array.from({ length: pool.length }, (_, i) => i);
  new PythonRandom(AL_SSL_SEED).shuffle(order);
  const labeled = Int32Array.from(order.subarray(0, plan.initial), (p) => pool[p]!).sort();
  const inPool = new Uint8Array(ds.images.count);
  for (const i of pool) inPool[i] = 1;
  const isLabeled = new Uint8Array(ds.images.count);
  for (const i of labeled) isLabeled[i] = 1;
  const unlabeled: number[] = [];
  for (let i = 0; i < ds.images.count; i++) if (inPool[i] && !isLabeled[i]) unlabeled.push(i);
  return { plan, labeled, unlabeled: Int32Array.from(unlabeled), outsidePool: ds.images.count - pool.length };
}

const AL_SSL_SEED = 314;

export function deriveActive(ds: DetectionDataset, spec: ActiveLabels, fold: number): Derivation {
  if ((spec.compat ?? "labelsweep") === "al-ssl") {
    const { plan, labeled, unlabeled, outsidePool } = alSslInitial(ds, spec);
    return {
      labeled,
      unlabeled,
      kept: annotationsOfImages(ds, labeled),
      details: {
        compat: "al-ssl",
        seed: AL_SSL_SEED,
        pool: labeled.length + unlabeled.length,
        images_outside_pool: outsidePool,
        cycle: 0,
        initial: plan.initial,
        per_cycle: plan.perCycle,
        cycles: spec.cycles,
        acquisition: spec.acquisition,
        planned_labeled_sizes: plan.sizes,
      },
    };
  }
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
