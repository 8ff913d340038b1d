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
  /** The images an acquisition may draw from (default: all); others are neither labelled nor in the pool. */
  poolImages?: Int32Array,
): Derivation {
  const index = new Map<string, number>();
  const inPool = new Uint8Array(ds.images.count).fill(poolImages ? 0 : 1);
  for (const i of poolImages ?? []) inPool[i] = 1;
  for (let i = 0; i < ds.images.count; i++) if (inPool[i]) index.set(imageKey(ds, i), i);
  const chosen = new Set<string>();
  for (const raw of selected) {
    const id = String(raw);
    if (!index.has(id))
      throw new UserError(`active cycle ${cycle}: selected image ${id} is not in the training pool`);
    if (previousLabeled.has(id))
      throw new UserError(`active cycle ${cycle}: selected image ${id} is already labelled`);
    if (chosen.has(id)) throw new UserError(`active cycle ${cycle}: image ${id} is selected twice`);
    chosen.add(id);
  }
  const pool = index.size - previousLabeled.size;
  const expected = Math.min(perCycle, pool);
  if (chosen.size !== expected) {
    throw new UserError(
      `active cycle ${cycle}: expected ${expected} selected images (per_cycle ${perCycle}, pool ${pool}), got ${chosen.size}`,
    );
  }
  const labeled = Int32Array.from([...previousLabeled, ...chosen], (id) => index.get(id) as number).sort();
  const unlabeled = complement(ds.images.count, labeled).filter((i) => inPool[i] === 1);
  return {
    labeled,
    unlabeled,
    kept: annotationsOfImages(ds, labeled),
    details: { cycle, selected: chosen.size },
  };
}
