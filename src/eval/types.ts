// The data contracts of the evaluation room.
//
// Input side: what other rooms write. Ground truth is a COCO-style dataset JSON
// (images, categories, annotations); detections are the COCO results format
// `{image_id, category_id, bbox: [x, y, w, h], score}` — the contract every
// engine (built in or external) writes its predictions in.
//
// Inside the room the JSON is checked once and turned into columnar tables
// (typed arrays, one row per record, file order kept) so the evaluators never
// touch per-detection objects.

import type { EvalType, JsonValue } from "../spec/types.js";

export type { EvalType };

/** An image, category or annotation id as written in the JSON. All ids of one kind share one type. */
export type Id = number | string;

// ---------------------------------------------------------------- JSON records

/** One `images[]` entry of a ground-truth file. LVIS adds the two federated lists. */
export interface GtImageRecord {
  id: Id;
  /** LVIS: categories verified absent from the image (a detection of them is a false positive). */
  neg_category_ids?: Id[];
  /** LVIS: categories whose instances were not all annotated (an unmatched detection of them is ignored). */
  not_exhaustive_category_ids?: Id[];
  [key: string]: unknown;
}

/** One `categories[]` entry. LVIS adds `frequency` ("r" | "c" | "f") or `image_count`. */
export interface GtCategoryRecord {
  id: Id;
  name?: string;
  frequency?: "r" | "c" | "f";
  image_count?: number;
  [key: string]: unknown;
}

/** One `annotations[]` entry of a ground-truth file. */
export interface GtAnnotationRecord {
  id: Id;
  image_id: Id;
  category_id: Id;
  /** [x, y, width, height] in pixels. */
  bbox: [number, number, number, number];
  /** Object area used for the area ranges (COCO: the mask area). Defaults to w·h with a warning. */
  area?: number;
  /** COCO crowd region: matches without limit and is never counted as a miss. */
  iscrowd?: 0 | 1 | boolean;
  /** LVIS: ignore this instance. */
  ignore?: 0 | 1 | boolean;
  /** VOC: a difficult object, neither a hit nor a miss. */
  difficult?: 0 | 1 | boolean;
  [key: string]: unknown;
}

export interface GroundTruthFile {
  images: GtImageRecord[];
  categories: GtCategoryRecord[];
  annotations: GtAnnotationRecord[];
  [key: string]: unknown;
}

/** One detection in the COCO results format. This is the predictions contract. */
export interface DetectionRecord {
  image_id: Id;
  category_id: Id;
  /** [x, y, width, height] in pixels. */
  bbox: [number, number, number, number];
  score: number;
}

/** One image-level class score (multi-label recognition). */
export interface ClassScoreRecord {
  image_id: Id;
  category_id: Id;
  score: number;
}

/** Dense form of the multi-label predictions: `scores[i][k]` is image `image_ids[i]`, class `category_ids[k]`. */
export interface DenseClassScores {
  image_ids: Id[];
  category_ids: Id[];
  scores: number[][];
}

// ---------------------------------------------------------------- checked tables

/** Counted, documented oddities in the input that do not stop evaluation. */
export interface EvalWarning {
  /** Stable machine-readable code, e.g. "dt-unknown-category". */
  code: string;
  /** How many records it concerns. */
  count: number;
  /** What happened and what labelsweep did about it. */
  message: string;
  /** A few examples (record indices or ids), for finding them. */
  examples: string[];
}

/** Ground truth after checking: ids indexed, annotations as columns in file order. */
export interface GroundTruth {
  /** Where it came from, for messages. */
  source: string;
  /** Image ids in file order; `imageIndex` maps an id to its position here. */
  imageIds: Id[];
  imageIndex: Map<Id, number>;
  categoryIds: Id[];
  categoryIndex: Map<Id, number>;
  /** The raw image and category records (LVIS lists, frequencies, names). */
  images: GtImageRecord[];
  categories: GtCategoryRecord[];
  annotations: AnnotationTable;
  warnings: EvalWarning[];
}

/** Ground-truth annotations as columns (row i = annotations[i] of the file). */
export interface AnnotationTable {
  length: number;
  ids: Id[];
  image: Int32Array;
  category: Int32Array;
  /** x, y, w, h per row (4·length). */
  bbox: Float64Array;
  area: Float64Array;
  iscrowd: Uint8Array;
  ignore: Uint8Array;
  difficult: Uint8Array;
}

/** Detections as columns, file order kept (ties between equal scores are broken by it). */
export interface DetectionTable {
  source: string;
  length: number;
  image: Int32Array;
  /** Category position in the ground truth's category list, or -1 when unknown (ignored, counted). */
  category: Int32Array;
  bbox: Float64Array;
  score: Float64Array;
  warnings: EvalWarning[];
}

// ---------------------------------------------------------------- results

/** A metric value; null where it is undefined (e.g. no ground truth at all). */
export type MetricValue = number | null;

/** What every evaluator returns: named headline metrics plus per-category values. */
export interface EvalReport {
  type: EvalType;
  /** Headline metrics, in the order they are printed. */
  metrics: Record<string, MetricValue>;
  /** Per-category AP (name or id → value); LVIS adds each category's frequency group. */
  perCategory: { id: Id; name: string | null; ap: MetricValue; group?: "r" | "c" | "f" }[];
  warnings: EvalWarning[];
  /** Counts that explain the numbers. */
  counts: Record<string, number>;
  /** The parameters the evaluation used (thresholds, maxDets, area ranges, …). */
  params: Record<string, JsonValue>;
}
