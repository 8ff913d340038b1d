// Every metric family, by eval type. Adding a family: one file exporting an
// Evaluator, one line here.

import { cocoEvaluator } from "./coco-evaluator.js";
import type { Evaluator } from "./evaluator.js";
import { lvisEvaluator } from "./lvis-evaluator.js";
import { multilabelEvaluator } from "./multilabel-eval.js";
import type { EvalType } from "./types.js";
import { voc07Evaluator, vocAreaEvaluator } from "./voc-eval.js";

export const EVALUATORS: Partial<Record<EvalType, Evaluator>> = {
  coco: cocoEvaluator,
  lvis: lvisEvaluator,
  voc07: voc07Evaluator,
  voc: vocAreaEvaluator,
  multilabel: multilabelEvaluator,
};
