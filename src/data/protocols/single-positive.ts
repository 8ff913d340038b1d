import type { SinglePositiveLabels } from "../../spec/types.js";
import { annotationsOf, CROWD, type DetectionDataset, DIFFICULT } from "../detection-dataset.js";
import { StreamKey } from "../rng.js";
import type { Derivation } from "./derivation.js";
import { imageKey } from "./derivation.js";
import { coleObserved, type ObservedDraw, scobObserved } from "./single-positive-compat.js";

// `single-positive`: one observed positive class per image, chosen uniformly
// among the image's positive classes (METHODS.md §5b: Cole et al. and Scob
// both pick one uniformly per image; images with no positive are dropped).
// Positives are classes with a non-difficult box (VOC difficult counts as
// "not positive", as Scob's VOC loader reads the class lists' 0 flag); a crowd
// region makes its class positive with crowd: positive (the default, as both
// references read COCO), not with crowd: ignore.
// compat (labels.compat):
//  - labelsweep: the choice comes from the image's own stream (rng.ts
//    StreamKey, key sha256("labelsweep/single-positive/v1", fold)), uniform
//    over the positive category indices in ascending order, so the file's
//    order and the other images do not matter;
//  - cole / scob: the exact observed labels of the reference code
//    (single-positive-compat.ts), Cole's 20 % validation hold-out included.
// Detection files keep only the boxes of the observed class (still one
// positive class per image); the image-level file is the primary output.

export type CrowdRule = "positive" | "ignore";

export function positiveClasses(ds: DetectionDataset, i: number, crowd: CrowdRule = "positive"): number[] {
  const skip = crowd === "positive" ? DIFFICULT : CROWD | DIFFICULT;
  const set = new Set<number>();
  for (const a of annotationsOf(ds, i)) {
    if (((ds.annotations.flags[a] as number) & skip) === 0)
      set.add(ds.annotations.categoryIndex[a] as number);
  }
  return [...set].sort((x, y) => x - y);
}

function labelsweepObserved(ds: DetectionDataset, fold: number, crowd: CrowdRule): ObservedDraw {
  const observed = new Int32Array(ds.images.count).fill(-1);
  const streams = new StreamKey(["labelsweep/single-positive/v1", fold]);
  for (let i = 0; i < ds.images.count; i++) {
    const positives = positiveClasses(ds, i, crowd);
    if (positives.length === 0) continue;
    const rng = streams.stream(imageKey(ds, i));
    observed[i] = positives[rng.nextInt(positives.length)] as number;
  }
  return { observed, details: {} };
}

type SinglePositiveOptions = Pick<SinglePositiveLabels, "compat" | "crowd" | "holdout">;

/** Each image's observed class under the spec's compat mode (cole / scob read VOC class files, hence async). */
export async function drawSinglePositive(
  ds: DetectionDataset,
  fold: number,
  spec: SinglePositiveOptions = {},
): Promise<ObservedDraw> {
  const compat = spec.compat ?? "labelsweep";
  if (compat === "cole") return coleObserved(ds, spec.holdout ?? 0.2);
  if (compat === "scob") return scobObserved(ds);
  return labelsweepObserved(ds, fold, spec.crowd ?? "positive");
}

export function deriveSinglePositive(
  ds: DetectionDataset,
  fold: number,
  spec: SinglePositiveOptions = {},
  draw: ObservedDraw = labelsweepObserved(ds, fold, spec.crowd ?? "positive"),
): Derivation {
  const compat = spec.compat ?? "labelsweep";
  const crowd = spec.crowd ?? "positive";
  const held = new Uint8Array(ds.images.count);
  for (const i of draw.holdout ?? []) held[i] = 1;
  const labeled: number[] = [];
  const observed: number[] = [];
  const kept: number[] = [];
  let dropped = 0;
  for (let i = 0; i < ds.images.count; i++) {
    const c = draw.observed[i] as number;
    if (c < 0) {
      if (!held[i]) dropped++;
      continue;
    }
    if (held[i] && !draw.holdoutOverlaps) continue;
    labeled.push(i);
    observed.push(c);
    for (const a of annotationsOf(ds, i)) {
      const crowdBox = ((ds.annotations.flags[a] as number) & CROWD) !== 0;
      if (ds.annotations.categoryIndex[a] === c && (crowd === "positive" || !crowdBox)) kept.push(a);
    }
  }
  return {
    labeled: Int32Array.from(labeled),
    unlabeled: new Int32Array(0),
    kept: Int32Array.from(kept).sort(),
    observed: Int32Array.from(observed),
    ...(draw.holdout ? { holdout: draw.holdout } : {}),
    details: { compat, crowd, images_without_positive_dropped: dropped, ...draw.details },
  };
}
