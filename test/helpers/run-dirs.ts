import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunRecord } from "../../src/exec/run-record.js";
import type { RunConfig } from "../../src/spec/types.js";

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
    code: { commit: null, dirty: false, dirtyHash: null },
  };
  writeFileSync(join(dir, "run.json"), JSON.stringify(record));
}
