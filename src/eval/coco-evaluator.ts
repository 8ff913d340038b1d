// The "coco" entry of the registry: checks the files, runs the three COCOeval
// stages and reports the 12 numbers in pycocotools' layout.

import type { EvalSpec } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import {
  accumulateCoco,
  type CocoParams,
  cocoStatSpecs,
  defaultCocoParams,
  evaluateCoco,
  idZeroRows,
  perCategoryAp,
  summarizeCoco,
} from "./coco-eval.js";
import { resolveCompat } from "./compat.js";
import { loadDetections } from "./detections.js";
import type { EvalInput, Evaluator } from "./evaluator.js";
import { metricText, padLeft, padRight, pyFixed } from "./format.js";
import { parseGroundTruth } from "./ground-truth.js";
import type { StatSpec } from "./summarize.js";
import type { EvalReport, EvalWarning, GroundTruth, MetricValue } from "./types.js";

export function cocoParamsFromSpec(spec: EvalSpec): CocoParams {
  const p = defaultCocoParams();
  if (spec.iou_thresholds !== undefined) p.iouThrs = [...spec.iou_thresholds];
  if (spec.max_dets !== undefined) p.maxDets = [...spec.max_dets];
  return p;
}

function value(v: number): MetricValue {
  return v === -1 ? null : v;
}

export const cocoEvaluator: Evaluator = {
  type: "coco",
  summary: "COCO box AP/AR (pycocotools COCOeval, iouType=bbox)",
  evaluate(input: EvalInput): EvalReport {
    rejectKeys(input.spec, ["rare_max", "common_max", "threshold", "crowd"]);
    const compat = resolveCompat<"pycocotools" | "corrected">(input.spec);
    const gt = parseGroundTruth(input.gt, input.gtSource, "coco");
    const dt = loadDetections(input.dt, gt, input.dtSource);
    const ev = evaluateCoco(gt, dt, cocoParamsFromSpec(input.spec), { compat });
    const acc = accumulateCoco(ev);
    const summary = summarizeCoco(acc, ev.params, compat);
    const metrics: Record<string, MetricValue> = {};
    summary.specs.forEach((s, i) => {
      metrics[s.name] = value(summary.stats[i]!);
    });
    const perCat = perCategoryAp(acc, ev.params);
    let unknown = 0;
    for (let i = 0; i < dt.length; i++) if (dt.category[i]! < 0) unknown++;
    return {
      type: "coco",
      metrics,
      perCategory: ev.order.categoryIds.map((id, k) => ({
        id,
        name: categoryName(gt.categories[ev.order.categoryAt[k]!]),
        ap: perCat[k] ?? null,
      })),
      warnings: [...gt.warnings, ...idZeroWarning(gt, compat), ...dt.warnings],
      counts: {
        images: gt.imageIds.length,
        categories: gt.categoryIds.length,
        gtAnnotations: gt.annotations.length,
        detections: dt.length,
        detectionsUnknownCategory: unknown,
        detectionsEvaluated: ev.matching.detection.length,
      },
      params: {
        iouThrs: ev.params.iouThrs,
        maxDets: ev.params.maxDets,
        areaRng: ev.params.areaRng,
        areaRngLbl: ev.params.areaRngLbl,
        recThrs: ev.params.recThrs.length,
        compat,
      },
    };
  },
  format(report: EvalReport): string {
    const p = report.params as unknown as Pick<CocoParams, "iouThrs" | "maxDets"> & {
      compat?: "pycocotools" | "corrected";
    };
    const specs = cocoStatSpecs({ ...defaultCocoParams(), ...p }, p.compat ?? "pycocotools");
    return specs.map((s) => cocoLine(s, p.iouThrs, report.metrics[s.name] ?? null)).join("\n") + "\n";
  },
};

function categoryName(c: { name?: unknown } | undefined): string | null {
  return c && typeof c.name === "string" ? c.name : null;
}

/** One line of pycocotools' summary: ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'. */
export function cocoLine(s: StatSpec, iouThrs: number[], v: MetricValue, extra = ""): string {
  const title = s.kind === "ap" ? "Average Precision" : "Average Recall";
  const type = s.kind === "ap" ? "(AP)" : "(AR)";
  const iou =
    s.iouThr === undefined
      ? `${pyFixed(iouThrs[0]!, 2)}:${pyFixed(iouThrs[iouThrs.length - 1]!, 2)}`
      : pyFixed(s.iouThr, 2);
  return (
    ` ${padRight(title, 18)} ${type} @[ IoU=${padRight(iou, 9)} | area=${padLeft(s.area, 6)} | ` +
    `maxDets=${padLeft(String(s.maxDet), 3)}${extra} ] = ${metricText(v)}`
  );
}

/** The counted warning for annotations with id 0, worded for the compat mode in force. */
export function idZeroWarning(
  gt: GroundTruth,
  compat: "pycocotools" | "lvis-api" | "corrected",
): EvalWarning[] {
  const rows = idZeroRows(gt);
  if (!rows) return [];
  const examples: string[] = [];
  let count = 0;
  rows.forEach((v, i) => {
    if (!v) return;
    count++;
    if (examples.length < 5) examples.push(`annotations[${i}]`);
  });
  const message =
    compat === "corrected"
      ? "ground-truth annotations have id 0; pycocotools and lvis-api store matches by id and read id 0 as " +
        "'unmatched', so they count a detection matched to one as a false positive; eval.compat corrected " +
        "counts the match, so these numbers differ from theirs"
      : `ground-truth annotations have id 0; as in ${compat} (which stores matches by id and reads id 0 as ` +
        "'unmatched'), a detection matched to one counts as a false positive and the annotation as missed; " +
        "eval.compat: corrected counts the match";
  return [{ code: "gt-id-zero", count, message, examples }];
}

/** Rejects spec keys that a family does not use, instead of silently ignoring them. */
export function rejectKeys(spec: EvalSpec, keys: (keyof EvalSpec)[]): void {
  for (const k of keys) {
    if (spec[k] !== undefined) throw new UserError(`eval.${k} does not apply to eval type "${spec.type}"`);
  }
}
