// PASCAL VOC detection AP at IoU 0.5, difficult objects ignored — METHODS.md
// §7.1 (VOC07 11-point, CSD and AL-SSL) and §7.2 (area under the PR curve,
// VOC2010+). The devkit's Python port (py-faster-rcnn voc_eval.py), per class:
//  - detections ranked by score (stable here; see "ties" below);
//  - each detection takes the ground truth of its image and class with the
//    highest overlap (the first one on ties), whether or not it is taken;
//    overlap > 0.5 (strictly) on a free non-difficult object is a TP, on a taken
//    one an FP, on a difficult one neither; otherwise an FP;
//  - rec = tp / npos, prec = tp / max(tp + fp, eps);
//  - VOC07: mean over t = 0, 0.1, …, 1 of max(prec[rec ≥ t]);
//    area: Σ Δrecall × interpolated precision, summed as np.sum does.
// Two code bases print different numbers from it; eval.compat picks one
// (DESIGN.md "Compat principle": the default is a reference's own result):
//  - detectron2 (default; detectron2/evaluation/pascal_voc_evaluation.py):
//    detections are first written as text, f"{score:.3f} {xmin+1:.1f}
//    {ymin+1:.1f} {xmax:.1f} {ymax:.1f}" (xyxy = x, y, x+w, y+h), ground truth
//    is the XML's integer corners, IoU with the devkit's "+1" in every width;
//    a class without positives gets what voc_eval computes from rec = 0/0
//    (11-point: 0; area: NaN, reported null, and then mAP is null), and counts
//    in the mean;
//  - ssd-pytorch (ssd.pytorch eval.py, which CSD's and AL-SSL's eval.py copy,
//    METHODS.md §7.1): all four corners written +1 (f"{x1+1:.1f} …"), ground
//    truth corners minus 1 on all four (parse_rec), IoU *without* the +1, and a
//    class without detections gets AP −1, which counts in the mean;
//  - corrected: scores and corners at full precision, detectron2's geometry,
//    and a class without positives has no AP (null), left out of the mean.
// Both reference parse_rec read the corners with int(), so the two compat
// modes refuse ground truth with fractional corners (corrected takes them).
// Ties: the port ranks with np.argsort(-confidence) (quicksort: unstable for
// more than 16 detections), so with equal scores no evaluator reproduces it
// exactly; labelsweep keeps the input order (stable, as the MATLAB devkit's
// sort()). The 3-decimal scores of the compat modes make such ties common.

import type { EvalCompat } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { vocOverlap } from "./box-iou.js";
import { evaluationOrder, remap } from "./coco-eval.js";
import { rejectKeys } from "./coco-evaluator.js";
import { resolveCompat } from "./compat.js";
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

export type VocCompat = Extract<EvalCompat, "detectron2" | "ssd-pytorch" | "corrected">;

export interface VocClassResult {
  /** Non-difficult ground-truth objects. */
  npos: number;
  /** Detections of the class. */
  nd: number;
  /** Cumulative recall and precision down the ranked detections. */
  recall: Float64Array;
  precision: Float64Array;
  /** null where the reference gets NaN, or (corrected) where npos is 0. */
  ap: number | null;
}

export interface VocResult {
  classes: VocClassResult[];
  /** Mean AP (see the header for which classes count); null when undefined. */
  mAP: number | null;
}

/** AP of one class from its recall/precision arrays (voc_ap); NaN recalls behave as in NumPy. */
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

/** A number as the reference writes it into its results file and reads it back: float("{:.Nf}".format(x)). */
function written(x: number, digits: number): number {
  return Number(pyFixed(x, digits)) + 0;
}

/**
 * Ground-truth corners as each reference's parse_rec reads them: the XML's
 * 1-based corners [x + 1, y + 1, x + w, y + h] (detectron2, corrected), minus 1
 * on all four for ssd-pytorch.
 */
