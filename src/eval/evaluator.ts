// The one small interface every metric family implements, and the one driver
// that runs any of them (detectron2's DatasetEvaluator + inference_on_dataset,
// reduced to what a file-based evaluation needs). A new family is one new file
// exporting an Evaluator plus one line in registry.ts.

import type { EvalSpec } from "../spec/types.js";
import type { DetectionsInput } from "./detections.js";
import type { EvalReport, EvalType } from "./types.js";

export interface EvalInput {
  /** Parsed ground-truth JSON and where it came from (for messages). */
  gt: unknown;
  gtSource: string;
  /** Predictions (parsed JSON, or the file's bytes for the fast reader) and where they came from. */
  dt: DetectionsInput;
  dtSource: string;
  /** The spec's eval section (thresholds, maxDets, frequency groups, decision threshold). */
  spec: EvalSpec;
}

export interface Evaluator {
  type: EvalType;
  /** One line for --help. */
  summary: string;
  /** Checks the inputs (UserError on bad input) and computes the report. */
  evaluate(input: EvalInput): EvalReport;
  /** The family's familiar text summary (e.g. pycocotools' 12 lines). */
  format(report: EvalReport): string;
}
