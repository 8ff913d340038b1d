import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { DatasetSpec, JsonObject, LabelProtocol, LabelsSpec } from "../spec/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { canonicalJson, sha256Hex } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import { cocoBytes, writeParts } from "./coco-writer.js";
import {
  DatasetLoader,
  extraSource,
  type ImageLocation,
  type ResolvedDataset,
  resolveDataset,
  type Source,
} from "./dataset-source.js";
import type { DetectionDataset, FrequencyGroup } from "./detection-dataset.js";
import { normalizeLabels } from "./labels-params.js";
import {
  countClasses,
  DATA_GENERATOR_VERSION,
  type InputRecord,
  MANIFEST_SCHEMA,
  type OutputFormat,
  type OutputRole,
  type SplitManifest,
  splitManifestHash,
} from "./manifest.js";
import { deriveActive } from "./protocols/active.js";
import { deriveBudget } from "./protocols/budget.js";
import type { Derivation } from "./protocols/derivation.js";
import { imageLevelExtra } from "./protocols/extra.js";
import { deriveFromFile } from "./protocols/file.js";
import { deriveFull } from "./protocols/full.js";
import { deriveSinglePositive, drawSinglePositive } from "./protocols/single-positive.js";
import { deriveSparse } from "./protocols/sparse.js";
import { type ExtraClasses, shapesExtraDataset } from "./shapes/shapes-dataset.js";
import { shapesCacheDir, writeShapesImages } from "./shapes/shapes-image-files.js";
import type { ResolvedShapesSpec } from "./shapes/shapes-spec.js";
import { planFiles } from "./split-files.js";
import { vocAsCoco } from "./voc-ground-truth.js";
import { findDevkit } from "./voc-reader.js";

// prepareSplit: DatasetSpec + LabelsSpec → a split artifact in a
// content-addressed cache. The folder name is a hash of the generator
// version, the dataset's identity (input sha256s, or the resolved shapes
// spec) and the normalised protocol parameters, so the same protocol on the
// same input is generated once and every later call is a lookup. A folder is
// built under a temporary name and renamed into place when complete, with
// manifest.json written last: a crash never leaves a half artifact under the
// final name (RUNNERS.md §4.1: splits as typed, content-addressed inputs).

export interface SplitOutputPath {
  role: OutputRole;
  format: OutputFormat;
  /** Absolute path of the output file (VOC: its first ImageSets list). */
  path: string;
  /** VOC: the VOCdevkit folder of the artifact and the "<year>/<role>" sets to read from it. */
  voc?: { root: string; sets: string };
  /** Where the pixels of this output's images are. */
  images: ImageLocation;
}

export interface SplitArtifact {
  /** Folder holding manifest.json and the derived files. */
  dir: string;
  /** Cache key: hash of (generator version, dataset identity, normalised protocol). */
  key: string;
  /** sha256 of the canonical manifest: the split's part of every run key. */
  hash: string;
  manifest: SplitManifest;
  outputs: SplitOutputPath[];
  /** Ground truth for evaluation, when the dataset has an eval split. */
  eval?: { format: OutputFormat; path: string; voc?: { root: string; sets: string }; images: ImageLocation };
  /** True when the artifact was already in the cache. */
  cached: boolean;
}

export interface PrepareOptions {
  /**
   * shapes: "render" (default) leaves pixels to the renderer (the tfjs engine
   * renders on demand); "files" also writes the split's images as PNGs once per
   * spec, for external trainers, and points the image locations at them.
   */
  shapesImages?: "render" | "files";
  /** Relative dataset paths resolve against this folder (default: the working directory). */
  baseDir?: string;
  /** Share one loader across calls so an input is parsed once. */
  loader?: DatasetLoader;
}

