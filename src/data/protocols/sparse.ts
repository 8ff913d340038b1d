import type { SparseLabels, SparseLevel } from "../../spec/types.js";
import { UserError } from "../../util/errors.js";
import { annotationsOf, type DetectionDataset } from "../detection-dataset.js";
import { Xoshiro128 } from "../rng.js";
import { type Derivation, everything, imageKey, isCrowd } from "./derivation.js";

// `sparse`: boxes are removed, images stay (METHODS.md §2b: "Only boxes are
// removed; no image becomes unlabelled"). The construction rules of
// Co-mining's files are unverified, so these are the runner defaults that
// METHODS.md §2b suggests, each made explicit:
//   easy       drop 1 box per image with n ≥ 2 (n ≥ 1 with keep_at_least_one: false)
//   hard       drop ⌊n/2⌋ boxes per image (keep ⌈n/2⌉)
//   extreme    keep 1 box per image
//   missing50p drop each box with p = 0.5; keep one when all would go
//              (keep_at_least_one, default true; false lets images go empty)
//   {keep: f}  keep ⌈f·n⌉ boxes per image (so {keep: 0.5} = hard)
// n counts the image's non-crowd boxes; crowd regions are "ignore" areas, not
// instances, and are always kept. Each image draws from its own stream,
// xoshiro128** seeded by sha256("labelsweep/sparse/v1", level, fold, image id),
// so the result for one image does not depend on the rest of the file. The
// per-image choice: shuffle the candidate boxes (Fisher–Yates) and keep the
// first m, except missing50p, which flips one coin per box in file order.

export function sparseLevelName(level: SparseLevel): string {
  return typeof level === "string" ? level : `keep=${level.keep}`;
}

/** Boxes kept out of n by a fixed-count level (missing50p is not fixed-count). */
export function keepCount(
  level: Exclude<SparseLevel, "missing50p">,
  n: number,
  keepAtLeastOne: boolean,
): number {
  if (n === 0) return 0;
  if (level === "easy") return n >= 2 || !keepAtLeastOne ? n - 1 : n;
  if (level === "hard") return n - Math.floor(n / 2);
  if (level === "extreme") return 1;
  // ⌈f·n⌉, with a tolerance so that e.g. 0.7 · 10 = 7.000000000000001 keeps 7, not 8.
  return Math.min(n, Math.ceil(level.keep * n - 1e-9));
}

export function validateSparse(spec: SparseLabels): void {
  const level = spec.level;
  if (typeof level === "object") {
    if (!(level.keep > 0 && level.keep <= 1)) {
      throw new UserError(`labels.level.keep must be in (0, 1], got ${level.keep}`);
    }
  }
  if (spec.keep_at_least_one === false && level !== "easy" && level !== "missing50p") {
    throw new UserError(
      `labels.keep_at_least_one: false has no effect with level ${sparseLevelName(level)} (it always keeps a box); ` +
        "it applies to easy and missing50p",
    );
  }
}

export function deriveSparse(ds: DetectionDataset, spec: SparseLabels, fold: number): Derivation {
  validateSparse(spec);
  const level = spec.level;
  const name = sparseLevelName(level);
  const keepAtLeastOne = spec.keep_at_least_one ?? true;
  const keptMask = new Uint8Array(ds.annotations.count);
  let emptied = 0;
  const candidates: number[] = [];
  for (let i = 0; i < ds.images.count; i++) {
    candidates.length = 0;
    for (const a of annotationsOf(ds, i)) {
      if (isCrowd(ds, a)) keptMask[a] = 1;
      else candidates.push(a);
    }
    const n = candidates.length;
    if (n === 0) continue;
    const rng = Xoshiro128.fromParts(["labelsweep/sparse/v1", name, fold, imageKey(ds, i)]);
    let kept = 0;
    if (level === "missing50p") {
      for (const a of candidates) {
        if (rng.nextUint32() >= 0x80000000) {
          keptMask[a] = 1;
          kept++;
        }
      }
      if (kept === 0 && keepAtLeastOne) {
        keptMask[candidates[rng.nextInt(n)] as number] = 1;
        kept = 1;
      }
    } else {
      const m = keepCount(level, n, keepAtLeastOne);
      rng.shuffle(candidates);
      for (let j = 0; j < m; j++) keptMask[candidates[j] as number] = 1;
      kept = m;
    }
    if (kept === 0) emptied++;
  }
  let n = 0;
  for (const k of keptMask) n += k;
  const kept = new Int32Array(n);
  let j = 0;
  for (let a = 0; a < keptMask.length; a++) if (keptMask[a]) kept[j++] = a;
  return {
    labeled: everything(ds.images.count),
    unlabeled: new Int32Array(0),
    kept,
    details: { level: name, keep_at_least_one: keepAtLeastOne, images_left_without_boxes: emptied },
  };
}
