import { UserError } from "../../util/errors.js";
import { rankOf } from "../rng.js";

// Which images of the unlabelled pool an active-learning cycle labels next,
// from per-image scores of the trained detector (METHODS.md §1a, AL-SSL
// `active_learning.py`): the top B by entropy, by consistency, or "combined"
// (the code's default: the `prefilter`·B images with the highest entropy keep
// their consistency score, every other image's becomes 0, then the top B by
// consistency — filter_entropy_num = 3000 for a budget of 1000, i.e. 3×), or
// `random`. Scores come from the engine (engine/active/acquire.ts) or an
// external trainer; choosing from them is plain data work and lives here.
// Ties are broken by the image id (numbers numerically, then strings), so the
// selection never depends on the order the scores were written in.

export type Acquisition = "random" | "entropy" | "consistency" | "combined";

/** One pool image's scores: the max over its kept detections (0 when none). */
export interface ImageScore {
  image_id: number | string;
  entropy?: number;
  consistency?: number;
}

export interface SelectOptions {
  acquisition: Acquisition;
  /** Images to label this cycle (already resolved from a count or fraction). */
  budget: number;
  /** combined: how many times the budget the entropy prefilter keeps (AL-SSL: 3000 / 1000 = 3). */
  prefilter?: number;
  /** random: the draw is keyed by (seed, cycle), so each seed's chain draws its own images. */
  seed: number;
  cycle: number;
}

export const DEFAULT_PREFILTER = 3;

/** Ascending id order: numbers before strings, numbers numerically. */
export function compareIds(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function byScore(key: (s: ImageScore) => number) {
  return (a: ImageScore, b: ImageScore) => key(b) - key(a) || compareIds(a.image_id, b.image_id);
}

function scoreOf(s: ImageScore, which: "entropy" | "consistency"): number {
  const v = s[which];
  if (v === undefined || !Number.isFinite(v))
    throw new UserError(`acquisition: image ${s.image_id} has no ${which} score`);
  return v;
}

/**
 * The images to label, best first. `pool` is every unlabelled image that may
 * be chosen (scores for images outside it are an error: an image is never
 * labelled twice); `labelled` the images labelled so far, checked against.
 */
export function selectImages(
  pool: readonly ImageScore[],
  labelled: ReadonlySet<string>,
  o: SelectOptions,
): (number | string)[] {
  const seen = new Set<string>();
  for (const s of pool) {
    const id = String(s.image_id);
    if (labelled.has(id)) throw new UserError(`acquisition: image ${id} is already labelled`);
    if (seen.has(id)) throw new UserError(`acquisition: image ${id} is scored twice`);
    seen.add(id);
  }
  if (!Number.isInteger(o.budget) || o.budget < 0)
    throw new UserError(`acquisition: budget must be a whole number ≥ 0, got ${o.budget}`);
  const budget = Math.min(o.budget, pool.length);
  // Every image must carry the scores its function reads (a partial file is an error, not a 0).
  const needs: ("entropy" | "consistency")[] =
    o.acquisition === "combined"
      ? ["entropy", "consistency"]
      : o.acquisition === "random"
        ? []
        : [o.acquisition];
  for (const s of pool) for (const which of needs) scoreOf(s, which);
  let ranked: ImageScore[];
  switch (o.acquisition) {
    case "random": {
      const rank = new Map(
        pool.map((s) => [s, rankOf(["labelsweep/active/random/v1", o.seed, o.cycle, String(s.image_id)])]),
      );
      ranked = [...pool].sort((a, b) => rank.get(a)! - rank.get(b)! || compareIds(a.image_id, b.image_id));
      break;
    }
    case "entropy":
      ranked = [...pool].sort(byScore((s) => scoreOf(s, "entropy")));
      break;
    case "consistency":
      ranked = [...pool].sort(byScore((s) => scoreOf(s, "consistency")));
      break;
    case "combined": {
      const factor = o.prefilter ?? DEFAULT_PREFILTER;
      if (!(factor >= 1)) throw new UserError(`acquisition: prefilter must be ≥ 1, got ${factor}`);
      const keep = Math.min(pool.length, Math.floor(factor * o.budget));
      const candidates = [...pool].sort(byScore((s) => scoreOf(s, "entropy"))).slice(0, keep);
      const kept = new Set(candidates);
      // AL-SSL sets the consistency of every image outside the prefilter to 0 and takes the top B;
      // with B ≤ prefilter·B the top B come from the candidates unless their scores are 0 too.
      const rest = pool.filter((s) => !kept.has(s)).map((s) => ({ ...s, consistency: 0 }));
      ranked = [...candidates, ...rest].sort(byScore((s) => (kept.has(s) ? scoreOf(s, "consistency") : 0)));
      break;
    }
    default: {
      const never: never = o.acquisition;
      throw new UserError(`acquisition: unknown function ${JSON.stringify(never)}`);
    }
  }
  return ranked.slice(0, budget).map((s) => s.image_id);
}