export async function prepareSplit(
  dataset: DatasetSpec,
  labels: LabelsSpec,
  cacheDir: string,
  options: PrepareOptions = {},
): Promise<SplitArtifact> {
  const artifact = await prepareSplitFiles(dataset, labels, cacheDir, options);
  const shapes = artifact.manifest.dataset.identity as { shapes?: ResolvedShapesSpec };
  if (options.shapesImages === "files" && shapes.shapes)
    await useImageFiles(artifact, shapes.shapes, cacheDir);
  return artifact;
}

/** Writes a shapes split's images as PNG files and points the artifact's image locations at them. */
export async function useImageFiles(
  artifact: SplitArtifact,
  spec: ResolvedShapesSpec,
  cacheDir: string,
): Promise<void> {
  const extra = artifact.manifest.params.extra as { images?: number; classes?: ExtraClasses } | undefined;
  const root = await writeShapesImages(spec, cacheDir, [
    { folder: "train", count: spec.train_images },
    { folder: "eval", count: spec.eval_images },
    ...(extra?.images ? [{ folder: `extra-${extra.classes ?? "all"}` as const, count: extra.images }] : []),
  ]);
  const files: ImageLocation = { kind: "dir", root };
  for (const o of artifact.outputs) if (o.images.kind === "shapes") o.images = files;
  if (artifact.eval?.images.kind === "shapes") artifact.eval.images = files;
}

/**
 * A split's content address, computed without deriving or writing anything:
 * sha256 of (generator version, dataset identity, input sha256s, normalised
 * protocol). The derived files are a pure function of it, so it identifies the
 * split in run keys (`labelsweep plan` computes keys without preparing splits).
 */
export async function identifySplit(
  dataset: DatasetSpec,
  labels: LabelsSpec,
  options: PrepareOptions = {},
): Promise<{
  resolved: ResolvedDataset;
  params: ReturnType<typeof normalizeLabels>;
  inputs: InputRecord[];
  key: string;
}> {
  const loader = options.loader ?? new DatasetLoader();
  const resolved = resolveDataset(dataset, options.baseDir);
  const params = normalizeLabels(labels);
  const extraSpec = params.extra as
    | { images?: number; annotations?: string; images_dir?: string }
    | undefined;
  if (extraSpec?.images !== undefined && !resolved.shapes) {
    throw new UserError(
      `labels.extra.images generates shapes images; for the ${resolved.name} dataset give labels.extra.annotations ` +
        "(a COCO-style JSON whose images carry pos_category_ids, e.g. ImageNet-LVIS)",
    );
  }
  if (extraSpec?.annotations !== undefined && resolved.shapes) {
    throw new UserError(
      "labels.extra.annotations is for real datasets; shapes generates its extra images: give labels.extra.images",
    );
  }

  const inputs: InputRecord[] = [await loader.hash(resolved.train, "train")];
  if (resolved.unlabeled) inputs.push(await loader.hash(resolved.unlabeled, "unlabeled"));
  const labelsFile = labelsSource(resolved, params);
  if (labelsFile) inputs.push(await loader.hash(labelsFile, "labels"));
  if (extraSpec?.annotations !== undefined) {
    inputs.push(
      await loader.hash(
        extraSource(resolved, { annotations: extraSpec.annotations, ...extraSpec }).source,
        "extra",
      ),
    );
  }
  const evalInput = await evalRecord(resolved, loader);
  if (evalInput) inputs.push(evalInput);

  const key = sha256Hex(
    canonicalJson({ generator: DATA_GENERATOR_VERSION, dataset: resolved.identity, inputs, params }),
  );
  return { resolved, params, inputs, key };
}

async function prepareSplitFiles(
  dataset: DatasetSpec,
  labels: LabelsSpec,
  cacheDir: string,
  options: PrepareOptions,
): Promise<SplitArtifact> {
  const loader = options.loader ?? new DatasetLoader();
  const { resolved, params, inputs, key } = await identifySplit(dataset, labels, { ...options, loader });
  const dir = join(cacheDir, `${labels.protocol}-${key.slice(0, 16)}`);
  const evalGt = await materialiseEval(resolved, cacheDir, loader);

  const manifestPath = join(dir, "manifest.json");
  if (existsSync(manifestPath)) {
    const manifest = await readManifest(manifestPath);
    return artifactOf(dir, key, manifest, resolved, evalGt, true);
  }

  const train = await loader.load(resolved.train);
  const derivation = await derive(train, labels, params, resolved, loader);
  return buildArtifact({ cacheDir, dir, key, resolved, loader, params, inputs, train, derivation, evalGt });
}

