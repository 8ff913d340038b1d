// Multi-label recognition metrics — METHODS.md §5c, as Scob's
// probes/average_precision_meter.py computes them (difficult_examples=False):
//  - per class, images ranked by score; AP = mean of precision@i over the
//    positives (non-interpolated); a class without positives gets AP 0 and still
//    counts in the mean (counted in a warning, since it lowers mAP);
//  - mAP = mean of the per-class APs;
//  - at a decision threshold (score ≥ threshold, default 0.5): per-class
//    precision/recall averaged over classes (CP, CR, CF1) and overall ones from
//    the summed counts (OP, OR, OF1). As in the meter, a class predicted for no
//    image has precision 0 (its Np is taken as 1). Recall of a class without
//    positives is 0/0 in the meter, so CR and CF1 are NaN (null) with
//    eval.compat scob, the default; eval.compat corrected takes that class's
//    recall as 0, as the meter does for precision.
// Ties: images with equal scores keep the ground truth's image order (stable);
// the meter's torch.sort leaves their order unspecified. Scores and AP are
// float64 here; the meter stores them as float32 (differences < 1e-7).
//
// Inputs: ground truth in the COCO layout, an image's labels being the
// categories of its annotations (boxes optional; an annotation with
// difficult = 1 does not make its class positive, like the VOC "0" label
// Scob drops; a crowd annotation does, as Scob's and Cole et al.'s COCO
// loaders read it, unless eval.crowd is "ignore" — which must then be the
// single-positive protocol's labels.crowd too); predictions either as records [{image_id, category_id, score}]
// or dense {image_ids, category_ids, scores[i][k]}, one score per image × class.

import { UserError } from "../util/errors.js";
import { evaluationOrder, remap } from "./coco-eval.js";
import { rejectKeys } from "./coco-evaluator.js";
import { resolveCompat } from "./compat.js";
import { detectionsJson } from "./detections.js";
import type { EvalInput, Evaluator } from "./evaluator.js";
import { pyFixed } from "./format.js";
import { collectedError, describe, isId, parseGroundTruth } from "./ground-truth.js";
import { npMean, npSum } from "./numpy-compat.js";
import { descendingScoreOrder } from "./stable-order.js";
import type { EvalReport, GroundTruth } from "./types.js";
import { ErrorCollector, WarningCounter } from "./warnings.js";

/** Image × class matrices, row = ground-truth image (file order), column = class (sorted ids). */
export interface LabelMatrix {
  numImages: number;
  numClasses: number;
  /** 1 = positive, 0 = negative. */
  labels: Uint8Array;
  scores: Float64Array;
}

export interface MultilabelResult {
  ap: Float64Array;
  positives: Int32Array;
  mAP: number;
  CP: number;
  CR: number;
  CF1: number;
  OP: number;
  OR: number;
  OF1: number;
}

/** Non-interpolated AP of one class (the meter's average_precision). */
export function labelAp(scores: Float64Array, labels: Uint8Array): number {
  const order = descendingScoreOrder(scores);
  let pos = 0;
  let total = 0;
  let sum = 0;
  for (let i = 0; i < order.length; i++) {
    const positive = labels[order[i]!] === 1;
    if (positive) pos++;
    total++;
    if (positive) sum += pos / total;
  }
  return pos !== 0 ? sum / pos : 0;
}

