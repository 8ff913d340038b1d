import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ActiveLabels } from "../spec/types.js";
import type { RunRecord } from "../sweep/run-record.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";

// AL-SSL's auto-labelling across a chain (labels.pseudo_labels, METHODS.md
// §1a): a cycle's engine leaves its trained detector's confident detections on
// the pool (pool-detections.json); once the cycle has chosen its images, the
// unchosen ones among them become the pseudo-labels the next cycle trains on
// (pseudo-labels.json, hashed into the child's record like the selection).

export const PSEUDO_FILES = {
  /** Every pool image with a detection at or above the threshold (the engine's output). */
  detections: "pool-detections.json",
  /** Those the cycle did not select: the next cycle's pseudo-labelled images. */
  labels: "pseudo-labels.json",
} as const;

/** One pool image's pseudo-labels: COCO boxes in its pixels, dataset category ids, scores. */
export interface PseudoEntry {
  image_id: number | string;
  boxes: number[][];
  category_ids: number[];
  scores: number[];
}

export interface PseudoLabelsFile {
  cycle: number;
  threshold: number;
  pseudo_boxes: "paper";
  images: PseudoEntry[];
  /** sha256 of the file's images array as JSON (what the next cycle's record names). */
  sha256: string;
}

function pseudoOption(record: RunRecord): ActiveLabels["pseudo_labels"] {
  return record.active ? (record.config.labels as ActiveLabels).pseudo_labels : undefined;
}

/** What the engine must write after training this cycle, if the chain pseudo-labels. */
export function pseudoRequest(
  record: RunRecord,
  dir: string,
): { file: string; threshold: number } | undefined {
  const o = pseudoOption(record);
  return o ? { file: join(dir, PSEUDO_FILES.detections), threshold: o.threshold } : undefined;
}

/** After selection: the confident images left unselected, written for the next cycle. */
export async function writePseudoLabels(
  record: RunRecord,
  dir: string,
  selected: readonly (number | string)[],
): Promise<{ count: number; sha256: string } | undefined> {
  const o = pseudoOption(record);
  if (!o) return undefined;
  const file = join(dir, PSEUDO_FILES.detections);
  if (!existsSync(file)) throw new UserError(`labels.pseudo_labels: the engine left no ${file}`);
  const chosen = new Set(selected.map(String));
  const found = JSON.parse(readFileSync(file, "utf8")) as PseudoEntry[];
  const images = found.filter((e) => !chosen.has(String(e.image_id)));
  const sha256 = createHash("sha256").update(JSON.stringify(images)).digest("hex");
  const out: PseudoLabelsFile = {
    cycle: record.active!.cycle,
    threshold: o.threshold,
    pseudo_boxes: "paper",
    images,
    sha256,
  };
  await writeJsonAtomic(join(dir, PSEUDO_FILES.labels), out);
  return { count: images.length, sha256 };
}

/** The pseudo-labels this cycle trains with: its parent's, under labels.pseudo_labels; else undefined. */
export function parentPseudoLabels(record: RunRecord, dir: string): PseudoLabelsFile | undefined {
  const parent = record.active?.ancestors.at(-1);
  if (parent === undefined || !pseudoOption(record)) return undefined;
  const file = join(dirname(dir), parent, PSEUDO_FILES.labels);
  if (!existsSync(file))
    throw new UserError(`parent run ${parent.slice(0, 12)} has no ${PSEUDO_FILES.labels}: it is not done`);
  return JSON.parse(readFileSync(file, "utf8")) as PseudoLabelsFile;
}

/** The provenance of a cycle's pseudo-labels: what it trained with, what it produced. */
export function pseudoProvenance(
  record: RunRecord,
  dir: string,
  produced: { count: number; sha256: string } | undefined,
): Record<string, unknown> {
  const o = pseudoOption(record);
  if (!o) return {};
  const used = parentPseudoLabels(record, dir);
  return {
    pseudo_labels: {
      threshold: o.threshold,
      pseudo_boxes:
        "paper: the trained model's detections at or above the threshold (conf 0.01, NMS 0.45, top 200)",
      loss: "positive-only classification (background anchors ignored, no hard negatives) + box loss, beside the labelled images; the rest of the pool stays unlabelled",
      trained_with: used ? used.images.length : 0,
      trained_with_sha256: used?.sha256 ?? null,
      produced: produced?.count ?? null,
      produced_sha256: produced?.sha256 ?? null,
    },
  };
}