/** labels.protocol file: the released file, relative to dataset.root, read as the dataset's format. */
export function labelsSource(resolved: ResolvedDataset, params: JsonObject): Source | undefined {
  if (params.protocol !== "file") return undefined;
  const path = params.annotations as string;
  if (resolved.train.kind !== "json") {
    throw new UserError(
      `labels.protocol file reads a COCO-format JSON of the labelled images; dataset ${resolved.name} is not a COCO/LVIS-format dataset`,
    );
  }
  return {
    kind: "json",
    format: resolved.train.format,
    path: isAbsolute(path) ? path : join(resolved.root ?? process.cwd(), path),
  };
}

/** split_coco.py's file name for a budget with compat mmdet: instances_train2017.{fold}@{percent}. */
export function mmdetName(params: JsonObject): string | undefined {
  if (params.protocol !== "budget" || params.compat !== "mmdet" || typeof params.fraction !== "number")
    return undefined;
  // Its --labeled-percent defaults are ints (1 2 5 10), printed without ".0".
  const percent = Number((params.fraction * 100).toPrecision(12));
  return `instances_train2017.${params.fold}@${percent}`;
}

export interface ArtifactBuild {
  cacheDir: string;
  dir: string;
  key: string;
  resolved: ResolvedDataset;
  loader: DatasetLoader;
  /** Normalised parameters; `protocol` and `fold` are read from here. */
  params: JsonObject;
  inputs: InputRecord[];
  train: DetectionDataset;
  derivation: Derivation;
  evalGt: EvalGt;
}

