import { createHash } from "node:crypto";
import { sha256Hex } from "../util/canonical-json.js";
import { type ByteParts, cocoParts, cocoPartsWithKeys } from "./coco-writer.js";
import type { DetectionDataset } from "./detection-dataset.js";
import type { InputRecord, OutputRecord, OutputRole } from "./manifest.js";
import { multiLabelBytes, singlePositiveView } from "./multilabel.js";
import { annotationsOfImages, type Derivation } from "./protocols/derivation.js";
import {
  type TreeFile,
  type TreeLink,
  vocAnnotationFiles,
  vocImageLinks,
  vocImageSets,
} from "./voc-writer.js";

// Turns a Derivation into the files of a split artifact, in the dataset's own
// format: COCO/LVIS JSON (shapes too), or a VOCdevkit tree for VOC. Nothing
// is written here; prepare-split.ts writes the plan atomically.

/** A file to write: small ones as bytes, large JSON as pieces streamed to disk (coco-writer.ts). */
export type PlannedFile = TreeFile | { path: string; parts: ByteParts };

export function bufferParts(data: Buffer): ByteParts {
  return { source: data, texts: [null], starts: [0], ends: [data.length], size: data.length };
}

export interface FilePlan {
  files: PlannedFile[];
  links: TreeLink[];
  outputs: OutputRecord[];
}

export interface PlanInput {
  train: DetectionDataset;
  trainInput: InputRecord;
  derivation: Derivation;
  /** `full` on a file dataset: the labelled output is the input file itself. */
  labeledIsInput: boolean;
  unlabeledSource?: DetectionDataset;
  extra?: DetectionDataset;
  /** budget compat mmdet with a fraction: also write split_coco.py's files, under this base name. */
  mmdetName?: string;
  /** labels.protocol file: the labelled output is that input file (its manifest name). */
  labeledFromLabels?: InputRecord;
}

/** split_coco.py's save_anns: these keys, in this order (mmdetection tools/misc/split_coco.py). */
export const MMDET_KEYS = ["images", "annotations", "licenses", "categories", "info"] as const;

export const MMDET_UNLABELED_NOTE =
  "mmdetection's split_coco.py keeps the annotations of the unlabelled images in this file (mmdetection-based " +
  "semi-supervised code bases read them to score pseudo-labels); no labelsweep engine reads them";

/** A one-file output; its sha256 is filled in when the file is written. */
function single(
  role: OutputRole,
  format: OutputRecord["format"],
  path: string,
  parts: ByteParts,
  images: number,
  boxes: number,
): { file: PlannedFile; record: OutputRecord } {
  return {
    file: { path, parts },
    record: { role, format, path, sha256: "", bytes: parts.size, files: 1, images, boxes },
  };
}

/** sha256 over "path<TAB>sha256(file)" lines sorted by path: one identity for a folder of files. */
export function treeSha256(files: TreeFile[]): string {
  const lines = files
    .map((f) => `${f.path}\t${sha256Hex(f.data)}\n`)
    .sort()
    .join("");
  return createHash("sha256").update(lines).digest("hex");
}

