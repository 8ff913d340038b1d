import { vocGroundTruth } from "../data/index.js";
import { parseGroundTruth, readJsonFile } from "../eval/index.js";
import type { RunConfig, SplitFiles } from "../spec/types.js";
import { UserError } from "../util/errors.js";

// The evaluation ground truth is read after a run has trained; a file the
// evaluator cannot read would fail every run only then (issue 11, item 2).
// So once the splits are prepared, before any run starts, each distinct
// ground truth that labelsweep itself will score against is read by the
// evaluator's own reader, with the same checks (eval/ground-truth.ts).

/** Whether labelsweep scores the run (tfjs engine, or a trainer's predictions file), not the trainer. */
function scoredHere(config: RunConfig): boolean {
  const engine = config.engine as { command?: unknown; metrics?: { from?: string } };
  return !("command" in engine) || engine.metrics?.from === "predictions";
}

export async function checkGroundTruth(
  configs: readonly RunConfig[],
  filesFor: (config: RunConfig) => SplitFiles,
): Promise<void> {
  const seen = new Set<string>();
  for (const config of configs) {
    if (!scoredHere(config)) continue;
    const gt = filesFor(config).eval_annotations;
    if (!gt) continue; // the worker names a missing dataset.eval itself
    const id = `${gt}\u0000${config.eval.type}`;
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      const read = (await vocGroundTruth(gt)) ?? { json: readJsonFile(gt, "ground-truth"), source: gt };
      const type = config.eval.type;
      parseGroundTruth(read.json, read.source, type === "voc07" ? "voc" : type);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      throw new UserError(
        `the evaluation ground truth cannot be used (checked before any run trains; nothing was run):\n${err.message}`,
      );
    }
  }
}
