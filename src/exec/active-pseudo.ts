import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { annotationsOf, CROWD, DatasetLoader, resolveDataset } from "../data/index.js";
import type { ActiveLabels, DatasetSpec } from "../spec/types.js";
import type { RunRecord } from "../sweep/run-record.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";

// AL-SSL's auto-labelling across a chain (labels.pseudo_labels, METHODS.md
// §1a): a cycle's engine leaves its trained detector's confident detections on
// the pool (pool-detections.json); once the cycle has chosen its images, the
// unchosen ones among them become the pseudo-labels the next cycle trains on
// (pseudo-labels.json, hashed into the child's record like the selection).
// Their boxes are the detections (`pseudo_boxes: paper`) or, as AL-SSL's code
// does (its loader never swaps the annotation for the predictions), the
// images' own annotations (`pseudo_boxes: code`): the detections then only
// decide which images are pseudo-labelled.

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
  pseudo_boxes: "paper" | "code";
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

/**
 * The annotated boxes (COCO [x, y, w, h]) and dataset category ids of some pool
 * images, read from the dataset itself (a split's unlabelled file carries
 * none); crowd regions are left out, as in training.
 */
async function poolAnnotations(
  dataset: DatasetSpec,
  ids: readonly (number | string)[],
  baseDir: string,
): Promise<Map<string, { boxes: number[][]; category_ids: number[] }>> {
  const resolved = resolveDataset(dataset, baseDir);
  const loader = new DatasetLoader();
  const wanted = new Set(ids.map(String));
  const out = new Map<string, { boxes: number[][]; category_ids: number[] }>();
  for (const source of [resolved.train, resolved.unlabeled]) {
    if (!source || out.size === wanted.size) continue;
    const ds = await loader.load(source);
    ds.images.ids.forEach((id, i) => {
      if (!wanted.has(String(id)) || out.has(String(id))) return;
      const anns = [...annotationsOf(ds, i)].filter((a) => !((ds.annotations.flags[a] as number) & CROWD));
      out.set(String(id), {
        boxes: anns.map((a) => Array.from(ds.annotations.boxes.subarray(4 * a, 4 * a + 4))),
        category_ids: anns.map((a) => ds.categories[ds.annotations.categoryIndex[a] as number]!.id),
      });
    });
  }
  const missing = [...wanted].find((id) => !out.has(id));
  if (missing !== undefined)
    throw new UserError(`pool image ${missing} is not among the dataset's training images`);
  return out;
}

/** `pseudo_boxes: code`: the same images with their annotated boxes and classes (score 1) in place of the detections. */
async function withAnnotations(record: RunRecord, entries: PseudoEntry[]): Promise<PseudoEntry[]> {
  const truth = await poolAnnotations(
    record.config.dataset,
    entries.map((e) => e.image_id),
    record.active!.baseDir,
  );
  return entries.map((e) => {
    const t = truth.get(String(e.image_id))!;
    return {
      image_id: e.image_id,
      boxes: t.boxes,
      category_ids: t.category_ids,
      scores: t.boxes.map(() => 1),
    };
  });
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
  const kept = found.filter((e) => !chosen.has(String(e.image_id)));
  const boxes = o.pseudo_boxes ?? "paper";
  const images = boxes === "code" ? await withAnnotations(record, kept) : kept;
  const sha256 = createHash("sha256").update(JSON.stringify(images)).digest("hex");
  const out: PseudoLabelsFile = {
    cycle: record.active!.cycle,
    threshold: o.threshold,
    pseudo_boxes: boxes,
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
        o.pseudo_boxes === "code"
          ? "code: the images' annotated boxes (AL-SSL's loader never replaces them); the detections (conf 0.01, NMS 0.45, top 200) only choose the images"
          : "paper: the trained model's detections at or above the threshold (conf 0.01, NMS 0.45, top 200)",
      loss: "positive-only classification (background anchors ignored, no hard negatives) + box loss, beside the labelled images; the rest of the pool stays unlabelled",
      trained_with: used ? used.images.length : 0,
      trained_with_sha256: used?.sha256 ?? null,
      produced: produced?.count ?? null,
      produced_sha256: produced?.sha256 ?? null,
    },
  };
}
