// The "lvis" entry of the registry: checks the files, runs the LVISEval stages
// and reports lvis-api's results in its print_results layout.

import { idZeroWarning, rejectKeys } from "./coco-evaluator.js";
import { resolveCompat } from "./compat.js";
import { loadDetections } from "./detections.js";
import type { EvalInput, Evaluator } from "./evaluator.js";
import { metricText, padLeft, padRight, pyFixed } from "./format.js";
import { parseGroundTruth } from "./ground-truth.js";
import {
  accumulateLvis,
  evaluateLvis,
  lvisParamsFromSpec,
  perCategoryApLvis,
  summarizeLvis,
} from "./lvis-eval.js";
import type { EvalReport, MetricValue } from "./types.js";

export const lvisEvaluator: Evaluator = {
  type: "lvis",
  summary: "LVIS box AP with APr/APc/APf and federated rules (lvis-api LVISEval, iou_type=bbox)",
  evaluate(input: EvalInput): EvalReport {
    rejectKeys(input.spec, ["threshold", "crowd"]);
    const params = lvisParamsFromSpec(input.spec);
    const gt = parseGroundTruth(input.gt, input.gtSource, "lvis");
    const dt = loadDetections(input.dt, gt, input.dtSource, {
      emptyBoxMessage: "detections with zero width or height take no part (lvis-api keeps only area > 0)",
    });
    const groupsFromCounts = input.spec.rare_max !== undefined || input.spec.common_max !== undefined;
    const compat = resolveCompat<"lvis-api" | "corrected">(input.spec);
    const ev = evaluateLvis(gt, dt, params, { groupsFromCounts, compat });
    const acc = accumulateLvis(ev);
    const summary = summarizeLvis(acc, ev);
    const metrics: Record<string, MetricValue> = {};
    summary.names.forEach((name, i) => {
      const v = summary.values[i]!;
      metrics[name] = v === -1 ? null : v;
    });
    const perCat = perCategoryApLvis(acc, ev);
    // Each category's group as APr/APc/APf used it (from "frequency", or image_count with rare_max/common_max).
    const groupAt = new Map<number, "r" | "c" | "f">();
    if (ev.freqGroups) {
      for (const g of ["r", "c", "f"] as const) for (const k of ev.freqGroups[g]) groupAt.set(k, g);
    }
    let unknown = 0;
    for (let i = 0; i < dt.length; i++) if (dt.category[i]! < 0) unknown++;
    return {
      type: "lvis",
      metrics,
      perCategory: ev.order.categoryIds.map((id, k) => {
        const c = gt.categories[ev.order.categoryAt[k]!];
        const group = groupAt.get(k);
        return {
          id,
          name: typeof c?.name === "string" ? c.name : null,
          ap: perCat[k] ?? null,
          ...(group ? { group } : {}),
        };
      }),
      warnings: [...gt.warnings, ...idZeroWarning(gt, compat), ...dt.warnings, ...ev.warnings],
      counts: {
        images: gt.imageIds.length,
        categories: gt.categoryIds.length,
        rare: ev.freqGroups?.r.length ?? 0,
        common: ev.freqGroups?.c.length ?? 0,
        frequent: ev.freqGroups?.f.length ?? 0,
        gtAnnotations: gt.annotations.length,
        gtUsed: ev.counts.gtUsed,
        detections: dt.length,
        detectionsUnknownCategory: unknown,
        detectionsOverCap: ev.counts.detectionsCapped,
        detectionsEmpty: ev.counts.detectionsEmpty,
        detectionsNotFederated: ev.counts.detectionsNotFederated,
        detectionsEvaluated: ev.counts.detectionsEvaluated,
      },
      params: {
        iouThrs: params.iouThrs,
        maxDets: params.maxDets,
        areaRng: params.areaRng,
        areaRngLbl: params.areaRngLbl,
        recThrs: params.recThrs.length,
        frequencyFrom: ev.freqGroups === null ? "none" : groupsFromCounts ? "image_count" : "frequency",
        rareMax: params.rareMax,
        commonMax: params.commonMax,
      },
    };
  },
  // lvis-api LVISEval.print_results:
  // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} catIds={:>3s}] = {:0.3f}'
  format(report: EvalReport): string {
    const p = report.params as { iouThrs: number[]; maxDets: number };
    const lines: string[] = [];
    for (const [key, value] of Object.entries(report.metrics)) {
      const ap = key.includes("AP");
      const c = key.length > 2 ? key[2]! : "";
      const iou = /[0-9]/.test(c)
        ? pyFixed(Number(key.slice(2)) / 100, 2)
        : `${pyFixed(p.iouThrs[0]!, 2)}:${pyFixed(p.iouThrs[p.iouThrs.length - 1]!, 2)}`;
      const group = "rcf".includes(c) && c !== "" ? c : "all";
      const area = "sml".includes(c) && c !== "" ? c : "all";
      lines.push(
        ` ${padRight(ap ? "Average Precision" : "Average Recall", 18)} ${ap ? "(AP)" : "(AR)"} ` +
          `@[ IoU=${padRight(iou, 9)} | area=${padLeft(area, 6)} | maxDets=${padLeft(String(p.maxDets), 3)} ` +
          `catIds=${padLeft(group, 3)}] = ${metricText(value)}`,
      );
    }
    return `${lines.join("\n")}\n`;
  },
};
