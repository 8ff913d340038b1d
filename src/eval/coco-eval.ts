// COCO box AP, identical to pycocotools' COCOeval(iouType="bbox") — METHODS.md
// §7.3: AP@[.50:.05:.95] with 101-point interpolated precision, maxDets 100,
// greedy matching by score, crowd regions ignored, area ranges small < 32²,
// medium < 96². The three stages stay apart, as in pycocotools:
//   evaluateCoco   per image × category matching  → CocoEvaluation
//   accumulate     precision/recall arrays        → Accumulation
//   summarizeCoco  the 12 numbers                 → CocoSummary
// Two pycocotools quirks are reproduced by default (eval.compat pycocotools,
// DESIGN.md "Compat principle") and corrected with eval.compat corrected; both
// only matter for inputs pycocotools mishandles:
//  - evaluateImg stores a match as the ground truth's id (dtm) and reads id 0
//    back as "unmatched", so a detection matched to an annotation with id 0 is
//    a false positive (the annotation is still taken); corrected: a true match;
//  - _summarizeDets computes stats[0] at the literal maxDets 100 (-1 when 100 is
//    not among maxDets); corrected: at the largest maxDets, like stats[1..5].

import type { EvalCompat } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { type Accumulation, accumulate } from "./accumulate.js";
import { MAX_IOU_THRESHOLDS, type Matching, type MatchParams, matchDetections } from "./greedy-match.js";
import { sortedIdOrder } from "./ground-truth.js";
import { linspace } from "./numpy-compat.js";
import { categoryAp, type StatSpec, summarizeStat } from "./summarize.js";
import type { DetectionTable, GroundTruth, Id } from "./types.js";

export interface CocoParams {
  /** IoU thresholds (default np.linspace(.5, .95, 10)). */
  iouThrs: number[];
  /** Recall thresholds (default np.linspace(0, 1, 101)). */
  recThrs: number[];
  /** Detections per image considered (default [1, 10, 100]); sorted ascending, as pycocotools does. */
  maxDets: number[];
  /** Object area ranges [min, max], both inclusive. */
  areaRng: [number, number][];
  areaRngLbl: string[];
}

export function defaultCocoParams(): CocoParams {
  return {
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1),
    maxDets: [1, 10, 100],
    areaRng: [
      [0 ** 2, 1e5 ** 2],
      [0 ** 2, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e5 ** 2],
    ],
    areaRngLbl: ["all", "small", "medium", "large"],
  };
}

/** Checks user-supplied parameters; returns them with maxDets sorted. */
export function checkCocoParams(p: CocoParams): CocoParams {
  const bad = (what: string) => new UserError(`evaluation parameters: ${what}`);
  if (p.iouThrs.length === 0 || p.iouThrs.some((t) => !(t >= 0 && t <= 1))) {
    throw bad(`iou thresholds must be numbers in [0, 1], got ${JSON.stringify(p.iouThrs)}`);
  }
  if (p.iouThrs.length > MAX_IOU_THRESHOLDS) {
    throw bad(`at most ${MAX_IOU_THRESHOLDS} iou thresholds, got ${p.iouThrs.length}`);
  }
  if (
    p.recThrs.length === 0 ||
    p.recThrs.some((t, i) => !(t >= 0 && t <= 1) || (i > 0 && t < p.recThrs[i - 1]!))
  ) {
    throw bad(`recall thresholds must be non-decreasing numbers in [0, 1]`);
  }
  if (p.maxDets.length === 0 || p.maxDets.some((m) => !Number.isInteger(m) || m < 1)) {
    throw bad(`max_dets must be positive integers, got ${JSON.stringify(p.maxDets)}`);
  }
  if (new Set(p.maxDets).size !== p.maxDets.length) throw bad(`max_dets has duplicates`);
  if (p.areaRng.length !== p.areaRngLbl.length || p.areaRng.length === 0) {
    throw bad(`need one label per area range`);
  }
  if (new Set(p.areaRngLbl).size !== p.areaRngLbl.length) throw bad(`area range labels must be unique`);
  return { ...p, maxDets: [...p.maxDets].sort((a, b) => a - b) };
}

/** Images and categories in evaluation order: sorted ids, as pycocotools sorts params.imgIds/catIds. */
export interface EvaluationOrder {
  imageIds: Id[];
  categoryIds: Id[];
  /** Evaluation position of each ground-truth image / category (file order → sorted order). */
  imageRank: Int32Array;
  categoryRank: Int32Array;
  /** Ground-truth category position (file order) at each evaluation position. */
  categoryAt: Int32Array;
}

export function evaluationOrder(gt: GroundTruth): EvaluationOrder {
  const imgOrder = sortedIdOrder(gt.imageIds);
  const catOrder = sortedIdOrder(gt.categoryIds);
  const imageRank = new Int32Array(gt.imageIds.length);
  imgOrder.forEach((img, r) => {
    imageRank[img] = r;
  });
  const categoryRank = new Int32Array(gt.categoryIds.length);
  catOrder.forEach((cat, r) => {
    categoryRank[cat] = r;
  });
  return {
    imageIds: Array.from(imgOrder, (i) => gt.imageIds[i]!),
    categoryIds: Array.from(catOrder, (i) => gt.categoryIds[i]!),
    imageRank,
    categoryRank,
    categoryAt: catOrder,
  };
}

