// LVIS box AP, identical to lvis-api's LVISEval(iou_type="bbox") — METHODS.md
// §4c/§7.4: AP, AP50, AP75, APs/m/l, APr/APc/APf and AR@300. It reuses the
// COCO stages (greedy-match.ts, accumulate.ts, summarize.ts) with lvis-api's
// rules fed in:
//  - at most 300 detections per image (LVISResults.limit_dets_per_image): the
//    cap is applied first, over all of an image's detections, keeping the
//    highest scores (stable: ties keep file order);
//  - only annotations and detections with area > 0 take part (get_ann_ids);
//  - federated filtering: a detection counts only if its category is verified
//    absent from the image (neg_category_ids) or annotated in it; others are
//    dropped, the detector is not penalised for them;
//  - an unmatched detection of a category listed in the image's
//    not_exhaustive_category_ids is ignored;
//  - ground truth is ignored only through its "ignore" field (no crowd regions);
//  - no per-image maxDets cut beyond the 300 cap (one maxDets column);
//  - APr/APc/APf average the categories of frequency "r", "c", "f".
// A detection matched to an annotation with id 0 is a false positive, as in
// lvis-api (it stores matches by id; eval.compat lvis-api, the default);
// eval.compat corrected counts the match.
// Without federated lists (a synthetic, exhaustively labelled dataset —
// METHODS.md §7.4's simplification) every category not annotated in an image is
// a verified negative; this is reported as a warning. Without "frequency",
// groups come from "image_count": rare ≤ rare_max (10), common ≤ common_max (100).

import type { EvalSpec } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { type Accumulation, accumulate } from "./accumulate.js";
import {
  type CocoParams,
  checkCocoParams,
  defaultCocoParams,
  type EvaluationOrder,
  evaluationOrder,
  idZeroRows,
  remap,
} from "./coco-eval.js";
import { type Matching, matchDetections } from "./greedy-match.js";
import { describe, isId } from "./ground-truth.js";
import { groupBy, identityOrder, sortRunDescending } from "./stable-order.js";
import { categoryAp, type StatSpec, summarizeStat } from "./summarize.js";
import type { DetectionTable, GroundTruth, Id } from "./types.js";
import { WarningCounter } from "./warnings.js";

export interface LvisParams {
  iouThrs: number[];
  recThrs: number[];
  /** Detections kept per image (lvis-api: 300). */
  maxDets: number;
  areaRng: [number, number][];
  areaRngLbl: string[];
  /** Frequency groups from image_count when categories carry no "frequency". */
  rareMax: number;
  commonMax: number;
}

export function defaultLvisParams(): LvisParams {
  const c = defaultCocoParams();
  return {
    iouThrs: c.iouThrs,
    recThrs: c.recThrs,
    maxDets: 300,
    areaRng: c.areaRng,
    areaRngLbl: c.areaRngLbl,
    rareMax: 10,
    commonMax: 100,
  };
}

export function lvisParamsFromSpec(spec: EvalSpec): LvisParams {
  const p = defaultLvisParams();
  if (spec.iou_thresholds !== undefined) p.iouThrs = [...spec.iou_thresholds];
  if (spec.max_dets !== undefined) {
    if (spec.max_dets.length !== 1) {
      throw new UserError(
        `eval.max_dets for "lvis" is one per-image cap (e.g. [300]), got ${JSON.stringify(spec.max_dets)}`,
      );
    }
    p.maxDets = spec.max_dets[0]!;
  }
  if (spec.rare_max !== undefined) p.rareMax = spec.rare_max;
  if (spec.common_max !== undefined) p.commonMax = spec.common_max;
  return p;
}

function asCocoParams(p: LvisParams): CocoParams {
  return {
    iouThrs: p.iouThrs,
    recThrs: p.recThrs,
    maxDets: [p.maxDets],
    areaRng: p.areaRng,
    areaRngLbl: p.areaRngLbl,
  };
}

