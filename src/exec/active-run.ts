import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type Acquisition,
  type ImageScore,
  prepareChainSplit,
  type SplitArtifact,
  selectImages,
  splitImageIds,
  splitPaths,
} from "../data/index.js";
import type { ActiveLabels, LabelsSpec } from "../spec/types.js";
import type { RunRecord } from "../sweep/run-record.js";
import { RUN_FILES } from "../sweep/run-store.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { pseudoProvenance, writePseudoLabels } from "./active-pseudo.js";

// A cycle of an active-learning chain inside its worker (DESIGN.md "Dependent
// runs"; METHODS.md §1a). Before training: the cycle's split is derived from
// the initial set and the selections its earlier cycles wrote (content-
// addressed child splits, data/active-chain.ts), recorded in run.json with the
// hash of the parent's selection. After training and evaluation: the pool is
// scored (by the tfjs engine, by the external trainer, or not at all for
// `random`), the next images are chosen (data/protocols/acquisition.ts) and
// written to selection.json — the output the next cycle consumes.

export const ACTIVE_FILES = {
  /** Per-image acquisition scores over the pool (tfjs engine; an external trainer writes out/pool-scores.json). */
  scores: "pool-scores.json",
  /** The images this cycle labels for the next one. */
  selection: "selection.json",
} as const;

export interface SelectionFile {
  cycle: number;
  acquisition: Acquisition;
  budget: number;
  /** Image ids, best first. */
  selected: (number | string)[];
  /** sha256 of the sorted ids joined by newlines (what the next split's manifest records). */
  sha256: string;
  pool: number;
  prefilter?: number;
  /** labels.pseudo_labels: the unselected confident images written for the next cycle (pseudo-labels.json). */
  pseudo?: { count: number; sha256: string };
}

/** The labels block a cycle's split is made from: the chain's, without the cycle number. */
function chainLabels(labels: LabelsSpec): ActiveLabels {
  const { cycle: _cycle, ...rest } = labels as ActiveLabels & { cycle?: number };
  return rest as ActiveLabels;
}

export function selectionHash(ids: readonly (number | string)[]): string {
  return createHash("sha256")
    .update([...ids].map(String).sort().join("\n"))
    .digest("hex");
}

function readSelection(runsDir: string, key: string): SelectionFile {
  const file = join(runsDir, key, ACTIVE_FILES.selection);
  if (!existsSync(file))
    throw new UserError(`parent run ${key.slice(0, 12)} has no ${ACTIVE_FILES.selection}: it is not done`);
  return JSON.parse(readFileSync(file, "utf8")) as SelectionFile;
}

async function cycleArtifact(record: RunRecord, runsDir: string): Promise<SplitArtifact> {
  const a = record.active!;
  const selections = a.ancestors.map((k) => readSelection(runsDir, k).selected);
  return prepareChainSplit(record.config.dataset, chainLabels(record.config.labels), selections, a.splits, {
    baseDir: a.baseDir,
    ...(a.shapesImages ? { shapesImages: a.shapesImages } : {}),
  });
}

/**
 * Derives a cycle's split from its parents' selections and records it in
 * run.json. `restart`: the parent's selection differs from the one an earlier
 * attempt of this run trained on, so its checkpoints must not be resumed.
 */
export async function prepareActiveRun(
  record: RunRecord,
  dir: string,
): Promise<{ record: RunRecord; restart: boolean }> {
  if (!record.active) return { record, restart: false };
  const runsDir = dirname(dir);
  const parent = record.active.ancestors.at(-1);
  const selection = parent === undefined ? undefined : readSelection(runsDir, parent);
  // Cycle 0 too: its split is the initial set, the same artifact the runner prepared (cached).
  const artifact = await cycleArtifact(record, runsDir);
  const before = record.parents?.find((p) => p.key === parent)?.selection_sha256;
  const updated: RunRecord = {
    ...record,
    split: { hash: artifact.key, files: splitPaths(artifact) },
    parents:
      parent && selection
        ? [
            {
              key: parent,
              selection_sha256: selection.sha256,
              ...(selection.pseudo ? { pseudo_sha256: selection.pseudo.sha256 } : {}),
            },
          ]
        : [],
  };
  await writeJsonAtomic(join(dir, RUN_FILES.run), updated);
  return { record: updated, restart: before !== undefined && before !== selection?.sha256 };
}

/** Whether this run must score its pool after training (every cycle but the last). */
export function wantsAcquisition(record: RunRecord): boolean {
  return record.active !== undefined && record.active.cycle < record.active.cycles;
}

/** Where a run's engine leaves its pool scores. */
export function scoresFile(record: RunRecord, dir: string): string {
  return "command" in record.config.engine
    ? join(dir, RUN_FILES.out, ACTIVE_FILES.scores)
    : join(dir, ACTIVE_FILES.scores);
}

