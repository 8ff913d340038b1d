// The driver: one function runs any registered evaluator on parsed JSON or on files.

import type { EvalSpec } from "../spec/types.js";
import { NotImplementedError, UserError } from "../util/errors.js";
import type { Evaluator } from "./evaluator.js";
import { readFileBytes, readJsonFile } from "./read-json.js";
import { EVALUATORS } from "./registry.js";
import type { EvalReport, EvalType } from "./types.js";

const ALL_TYPES: EvalType[] = ["coco", "lvis", "voc07", "voc", "multilabel"];

export function evaluatorFor(type: string): Evaluator {
  if (!ALL_TYPES.includes(type as EvalType)) {
    throw new UserError(`unknown eval type "${type}"; expected one of ${ALL_TYPES.join(", ")}`);
  }
  const ev = EVALUATORS[type as EvalType];
  if (!ev) throw new NotImplementedError(`eval type "${type}"`);
  return ev;
}

/** Evaluates already-parsed ground truth and predictions. */
export function evaluateJson(
  spec: EvalSpec,
  gt: unknown,
  dt: unknown,
  sources: { gt: string; dt: string } = { gt: "ground truth", dt: "predictions" },
): EvalReport {
  return evaluatorFor(spec.type).evaluate({
    gt,
    gtSource: sources.gt,
    dt: { json: dt },
    dtSource: sources.dt,
    spec,
  });
}

/**
 * Reads the predictions file and the ground truth — a JSON file, or ground
 * truth already read (a VOC devkit, converted by the data stage) — and
 * evaluates them.
 */
export function evaluateFiles(
  spec: EvalSpec,
  gtPath: string | { json: unknown; source: string },
  dtPath: string,
): EvalReport {
  const evaluator = evaluatorFor(spec.type);
  const gt = typeof gtPath === "string" ? readJsonFile(gtPath, "ground-truth") : gtPath.json;
  const gtSource = typeof gtPath === "string" ? gtPath : gtPath.source;
  const dt = readFileBytes(dtPath, "predictions");
  return evaluator.evaluate({ gt, gtSource, dt: { bytes: dt }, dtSource: dtPath, spec });
}

/** The family's familiar text summary of a report. */
export function formatReport(report: EvalReport): string {
  return evaluatorFor(report.type).format(report);
}