function groundTruthCorners(gt: GroundTruth, rows: ArrayLike<number>, compat: VocCompat): Float64Array {
  const b = gt.annotations.bbox;
  const out = new Float64Array(4 * rows.length);
  const shift = compat === "ssd-pytorch" ? 1 : 0;
  let fractional = -1;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const c = [b[4 * r]! + 1, b[4 * r + 1]! + 1, b[4 * r]! + b[4 * r + 2]!, b[4 * r + 1]! + b[4 * r + 3]!];
    if (compat !== "corrected" && fractional < 0 && !c.every(Number.isInteger)) fractional = r;
    for (let j = 0; j < 4; j++) out[4 * i + j] = c[j]! - shift;
  }
  if (fractional >= 0) {
    const [x, y, w, h] = b.subarray(4 * fractional, 4 * fractional + 4);
    throw new UserError(
      `${gt.source}: annotations[${fractional}] has fractional VOC corners (bbox [${x}, ${y}, ${w}, ${h}]); ` +
        `eval.compat ${compat} reproduces a parse_rec that reads corners with int() and would fail on them — ` +
        "use eval.compat: corrected",
    );
  }
  return out;
}

/** Detection scores and corners as the results file carries them (see the header). */
function detectionRows(
  dt: DetectionTable,
  compat: VocCompat,
): { score: Float64Array; corners: Float64Array } {
  const score = new Float64Array(dt.length);
  const corners = new Float64Array(4 * dt.length);
  for (let i = 0; i < dt.length; i++) {
    const [x, y, w, h] = dt.bbox.subarray(4 * i, 4 * i + 4) as unknown as [number, number, number, number];
    const c = [x + 1, y + 1, x + w, y + h];
    if (compat === "corrected") {
      score[i] = dt.score[i]!;
      corners.set(c, 4 * i);
    } else {
      if (compat === "ssd-pytorch") {
        c[2] = x + w + 1;
        c[3] = y + h + 1;
      }
      score[i] = written(dt.score[i]!, 3);
      for (let j = 0; j < 4; j++) corners[4 * i + j] = written(c[j]!, 1);
    }
  }
  return { score, corners };
}

/** Evaluates every ground-truth category as a VOC class, in sorted-id order. */
export function evaluateVoc(
  gt: GroundTruth,
  dt: DetectionTable,
  use07: boolean,
  ovthresh = 0.5,
  compat: VocCompat = "detectron2",
): VocResult {
  const order = evaluationOrder(gt);
  const K = order.categoryIds.length;
  const nImg = gt.imageIds.length;
  const a = gt.annotations;
  const gtCat = remap(a.category, order.categoryRank);
  const dtCat = remap(dt.category, order.categoryRank);
  // Ground truth by class, then image, file order kept (the XML object order).
  const gtByImage = groupBy(identityOrder(a.length), a.image, nImg);
  const gtGroups = groupBy(gtByImage.order, gtCat, K);
  const corners = groundTruthCorners(gt, gtGroups.order, compat);
  const difficult = new Uint8Array(a.length);
  gtGroups.order.forEach((row, i) => {
    difficult[i] = a.difficult[row]!;
  });
  const det = detectionRows(dt, compat);
  const plusOne = compat !== "ssd-pytorch";
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
    for (let i = 0; i < nd; i++) scores[i] = det.score[dtGroups.order[d0 + i]!]!;
    const ranked = descendingScoreOrder(scores, nd);
    const recall = new Float64Array(nd);
    const precision = new Float64Array(nd);
    let tp = 0;
    let fp = 0;
    for (let r = 0; r < nd; r++) {
      const row = dtGroups.order[d0 + ranked[r]!]!;
      const img = dt.image[row]!;
      bb.set(det.corners.subarray(4 * row, 4 * row + 4));
      const first = imgStart[img]!;
      const count = imgCount[img]!;
      let ovmax = Number.NEGATIVE_INFINITY;
      let jmax = -1;
      if (count > 0) {
        if (count > overlaps.length) overlaps = new Float64Array(2 * count);
        vocOverlap(bb, corners, first, count, overlaps, plusOne);
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
      // npos = 0: tp / 0.0 is NaN (tp is 0), as NumPy divides.
      recall[r] = tp / npos;
      precision[r] = tp / Math.max(tp + fp, EPS);
    }
    for (let i = g0; i < g1; i++) {
      const img = a.image[gtGroups.order[i]!]!;
      imgStart[img] = -1;
      imgCount[img] = 0;
    }
    let ap: number | null;
    if (compat === "corrected") ap = npos > 0 ? vocAp(recall, precision, use07) : null;
    else if (compat === "ssd-pytorch" && nd === 0) ap = -1;
    else {
      const v = vocAp(recall, precision, use07);
      ap = Number.isNaN(v) ? null : v;
    }
    classes.push({ npos, nd, recall, precision, ap });
  }
  let mAP: number | null;
  if (compat === "corrected") {
    const aps = classes.filter((c) => c.ap !== null).map((c) => c.ap!);
    mAP = aps.length > 0 ? npMean(Float64Array.from(aps)) : null;
  } else {
    // np.mean over every class: a NaN AP makes the mean NaN; an empty list too.
    const m = classes.some((c) => c.ap === null)
      ? Number.NaN
      : npMean(Float64Array.from(classes, (c) => c.ap!));
    mAP = Number.isNaN(m) ? null : m;
  }
  return { classes, mAP };
}

