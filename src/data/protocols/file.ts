import { UserError } from "../../util/errors.js";
import type { DetectionDataset } from "../detection-dataset.js";
import { complement, type Derivation } from "./derivation.js";

// `file`: the labelled set is a file someone released — Co-mining's
// instances_train2017_{easy,hard,extreme}.json, BRL's coco_missing_50p.json
// (METHODS.md §2b: neither paper ships a generator, so labelsweep's `sparse`
// rules are a reconstruction), a STAC or mmdetection split. The file itself
// is the labelled output (hashed as an input, never rewritten); this checks
// it against dataset.train and finds what it keeps: every image must be a
// training image, every annotation a training annotation (same id, image and
// category: the released files delete boxes, they do not make new ones).
// Training images the file does not list are unlabelled.

export function deriveFromFile(train: DetectionDataset, file: DetectionDataset, where: string): Derivation {
  const trainCats = train.categories.map((c) => c.id).join(",");
  if (file.categories.map((c) => c.id).join(",") !== trainCats) {
    throw new UserError(`${where}: its categories differ from dataset.train's (ids ${trainCats})`);
  }
  const imageIndex = new Map<number | string, number>(train.images.ids.map((id, i) => [id, i]));
  const labeled = new Int32Array(file.images.count);
  file.images.ids.forEach((id, k) => {
    const i = imageIndex.get(id);
    if (i === undefined)
      throw new UserError(`${where}: images[${k}] (id ${id}) is not an image of dataset.train`);
    labeled[k] = i;
  });
  labeled.sort();
  const annIndex = new Map<number, number>();
  train.annotations.ids.forEach((id, a) => {
    annIndex.set(id, a);
  });
  const kept = new Int32Array(file.annotations.count);
  for (let k = 0; k < file.annotations.count; k++) {
    const id = file.annotations.ids[k] as number;
    const a = annIndex.get(id);
    const same =
      a !== undefined &&
      train.images.ids[train.annotations.imageIndex[a] as number] ===
        file.images.ids[file.annotations.imageIndex[k] as number] &&
      train.categories[train.annotations.categoryIndex[a] as number]!.id ===
        file.categories[file.annotations.categoryIndex[k] as number]!.id;
    if (!same) {
      throw new UserError(
        `${where}: annotations[${k}] (id ${id}) is not an annotation of dataset.train with the same id, image and category`,
      );
    }
    kept[k] = a;
  }
  kept.sort();
  return {
    labeled,
    unlabeled: complement(train.images.count, labeled),
    kept,
    details: { images_in_file: file.images.count, boxes_in_file: file.annotations.count },
  };
}