export type FrequencyGroup = "r" | "c" | "f";

export interface LvisEvaluation {
  params: LvisParams;
  order: EvaluationOrder;
  matching: Matching;
  /** Evaluation positions of the categories in each frequency group; null without frequency data. */
  freqGroups: Record<FrequencyGroup, number[]> | null;
  warnings: ReturnType<WarningCounter["list"]>;
  counts: {
    gtUsed: number;
    detectionsCapped: number;
    detectionsEmpty: number;
    detectionsNotFederated: number;
    detectionsEvaluated: number;
  };
}

/** Per-image category sets from the federated lists (evaluation category positions). */
interface Federated {
  neg: (Set<number> | null)[];
  nel: Set<number>[];
  exhaustive: boolean;
}

function federatedLists(gt: GroundTruth, order: EvaluationOrder, warnings: WarningCounter): Federated {
  const has = gt.images.map(
    (img) => img.neg_category_ids !== undefined || img.not_exhaustive_category_ids !== undefined,
  );
  const some = has.some(Boolean);
  if (!some) {
    warnings.add(
      "lvis-exhaustive-assumed",
      "no image has neg_category_ids / not_exhaustive_category_ids: the labels are taken as exhaustive, so every " +
        "category not annotated in an image counts as verified absent (METHODS.md §7.4)",
      `${gt.images.length} images`,
    );
    return { neg: gt.images.map(() => null), nel: gt.images.map(() => new Set()), exhaustive: true };
  }
  const toSet = (list: unknown, where: string): Set<number> => {
    if (!Array.isArray(list) || !list.every(isId)) {
      throw new UserError(`${gt.source}: ${where} must be an array of category ids, got ${describe(list)}`);
    }
    const out = new Set<number>();
    for (const id of list) {
      const c = gt.categoryIndex.get(id);
      if (c === undefined) {
        warnings.add(
          "lvis-list-unknown-category",
          "federated lists name categories that are not in categories (no effect)",
          `${where}: ${describe(id)}`,
        );
      } else out.add(order.categoryRank[c]!);
    }
    return out;
  };
  const neg: Set<number>[] = [];
  const nel: Set<number>[] = [];
  gt.images.forEach((img, i) => {
    if (img.neg_category_ids === undefined || img.not_exhaustive_category_ids === undefined) {
      throw new UserError(
        `${gt.source}: images[${i}] lacks "${img.neg_category_ids === undefined ? "neg_category_ids" : "not_exhaustive_category_ids"}"` +
          " while other images have the federated lists; every image needs both (or none, for exhaustive labels)",
      );
    }
    neg.push(toSet(img.neg_category_ids, `images[${i}].neg_category_ids`));
    nel.push(toSet(img.not_exhaustive_category_ids, `images[${i}].not_exhaustive_category_ids`));
  });
  return { neg, nel, exhaustive: false };
}

function frequencyGroups(
  gt: GroundTruth,
  order: EvaluationOrder,
  p: LvisParams,
  fromCounts: boolean,
  warnings: WarningCounter,
): Record<FrequencyGroup, number[]> | null {
  const groups: Record<FrequencyGroup, number[]> = { r: [], c: [], f: [] };
  const cats = Array.from(order.categoryAt, (i) => gt.categories[i]!);
  const hasFreq = cats.map((c) => c.frequency !== undefined);
  const useFreq = !fromCounts && hasFreq.some(Boolean);
  if (!useFreq && !cats.some((c) => c.image_count !== undefined)) {
    warnings.add(
      "lvis-no-frequency",
      'categories have neither "frequency" nor "image_count": APr, APc and APf are undefined (null)',
      `${cats.length} categories`,
    );
    return null;
  }
  cats.forEach((c, k) => {
    const where = `categories[${order.categoryAt[k]}] (id ${describe(c.id)})`;
    if (useFreq) {
      if (c.frequency !== "r" && c.frequency !== "c" && c.frequency !== "f") {
        throw new UserError(
          `${gt.source}: ${where}: "frequency" must be "r", "c" or "f", got ${describe(c.frequency)}`,
        );
      }
      groups[c.frequency].push(k);
    } else {
      const n = c.image_count;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        throw new UserError(`${gt.source}: ${where}: "image_count" must be a count, got ${describe(n)}`);
      }
      groups[n <= p.rareMax ? "r" : n <= p.commonMax ? "c" : "f"].push(k);
    }
  });
  return groups;
}