export function planFiles(input: PlanInput): FilePlan {
  const { train, derivation: d } = input;
  const plan: FilePlan = { files: [], links: [], outputs: [] };
  const add = (x: { file: PlannedFile; record: OutputRecord }) => {
    plan.files.push(x.file);
    plan.outputs.push(x.record);
  };
  const noAnnotations = new Int32Array(0);

  if (train.format === "voc") {
    const keptMask = new Uint8Array(train.annotations.count);
    for (const a of d.kept) keptMask[a] = 1;
    const vocRole = (
      role: OutputRole,
      ds: DetectionDataset,
      images: Int32Array,
      mask: Uint8Array,
      boxes: number,
    ) => {
      if (images.length === 0) return;
      const files = [...vocImageSets(ds, images, role), ...vocAnnotationFiles(ds, images, mask)];
      plan.files.push(...files);
      for (const link of vocImageLinks(ds, images)) {
        if (!plan.links.some((l) => l.path === link.path)) plan.links.push(link);
      }
      const lists = files.filter((f) => f.path.includes("/ImageSets/"));
      const sets = lists.map((f) => `${(/VOC(\d{4})\//.exec(f.path) ?? [])[1]}/${role}`).join("+");
      plan.outputs.push({
        role,
        format: "voc",
        path: (lists[0] as TreeFile).path,
        voc_sets: sets,
        sha256: treeSha256(files),
        bytes: files.reduce((n, f) => n + f.data.length, 0),
        files: files.length,
        images: images.length,
        boxes,
      });
    };
    vocRole("labeled", train, d.labeled, keptMask, d.kept.length);
    vocRole("unlabeled", train, d.unlabeled, new Uint8Array(train.annotations.count), 0);
    if (d.holdout && d.holdout.length > 0) {
      const all = annotationsOfImages(train, d.holdout);
      const mask = new Uint8Array(train.annotations.count);
      for (const a of all) mask[a] = 1;
      vocRole("holdout", train, d.holdout, mask, all.length);
    }
    if (input.unlabeledSource) {
      const u = input.unlabeledSource;
      vocRole("unlabeled_extra", u, everyImage(u), new Uint8Array(u.annotations.count), 0);
    }
  } else {
    const format = train.format === "lvis" ? "lvis" : "coco";
    if (input.labeledIsInput || input.labeledFromLabels) {
      const from = input.labeledFromLabels ?? input.trainInput;
      plan.outputs.push({
        role: "labeled",
        format,
        path: from.name,
        same_as_input: input.labeledFromLabels ? "labels" : "train",
        sha256: from.sha256,
        bytes: from.bytes,
        files: 1,
        images: d.labeled.length,
        boxes: d.kept.length,
      });
    } else {
      add(
        single(
          "labeled",
          format,
          "labeled.json",
          cocoParts(train, { images: d.labeled, annotations: d.kept }),
          d.labeled.length,
          d.kept.length,
        ),
      );
    }
    if (d.unlabeled.length > 0) {
      add(
        single(
          "unlabeled",
          format,
          "unlabeled.json",
          cocoParts(train, { images: d.unlabeled, annotations: noAnnotations }),
          d.unlabeled.length,
          0,
        ),
      );
    }
    if (input.mmdetName) {
      // split_coco.py: labelled = the drawn images and their annotations; unlabelled = the other images
      // and *their annotations* (file order kept in both).
      const isLabeled = new Uint8Array(train.images.count);
      for (const i of d.labeled) isLabeled[i] = 1;
      const unlabeledAnns: number[] = [];
      for (let a = 0; a < train.annotations.count; a++) {
        if (!isLabeled[train.annotations.imageIndex[a] as number]) unlabeledAnns.push(a);
      }
      add(
        single(
          "mmdet_labeled",
          format,
          `${input.mmdetName}.json`,
          cocoPartsWithKeys(train, { images: d.labeled, annotations: d.kept }, MMDET_KEYS),
          d.labeled.length,
          d.kept.length,
        ),
      );
      const u = single(
        "mmdet_unlabeled",
        format,
        `${input.mmdetName}-unlabeled.json`,
        cocoPartsWithKeys(train, { images: d.unlabeled, annotations: unlabeledAnns }, MMDET_KEYS),
        d.unlabeled.length,
        unlabeledAnns.length,
      );
      u.record.note = MMDET_UNLABELED_NOTE;
      add(u);
    }
    if (d.holdout && d.holdout.length > 0) {
      add(
        single(
          "holdout",
          format,
          "holdout.json",
          cocoParts(train, { images: d.holdout, annotations: annotationsOfImages(train, d.holdout) }),
          d.holdout.length,
          annotationsOfImages(train, d.holdout).length,
        ),
      );
    }
    if (input.unlabeledSource) {
      const u = input.unlabeledSource;
      add(
        single(
          "unlabeled_extra",
          format,
          "unlabeled_extra.json",
          cocoParts(u, { images: everyImage(u), annotations: noAnnotations }),
          u.images.count,
          0,
        ),
      );
    }
  }
  if (d.observed) {
    const view = singlePositiveView(train, d.labeled, d.observed);
    add(
      single(
        "multilabel",
        "multilabel",
        "labeled.multilabel.json",
        bufferParts(multiLabelBytes(train, view)),
        d.labeled.length,
        0,
      ),
    );
  }
  if (input.extra) {
    const e = input.extra;
    add(
      single(
        "extra",
        "coco",
        "extra.json",
        cocoParts(e, { images: everyImage(e), annotations: everyAnnotation(e) }, e.source),
        e.images.count,
        e.annotations.count,
      ),
    );
  }
  return plan;
}

function everyImage(ds: DetectionDataset): Int32Array {
  return Int32Array.from({ length: ds.images.count }, (_, i) => i);
}

function everyAnnotation(ds: DetectionDataset): Int32Array {
  return Int32Array.from({ length: ds.annotations.count }, (_, i) => i);
}