/** Chooses the next cycle's images and writes selection.json; returns it. */
export async function selectAfterRun(record: RunRecord, dir: string): Promise<SelectionFile> {
  const a = record.active!;
  const labels = chainLabels(record.config.labels);
  const acquisition = labels.acquisition ?? "combined";
  const artifact = await cycleArtifact(record, dirname(dir));
  const ids = await splitImageIds(artifact);
  const budget = artifact.manifest.details.per_cycle as number;
  let pool: ImageScore[];
  if (acquisition === "random") pool = ids.unlabeled.map((image_id) => ({ image_id }));
  else {
    const file = scoresFile(record, dir);
    if (!existsSync(file))
      throw new UserError(
        `acquisition ${acquisition}: no pool scores at ${file} (an external trainer writes ` +
          `[{"image_id", "entropy", "consistency"}] for every image of {unlabeled} there)`,
      );
    const scores = JSON.parse(readFileSync(file, "utf8")) as ImageScore[];
    const inPool = new Set(ids.unlabeled.map(String));
    const stray = scores.find((s) => !inPool.has(String(s.image_id)));
    if (stray) throw new UserError(`${file}: image ${stray.image_id} is not in this cycle's unlabelled pool`);
    if (scores.length !== inPool.size)
      throw new UserError(`${file}: ${scores.length} images scored, the pool has ${inPool.size}`);
    pool = scores;
  }
  const prefilter = (labels as { prefilter?: number }).prefilter;
  const selected = selectImages(pool, new Set(ids.labeled.map(String)), {
    acquisition,
    budget,
    seed: record.config.seed,
    cycle: a.cycle,
    ...(prefilter === undefined ? {} : { prefilter }),
  });
  const out: SelectionFile = {
    cycle: a.cycle,
    acquisition,
    budget,
    selected,
    sha256: selectionHash(selected),
    pool: pool.length,
    ...(acquisition === "combined" ? { prefilter: prefilter ?? 3 } : {}),
  };
  const pseudo = await writePseudoLabels(record, dir, selected);
  if (pseudo) out.pseudo = pseudo;
  await writeJsonAtomic(join(dir, ACTIVE_FILES.selection), out);
  return out;
}

/** The chain's options beyond the protocol's own (labels.prefilter, first_round, cycle_init). */
export function activeOptions(
  record: RunRecord,
): Pick<ActiveLabels, "prefilter" | "first_round" | "cycle_init"> {
  return record.config.labels as ActiveLabels;
}

/**
 * The checkpoint directory a cycle starts from under `cycle_init: continue`: its
 * parent's (the previous cycle's final weights); undefined for cycle 0 and under reinit.
 */
export function continuesFrom(record: RunRecord, dir: string): string | undefined {
  const parent = record.active?.ancestors.at(-1);
  if (parent === undefined || activeOptions(record).cycle_init !== "continue") return undefined;
  return join(dirname(dir), parent, "checkpoints");
}

/** sha256 of the newest checkpoint's data in a checkpoint directory (what a continuing cycle started from). */
function checkpointHash(dir: string): string | null {
  const pointer = join(dir, "latest.json");
  if (!existsSync(pointer)) return null;
  const { header } = JSON.parse(readFileSync(pointer, "utf8")) as { header: string };
  const blob = join(dir, header.replace(/\.json$/, ".bin"));
  return existsSync(blob) ? createHash("sha256").update(readFileSync(blob)).digest("hex") : null;
}

function cycleStart(record: RunRecord, dir: string): Record<string, unknown> {
  if (activeOptions(record).cycle_init !== "continue")
    return { cycle_init: "reinit", reinit: "every cycle (AL-SSL code default)" };
  const from = continuesFrom(record, dir);
  if (from === undefined) return { cycle_init: "continue", init_from: null };
  return {
    cycle_init: "continue",
    init_from: record.active!.ancestors.at(-1),
    init_weights_sha256: checkpointHash(from),
  };
}

/** What run.json's provenance records of a cycle: its place, its inputs' and outputs' hashes, the code-vs-paper choices. */
export function activeProvenance(
  record: RunRecord,
  selection: SelectionFile | undefined,
  dir: string,
): Record<string, unknown> {
  const a = record.active!;
  const o = activeOptions(record);
  const labels = chainLabels(record.config.labels);
  return {
    cycle: a.cycle,
    cycles: a.cycles,
    acquisition: labels.acquisition ?? "combined",
    ...(labels.acquisition === "combined" || labels.acquisition === undefined
      ? { prefilter: o.prefilter ?? 3 }
      : {}),
    // METHODS.md §1a ⚠: AL-SSL's code scores its first round with an untrained network.
    first_round: o.first_round ?? "trained",
    // AL-SSL re-initialises the network every cycle (load_net_optimizer_multi inside train).
    ...cycleStart(record, dir),
    detections_kept: "score >= 0.5 after per-class NMS 0.5 (AL-SSL active_learning.py)",
    parent_selection_sha256: record.parents?.[0]?.selection_sha256 ?? null,
    ...(selection
      ? { selected: selection.selected.length, selection_sha256: selection.sha256, pool: selection.pool }
      : {}),
    ...pseudoProvenance(record, dir, selection?.pseudo),
  };
}
