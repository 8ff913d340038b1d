import type { JsonObject, JsonValue, LabelProtocol } from "../spec/types.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import {
  annotationsOf,
  CROWD,
  type DatasetFormat,
  type DetectionDataset,
  IMAGE_LEVEL,
} from "./detection-dataset.js";

/** Version of labelsweep's split generators; bumped whenever any protocol's output for the same input changes. */
export const DATA_GENERATOR_VERSION = "labelsweep-data-1";
export const MANIFEST_SCHEMA = "labelsweep.split-manifest/1";

export type OutputRole = "labeled" | "unlabeled" | "unlabeled_extra" | "multilabel" | "extra";

export type OutputFormat = "coco" | "lvis" | "voc" | "multilabel";

export interface InputRecord {
  role: "train" | "eval" | "unlabeled";
  /** File name (or generator name), never an absolute path: the manifest must hash the same on every machine. */
  name: string;
  sha256: string;
  bytes: number;
}

export interface OutputRecord {
  role: OutputRole;
  format: OutputFormat;
  /** Path relative to the artifact folder; for VOC the ImageSets list of the first year folder. */
  path: string;
  /** Set when the output is an input file unchanged (e.g. `full` on a COCO file): not copied. */
  same_as_input?: "train";
  sha256: string;
  bytes: number;
  /** VOC: the image sets of this output inside the artifact's VOCdevkit tree ("2007/labeled+2012/labeled"). */
  voc_sets?: string;
  /** Number of files behind this output (VOC: lists + XMLs). */
  files: number;
  images: number;
  boxes: number;
}

export interface ClassCount {
  id: number;
  name: string;
  /** Labelled images showing the class (single-positive: images where it is the observed positive). */
  images: number;
  /** Visible boxes of the class (crowd regions not counted). */
  boxes: number;
  total_images: number;
  total_boxes: number;
}

export interface SplitCounts {
  images: { total: number; labeled: number; unlabeled: number; unlabeled_extra: number; extra: number };
  boxes: { total: number; visible: number };
  per_class: ClassCount[];
  /** Ids of classes with boxes in the full data but none visible after the protocol. */
  zero_label_classes: number[];
}

export interface SplitManifest {
  schema: typeof MANIFEST_SCHEMA;
  generator: { name: "labelsweep"; version: typeof DATA_GENERATOR_VERSION };
  dataset: { name: string; format: DatasetFormat; identity: JsonValue };
  protocol: LabelProtocol;
  /** Normalised protocol parameters (labels-params.ts), fold included. */
  params: JsonObject;
  fold: number;
  inputs: InputRecord[];
  outputs: OutputRecord[];
  counts: SplitCounts;
  /** Protocol facts: requested vs. actual sizes, rules applied. */
  details: JsonObject;
}

/** sha256 of the canonical manifest: the split's contribution to every run key. */
export function splitManifestHash(manifest: SplitManifest): string {
  return sha256Hex(canonicalJson(manifest));
}

/** Per-class counts of what a protocol left visible, against the full data. */
export function countClasses(
  ds: DetectionDataset,
  kept: Int32Array,
  observed?: Int32Array,
): { perClass: ClassCount[]; zero: number[] } {
  const k = ds.categories.length;
  const totalBoxes = new Int32Array(k);
  const totalImages = new Int32Array(k);
  const boxes = new Int32Array(k);
  const images = new Int32Array(k);
  const keptMask = new Uint8Array(ds.annotations.count);
  for (const a of kept) keptMask[a] = 1;
  // stamp[c] = last image counted for class c, so each (image, class) pair counts once.
  const stampAll = new Int32Array(k).fill(-1);
  const stampKept = new Int32Array(k).fill(-1);
  for (let i = 0; i < ds.images.count; i++) {
    for (const a of annotationsOf(ds, i)) {
      if (((ds.annotations.flags[a] as number) & (CROWD | IMAGE_LEVEL)) !== 0) continue;
      const c = ds.annotations.categoryIndex[a] as number;
      (totalBoxes[c] as number)++;
      if (stampAll[c] !== i) {
        stampAll[c] = i;
        (totalImages[c] as number)++;
      }
      if (!keptMask[a]) continue;
      (boxes[c] as number)++;
      if (!observed && stampKept[c] !== i) {
        stampKept[c] = i;
        (images[c] as number)++;
      }
    }
  }
  if (observed) for (const c of observed) (images[c] as number)++;
  const perClass = ds.categories.map((c, j) => ({
    id: c.id,
    name: c.name,
    images: images[j] as number,
    boxes: boxes[j] as number,
    total_images: totalImages[j] as number,
    total_boxes: totalBoxes[j] as number,
  }));
  const zero = perClass.filter((c) => c.total_boxes > 0 && c.boxes === 0 && c.images === 0).map((c) => c.id);
  return { perClass, zero };
}
