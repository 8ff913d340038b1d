import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../util/errors.js";
import { cocoBytes } from "./coco-writer.js";
import type { DetectionDataset } from "./detection-dataset.js";
import { findDevkit, parseVocSets, readVoc, type VocSet } from "./voc-reader.js";

// VOC where a file path is expected: `labelsweep eval --gt <devkit> --split
// test`, a run's evaluation ground truth (an ImageSets list, see
// prepare-split.ts materialiseEval) and a split artifact's VOC outputs. A
// VOC image set is named by its list file: <devkit>/VOC<year>/ImageSets/Main/
// <set>.txt; the annotations are the XMLs of its VOC<year> folder.

const YEAR_DIR = /^VOC(\d{4})$/;

/** The VOC<year> folder a list file lies in (any ancestor), or null. */
function yearDirOf(listFile: string): string | null {
  let dir = dirname(resolve(listFile));
  for (;;) {
    if (YEAR_DIR.test(basename(dir))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** An image-set file as the set it names: the devkit root, the year, the list. */
export function vocListSet(listFile: string): { root: string; set: VocSet } {
  const yearDir = yearDirOf(listFile);
  if (!yearDir) {
    throw new UserError(
      `${listFile}: a VOC image-set file must lie inside a VOC<year> folder (…/VOC2007/ImageSets/Main/test.txt), ` +
        "whose Annotations/ hold its XMLs",
    );
  }
  const year = YEAR_DIR.exec(basename(yearDir))![1]!;
  return {
    root: dirname(yearDir),
    set: { year, set: basename(listFile).replace(/\.txt$/, ""), list: resolve(listFile) },
  };
}

function yearsIn(devkit: string): string[] {
  return readdirSync(devkit)
    .map((n) => YEAR_DIR.exec(n)?.[1])
    .filter((y): y is string => y !== undefined)
    .sort();
}

/**
 * Which sets `--gt <dir> --split <split>` names: `dir` is a devkit root (with
 * VOC<year> folders, or a VOCdevkit folder inside) or one VOC<year> folder;
 * `split` is "test", "2007/test", "2007/test+2012/val" or an image-set file.
 */
export function vocSplitSets(dir: string, split: string | undefined): { root: string; sets: VocSet[] } {
  const year = YEAR_DIR.exec(basename(resolve(dir)))?.[1];
  const root = year ? dirname(resolve(dir)) : resolve(dir);
  if (!split) {
    throw new UserError(
      `${dir} is a VOC devkit folder: name the image set with --split (test, val, trainval, 2007/test, or an image-set file)`,
    );
  }
  const oneYear = (set?: string): string => {
    if (year) return year;
    const devkit = existsSync(join(root, "VOCdevkit")) ? join(root, "VOCdevkit") : root;
    // The year folders that have this set (VOC2012 has no test list in its trainval release).
    const years = yearsIn(devkit).filter(
      (y) => set === undefined || existsSync(join(devkit, `VOC${y}`, "ImageSets", "Main", `${set}.txt`)),
    );
    if (years.length !== 1) {
      throw new UserError(
        `--split ${split}: ${devkit} holds ${years.length ? years.map((y) => `VOC${y}`).join(", ") : "no VOC<year> folder"}; ` +
          `say which year, e.g. --split ${years[0] ?? "2007"}/${split}`,
      );
    }
    return years[0]!;
  };
  if (split.endsWith(".txt")) {
    const y = oneYear();
    return { root, sets: [{ year: y, set: basename(split).replace(/\.txt$/, ""), list: resolve(split) }] };
  }
  if (/^[\w.-]+$/.test(split)) return { root, sets: [{ year: oneYear(split), set: split }] };
  return { root, sets: parseVocSets(split, "--split") };
}

/**
 * VOC ground truth for the evaluators, as the COCO-style JSON they read
 * (images named by the VOC image name, the 20 VOC categories, boxes with
 * their `difficult` flag), or null when `path` is not VOC (a JSON file).
 */
export async function vocGroundTruth(
  path: string,
  split?: string,
): Promise<{ json: unknown; source: string } | null> {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new UserError(
      `cannot read the ground-truth file (${(err as NodeJS.ErrnoException).code}): ${path}`,
    );
  }
  let where: { root: string; sets: VocSet[] };
  if (stat.isDirectory()) where = vocSplitSets(path, split);
  else if (path.endsWith(".txt")) {
    if (split) throw new UserError(`--split: ${path} is already an image-set file`);
    const { root, set } = vocListSet(path);
    where = { root, sets: [set] };
  } else {
    if (split) {
      throw new UserError(
        `--split names a VOC image set; ${path} is a JSON file (give a devkit folder or an image-set file)`,
      );
    }
    return null;
  }
  const text = where.sets.map((s) => s.list ?? `${s.year}/${s.set}`).join("+");
  const { dataset } = await readVoc(where.root, where.sets, `VOC ${text}`);
  return { json: vocAsCoco(dataset), source: `${path} (VOC ${text})` };
}

/** A VOC dataset as COCO-style JSON (coco-writer's field-by-field form). */
export function vocAsCoco(ds: DetectionDataset): unknown {
  const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  return JSON.parse(
    cocoBytes(ds, { images: all(ds.images.count), annotations: all(ds.annotations.count) }).toString("utf8"),
  );
}

/** One image-set file (e.g. a run's evaluation set), as a dataset. */
export async function readVocList(listFile: string): Promise<DetectionDataset> {
  const { root, set } = vocListSet(listFile);
  return (await readVoc(root, [set], `VOC ${set.year}/${set.set}`)).dataset;
}

/**
 * One role of a VOC split artifact (its list in every VOC<year> folder of the
 * artifact's devkit, e.g. labeled.txt), as a dataset. Roles without XMLs
 * (unlabelled images) are read as lists only.
 */
export async function readVocOutput(
  listFile: string,
  options: { imagesOnly?: boolean } = {},
): Promise<DetectionDataset> {
  const { root, set } = vocListSet(listFile);
  const devkit = findDevkit(root, set.year);
  const file = basename(listFile);
  const sets: VocSet[] = yearsIn(devkit)
    .filter((y) => existsSync(join(devkit, `VOC${y}`, "ImageSets", "Main", file)))
    .map((y) => ({ year: y, set: set.set }));
  const { dataset } = await readVoc(root, sets, `${set.set} split`, options);
  return dataset;
}