function vocEvaluator(type: "voc07" | "voc"): Evaluator {
  const use07 = type === "voc07";
  return {
    type,
    summary: use07
      ? "PASCAL VOC07 11-point AP at IoU 0.5, difficult ignored"
      : "PASCAL VOC area-under-PR AP at IoU 0.5, difficult ignored",
    evaluate(input: EvalInput): EvalReport {
      rejectKeys(input.spec, ["max_dets", "rare_max", "common_max", "threshold", "crowd"]);
      const compat = resolveCompat<VocCompat>(input.spec);
      const thr = input.spec.iou_thresholds ?? [0.5];
      if (thr.length !== 1 || !(thr[0]! >= 0 && thr[0]! <= 1)) {
        throw new UserError(
          `eval.iou_thresholds for "${type}" must be one IoU threshold in [0, 1], got ${JSON.stringify(thr)}`,
        );
      }
      const gt = parseGroundTruth(input.gt, input.gtSource, "voc");
      const dt = loadDetections(input.dt, gt, input.dtSource);
      const res = evaluateVoc(gt, dt, use07, thr[0]!, compat);
      const order = evaluationOrder(gt);
      const warnings = new WarningCounter();
      const ids = (pick: (c: VocClassResult) => boolean) =>
        order.categoryIds.flatMap((id, k) => {
          if (!pick(res.classes[k]!)) return [];
          const name = gt.categories[order.categoryAt[k]!]?.name;
          return [typeof name === "string" ? name : `category ${JSON.stringify(id)}`];
        });
      const without = ids((c) => c.npos === 0);
      warnings.addMany(
        "voc-class-without-positives",
        compat === "corrected"
          ? "classes without non-difficult ground truth have no AP (reported as null) and are left out of the mean"
          : `classes without non-difficult ground truth get what ${compat}'s voc_eval computes from recall 0/0 ` +
              "(11-point AP 0; area AP NaN, reported null) and count in the mean; eval.compat: corrected leaves them out",
        without.length,
        without,
      );
      if (compat === "ssd-pytorch") {
        const silent = ids((c) => c.nd === 0);
        warnings.addMany(
          "voc-class-without-detections",
          "classes without detections get AP -1 and count in the mean, as ssd.pytorch's eval.py computes it",
          silent.length,
          silent,
        );
      }
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
        params: { iouThreshold: thr[0]!, metric: use07 ? "voc07-11point" : "area", compat },
      };
    },
    // do_python_eval's printout (ssd.pytorch; py-faster-rcnn's is the same).
    format(report: EvalReport): string {
      const lines = [`VOC07 metric? ${use07 ? "Yes" : "No"}`];
      const none = report.params.compat === "corrected" ? "n/a (no positives)" : "nan";
      for (const c of report.perCategory) {
        lines.push(`AP for ${c.name ?? String(c.id)} = ${c.ap === null ? none : pyFixed(c.ap, 4)}`);
      }
      const m = report.metrics.mAP ?? null;
      lines.push(`Mean AP = ${m === null ? "nan" : pyFixed(m, 4)}`);
      return `${lines.join("\n")}\n`;
    },
  };
}

export const voc07Evaluator = vocEvaluator("voc07");
export const vocAreaEvaluator = vocEvaluator("voc");
