import type { Command } from "commander";
import type { EvalCompat, EvalSpec, EvalType } from "../spec/types.js";
import { UserError } from "../util/errors.js";

// `labelsweep eval`: parse flags, run the evaluator, print. The work lives in src/eval/.

function numberList(flag: string) {
  return (value: string): number[] => {
    const parts = value.split(",").map((s) => s.trim());
    const nums = parts.map(Number);
    if (parts.some((p) => p === "") || nums.some((n) => !Number.isFinite(n))) {
      throw new UserError(`${flag}: expected comma-separated numbers, got "${value}"`);
    }
    return nums;
  };
}

function oneNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
      throw new UserError(`${flag}: expected a number, got "${value}"`);
    return n;
  };
}

interface EvalFlags {
  gt: string;
  dt: string;
  type: string;
  json?: boolean;
  iouThresholds?: number[];
  maxDets?: number[];
  threshold?: number;
  rareMax?: number;
  commonMax?: number;
  perCategory?: boolean;
  split?: string;
  compat?: string;
  crowd?: string;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate a predictions file against ground truth (COCO, LVIS, VOC, multi-label)")
    .requiredOption(
      "--gt <path>",
      "ground truth: COCO-style JSON (images, categories, annotations), a VOC devkit folder (with --split), or a VOC image-set file (…/VOC2007/ImageSets/Main/test.txt)",
    )
    .option("--split <set>", "VOC: the image set of a devkit folder (test, 2007/test, or an image-set file)")
    .requiredOption("--dt <file>", "predictions: COCO results JSON [{image_id, category_id, bbox, score}]")
    .option("--type <type>", "metric family: coco | lvis | voc07 | voc | multilabel", "coco")
    .option("--json", "print the full report as JSON")
    .option(
      "--iou-thresholds <list>",
      "IoU thresholds, comma-separated (coco, lvis)",
      numberList("--iou-thresholds"),
    )
    .option(
      "--max-dets <list>",
      "detections per image, comma-separated (coco; lvis: the one per-image cap)",
      numberList("--max-dets"),
    )
    .option(
      "--threshold <score>",
      "decision threshold for F1/precision/recall (multilabel)",
      oneNumber("--threshold"),
    )
    .option(
      "--rare-max <n>",
      "LVIS: rare = at most this many training images (with image_count)",
      oneNumber("--rare-max"),
    )
    .option("--common-max <n>", "LVIS: common = at most this many training images", oneNumber("--common-max"))
    .option(
      "--compat <tool>",
      "whose numbers: pycocotools (coco default), lvis-api (lvis default), detectron2 (voc default), ssd-pytorch (voc), scob (multilabel default), or corrected",
    )
    .option("--crowd <rule>", "multilabel: a crowd annotation makes its class positive (default) or ignore")
    .option("--per-category", "also print per-category AP (text output)")
    .action(async (flags: EvalFlags) => {
      const [{ evaluateFiles, formatReport }, { vocGroundTruth }] = await Promise.all([
        import("../eval/index.js"),
        import("../data/index.js"),
      ]);
      const spec: EvalSpec = { type: flags.type as EvalType };
      if (flags.compat !== undefined) spec.compat = flags.compat as EvalCompat;
      if (flags.crowd !== undefined) {
        if (flags.crowd !== "positive" && flags.crowd !== "ignore")
          throw new UserError(`--crowd: expected positive or ignore, got "${flags.crowd}"`);
        spec.crowd = flags.crowd;
      }
      if (flags.iouThresholds) spec.iou_thresholds = flags.iouThresholds;
      if (flags.maxDets) spec.max_dets = flags.maxDets;
      if (flags.threshold !== undefined) spec.threshold = flags.threshold;
      if (flags.rareMax !== undefined) spec.rare_max = flags.rareMax;
      if (flags.commonMax !== undefined) spec.common_max = flags.commonMax;
      const report = evaluateFiles(spec, (await vocGroundTruth(flags.gt, flags.split)) ?? flags.gt, flags.dt);
      for (const w of report.warnings) {
        process.stderr.write(`warning: ${w.count} × ${w.message} (e.g. ${w.examples.join(", ")})\n`);
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      process.stdout.write(formatReport(report));
      if (flags.perCategory) {
        process.stdout.write("\nper-category AP:\n");
        for (const c of report.perCategory) {
          const ap = c.ap === null ? "     -" : (100 * c.ap).toFixed(3).padStart(7);
          const group = c.group ? `${c.group}  ` : "";
          process.stdout.write(`  ${String(c.id).padStart(8)}  ${ap}  ${group}${c.name ?? ""}\n`);
        }
      }
    });
}
