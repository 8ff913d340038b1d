// Public interface of the evaluation room.

export type { Accumulation } from "./accumulate.js";
export {
  accumulateCoco,
  type CocoEvaluation,
  type CocoParams,
  defaultCocoParams,
  evaluateCoco,
  perCategoryAp,
  summarizeCoco,
} from "./coco-eval.js";
export { type DetectionsInput, loadDetections, parseDetections } from "./detections.js";
export { readDetectionBytes } from "./detections-reader.js";
export type { EvalInput, Evaluator } from "./evaluator.js";
export { parseGroundTruth } from "./ground-truth.js";
export { readJsonFile } from "./read-json.js";
export { EVALUATORS } from "./registry.js";
export { evaluateFiles, evaluateJson, evaluatorFor, formatReport } from "./run-eval.js";
export type * from "./types.js";
