import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DatasetSpec, JsonObject } from "../spec/types.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import { DatasetLoader, resolveDataset } from "./dataset-source.js";
import { DATA_GENERATOR_VERSION } from "./manifest.js";
import {
  artifactOf,
  buildArtifact,
  materialiseEval,
  type PrepareOptions,
  readManifest,
  type SplitArtifact,
} from "./prepare-split.js";
import { alSslPool } from "./protocols/active.js";
import { deriveActiveCycle } from "./protocols/active-cycle.js";
import { imageKey } from "./protocols/derivation.js";
import { loadSplitOutput, outputOf } from "./split-loader.js";

/**
 * The split of active-learning cycle `previous.cycle + 1`: `previous` (the
 * `active` artifact, or the last cycle's) plus the images an acquisition
 * function selected. A child artifact in the same cache, keyed by its parent's
 * manifest hash and the sorted selection, whose manifest records both.
 */
export async function prepareActiveCycle(
  dataset: DatasetSpec,
  previous: SplitArtifact,
  selected: readonly (number | string)[],
  cacheDir: string,
  options: PrepareOptions = {},
): Promise<SplitArtifact> {
  const base = previous.manifest;
  if (base.protocol !== "active") {
    throw new UserError(`${previous.dir}: not an active-learning split (protocol ${base.protocol})`);
  }
  const cycle = ((base.details.cycle as number | undefined) ?? 0) + 1;
  const cycles = base.params.cycles as number;
  if (cycle > cycles)
    throw new UserError(`${previous.dir}: all ${cycles} cycles of this active-learning run are done`);
  const perCycle = base.details.per_cycle as number;
  const loader = options.loader ?? new DatasetLoader();
  const resolved = resolveDataset(dataset, options.baseDir);
  const selection = [...selected].map(String).sort();
  const params: JsonObject = { ...base.params, cycle };
  const key = sha256Hex(
    canonicalJson({ generator: DATA_GENERATOR_VERSION, parent: previous.hash, params, selection }),
  );
  const dir = join(cacheDir, `active-cycle${cycle}-${key.slice(0, 16)}`);
  const evalGt = await materialiseEval(resolved, cacheDir, loader);
  if (existsSync(join(dir, "manifest.json"))) {
    return artifactOf(dir, key, await readManifest(join(dir, "manifest.json")), resolved, evalGt, true);
  }
  const train = await loader.load(resolved.train);
  const trainInput = base.inputs.find((i) => i.role === "train");
  const current = await loader.hash(resolved.train, "train");
  if (!resolved.shapes && trainInput?.sha256 !== current.sha256) {
    throw new UserError(`${previous.dir}: the training annotations changed since this split was made`);
  }
  const labeledOut = outputOf(previous, "labeled");
  if (!labeledOut) throw new UserError(`${previous.dir}: no labelled output`);
  const prevLabeled = await loadSplitOutput(labeledOut);
  const previousIds = new Set(
    Array.from({ length: prevLabeled.images.count }, (_, i) => imageKey(prevLabeled, i)),
  );
  // AL-SSL's pool leaves out COCO images without annotations (its loader never sees them).
  const pool = base.params.compat === "al-ssl" ? alSslPool(train) : undefined;
  const derivation = deriveActiveCycle(train, previousIds, selection, perCycle, cycle, pool);
  derivation.details = {
    ...base.details,
    cycle,
    parent: previous.hash,
    selected: selection.length,
    selection_sha256: sha256Hex(selection.join("\n")),
  };
  return buildArtifact({
    cacheDir,
    dir,
    key,
    resolved,
    loader,
    params,
    inputs: base.inputs.map((i) => ({ ...i })),
    train,
    derivation,
    evalGt,
  });
}