/** Maps rows' file-order positions to evaluation positions (-1 stays -1). */
export function remap(rows: Int32Array, rank: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]!;
    out[i] = v < 0 ? -1 : rank[v]!;
  }
  return out;
}

/** The evaluate() result: matching per image × category, in evaluation order. */
export interface CocoEvaluation {
  params: CocoParams;
  order: EvaluationOrder;
  matching: Matching;
}

export interface CocoOptions {
  /** Also record which ground truth each detection matched. */
  keepMatches?: boolean;
  /** pycocotools (default): its id-0 quirk; corrected: id 0 matches like any id. */
  compat?: Extract<EvalCompat, "pycocotools" | "corrected">;
}

/** Ground-truth rows whose id is 0: a match to them is lost in pycocotools / lvis-api (greedy-match.ts). */
export function idZeroRows(gt: GroundTruth): Uint8Array | null {
  let out: Uint8Array | null = null;
  gt.annotations.ids.forEach((id, i) => {
    if (id !== 0) return;
    out ??= new Uint8Array(gt.annotations.length);
    out[i] = 1;
  });
  return out;
}

export function evaluateCoco(
  gt: GroundTruth,
  dt: DetectionTable,
  params: CocoParams = defaultCocoParams(),
  opts: CocoOptions = {},
): CocoEvaluation {
  const p = checkCocoParams(params);
  const order = evaluationOrder(gt);
  const a = gt.annotations;
  const matchParams: MatchParams = {
    iouThrs: p.iouThrs,
    areaRng: p.areaRng,
    maxDet: p.maxDets[p.maxDets.length - 1]!,
    keepMatches: opts.keepMatches ?? false,
  };
  const matching = matchDetections(
    {
      length: a.length,
      image: remap(a.image, order.imageRank),
      category: remap(a.category, order.categoryRank),
      bbox: a.bbox,
      area: a.area,
      // pycocotools: gt["ignore"] = gt["iscrowd"] (any "ignore" field in the file is overwritten).
      crowd: a.iscrowd,
      ignore: a.iscrowd,
      matchLost: (opts.compat ?? "pycocotools") === "pycocotools" ? idZeroRows(gt) : null,
    },
    {
      length: dt.length,
      image: remap(dt.image, order.imageRank),
      category: remap(dt.category, order.categoryRank),
      bbox: dt.bbox,
      score: dt.score,
      ignoreUnmatched: null,
    },
    matchParams,
    order.imageIds.length,
    order.categoryIds.length,
  );
  return { params: p, order, matching };
}

export function accumulateCoco(ev: CocoEvaluation): Accumulation {
  return accumulate(ev.matching, ev.params.recThrs, ev.params.maxDets);
}

export interface CocoSummary {
  /** The stats in pycocotools' order (12 with the default maxDets); -1 where undefined. */
  stats: number[];
  specs: StatSpec[];
}

/**
 * pycocotools' _summarizeDets, generalised to any number of maxDets. With
 * compat pycocotools, AP is taken at the literal maxDets 100 as there.
 */
export function cocoStatSpecs(p: CocoParams, compat: CocoOptions["compat"] = "pycocotools"): StatSpec[] {
  const last = p.maxDets[p.maxDets.length - 1]!;
  const specs: StatSpec[] = [
    { name: "AP", kind: "ap", area: "all", maxDet: compat === "pycocotools" ? 100 : last },
    { name: "AP50", kind: "ap", iouThr: 0.5, area: "all", maxDet: last },
    { name: "AP75", kind: "ap", iouThr: 0.75, area: "all", maxDet: last },
    { name: "APs", kind: "ap", area: "small", maxDet: last },
    { name: "APm", kind: "ap", area: "medium", maxDet: last },
    { name: "APl", kind: "ap", area: "large", maxDet: last },
  ];
  for (const m of p.maxDets) specs.push({ name: `AR${m}`, kind: "ar", area: "all", maxDet: m });
  specs.push(
    { name: "ARs", kind: "ar", area: "small", maxDet: last },
    { name: "ARm", kind: "ar", area: "medium", maxDet: last },
    { name: "ARl", kind: "ar", area: "large", maxDet: last },
  );
  return specs;
}

export function summarizeCoco(
  acc: Accumulation,
  p: CocoParams,
  compat: CocoOptions["compat"] = "pycocotools",
): CocoSummary {
  const specs = cocoStatSpecs(p, compat);
  return { stats: specs.map((s) => summarizeStat(acc, p.areaRngLbl, s)), specs };
}

/** Per-category AP at area "all" (or the first area range) and the largest maxDets; null without ground truth. */
export function perCategoryAp(acc: Accumulation, p: CocoParams): (number | null)[] {
  const a = Math.max(0, p.areaRngLbl.indexOf("all"));
  const mi = p.maxDets.length - 1;
  return Array.from({ length: acc.counts[2] }, (_, k) => categoryAp(acc, k, a, mi));
}