/** Writes a derivation as an artifact folder (atomically, manifest last) and returns it. */
export async function buildArtifact(b: ArtifactBuild): Promise<SplitArtifact> {
  const { cacheDir, dir, key, resolved, loader, params, inputs, train, derivation, evalGt } = b;
  const manifestPath = join(dir, "manifest.json");
  const protocol = params.protocol as LabelProtocol;
  const unlabeledSource = resolved.unlabeled ? await loader.load(resolved.unlabeled) : undefined;
  let extra: DetectionDataset | undefined;
  const extraSpec = params.extra as
    | { images?: number; annotations?: string; images_dir?: string; classes: ExtraClasses }
    | undefined;
  if (extraSpec?.images !== undefined && resolved.shapes) {
    const groups = train.categories.map((c) => c.frequency as FrequencyGroup);
    extra = shapesExtraDataset(resolved.shapes, extraSpec.images, extraSpec.classes, groups);
  } else if (extraSpec?.annotations !== undefined) {
    const { source } = extraSource(resolved, { annotations: extraSpec.annotations, ...extraSpec });
    extra = imageLevelExtra(await loader.load(source), train, extraSpec.classes);
  }
  const fromLabels = inputs.find((i) => i.role === "labels");
  const mmdet = mmdetName(params);
  const plan = planFiles({
    train,
    trainInput: inputs[0] as InputRecord,
    derivation,
    labeledIsInput: protocol === "full" && resolved.train.kind === "json",
    ...(fromLabels ? { labeledFromLabels: fromLabels } : {}),
    ...(mmdet ? { mmdetName: mmdet } : {}),
    ...(unlabeledSource ? { unlabeledSource } : {}),
    ...(extra ? { extra } : {}),
  });
  if (resolved.shapes) {
    // The shapes "input" is generated: record the sha256 of its ground-truth JSON, not just of the spec.
    const gt = cocoBytes(train, {
      images: everything(train.images.count),
      annotations: everything(train.annotations.count),
    });
    (inputs[0] as InputRecord).sha256 = sha256Hex(gt);
    (inputs[0] as InputRecord).bytes = gt.length;
  }
  const { perClass, zero } = countClasses(train, derivation.kept, derivation.observed);
  const manifest: SplitManifest = {
    schema: MANIFEST_SCHEMA,
    generator: { name: "labelsweep", version: DATA_GENERATOR_VERSION },
    dataset: {
      name: resolved.name,
      format: resolved.format,
      identity: resolved.identity as unknown as JsonObject,
    },
    protocol,
    params,
    fold: params.fold as number,
    inputs,
    outputs: plan.outputs,
    counts: {
      images: {
        total: train.images.count,
        labeled: derivation.labeled.length,
        unlabeled: derivation.unlabeled.length,
        unlabeled_extra: unlabeledSource?.images.count ?? 0,
        extra: extra?.images.count ?? 0,
        ...(derivation.holdout?.length ? { holdout: derivation.holdout.length } : {}),
      },
      boxes: { total: train.annotations.count, visible: derivation.kept.length },
      per_class: perClass,
      zero_label_classes: zero,
    },
    details: derivation.details as JsonObject,
  };

  await mkdir(cacheDir, { recursive: true });
  const tmp = join(
    cacheDir,
    `.labelsweep-tmp-${key.slice(0, 16)}-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  try {
    // Everything goes into the temporary folder, which is renamed into place
    // once complete: large JSON is streamed there (and hashed on the way)
    // rather than held in memory whole.
    for (const f of plan.files) {
      if ("parts" in f) {
        const written = await writeParts(join(tmp, f.path), f.parts);
        for (const o of plan.outputs) if (o.path === f.path && !o.same_as_input) o.sha256 = written.sha256;
      } else {
        await writeFileAtomic(join(tmp, f.path), f.data);
      }
    }
    for (const l of plan.links) {
      await mkdir(dirname(join(tmp, l.path)), { recursive: true });
      await symlink(l.target, join(tmp, l.path), "dir");
    }
    await writeFileAtomic(join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process finished the same artifact first: its copy is identical by construction.
      if (!existsSync(manifestPath)) throw err;
      await rm(tmp, { recursive: true, force: true });
      return artifactOf(dir, key, await readManifest(manifestPath), resolved, evalGt, true);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return artifactOf(dir, key, manifest, resolved, evalGt, false);
}

async function derive(
  train: DetectionDataset,
  labels: LabelsSpec,
  params: JsonObject,
  resolved: ResolvedDataset,
  loader: DatasetLoader,
): Promise<Derivation> {
  const fold = params.fold as number;
  switch (labels.protocol) {
    case "full":
      return deriveFull(train);
    case "budget":
      return deriveBudget(train, labels, fold);
    case "sparse":
      return deriveSparse(train, labels, fold);
    case "single-positive":
      return deriveSinglePositive(train, fold, labels, await drawSinglePositive(train, fold, labels));
    case "active":
      return deriveActive(train, labels, fold);
    case "file": {
      const source = labelsSource(resolved, params)!;
      return deriveFromFile(train, await loader.load(source), `labels.annotations (${labels.annotations})`);
    }
  }
}

function everything(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

async function evalRecord(
  resolved: ResolvedDataset,
  loader: DatasetLoader,
): Promise<InputRecord | undefined> {
  const source = resolved.eval;
  if (!source) return undefined;
  // A default eval file that is not there is fine (a split does not need it); VOC sets are read when hashed.
  if (source.kind === "json" && !existsSync(source.path)) return undefined;
  if (source.kind === "voc") {
    try {
      return await loader.hash(source, "eval");
    } catch (err) {
      if (err instanceof UserError) return undefined;
      throw err;
    }
  }
  return loader.hash(source, "eval");
}

export type EvalGt = SplitArtifact["eval"];

/** Where the eval ground truth is; shapes writes its eval split once per spec into the cache. */
export async function materialiseEval(
  resolved: ResolvedDataset,
  cacheDir: string,
  loader: DatasetLoader,
): Promise<EvalGt> {
  const source: Source | undefined = resolved.eval;
  if (!source) return undefined;
  if (source.kind === "json") {
    return existsSync(source.path)
      ? { format: source.format, path: source.path, images: resolved.evalImages }
      : undefined;
  }
  if (source.kind === "voc") {
    // One set: its image-set list, which names the set and the devkit (voc-ground-truth.ts) and which
    // VOC trainers read themselves. Several sets: their ground truth once as COCO-style JSON in the cache.
    let path: string;
    if (source.sets.length === 1) {
      const { year, set } = source.sets[0]!;
      path = join(findDevkit(source.root, year), `VOC${year}`, "ImageSets", "Main", `${set}.txt`);
    } else {
      const { sha256 } = await loader.hash(source, "eval");
      path = join(cacheDir, `voc-eval-${sha256.slice(0, 16)}.json`);
      if (!existsSync(path))
        await writeFileAtomic(path, `${JSON.stringify(vocAsCoco(await loader.load(source)))}\n`);
    }
    return {
      format: "voc",
      path,
      voc: { root: source.root, sets: source.text },
      images: resolved.evalImages,
    };
  }
  const path = join(shapesCacheDir(source.spec, cacheDir), "eval.json");
  if (!existsSync(path)) {
    const ds = await loader.load(source);
    await writeFileAtomic(
      path,
      cocoBytes(ds, { images: everything(ds.images.count), annotations: everything(ds.annotations.count) }),
    );
  }
  return { format: "coco", path, images: resolved.evalImages };
}

export async function readManifest(path: string): Promise<SplitManifest> {
  try {
    const m = JSON.parse(await readFile(path, "utf8")) as SplitManifest;
    if (m.schema !== MANIFEST_SCHEMA) throw new Error(`schema is ${JSON.stringify(m.schema)}`);
    return m;
  } catch (err) {
    throw new UserError(`${path}: not a labelsweep split manifest (${(err as Error).message})`);
  }
}

export function artifactOf(
  dir: string,
  key: string,
  manifest: SplitManifest,
  resolved: ResolvedDataset,
  evalGt: EvalGt,
  cached: boolean,
): SplitArtifact {
  const artifact: SplitArtifact = {
    dir,
    key,
    hash: splitManifestHash(manifest),
    manifest,
    outputs: outputPaths(dir, manifest, resolved),
    cached,
  };
  if (evalGt) artifact.eval = evalGt;
  return artifact;
}

/** Absolute paths of a manifest's outputs, and where their images are. */
export function outputPaths(
  dir: string,
  manifest: SplitManifest,
  resolved?: ResolvedDataset,
): SplitOutputPath[] {
  return manifest.outputs.map((o) => {
    const extraParams = manifest.params.extra as { annotations?: string; images_dir?: string } | undefined;
    const images: ImageLocation =
      o.role === "extra" && resolved?.shapes
        ? { kind: "shapes", spec: resolved.shapes }
        : o.role === "extra" && resolved && extraParams?.annotations !== undefined
          ? extraSource(resolved, { annotations: extraParams.annotations, ...extraParams }).images
          : o.format === "voc"
            ? { kind: "dir", root: join(dir, "VOCdevkit") }
            : o.role === "unlabeled_extra"
              ? (resolved?.unlabeledImages ?? { kind: "dir", root: dir })
              : (resolved?.trainImages ?? { kind: "dir", root: dir });
    const labelsFile =
      o.same_as_input === "labels" && resolved ? labelsSource(resolved, manifest.params) : undefined;
    const path =
      labelsFile?.kind === "json"
        ? labelsFile.path
        : o.same_as_input === "train" && resolved?.train.kind === "json"
          ? resolved.train.path
          : join(dir, o.path);
    const out: SplitOutputPath = { role: o.role, format: o.format, path, images };
    if (o.format === "voc") out.voc = { root: join(dir, "VOCdevkit"), sets: o.voc_sets ?? "" };
    return out;
  });
}
