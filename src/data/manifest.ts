import type { JsonObject, JsonValue, LabelProtocol } from "../spec/types.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { CROWD, type DatasetFormat, type DetectionDataset, IMAGE_LEVEL } from "./detection-dataset.js";

/** Version of labelsweep's split generators; bumped whenever any protocol's output for the same input changes. */
export const DATA_GENERATOR_VERSION = "labelsweep-data-2";
export const MANIFEST_SCHEMA = "labelsweep.split-manifest/1";

export type OutputRole =
  | "labeled"
  | "unlabeled"
  | "unlabeled_extra"
  | "multilabel"
  | "extra"
  /** Validation images held out with their full labels (single-positive compat cole). */
  | "holdout"
  /** mmdetection's split_coco.py files, under its names and with its contents (budget compat mmdet). */
  | "mmdet_labeled"
  | "mmdet_unlabeled";

export type OutputFormat = "coco" | "lvis" | "voc" | "multilabel";

export interface InputRecord {
  role: "train" | "eval" | "unlabeled" | "extra" | "labels";
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
  /** Set when the output is an input file unchanged (`full` on a COCO file, `file`'s labels): not copied. */
  same_as_input?: "train" | "labels";
  /** What a consumer must know about this file (e.g. annotations that no labelsweep engine reads). */
  note?: string;
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
  images: {
    total: number;
    labeled: number;
    unlabeled: number;
    unlabeled_extra: number;
    extra: number;
    /** Held out with full labels (single-positive compat cole); absent when none. */
    holdout?: number;
  };
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

const totalsCache = new WeakMap<DetectionDataset, { boxes: Int32Array; images: Int32Array }>();

/** Boxes and images per class in the full data (crowd regions and image-level boxes not counted). */
function classTotals(ds: DetectionDataset): { boxes: Int32Array; images: Int32Array } {
  let totals = totalsCache.get(ds);
  if (!totals) {
    totals = countVisible(ds, null);
    totalsCache.set(ds, totals);
  }
  return totals;
}

/** Per class: visible boxes, and images with at least one visible box (mask null: every box). */
function countVisible(
  ds: DetectionDataset,
  keptMask: Uint8Array | null,
): { boxes: Int32Array; images: Int32Array } {
  const k = ds.categories.length;
  const boxes = new Int32Array(k);
  const images = new Int32Array(k);
  // stamp[c] = last image counted for class c, so each (image, class) pair counts once.
  const stamp = new Int32Array(k).fill(-1);
  const { start, order } = ds.byImage;
  const { flags, categoryIndex } = ds.annotations;
  for (let i = 0; i < ds.images.count; i++) {
    for (let j = start[i] as number, end = start[i + 1] as number; j < end; j++) {
      const a = order[j] as number;
      if (((flags[a] as number) & (CROWD | IMAGE_LEVEL)) !== 0 || (keptMask !== null && keptMask[a] === 0))
        continue;
      const c = categoryIndex[a] as number;
      boxes[c] = (boxes[c] as number) + 1;
      if (stamp[c] !== i) {
        stamp[c] = i;
        images[c] = (images[c] as number) + 1;
      }
    }
  }
  return { boxes, images };
}

/** Per-class counts of what a protocol left visible, against the full data. */
export function countClasses(
  ds: DetectionDataset,
  kept: Int32Array,
  observed?: Int32Array,
): { perClass: ClassCount[]; zero: number[] } {
  const keptMask = new Uint8Array(ds.annotations.count);
  for (let j = 0; j < kept.length; j++) keptMask[kept[j] as number] = 1;
  const total = classTotals(ds);
  const visible = countVisible(ds, keptMask);
  let images = visible.images;
  if (observed) {
    // single-positive: a class's images are those where it is the observed positive.
    images = new Int32Array(ds.categories.length);
    for (const c of observed) images[c] = (images[c] as number) + 1;
  }
  const perClass = ds.categories.map((c, j) => ({
    id: c.id,
    name: c.name,
    images: images[j] as number,
    boxes: visible.boxes[j] as number,
    total_images: total.images[j] as number,
    total_boxes: total.boxes[j] as number,
  }));
  const zero = perClass.filter((c) => c.total_boxes > 0 && c.boxes === 0 && c.images === 0).map((c) => c.id);
  return { perClass, zero };
}
