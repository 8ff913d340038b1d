import { copyFile, mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import sharp from "sharp";
import { writeFileAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { cocoBytes } from "./coco-writer.js";
import type { DetectionDataset } from "./detection-dataset.js";
import type { OutputRole } from "./manifest.js";
import type { SplitArtifact } from "./prepare-split.js";
import { readVocOutput, vocGroundTruth } from "./voc-ground-truth.js";

// `labelsweep data export --run …`: one run's split as plain files for an
// external trainer.
//  - layout coco: every role as COCO JSON under annotations/ (<role>.json,
//    eval.json), whatever the dataset's format (a VOC split's lists and XMLs
//    are converted: image ids are the VOC names, `difficult` is kept as a
//    field, file names are relative to the devkit), plus export.json naming
//    each file's image folder;
//  - layout mmdet: mmdetection's split_coco.py files, under its names
//    (instances_train2017.{fold}@{percent}[-unlabeled].json) and with its
//    contents — the unlabelled file keeps the unlabelled images' annotations.

export type ExportLayout = "coco" | "mmdet";

export interface ExportedFile {
  role: OutputRole | "eval";
  path: string;
  /** Folder the file's image names resolve against (absent for shapes rendered on demand). */
  images?: string;
}

const ROLES: OutputRole[] = ["labeled", "unlabeled", "unlabeled_extra", "extra", "holdout", "multilabel"];

/** Image sizes from the files' headers, for VOC lists that carry no XML (unlabelled images). */
async function fillSizes(ds: DetectionDataset, root: string): Promise<void> {
  for (let i = 0; i < ds.images.count; i++) {
    if (ds.images.widths[i]! > 0) continue;
    const path = join(root, ds.images.fileNames[i]!);
    let meta: sharp.Metadata;
    try {
      meta = await sharp(path).metadata();
    } catch (err) {
      throw new UserError(`cannot read image ${path}: ${(err as Error).message}`);
    }
    ds.images.widths[i] = meta.width ?? 0;
    ds.images.heights[i] = meta.height ?? 0;
  }
}

export async function exportSplit(
  artifact: SplitArtifact,
  outDir: string,
  layout: ExportLayout,
): Promise<ExportedFile[]> {
  const written: ExportedFile[] = [];
  const dirOf = (loc: { kind: string; root?: string }) => (loc.kind === "dir" ? loc.root : undefined);
  if (layout === "mmdet") {
    for (const role of ["mmdet_labeled", "mmdet_unlabeled"] as const) {
      const o = artifact.outputs.find((x) => x.role === role);
      if (!o) {
        throw new UserError(
          "--layout mmdet writes mmdetection's split_coco.py files: the run's labels must be a budget with " +
            "compat: mmdet and a fraction (split_coco.py names its files by percent)",
        );
      }
      const path = join(outDir, basename(o.path));
      await mkdir(outDir, { recursive: true });
      await copyFile(o.path, path);
      const images = dirOf(o.images);
      written.push({ role, path, ...(images ? { images } : {}) });
    }
    return written;
  }
  for (const role of ROLES) {
    const o = artifact.outputs.find((x) => x.role === role);
    if (!o) continue;
    const name = role === "multilabel" ? "labeled.multilabel.json" : `${role}.json`;
    const path = join(outDir, "annotations", name);
    const images = dirOf(o.images);
    if (o.format === "voc") {
      const unlabelled = role === "unlabeled" || role === "unlabeled_extra";
      const ds = await readVocOutput(o.path, { imagesOnly: unlabelled });
      if (unlabelled && images) await fillSizes(ds, images);
      const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
      await writeFileAtomic(
        path,
        cocoBytes(ds, { images: all(ds.images.count), annotations: all(ds.annotations.count) }),
      );
    } else {
      await mkdir(join(outDir, "annotations"), { recursive: true });
      await copyFile(o.path, path);
    }
    written.push({ role, path, ...(images ? { images } : {}) });
  }
  if (artifact.eval) {
    const path = join(outDir, "annotations", "eval.json");
    const voc = await vocGroundTruth(artifact.eval.path);
    if (voc) await writeFileAtomic(path, `${JSON.stringify(voc.json)}\n`);
    else {
      await mkdir(join(outDir, "annotations"), { recursive: true });
      await copyFile(artifact.eval.path, path);
    }
    const images = dirOf(artifact.eval.images);
    written.push({ role: "eval", path, ...(images ? { images } : {}) });
  }
  await writeFileAtomic(
    join(outDir, "export.json"),
    `${JSON.stringify({ split: artifact.hash, layout, files: written }, null, 2)}\n`,
  );
  return written;
}
