import { annotationsOf, CROWD, type DetectionDataset, DIFFICULT } from "../detection-dataset.js";
import { StreamKey } from "../rng.js";
import type { Derivation } from "./derivation.js";
import { imageKey } from "./derivation.js";

// `single-positive`: one observed positive class per image, chosen uniformly
// among the image's positive classes (METHODS.md §5b: Cole et al. and Scob
// both pick one uniformly per image; Scob drops images with no positive).
// Positives are classes with a non-crowd, non-difficult box (VOC difficult
// counts as "not positive", as Scob's VOC loader reads it). The choice comes
// from the image's own stream (rng.ts StreamKey, key
// sha256("labelsweep/single-positive/v1", fold)), uniform over the positive
// category indices in ascending order.
// Detection files keep only the boxes of the observed class (still one
// positive class per image); the image-level file is the primary output.

export function positiveClasses(ds: DetectionDataset, i: number): number[] {
  const set = new Set<number>();
  for (const a of annotationsOf(ds, i)) {
    if (((ds.annotations.flags[a] as number) & (CROWD | DIFFICULT)) === 0) {
      set.add(ds.annotations.categoryIndex[a] as number);
    }
  }
  return [...set].sort((x, y) => x - y);
}

export function deriveSinglePositive(ds: DetectionDataset, fold: number): Derivation {
  const labeled: number[] = [];
  const observed: number[] = [];
  const dropped: number[] = [];
  const kept: number[] = [];
  const streams = new StreamKey(["labelsweep/single-positive/v1", fold]);
  for (let i = 0; i < ds.images.count; i++) {
    const positives = positiveClasses(ds, i);
    if (positives.length === 0) {
      dropped.push(i);
      continue;
    }
    const rng = streams.stream(imageKey(ds, i));
    const c = positives[rng.nextInt(positives.length)] as number;
    labeled.push(i);
    observed.push(c);
    for (const a of annotationsOf(ds, i)) {
      if (ds.annotations.categoryIndex[a] === c && ((ds.annotations.flags[a] as number) & CROWD) === 0)
        kept.push(a);
    }
  }
  return {
    labeled: Int32Array.from(labeled),
    unlabeled: new Int32Array(0),
    kept: Int32Array.from(kept).sort(),
    observed: Int32Array.from(observed),
    details: { images_without_positive_dropped: dropped.length },
  };
}