export function evaluateMultilabel(
  m: LabelMatrix,
  threshold = 0.5,
  compat: "scob" | "corrected" = "scob",
): MultilabelResult {
  const { numImages: n, numClasses: K } = m;
  const ap = new Float64Array(K);
  const positives = new Int32Array(K);
  const Nc = new Float64Array(K);
  const Np = new Float64Array(K);
  const Ng = new Float64Array(K);
  const col = new Float64Array(n);
  const lab = new Uint8Array(n);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) {
      col[i] = m.scores[i * K + k]!;
      lab[i] = m.labels[i * K + k]!;
      const predicted = col[i]! >= threshold;
      if (lab[i]) Ng[k]!++;
      if (predicted) Np[k]!++;
      if (predicted && lab[i]) Nc[k]!++;
    }
    positives[k] = Ng[k]!;
    ap[k] = labelAp(col, lab);
  }
  for (let k = 0; k < K; k++) {
    if (Np[k] === 0) Np[k] = 1;
  }
  const sumNc = npSum(Nc);
  const OP = sumNc / npSum(Np);
  const OR = sumNc / npSum(Ng);
  const OF1 = (2 * OP * OR) / (OP + OR);
  const perP = Nc.map((c, k) => c / Np[k]!);
  const perR = Nc.map((c, k) => c / (Ng[k] === 0 && compat === "corrected" ? 1 : Ng[k]!));
  const CP = npSum(perP) / K;
  const CR = npSum(perR) / K;
  const CF1 = (2 * CP * CR) / (CP + CR);
  return { ap, positives, mAP: npMean(ap), CP, CR, CF1, OP, OR, OF1 };
}

/** Builds the label and score matrices from the ground truth and the predictions JSON. */
export function labelMatrix(
  gt: GroundTruth,
  dtJson: unknown,
  dtSource: string,
  warnings: WarningCounter,
  crowd: "positive" | "ignore" = "positive",
): LabelMatrix {
  const order = evaluationOrder(gt);
  const n = gt.imageIds.length;
  const K = order.categoryIds.length;
  const labels = new Uint8Array(n * K);
  const a = gt.annotations;
  const cls = remap(a.category, order.categoryRank);
  for (let i = 0; i < a.length; i++) {
    if (a.difficult[i] === 1 || (crowd === "ignore" && a.iscrowd[i] === 1)) continue;
    labels[a.image[i]! * K + cls[i]!] = 1;
  }
  const scores = new Float64Array(n * K);
  const seen = new Uint8Array(n * K);
  const errors = new ErrorCollector();
  const put = (where: string, image: unknown, category: unknown, score: unknown) => {
    const img = gt.imageIndex.get(image as never);
    if (img === undefined) {
      errors.add(`${where}: image ${describe(image)} is not an image of the ground truth ${gt.source}`);
      return;
    }
    const c = gt.categoryIndex.get(category as never);
    if (c === undefined) {
      if (!isId(category))
        errors.add(`${where}: category must be a number or string, got ${describe(category)}`);
      else
        warnings.add(
          "dt-unknown-category",
          "scores for a category not in the ground truth are ignored",
          where,
        );
      return;
    }
    if (typeof score !== "number" || !Number.isFinite(score)) {
      errors.add(`${where}: score must be a finite number, got ${describe(score)}`);
      return;
    }
    const at = img * K + order.categoryRank[c]!;
    if (seen[at]) {
      errors.add(`${where}: a second score for image ${describe(image)}, category ${describe(category)}`);
      return;
    }
    seen[at] = 1;
    scores[at] = score + 0;
  };
  if (Array.isArray(dtJson)) {
    dtJson.forEach((d, i) => {
      if (typeof d !== "object" || d === null) errors.add(`[${i}]: must be an object, got ${describe(d)}`);
      else {
        const r = d as Record<string, unknown>;
        put(`[${i}]`, r.image_id, r.category_id, r.score);
      }
    });
  } else if (
    typeof dtJson === "object" &&
    dtJson !== null &&
    Array.isArray((dtJson as { scores?: unknown }).scores)
  ) {
    const d = dtJson as { image_ids?: unknown; category_ids?: unknown; scores: unknown[] };
    if (!Array.isArray(d.image_ids) || !Array.isArray(d.category_ids)) {
      throw new UserError(`${dtSource}: dense scores need "image_ids" and "category_ids" arrays`);
    }
    const cats = d.category_ids as unknown[];
    const ids = d.image_ids as unknown[];
    if (d.scores.length !== d.image_ids.length) {
      throw new UserError(
        `${dtSource}: "scores" has ${d.scores.length} rows for ${d.image_ids.length} image_ids`,
      );
    }
    d.scores.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cats.length) {
        errors.add(`scores[${i}]: must be an array of ${cats.length} numbers (one per category_ids entry)`);
        return;
      }
      row.forEach((s, k) => {
        put(`scores[${i}][${k}]`, ids[i], cats[k], s);
      });
    });
  } else {
    throw new UserError(
      `${dtSource}: multi-label predictions must be an array of {image_id, category_id, score} ` +
        `or an object {image_ids, category_ids, scores}, got ${describe(dtJson)}`,
    );
  }
  if (errors.count === 0) {
    for (let at = 0; at < n * K; at++) {
      if (seen[at]) continue;
      const img = gt.imageIds[Math.floor(at / K)]!;
      const cat = order.categoryIds[at % K]!;
      errors.add(`no score for image ${describe(img)}, category ${describe(cat)}`);
    }
  }
  if (errors.count > 0) throw collectedError(dtSource, "multi-label predictions", errors);
  return { numImages: n, numClasses: K, labels, scores };
}

