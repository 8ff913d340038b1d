// PASCAL VOC detection AP at IoU 0.5, difficult objects ignored — METHODS.md
// §7.1 (VOC07 11-point, used by CSD and AL-SSL: ssd.pytorch eval.py
// do_python_eval(use_07=True)) and §7.2 (area under the PR curve, VOC2010+).
// Identical to the devkit's Python port (py-faster-rcnn voc_eval.py as kept in
// detectron2), per class:
//  - detections ranked by score, stable (the MATLAB devkit's sort() is stable;
//    the Python port's quicksort would rank equal scores arbitrarily);
//  - each detection takes the ground truth of its image and class with the
//    highest overlap (the first one on ties), whether or not it is taken;
//    overlap > 0.5 (strictly) on a free non-difficult object is a TP, on a taken
//    one an FP, on a difficult one neither; otherwise an FP;
//  - rec = tp / npos, prec = tp / max(tp + fp, eps);
//  - VOC07: mean over t = 0, 0.1, …, 1 of max(prec[rec ≥ t]);
//    area: Σ Δrecall × interpolated precision, summed as np.sum does.
// A class without non-difficult ground truth has no AP (the port divides by
// zero); it is reported as null, left out of the mean, and counted in a warning.

import { UserError } from "../util/errors.js";
import { toVocCorners, vocOverlap } from "./box-iou.js";
import { evaluationOrder, remap } from "./coco-eval.js";
import { rejectKeys } from "./coco-evaluator.js";
import { loadDetections } from "./detections.js";
import type { EvalInput, Evaluator } from "./evaluator.js";
import { pyFixed } from "./format.js";
import { parseGroundTruth } from "./ground-truth.js";
import { arange, npMean, npSum } from "./numpy-compat.js";
import { descendingScoreOrder, groupBy, identityOrder } from "./stable-order.js";
import type { DetectionTable, EvalReport, GroundTruth, MetricValue } from "./types.js";
import { WarningCounter } from "./warnings.js";

/** np.finfo(np.float64).eps */
const EPS = 2.220446049250313e-16;
const VOC07_RECALLS = arange(0, 1.1, 0.1);

export interface VocClassResult {
  /** Non-difficult ground-truth objects. */
  npos: number;
  /** Cumulative recall and precision down the ranked detections. */
  recall: Float64Array;
  precision: Float64Array;
  /** null when npos is 0. */
  ap: number | null;
}

export interface VocResult {
  classes: VocClassResult[];
  /** Mean AP over classes with positives; null when there are none. */
  mAP: number | null;
}

/** AP of one class from its recall/precision arrays (voc_ap). */
export function vocAp(rec: Float64Array, prec: Float64Array, use07: boolean): number {
  const n = rec.length;
  if (use07) {
    let ap = 0;
    for (const t of VOC07_RECALLS) {
      let p = 0;
      let any = false;
      for (let i = 0; i < n; i++) {
        if (rec[i]! >= t && (!any || prec[i]! > p)) {
          p = prec[i]!;
          any = true;
        }
      }
      ap = ap + p / 11;
    }
    return ap;
  }
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mrec.set(rec, 1);
  mrec[n + 1] = 1;
  mpre.set(prec, 1);
  for (let i = n + 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1]!, mpre[i]!);
  const terms = new Float64Array(n + 1);
  let k = 0;
  for (let i = 0; i < n + 1; i++) {
    if (mrec[i + 1] !== mrec[i]) terms[k++] = (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
  }
  return npSum(terms, k);
}

