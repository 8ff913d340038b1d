import { existsSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { DatasetSpec, FileDatasetSpec, ShapesDatasetSpec } from "../spec/types.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import { parseCocoBytes, readAnnotationBytes } from "./coco-reader.js";
import type { DatasetFormat, DetectionDataset } from "./detection-dataset.js";
import { hashFile } from "./file-hash.js";
import type { InputRecord } from "./manifest.js";
import { SHAPES_ANNOTATION_VERSION, shapesDataset } from "./shapes/shapes-dataset.js";
import {
  type ResolvedShapesSpec,
  resolveShapesSpec,
  SHAPES_GENERATOR_VERSION,
} from "./shapes/shapes-spec.js";
import { parseVocSets, readVoc, type VocSet } from "./voc-reader.js";

// Turns a DatasetSpec into concrete sources (files, VOC sets, or the shapes
// generator), hashes them, and loads them once per process: `data prepare`
// over a sweep of 20 budgets parses a 450 MB COCO file once, not 20 times.

/** Where the pixels of a split come from. */
export type ImageLocation = { kind: "dir"; root: string } | { kind: "shapes"; spec: ResolvedShapesSpec };

export type Source =
  | { kind: "json"; format: "coco" | "lvis"; path: string; imageOnly?: boolean }
  | { kind: "voc"; root: string; sets: VocSet[]; text: string }
  | { kind: "shapes"; spec: ResolvedShapesSpec; split: "train" | "eval" };

export interface ResolvedDataset {
  name: string;
  /** File datasets: the folder relative paths resolve against. */
  root?: string;
  format: DatasetFormat;
  shapes?: ResolvedShapesSpec;
  train: Source;
  eval?: Source;
  unlabeled?: Source;
  trainImages: ImageLocation;
  evalImages: ImageLocation;
  unlabeledImages: ImageLocation;
  /** Portable identity of the dataset (no absolute paths): goes into cache keys with the input hashes. */
  identity: { name: string; format: DatasetFormat; shapes?: ResolvedShapesSpec; generator?: string };
}

const COCO_DEFAULTS = {
  train: "annotations/instances_train2017.json",
  eval: "annotations/instances_val2017.json",
  train_images: "train2017",
  eval_images: "val2017",
};
// LVIS v1 names images "train2017/…" / "val2017/…" (from coco_url), so images resolve against the COCO root.
const LVIS_DEFAULTS = {
  train: "annotations/lvis_v1_train.json",
  eval: "annotations/lvis_v1_val.json",
  train_images: ".",
  eval_images: ".",
};

export function resolveDataset(spec: DatasetSpec, baseDir = process.cwd()): ResolvedDataset {
  if (spec.name === "shapes") {
    const shapes = resolveShapesSpec(spec as ShapesDatasetSpec);
    const images: ImageLocation = { kind: "shapes", spec: shapes };
    return {
      name: "shapes",
      format: "coco",
      shapes,
      train: { kind: "shapes", spec: shapes, split: "train" },
      ...(shapes.eval_images > 0 ? { eval: { kind: "shapes", spec: shapes, split: "eval" } as Source } : {}),
      trainImages: images,
      evalImages: images,
      unlabeledImages: images,
      identity: { name: "shapes", format: "coco", shapes, generator: SHAPES_GENERATOR_VERSION },
    };
  }
  const file = spec as FileDatasetSpec;
  const root = resolve(baseDir, file.root ?? ".");
  const at = (p: string) => (isAbsolute(p) ? p : join(root, p));
  if (file.name === "voc") {
    const devkit = existsSync(join(root, "VOCdevkit")) ? join(root, "VOCdevkit") : root;
    const voc = (text: string, key: string): Source => ({
      kind: "voc",
      root,
      sets: parseVocSets(text, `dataset.${key}`),
      text,
    });
    const images: ImageLocation = { kind: "dir", root: at(file.train_images ?? devkit) };
    return {
      name: "voc",
      root,
      format: "voc",
      train: voc(file.train ?? "2007/trainval", "train"),
      eval: voc(file.eval ?? "2007/test", "eval"),
      ...(file.unlabeled ? { unlabeled: voc(file.unlabeled, "unlabeled") } : {}),
      trainImages: images,
      evalImages: { kind: "dir", root: at(file.eval_images ?? devkit) },
      unlabeledImages: images,
      identity: { name: "voc", format: "voc" },
    };
  }
  const format: "coco" | "lvis" = file.name === "lvis" ? "lvis" : "coco";
  const known = file.name === "coco" || file.name === "lvis";
  if (!known && !file.train) {
    throw new UserError(
      `dataset.name: ${JSON.stringify(file.name)} is not built in (shapes, coco, voc, lvis); ` +
        "give dataset.train as a COCO-format JSON file to use it",
    );
  }
  const d = format === "lvis" ? LVIS_DEFAULTS : COCO_DEFAULTS;
  const json = (p: string, imageOnly = false): Source => ({ kind: "json", format, path: at(p), imageOnly });
  // LVIS names images "<split folder>/<file>" (its val set mixes COCO train2017 and val2017 images, which is
  // why detectron2 keeps the folder), so a folder given as ".../train2017" means its parent.
  const images = (p: string): ImageLocation => {
    const dir = at(p);
    return {
      kind: "dir",
      root: format === "lvis" && /^(train|val|test)20\d\d$/.test(basename(dir)) ? dirname(dir) : dir,
    };
  };
  return {
    name: file.name,
    root,
    format,
    train: json(file.train ?? d.train),
    eval: json(file.eval ?? d.eval),
    ...(file.unlabeled ? { unlabeled: json(file.unlabeled, true) } : {}),
    trainImages: images(file.train_images ?? d.train_images),
    evalImages: images(file.eval_images ?? d.eval_images),
    // The spec has no key for the unlabelled image folder: its names resolve against train_images.
    unlabeledImages: images(file.train_images ?? d.train_images),
    identity: { name: file.name, format },
  };
}

function sourceKey(source: Source): string {
  if (source.kind === "json") return `json:${source.format}:${source.path}`;
  if (source.kind === "voc") return `voc:${source.root}:${source.text}`;
  return `shapes:${source.split}:${canonicalJson(source.spec)}`;
}

export function sourceName(source: Source): string {
  if (source.kind === "json") return basename(source.path);
  if (source.kind === "voc") return `VOC ${source.text}`;
  return `shapes:${source.split}`;
}

/** Loads and hashes sources, each at most once per loader. Share one loader across many prepareSplit calls. */
export class DatasetLoader {
  private readonly hashes = new Map<string, Promise<{ sha256: string; bytes: number }>>();
  private readonly datasets = new Map<string, Promise<DetectionDataset>>();
  /** Bytes of JSON inputs read for hashing, until they are parsed. */
  private readonly fileBytes = new Map<string, Buffer>();

  async hash(source: Source, role: InputRecord["role"]): Promise<InputRecord> {
    const key = sourceKey(source);
    let pending = this.hashes.get(key);
    if (!pending) {
      pending = this.computeHash(source);
      this.hashes.set(key, pending);
    }
    const { sha256, bytes } = await pending;
    return { role, name: sourceName(source), sha256, bytes };
  }

  private async computeHash(source: Source): Promise<{ sha256: string; bytes: number }> {
    if (source.kind === "json") {
      if (!existsSync(source.path)) throw new UserError(`annotation file not found: ${source.path}`);
      // Files up to 1 GiB are read once: hashed here, kept for the parse that usually follows.
      if (statSync(source.path).size > 1 << 30) return hashFile(source.path);
      const bytes = await readAnnotationBytes(source.path);
      this.fileBytes.set(source.path, bytes);
      return { sha256: sha256Hex(bytes), bytes: bytes.length };
    }
    if (source.kind === "voc") {
      // Reading a VOC set is hashing it (readVoc hashes every list and XML it reads): load it once.
      const read = await this.loadVoc(source);
      return { sha256: read.sha256, bytes: read.bytes };
    }
    // Scenes are a pure function of the resolved spec and the generator version.
    const text = canonicalJson({
      generator: SHAPES_GENERATOR_VERSION,
      annotations: SHAPES_ANNOTATION_VERSION,
      spec: source.spec,
      split: source.split,
    });
    return { sha256: sha256Hex(text), bytes: Buffer.byteLength(text) };
  }

  private readonly vocReads = new Map<string, ReturnType<typeof readVoc>>();
  private loadVoc(source: Extract<Source, { kind: "voc" }>): ReturnType<typeof readVoc> {
    const key = sourceKey(source);
    let pending = this.vocReads.get(key);
    if (!pending) {
      pending = readVoc(source.root, source.sets, `VOC ${source.text}`);
      this.vocReads.set(key, pending);
    }
    return pending;
  }

  load(source: Source): Promise<DetectionDataset> {
    const key = sourceKey(source);
    let pending = this.datasets.get(key);
    if (!pending) {
      pending = this.read(source);
      this.datasets.set(key, pending);
    }
    return pending;
  }

  private async read(source: Source): Promise<DetectionDataset> {
    if (source.kind === "json") {
      const bytes = this.fileBytes.get(source.path) ?? (await readAnnotationBytes(source.path));
      this.fileBytes.delete(source.path);
      return parseCocoBytes(bytes, source.path, {
        format: source.format,
        allowMissingAnnotations: source.imageOnly ?? false,
      });
    }
    if (source.kind === "voc") return (await this.loadVoc(source)).dataset;
    return shapesDataset(source.spec, source.split);
  }
}

/** The image-level source of `labels.extra.annotations` (relative to dataset.root) and where its pixels are. */
export function extraSource(
  dataset: ResolvedDataset,
  extra: { annotations: string; images_dir?: string },
): { source: Source; images: ImageLocation } {
  const root = dataset.root ?? process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : join(root, p));
  return {
    source: { kind: "json", format: "coco", path: at(extra.annotations), imageOnly: true },
    images: { kind: "dir", root: at(extra.images_dir ?? ".") },
  };
}
