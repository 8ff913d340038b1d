import { type Capabilities, capabilityProblems } from "./capabilities.js";
import { commandProblems } from "./command-checks.js";
import { BUILTIN_DATASETS, usesTfjs } from "./compat.js";
import type { Diagnostic } from "./diagnostics.js";
import { type RangeCheckContext, rangeProblems } from "./range-checks.js";
import type { JsonValue } from "./types.js";

// Every check of one run config beyond the schema and the method × detector
// rules (compat.ts) that needs nothing but the config and what the caller
// knows: contradicting values (range-checks.ts), the command template
// (command-checks.ts), what the built-in engine needs and does not have yet
// (capabilities.ts). The sweep runs it once per distinct combination of
// blocks and points each problem at the sweep value or spec line behind it.

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};

export interface RunCheckContext extends RangeCheckContext {
  /** What the engine and the runner can do; absent: features are not checked (status, table). */
  capabilities?: Capabilities;
}

/** What the tfjs engine needs from a config that the schema cannot demand alone. */
function tfjsNeeds(config: Obj): Diagnostic[] {
  if (!usesTfjs(config)) return [];
  const dataset = obj(config.dataset);
  // Other names are refused on the tfjs engine already (compat.ts checkNames).
  const fileDataset =
    (BUILTIN_DATASETS as readonly unknown[]).includes(dataset.name) && dataset.name !== "shapes";
  if (!fileDataset || obj(config.train).image_size !== undefined) return [];
  return [
    {
      path: ["dataset", "name"],
      at: "value",
      message: `the tfjs engine needs train.image_size (the model's input side) for dataset ${JSON.stringify(dataset.name)}; only shapes takes it from dataset.image_size`,
    },
  ];
}

export function checkRunConfig(config: Obj, ctx: RunCheckContext = {}): Diagnostic[] {
  return [
    ...rangeProblems(config, ctx),
    ...commandProblems(config),
    ...tfjsNeeds(config),
    ...(ctx.capabilities ? capabilityProblems(config, ctx.capabilities) : []),
  ];
}