export function evaluateLvis(
  gt: GroundTruth,
  dt: DetectionTable,
  params: LvisParams = defaultLvisParams(),
  opts: { keepMatches?: boolean; groupsFromCounts?: boolean; compat?: "lvis-api" | "corrected" } = {},
): LvisEvaluation {
  if (!Number.isInteger(params.maxDets) || params.maxDets < 1) {
    throw new UserError(`eval.max_dets for "lvis" must be a positive integer, got ${params.maxDets}`);
  }
  checkCocoParams(asCocoParams(params));
  const warnings = new WarningCounter();
  const order = evaluationOrder(gt);
  const K = order.categoryIds.length;
  const fed = federatedLists(gt, order, warnings);
  const freqGroups = frequencyGroups(gt, order, params, opts.groupsFromCounts ?? false, warnings);

  // Ground truth with area > 0 only (lvis-api get_ann_ids filters area in (0, inf)).
  const a = gt.annotations;
  const gtImage = remap(a.image, order.imageRank);
  const gtCat = remap(a.category, order.categoryRank);
  // (image, category) pairs with ground truth: a bitmap while it stays small, else a set.
  const nPairs = gt.imageIds.length * K;
  const presentBits = nPairs <= 1 << 27 ? new Uint8Array(nPairs) : null;
  const presentSet = new Set<number>();
  let gtUsed = 0;
  const zeroArea: string[] = [];
  let zeroAreaCount = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(a.area[i]! > 0)) {
      gtImage[i] = -1;
      zeroAreaCount++;
      if (zeroArea.length < 5) zeroArea.push(`annotations[${i}]`);
      continue;
    }
    gtUsed++;
    const pair = a.image[i]! * K + gtCat[i]!;
    if (presentBits) presentBits[pair] = 1;
    else presentSet.add(pair);
  }
  warnings.addMany(
    "lvis-gt-zero-area",
    "annotations with area 0 take no part (lvis-api keeps only area > 0)",
    zeroAreaCount,
    zeroArea,
  );

  // The per-image cap, over all of an image's detections, before any other filter.
  const kept = new Uint8Array(dt.length);
  const byImage = groupBy(identityOrder(dt.length), dt.image, gt.imageIds.length);
  let capped = 0;
  for (let img = 0; img < gt.imageIds.length; img++) {
    const s = byImage.offsets[img]!;
    const e = byImage.offsets[img + 1]!;
    // Only an image over the cap needs ranking (stable: ties keep file order).
    if (e - s > params.maxDets) sortRunDescending(byImage.order, s, e, dt.score);
    for (let i = s; i < e; i++) {
      if (i - s < params.maxDets) kept[byImage.order[i]!] = 1;
      else capped++;
    }
  }
  const dtCat = remap(dt.category, order.categoryRank);
  const ignoreUnmatched = new Uint8Array(dt.length);
  let empty = 0;
  let notFederated = 0;
  for (let i = 0; i < dt.length; i++) {
    const c = dtCat[i]!;
    if (!kept[i] || c < 0) {
      dtCat[i] = -1;
      continue;
    }
    if (!(dt.bbox[4 * i + 2]! * dt.bbox[4 * i + 3]! > 0)) {
      dtCat[i] = -1;
      empty++;
      continue;
    }
    const img = dt.image[i]!;
    const neg = fed.neg[img];
    const pair = img * K + c;
    const present = presentBits ? presentBits[pair] === 1 : presentSet.has(pair);
    if (!(neg === null || present || neg!.has(c))) {
      dtCat[i] = -1;
      notFederated++;
      continue;
    }
    if (fed.nel[img]!.has(c)) ignoreUnmatched[i] = 1;
  }
  const matching = matchDetections(
    {
      length: a.length,
      image: gtImage,
      category: gtCat,
      bbox: a.bbox,
      area: a.area,
      crowd: null,
      ignore: a.ignore,
      // lvis-api stores matches by id as pycocotools does: a match to id 0 is lost (eval.compat lvis-api).
      matchLost: (opts.compat ?? "lvis-api") === "lvis-api" ? idZeroRows(gt) : null,
    },
    {
      length: dt.length,
      image: remap(dt.image, order.imageRank),
      category: dtCat,
      bbox: dt.bbox,
      score: dt.score,
      ignoreUnmatched,
    },
    {
      iouThrs: params.iouThrs,
      areaRng: params.areaRng,
      maxDet: Number.POSITIVE_INFINITY,
      keepMatches: opts.keepMatches ?? false,
    },
    order.imageIds.length,
    K,
  );
  return {
    params,
    order,
    matching,
    freqGroups,
    warnings: warnings.list(),
    counts: {
      gtUsed,
      detectionsCapped: capped,
      detectionsEmpty: empty,
      detectionsNotFederated: notFederated,
      detectionsEvaluated: matching.detection.length,
    },
  };
}

