import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunConfig } from "../../src/spec/types.js";
import type { RunRecord } from "../../src/sweep/run-record.js";

export const FAKE_TRAINER = fileURLToPath(new URL("../fixtures/command/fake-trainer.mjs", import.meta.url));

/** A run config whose engine is the fake external trainer with extra argv. */
export function fakeTrainerConfig(seed: number, extra: string[] = [], resumeArgs = ["--resume"]): RunConfig {
  return {
    dataset: { name: "coco" },
    labels: { protocol: "full", fold: 1 },
    detector: { arch: "fake-det" },
    method: { name: "supervised" },
    train: {},
    engine: {
      command: [process.execPath, FAKE_TRAINER, "--out", "{out}", "--seed", "{seed}", ...extra],
      resume_args: resumeArgs,
      metrics: { from: "pycocotools" },
    },
    eval: { type: "coco" },
    seed,
  };
}

/** The stand-in trainer's argv up to the run's output folder and seed; append its other flags. */
export function standInArgv(): string[] {
  return [process.execPath, FAKE_TRAINER, "--out", "{out}", "--seed", "{seed}"];
}

/**
 * Writes spec.yaml for an 8-run sweep (2 methods × 2 budgets × 2 seeds) on tiny
 * shapes whose engine is the stand-in trainer with extra argv; `grid: false`
 * gives the single base run; `executor` appends an executor block.
 */
export function writeStandInSpec(
  dir: string,
  extra: string[],
  options: { grid?: boolean; executor?: string } = {},
): string {
  const argv = [...standInArgv(), "--tag", "{labels.fraction}", ...extra];
  const sweep = `sweep:
  grid:
    method.name: [supervised, pseudo-label]
    labels.fraction: [0.2, 0.5]
  seeds: 2
`;
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: e2e
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.2 }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify(argv)}
  resume_args: [--resume]
  metrics: { from: pycocotools }
eval: { type: coco }
${options.grid === false ? "" : sweep}table: { rows: [method.name], columns: [labels.fraction], metric: AP }
${options.executor ? `executor: ${options.executor}\n` : ""}`,
  );
  return file;
}

/**
 * Writes spec.yaml for `seeds` runs of one supervised config on tiny shapes
 * (full labels) whose engine is the stand-in trainer with extra argv and
 * resume args; the experiment is called `name`.
 */
export function writeSeedsSpec(dir: string, name: string, extra: string[], seeds: number): string {
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: ${name}
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: full }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify([...standInArgv(), ...extra])}
  resume_args: [--resume]
  metrics: { from: pycocotools }
eval: { type: coco }
sweep: { seeds: ${seeds} }
table: { rows: [method.name], columns: [], metric: AP }
`,
  );
  return file;
}

export const GT_TINY = fileURLToPath(new URL("../fixtures/command/gt-tiny.json", import.meta.url));

/** Writes run.json for a run directory, as the runner does before starting a worker. */
export function writeRunDir(
  dir: string,
  key: string,
  config: RunConfig,
  files: RunRecord["split"]["files"] = {},
): void {
  mkdirSync(dir, { recursive: true });
  const record: RunRecord = {
    key,
    experiment: "test",
    config,
    cell: { seed: config.seed },
    split: { hash: null, files },
    code: { commit: null, dirty: false },
  };
  writeFileSync(join(dir, "run.json"), JSON.stringify(record));
}