/** 0/0 (e.g. F1 with precision and recall both 0, or no classes) is undefined: null. */
function defined(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

export const multilabelEvaluator: Evaluator = {
  type: "multilabel",
  summary: "multi-label mAP (non-interpolated per-class AP), CP/CR/CF1, OP/OR/OF1 at a threshold",
  evaluate(input: EvalInput): EvalReport {
    rejectKeys(input.spec, ["iou_thresholds", "max_dets", "rare_max", "common_max"]);
    const threshold = input.spec.threshold ?? 0.5;
    const compat = resolveCompat<"scob" | "corrected">(input.spec);
    const crowd = input.spec.crowd ?? "positive";
    const gt = parseGroundTruth(input.gt, input.gtSource, "multilabel");
    const warnings = new WarningCounter();
    const m = labelMatrix(gt, detectionsJson(input.dt, input.dtSource), input.dtSource, warnings, crowd);
    const r = evaluateMultilabel(m, threshold, compat);
    const order = evaluationOrder(gt);
    const empty = order.categoryIds.filter((_, k) => r.positives[k] === 0);
    warnings.addMany(
      "ml-class-without-positives",
      compat === "corrected"
        ? "classes without a positive image get AP 0 and recall 0, and still count in mAP and CR " +
            "(as in the reference meter for AP)"
        : "classes without a positive image get AP 0 and count in mAP; their recall is 0/0, so CR and CF1 " +
            "are undefined (null), as in Scob's meter; eval.compat: corrected takes that recall as 0",
      empty.length,
      empty.map((id) => `category ${JSON.stringify(id)}`),
    );
    return {
      type: "multilabel",
      metrics: {
        mAP: defined(r.mAP),
        CP: defined(r.CP),
        CR: defined(r.CR),
        CF1: defined(r.CF1),
        OP: defined(r.OP),
        OR: defined(r.OR),
        OF1: defined(r.OF1),
      },
      perCategory: order.categoryIds.map((id, k) => {
        const c = gt.categories[order.categoryAt[k]!];
        return { id, name: typeof c?.name === "string" ? c.name : null, ap: r.ap[k]! };
      }),
      warnings: [...gt.warnings, ...warnings.list()],
      counts: {
        images: m.numImages,
        classes: m.numClasses,
        positives: m.labels.reduce((s, v) => s + v, 0),
        classesWithoutPositives: empty.length,
      },
      params: { threshold, compat, crowd },
    };
  },
  format(report: EvalReport): string {
    const v = (k: string) => pyFixed(report.metrics[k] ?? Number.NaN, 4);
    return (
      `mAP: ${pyFixed(100 * (report.metrics.mAP ?? Number.NaN), 3)}\n` +
      `CP: ${v("CP")}\tCR: ${v("CR")}\tCF1: ${v("CF1")}\n` +
      `OP: ${v("OP")}\tOR: ${v("OR")}\tOF1: ${v("OF1")}\n`
    );
  },
};
