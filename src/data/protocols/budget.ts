import type { BudgetLabels } from "../../spec/types.js";
import { SpecValueError } from "../../util/errors.js";
import type { DetectionDataset } from "../detection-dataset.js";
import { NumpyLegacyRandom } from "../mt19937.js";
import { rankOf } from "../rng.js";
import { annotationsOfImages, complement, type Derivation, imageKey, sizeOf } from "./derivation.js";

// `budget`: a labelled/unlabelled image split.
//
// labelsweep mode: every image gets rank = sha256("labelsweep/budget/v1", fold, image id)
// and the k lowest ranks are labelled, k = floor(fraction · N) or `count`.
// Sampling is without replacement (METHODS.md §6: STAC/mmdet draw with
// replacement and silently under-count), and the 1 % set of a fold is a
// prefix of its 5 % set, so budgets nest by construction (RUNNERS.md §4.1).
// Ranks depend on image ids, not list positions, so reordering the file does
// not change the split (unlike Unbiased Teacher's index lists).
//
// compat mmdet: mmdetection tools/misc/split_coco.py exactly —
// np.random.seed(fold); np.random.choice(range(N), size=int(p/100·N)) with
// replacement; the labelled set is the set of drawn list positions.

/** The ranking namespace of nested labelsweep budgets (also the initial set of `active`). */
export const BUDGET_RANKING = (fold: number): (string | number)[] => ["labelsweep/budget/v1", fold];

/** How many of `total` images a budget labels (floor(fraction · N), or count); refuses 0 and more than N. */
export function budgetSize(spec: BudgetLabels, total: number): number {
  const k = sizeOf(spec, total, ["labels"]);
  if (k === 0) {
    throw new SpecValueError(
      ["labels", spec.fraction !== undefined ? "fraction" : "count"],
      `a budget of ${spec.fraction !== undefined ? `fraction ${spec.fraction}` : `count ${spec.count}`} ` +
        `labels no image of ${total} (floor(fraction · N) = 0)`,
    );
  }
  return k;
}

export function deriveBudget(ds: DetectionDataset, spec: BudgetLabels, fold: number): Derivation {
  const total = ds.images.count;
  const k = budgetSize(spec, total);
  const compat = spec.compat ?? "labelsweep";
  let labeled: Int32Array;
  const details: Derivation["details"] = { requested: k, compat };
  if (compat === "mmdet") {
    if (spec.nested === false) {
      throw new SpecValueError(
        ["labels", "nested"],
        "false is not available with compat: mmdet (its draws always nest: a smaller budget of a fold is a prefix of a larger one's draws)",
      );
    }
    const draws = new NumpyLegacyRandom(fold).choiceWithReplacement(total, k);
    const chosen = new Uint8Array(total);
    for (const d of draws) chosen[d] = 1;
    labeled = indicesWhere(chosen);
    details.draws = k;
    details.unique = labeled.length;
  } else {
    const nested = spec.nested ?? true;
    // nested: false gives each budget its own independent draw.
    const prefix: (string | number)[] = nested
      ? BUDGET_RANKING(fold)
      : [
          "labelsweep/budget/v1",
          fold,
          spec.fraction !== undefined ? `fraction=${spec.fraction}` : `count=${spec.count}`,
        ];
    labeled = lowestRanks(ds, prefix, k);
    details.nested = nested;
  }
  return {
    labeled,
    unlabeled: complement(total, labeled),
    kept: annotationsOfImages(ds, labeled),
    details,
  };
}

/** The k images with the lowest rank sha256(prefix…, id), as ascending indices. */
export function lowestRanks(
  ds: DetectionDataset,
  prefix: readonly (string | number)[],
  k: number,
): Int32Array {
  return rankedImages(ds, prefix).slice(0, k).sort();
}

const rankCache = new WeakMap<DetectionDataset, Map<string, Int32Array>>();

/** All image indices ordered by rank sha256(prefix…, id); ties (never seen in practice) by index. Cached per dataset. */
export function rankedImages(ds: DetectionDataset, prefix: readonly (string | number)[]): Int32Array {
  let byPrefix = rankCache.get(ds);
  if (!byPrefix) {
    byPrefix = new Map();
    rankCache.set(ds, byPrefix);
  }
  const key = prefix.map(String).join("\u001f");
  let order = byPrefix.get(key);
  if (!order) {
    order = computeRanking(ds, prefix);
    byPrefix.set(key, order);
  }
  return order;
}

function computeRanking(ds: DetectionDataset, prefix: readonly (string | number)[]): Int32Array {
  const total = ds.images.count;
  const ranks = new Float64Array(total);
  for (let i = 0; i < total; i++) ranks[i] = rankOf([...prefix, imageKey(ds, i)]);
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  return order.sort((a, b) => (ranks[a] as number) - (ranks[b] as number) || a - b);
}

function indicesWhere(mask: Uint8Array): Int32Array {
  let n = 0;
  for (const m of mask) n += m;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[k++] = i;
  return out;
}
