import { UserError } from "../../util/errors.js";
import {
  annotationsOf,
  CROWD,
  DatasetBuilder,
  type DetectionDataset,
  type FrequencyGroup,
  IMAGE_LEVEL,
} from "../detection-dataset.js";

// `extra` for real datasets: images with image-level labels only (RichSem's
// ImageNet-LVIS, METHODS.md §4b: `pos_category_ids`, built by Detic's
// create_imagenetlvis_json.py). Each positive class of an extra image becomes
// one whole-image coarse box flagged IMAGE_LEVEL; `classes: rare | tail`
// keeps only images showing rare (or rare + common) classes of the training
// set, and only those classes' boxes.

export type ExtraClasses = "all" | "rare" | "tail";

/** LVIS frequency groups by training-image count (rare ≤ 10, common ≤ 100; METHODS.md §7). */
export function frequencyGroupsOf(train: DetectionDataset): FrequencyGroup[] {
  if (train.categories.every((c) => c.frequency))
    return train.categories.map((c) => c.frequency as FrequencyGroup);
  const images = new Int32Array(train.categories.length);
  const stamp = new Int32Array(train.categories.length).fill(-1);
  for (let i = 0; i < train.images.count; i++) {
    for (const a of annotationsOf(train, i)) {
      if ((train.annotations.flags[a] as number) & (CROWD | IMAGE_LEVEL)) continue;
      const c = train.annotations.categoryIndex[a] as number;
      if (stamp[c] !== i) {
        stamp[c] = i;
        images[c] = (images[c] as number) + 1;
      }
    }
  }
  return Array.from(images, (n) => (n <= 10 ? "r" : n <= 100 ? "c" : "f"));
}

export function imageLevelExtra(
  extra: DetectionDataset,
  train: DetectionDataset,
  classes: ExtraClasses,
): DetectionDataset {
  const labels = extra.imageLevel;
  if (!labels) {
    throw new UserError(
      `${extra.source}: labels.extra.annotations must give images "pos_category_ids" (image-level labels)`,
    );
  }
  const trainIndex = new Map(train.categories.map((c, i) => [c.id, i]));
  const groups = frequencyGroupsOf(train);
  const admitted = (c: number) =>
    classes === "all" || groups[c] === "r" || (classes === "tail" && groups[c] === "c");
  const builder = new DatasetBuilder(
    train.format === "voc" ? "coco" : train.format,
    extra.source,
    train.categories,
  );
  for (let i = 0; i < extra.images.count; i++) {
    const positives: number[] = [];
    for (let j = labels.start[i] as number; j < (labels.start[i + 1] as number); j++) {
      const id = extra.categories[labels.categories[j] as number]!.id;
      const c = trainIndex.get(id);
      if (c === undefined) {
        throw new UserError(
          `${extra.source}: images[${i}] (id ${extra.images.ids[i]}): category ${id} is not a category of the training set`,
        );
      }
      if (admitted(c) && !positives.includes(c)) positives.push(c);
    }
    if (positives.length === 0) continue;
    const w = extra.images.widths[i] as number;
    const h = extra.images.heights[i] as number;
    const img = builder.addImage(
      extra.images.ids[i] as number | string,
      extra.images.fileNames[i] as string,
      w,
      h,
    );
    for (const c of positives) builder.addAnnotation(img, c, [0, 0, w, h], IMAGE_LEVEL);
  }
  return builder.build();
}
