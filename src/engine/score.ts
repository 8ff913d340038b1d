// Scores a run's predictions file (the tfjs engine's, or an external
// trainer's) against its split's evaluation ground truth with labelsweep's
// evaluator: a JSON file, or for VOC the image-set list of the devkit (read
// and converted by the data stage).

import { vocGroundTruth } from "../data/index.js";
import { evaluateFiles } from "../eval/index.js";
import type { EvalReport } from "../eval/types.js";
import type { EvalSpec } from "../spec/types.js";

export async function scorePredictions(spec: EvalSpec, gt: string, predictions: string): Promise<EvalReport> {
  return evaluateFiles(spec, (await vocGroundTruth(gt)) ?? gt, predictions);
}
