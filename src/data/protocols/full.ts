import type { DetectionDataset } from "../detection-dataset.js";
import { type Derivation, everything } from "./derivation.js";

/** `full`: training sees every image and every box. */
export function deriveFull(ds: DetectionDataset): Derivation {
  return {
    labeled: everything(ds.images.count),
    unlabeled: new Int32Array(0),
    kept: everything(ds.annotations.count),
    details: {},
  };
}
