import { readFile } from "node:fs/promises";
import { UserError } from "../util/errors.js";
import {
  annotationsOf,
  type CategoryInfo,
  CROWD,
  type DetectionDataset,
  DIFFICULT,
} from "./detection-dataset.js";

// Image-level multi-label views of a detection dataset (Scob and the
// single-positive protocol work on these, METHODS.md §5b). A label is
// +1 positive, -1 negative, 0 unknown (not observed).
//  - COCO/VOC/shapes are exhaustively annotated: classes with a box are
//    positive, absent classes negative; classes present only as crowd
//    regions or VOC `difficult` objects are unknown (VOC's ImageSets flag 0).
//  - LVIS is federated: positives from boxes, negatives only from
//    neg_category_ids, everything else unknown.

export const POSITIVE = 1;
export const NEGATIVE = -1;
export const UNKNOWN = 0;

export interface MultiLabelView {
  categories: CategoryInfo[];
  /** Images of the view, as indices into the dataset. */
  images: Int32Array;
  /** images.length × categories.length labels, row-major: +1, -1 or 0. */
  labels: Int8Array;
  /** What a category not listed for an image means in the file form. */
  unlisted: "negative" | "unknown";
  /**
   * Mean number of true positive classes per image of the view, from the full
   * annotations (single-positive views): the k of ROLE's expected-positive
   * regulariser when a spec asks for it from the ground truth (METHODS.md §5a).
   */
  meanPositives?: number;
}

export function multiLabelView(ds: DetectionDataset, images?: Int32Array): MultiLabelView {
  const ids = images ?? Int32Array.from({ length: ds.images.count }, (_, i) => i);
  const k = ds.categories.length;
  const federated = ds.federated;
  const labels = new Int8Array(ids.length * k).fill(federated ? UNKNOWN : NEGATIVE);
  ids.forEach((i, row) => {
    const base = row * k;
    if (federated) {
      for (let j = federated.negStart[i] as number; j < (federated.negStart[i + 1] as number); j++) {
        labels[base + (federated.neg[j] as number)] = NEGATIVE;
      }
    }
    for (const a of annotationsOf(ds, i)) {
      const c = ds.annotations.categoryIndex[a] as number;
      const ignored = ((ds.annotations.flags[a] as number) & (CROWD | DIFFICULT)) !== 0;
      if (!ignored) labels[base + c] = POSITIVE;
      else if (labels[base + c] !== POSITIVE) labels[base + c] = UNKNOWN;
    }
  });
  return { categories: ds.categories, images: ids, labels, unlisted: federated ? "unknown" : "negative" };
}

/** One observed positive per image, everything else unknown (Cole et al.'s single-positive labels). */
export function singlePositiveView(
  ds: DetectionDataset,
  images: Int32Array,
  observed: Int32Array,
): MultiLabelView {
  const k = ds.categories.length;
  const labels = new Int8Array(images.length * k);
  observed.forEach((c, row) => {
    labels[row * k + c] = POSITIVE;
  });
  const full = multiLabelView(ds, images).labels;
  let positives = 0;
  for (const v of full) if (v === POSITIVE) positives++;
  const meanPositives = images.length > 0 ? positives / images.length : 0;
  return { categories: ds.categories, images, labels, unlisted: "unknown", meanPositives };
}

