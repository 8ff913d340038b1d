import { UserError } from "../../util/errors.js";
import type { DetectionDataset } from "../detection-dataset.js";
import { annotationsOfImages, complement, type Derivation, imageKey } from "./derivation.js";

// One acquisition cycle of `active`: the previous cycle's labelled set plus
// the images the acquisition function chose from its unlabelled pool
// (METHODS.md §1b, AL-SSL: +1000 per cycle). Which images to choose is the
// engine's business (it needs a trained model); this only checks the choice
// and derives the next split from it.

export function deriveActiveCycle(
  ds: DetectionDataset,
  previousLabeled: ReadonlySet<string>,
  selected: readonly (number | string)[],
  perCycle: number,
  cycle: number,
): Derivation {
  const index = new Map<string, number>();
  for (let i = 0; i < ds.images.count; i++) index.set(imageKey(ds, i), i);
  const chosen = new Set<string>();
  for (const raw of selected) {
    const id = String(raw);
    if (!index.has(id))
      throw new UserError(`active cycle ${cycle}: selected image ${id} is not in the training set`);
    if (previousLabeled.has(id))
      throw new UserError(`active cycle ${cycle}: selected image ${id} is already labelled`);
    if (chosen.has(id)) throw new UserError(`active cycle ${cycle}: image ${id} is selected twice`);
    chosen.add(id);
  }
  const pool = ds.images.count - previousLabeled.size;
  const expected = Math.min(perCycle, pool);
  if (chosen.size !== expected) {
    throw new UserError(
      `active cycle ${cycle}: expected ${expected} selected images (per_cycle ${perCycle}, pool ${pool}), got ${chosen.size}`,
    );
  }
  const labeled = Int32Array.from([...previousLabeled, ...chosen], (id) => index.get(id) as number).sort();
  return {
    labeled,
    unlabeled: complement(ds.images.count, labeled),
    kept: annotationsOfImages(ds, labeled),
    details: { cycle, selected: chosen.size },
  };
}