/** One maxDets column, with no cut beyond the per-image cap. */
export function accumulateLvis(ev: LvisEvaluation): Accumulation {
  return accumulate(ev.matching, ev.params.recThrs, [Number.POSITIVE_INFINITY]);
}

/** lvis-api's result keys, in its order. */
export function lvisStatSpecs(p: LvisParams, groups: Record<FrequencyGroup, number[]> | null): StatSpec[] {
  const inf = Number.POSITIVE_INFINITY;
  const specs: StatSpec[] = [
    { name: "AP", kind: "ap", area: "all", maxDet: inf },
    { name: "AP50", kind: "ap", iouThr: 0.5, area: "all", maxDet: inf },
    { name: "AP75", kind: "ap", iouThr: 0.75, area: "all", maxDet: inf },
    { name: "APs", kind: "ap", area: "small", maxDet: inf },
    { name: "APm", kind: "ap", area: "medium", maxDet: inf },
    { name: "APl", kind: "ap", area: "large", maxDet: inf },
  ];
  for (const g of ["r", "c", "f"] as const) {
    specs.push({ name: `AP${g}`, kind: "ap", area: "all", maxDet: inf, categories: groups ? groups[g] : [] });
  }
  specs.push({ name: `AR@${p.maxDets}`, kind: "ar", area: "all", maxDet: inf });
  for (const a of ["small", "medium", "large"]) {
    specs.push({ name: `AR${a[0]}@${p.maxDets}`, kind: "ar", area: a, maxDet: inf });
  }
  return specs;
}

export interface LvisSummary {
  names: string[];
  /** -1 where undefined, as lvis-api. */
  values: number[];
}

export function summarizeLvis(acc: Accumulation, ev: LvisEvaluation): LvisSummary {
  const specs = lvisStatSpecs(ev.params, ev.freqGroups);
  return {
    names: specs.map((s) => s.name),
    values: specs.map((s) =>
      s.categories !== undefined && ev.freqGroups === null ? -1 : summarizeStat(acc, ev.params.areaRngLbl, s),
    ),
  };
}

export function perCategoryApLvis(acc: Accumulation, ev: LvisEvaluation): (number | null)[] {
  const a = Math.max(0, ev.params.areaRngLbl.indexOf("all"));
  return Array.from({ length: acc.counts[2] }, (_, k) => categoryAp(acc, k, a, 0));
}

export type { Id };