/** The file form "labelsweep.multilabel/1": one image per line, listing the labels that differ from `unlisted`. */
export function multiLabelBytes(ds: DetectionDataset, view: MultiLabelView): Buffer {
  const k = view.categories.length;
  const lines: string[] = [];
  const unlistedValue = view.unlisted === "negative" ? NEGATIVE : UNKNOWN;
  view.images.forEach((i, row) => {
    const positive: number[] = [];
    const negative: number[] = [];
    const unknown: number[] = [];
    for (let c = 0; c < k; c++) {
      const v = view.labels[row * k + c] as number;
      if (v === unlistedValue) continue;
      const id = view.categories[c]!.id;
      if (v === POSITIVE) positive.push(id);
      else if (v === NEGATIVE) negative.push(id);
      else unknown.push(id);
    }
    const record: Record<string, unknown> = {
      id: ds.images.ids[i],
      file_name: ds.images.fileNames[i],
      positive,
    };
    if (view.unlisted === "negative") record.unknown = unknown;
    else record.negative = negative;
    lines.push(JSON.stringify(record));
  });
  const cats = view.categories.map((c) => JSON.stringify({ id: c.id, name: c.name }));
  const stats =
    view.meanPositives === undefined
      ? ""
      : `"mean_positives_per_image":${JSON.stringify(view.meanPositives)},\n`;
  return Buffer.from(
    `{"format":"labelsweep.multilabel/1","unlisted":${JSON.stringify(view.unlisted)},\n${stats}` +
      `"categories":[\n${cats.join(",\n")}\n],\n"images":[${lines.length ? `\n${lines.join(",\n")}\n` : ""}]}\n`,
    "utf8",
  );
}

export interface MultiLabelFile {
  unlisted: "negative" | "unknown";
  categories: { id: number; name: string }[];
  imageIds: (number | string)[];
  fileNames: string[];
  /** imageIds.length × categories.length, +1 / -1 / 0. */
  labels: Int8Array;
  /** The file's "mean_positives_per_image" (true positives per image, full annotations), when given. */
  meanPositives?: number;
}

/** Reads a "labelsweep.multilabel/1" file back into a dense label matrix. */
export async function readMultiLabelFile(path: string): Promise<MultiLabelFile> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UserError(`${path}: cannot read multi-label file: ${(err as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new UserError(`${path}: ${what}`);
  };
  const d = doc as {
    format?: unknown;
    unlisted?: unknown;
    categories?: unknown;
    images?: unknown;
    mean_positives_per_image?: unknown;
  };
  if (d?.format !== "labelsweep.multilabel/1") fail(`"format" must be "labelsweep.multilabel/1"`);
  if (d.unlisted !== "negative" && d.unlisted !== "unknown")
    fail(`"unlisted" must be "negative" or "unknown"`);
  if (!Array.isArray(d.categories)) fail(`"categories" must be a list`);
  if (!Array.isArray(d.images)) fail(`"images" must be a list`);
  const categories = (d.categories as { id: number; name: string }[]).map((c, i) => {
    if (typeof c?.id !== "number" || typeof c?.name !== "string")
      fail(`categories[${i}] needs a numeric id and a name`);
    return { id: c.id, name: c.name };
  });
  const col = new Map(categories.map((c, i) => [c.id, i]));
  const images = d.images as Record<string, unknown>[];
  const k = categories.length;
  const fill = d.unlisted === "negative" ? NEGATIVE : UNKNOWN;
  const labels = new Int8Array(images.length * k).fill(fill);
  const imageIds: (number | string)[] = [];
  const fileNames: string[] = [];
  images.forEach((img, row) => {
    const id = img?.id;
    if (typeof id !== "number" && typeof id !== "string") fail(`images[${row}] needs an "id"`);
    imageIds.push(id as number | string);
    fileNames.push(String(img.file_name ?? ""));
    for (const [key, value] of [
      ["positive", POSITIVE],
      ["negative", NEGATIVE],
      ["unknown", UNKNOWN],
    ] as const) {
      const list = img[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) fail(`images[${row}] (id ${id}): "${key}" must be a list of category ids`);
      for (const c of list as unknown[]) {
        const j = col.get(c as number);
        if (j === undefined)
          fail(`images[${row}] (id ${id}): "${key}" names category ${c}, which is not in "categories"`);
        labels[row * k + (j as number)] = value;
      }
    }
  });
  const mean = d.mean_positives_per_image;
  if (mean !== undefined && (typeof mean !== "number" || !(mean >= 0)))
    fail(`"mean_positives_per_image" must be a number ≥ 0`);
  return {
    unlisted: d.unlisted as "negative" | "unknown",
    categories,
    imageIds,
    fileNames,
    labels,
    ...(mean === undefined ? {} : { meanPositives: mean as number }),
  };
}
