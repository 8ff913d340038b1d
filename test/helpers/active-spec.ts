import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { standInArgv } from "./run-dirs.js";

/**
 * Writes spec.yaml for an active-learning sweep on tiny shapes: 2 seeds × 3
 * cycles (initial 6, 3 per cycle) whose engine is the stand-in trainer with
 * extra argv; the trainer's tag is "{seed}-{labels.cycle}" (for --fail-when)
 * and it writes pool scores for {unlabeled}.
 */
export function writeActiveSpec(
  dir: string,
  extra: string[],
  options: { acquisition?: string; executor?: string } = {},
): string {
  const argv = [...standInArgv(), "--tag", "{seed}-{labels.cycle}", "--scores-from", "{unlabeled}", ...extra];
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: al
dataset: { name: shapes, train_images: 30, eval_images: 6, image_size: 32, classes: 3 }
labels: { protocol: active, initial: { count: 6 }, per_cycle: { count: 3 }, cycles: 2, acquisition: ${options.acquisition ?? "random"} }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify(argv)}
  resume_args: [--resume]
  metrics: { from: pycocotools }
eval: { type: coco }
sweep: { seeds: 2 }
table: { rows: [method.name], columns: [labels.cycle], metric: AP }
${options.executor ? `executor: ${options.executor}\n` : ""}`,
  );
  return file;
}