/** Evaluates every ground-truth category as a VOC class, in sorted-id order. */
export function evaluateVoc(gt: GroundTruth, dt: DetectionTable, use07: boolean, ovthresh = 0.5): VocResult {
  const order = evaluationOrder(gt);
  const K = order.categoryIds.length;
  const nImg = gt.imageIds.length;
  const a = gt.annotations;
  const gtCat = remap(a.category, order.categoryRank);
  const dtCat = remap(dt.category, order.categoryRank);
  // Ground truth by class, then image, file order kept (the XML object order).
  const gtByImage = groupBy(identityOrder(a.length), a.image, nImg);
  const gtGroups = groupBy(gtByImage.order, gtCat, K);
  // Corners of every ground-truth row, in grouped order.
  const corners = new Float64Array(4 * a.length);
  const difficult = new Uint8Array(a.length);
  gtGroups.order.forEach((row, i) => {
    toVocCorners(a.bbox, row, corners, 4 * i);
    difficult[i] = a.difficult[row]!;
  });
  // Detections by class in file order, then ranked by score within the class.
  const dtGroups = groupBy(identityOrder(dt.length), dtCat, K);
  const imgStart = new Int32Array(nImg).fill(-1);
  const imgCount = new Int32Array(nImg);
  const taken = new Uint8Array(a.length);
  const bb = new Float64Array(4);
  let overlaps = new Float64Array(64);
  const classes: VocClassResult[] = [];

  for (let k = 0; k < K; k++) {
    const g0 = gtGroups.offsets[k]!;
    const g1 = gtGroups.offsets[k + 1]!;
    let npos = 0;
    for (let i = g0; i < g1; i++) {
      const img = a.image[gtGroups.order[i]!]!;
      if (imgStart[img] === -1) imgStart[img] = i;
      imgCount[img]!++;
      if (!difficult[i]) npos++;
    }
    const d0 = dtGroups.offsets[k]!;
    const nd = dtGroups.offsets[k + 1]! - d0;
    const scores = new Float64Array(nd);
    for (let i = 0; i < nd; i++) scores[i] = dt.score[dtGroups.order[d0 + i]!]!;
    const ranked = descendingScoreOrder(scores, nd);
    const recall = new Float64Array(nd);
    const precision = new Float64Array(nd);
    let tp = 0;
    let fp = 0;
    for (let r = 0; r < nd; r++) {
      const row = dtGroups.order[d0 + ranked[r]!]!;
      const img = dt.image[row]!;
      toVocCorners(dt.bbox, row, bb, 0);
      const first = imgStart[img]!;
      const count = imgCount[img]!;
      let ovmax = Number.NEGATIVE_INFINITY;
      let jmax = -1;
      if (count > 0) {
        if (count > overlaps.length) overlaps = new Float64Array(2 * count);
        vocOverlap(bb, corners, first, count, overlaps);
        // np.max / np.argmax: the first maximum; a NaN overlap wins both, as in NumPy.
        for (let j = 0; j < count; j++) {
          const v = overlaps[j]!;
          if (jmax === -1 || v > ovmax || (Number.isNaN(v) && !Number.isNaN(ovmax))) {
            ovmax = v;
            jmax = j;
          }
        }
      }
      if (ovmax > ovthresh) {
        const g = first + jmax;
        if (!difficult[g]) {
          if (!taken[g]) {
            tp++;
            taken[g] = 1;
          } else {
            fp++;
          }
        }
      } else {
        fp++;
      }
      recall[r] = tp / npos;
      precision[r] = tp / Math.max(tp + fp, EPS);
    }
    for (let i = g0; i < g1; i++) {
      const img = a.image[gtGroups.order[i]!]!;
      imgStart[img] = -1;
      imgCount[img] = 0;
    }
    classes.push({ npos, recall, precision, ap: npos > 0 ? vocAp(recall, precision, use07) : null });
  }
  const aps = classes.filter((c) => c.ap !== null).map((c) => c.ap!);
  return { classes, mAP: aps.length > 0 ? npMean(Float64Array.from(aps)) : null };
}

function vocEvaluator(type: "voc07" | "voc"): Evaluator {
  const use07 = type === "voc07";
  return {
    type,
    summary: use07
      ? "PASCAL VOC07 11-point AP at IoU 0.5, difficult ignored"
      : "PASCAL VOC area-under-PR AP at IoU 0.5, difficult ignored",
    evaluate(input: EvalInput): EvalReport {
      rejectKeys(input.spec);
      const thr = input.spec.iou_thresholds ?? [0.5];
      if (thr.length !== 1 || !(thr[0]! >= 0 && thr[0]! <= 1)) {
        throw new UserError(
          `eval.iou_thresholds for "${type}" must be one IoU threshold in [0, 1], got ${JSON.stringify(thr)}`,
        );
      }
      const gt = parseGroundTruth(input.gt, input.gtSource, "voc");
      const dt = loadDetections(input.dt, gt, input.dtSource);
      const res = evaluateVoc(gt, dt, use07, thr[0]!);
      const order = evaluationOrder(gt);
      const warnings = new WarningCounter();
      const without = order.categoryIds.filter((_, k) => res.classes[k]!.ap === null);
      warnings.addMany(
        "voc-class-without-positives",
        "classes without non-difficult ground truth have no AP (reported as null) and are left out of the mean",
        without.length,
        without.map((id) => `category ${JSON.stringify(id)}`),
      );
      const perCategory = order.categoryIds.map((id, k) => {
        const c = gt.categories[order.categoryAt[k]!];
        return { id, name: typeof c?.name === "string" ? c.name : null, ap: res.classes[k]!.ap };
      });
      let unknown = 0;
      for (let i = 0; i < dt.length; i++) if (dt.category[i]! < 0) unknown++;
      const metrics: Record<string, MetricValue> = { mAP: res.mAP };
      return {
        type,
        metrics,
        perCategory,
        warnings: [...gt.warnings, ...dt.warnings, ...warnings.list()],
        counts: {
          images: gt.imageIds.length,
          classes: order.categoryIds.length,
          classesWithPositives: order.categoryIds.length - without.length,
          gtAnnotations: gt.annotations.length,
          gtDifficult: gt.annotations.difficult.reduce((s, v) => s + v, 0),
          detections: dt.length,
          detectionsUnknownCategory: unknown,
        },
        params: { iouThreshold: thr[0]!, metric: use07 ? "voc07-11point" : "area" },
      };
    },
    // ssd.pytorch / py-faster-rcnn do_python_eval's printout.
    format(report: EvalReport): string {
      const lines = [`VOC07 metric? ${use07 ? "Yes" : "No"}`];
      for (const c of report.perCategory) {
        lines.push(
          `AP for ${c.name ?? String(c.id)} = ${c.ap === null ? "n/a (no positives)" : pyFixed(c.ap, 4)}`,
        );
      }
      const m = report.metrics.mAP ?? null;
      lines.push(`Mean AP = ${m === null ? "n/a" : pyFixed(m, 4)}`);
      return `${lines.join("\n")}\n`;
    },
  };
}

export const voc07Evaluator = vocEvaluator("voc07");
export const vocAreaEvaluator = vocEvaluator("voc");
