import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { UserError } from "../util/errors.js";
import {
  type CategoryInfo,
  DatasetBuilder,
  type DetectionDataset,
  DIFFICULT,
  TRUNCATED,
  type VocSource,
} from "./detection-dataset.js";

// PASCAL VOC: VOCdevkit/VOC<year>/{Annotations/<name>.xml, ImageSets/Main/<set>.txt, JPEGImages}.
// Sets are named "<year>/<set>" ("2007/trainval"), several joined with "+"
// ("2007/trainval+2012/trainval", the 16,551-image pool of METHODS.md §1b).
// `difficult` is kept as a flag, never dropped here (CSD drops difficult boxes
// for training, VOC07 evaluation ignores them: that is the consumer's call).
// Boxes: VOC stores 1-based inclusive pixel corners; they become COCO
// [x, y, w, h] with x = xmin − 1, w = xmax − xmin + 1 (so xmin = x + 1 and
// xmax = x + w recover the file's numbers exactly).

export const VOC_CLASSES = [
  "aeroplane",
  "bicycle",
  "bird",
  "boat",
  "bottle",
  "bus",
  "car",
  "cat",
  "chair",
  "cow",
  "diningtable",
  "dog",
  "horse",
  "motorbike",
  "person",
  "pottedplant",
  "sheep",
  "sofa",
  "train",
  "tvmonitor",
] as const;

export function vocCategories(): CategoryInfo[] {
  return VOC_CLASSES.map((name, i) => ({ id: i + 1, name }));
}

export interface VocSet {
  year: string;
  set: string;
  /** An image-set file elsewhere than VOC<year>/ImageSets/Main/<set>.txt (eval --split <file>). */
  list?: string;
}

export function parseVocSets(text: string, where: string): VocSet[] {
  return text.split("+").map((part) => {
    const m = /^\s*(\d{4})\/([\w.-]+)\s*$/.exec(part);
    if (!m)
      throw new UserError(
        `${where}: expected "<year>/<set>" (e.g. "2007/trainval"), joined by "+", got ${JSON.stringify(text)}`,
      );
    return { year: m[1] as string, set: m[2] as string };
  });
}

/** The VOCdevkit folder under `root` (root itself, or root/VOCdevkit). */
export function findDevkit(root: string, year: string): string {
  for (const dir of [root, join(root, "VOCdevkit")]) {
    if (existsSync(join(dir, `VOC${year}`))) return dir;
  }
  throw new UserError(
    `no VOC${year} folder in ${root} or ${join(root, "VOCdevkit")} (expected a VOCdevkit layout)`,
  );
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (_name, jpath) => jpath === "annotation.object",
});

interface VocObjectXml {
  name?: unknown;
  difficult?: unknown;
  truncated?: unknown;
  bndbox?: { xmin?: unknown; ymin?: unknown; xmax?: unknown; ymax?: unknown };
}

export interface VocRead {
  dataset: DetectionDataset;
  /** sha256 over the set lists and every XML read: the identity of this input. */
  sha256: string;
  bytes: number;
}

export interface ReadVocOptions {
  /**
   * Read the lists only: images without annotations and of unknown size (0 × 0;
   * the pixels say), for the unlabelled sets of a split artifact, which carry
   * no XML so that no trainer can read labels it should not see (voc-writer.ts).
   */
  imagesOnly?: boolean;
}

/** Reads one or more VOC image sets into one dataset. Images keep list order; ids are image names. */
export async function readVoc(
  root: string,
  sets: VocSet[],
  label = "voc",
  options: ReadVocOptions = {},
): Promise<VocRead> {
  const categories = vocCategories();
  const classIndex = new Map<string, number>(VOC_CLASSES.map((c, i) => [c, i]));
  const builder = new DatasetBuilder("voc", label, categories);
  const xmlPaths: string[] = [];
  const yearDirs: string[] = [];
  const seen = new Map<string, string>();
  const hash = createHash("sha256");
  let bytes = 0;
  const setDirs: VocSource["sets"] = [];
  for (const { year, set, list } of sets) {
    const devkit = findDevkit(root, year);
    const yearDir = `VOC${year}`;
    const listPath = list ?? join(devkit, yearDir, "ImageSets", "Main", `${set}.txt`);
    setDirs.push({ yearDir: join(devkit, yearDir), set, list: listPath });
    let listText: string;
    try {
      listText = await readFile(listPath, "utf8");
    } catch (err) {
      throw new UserError(`cannot read VOC image set ${listPath}: ${(err as Error).message}`);
    }
    hash.update(`set\u001f${year}/${set}\u001f`).update(listText);
    bytes += Buffer.byteLength(listText);
    const names = listText
      .split(/\r?\n/)
      .map((l) => l.trim().split(/\s+/)[0] ?? "")
      .filter((l) => l.length > 0);
    for (const name of names) {
      const xmlPath = join(devkit, yearDir, "Annotations", `${name}.xml`);
      const where = relative(process.cwd(), xmlPath) || xmlPath;
      const previous = seen.get(name);
      if (previous)
        throw new UserError(`${listPath}: image ${name} is listed again (already in ${previous})`);
      seen.set(name, `${year}/${set}`);
      if (options.imagesOnly) {
        builder.addImage(name, `${yearDir}/JPEGImages/${name}.jpg`, 0, 0);
        xmlPaths.push(xmlPath);
        yearDirs.push(yearDir);
        continue;
      }
      let xml: Buffer;
      try {
        xml = await readFile(xmlPath);
      } catch (err) {
        throw new UserError(`${listPath}: image ${name}: cannot read ${xmlPath}: ${(err as Error).message}`);
      }
      hash.update(`xml\u001f${name}\u001f`).update(xml);
      bytes += xml.length;
      const { width, height, objects } = parseVocXml(xml.toString("utf8"), where);
      const img = builder.addImage(name, `${yearDir}/JPEGImages/${name}.jpg`, width, height);
      xmlPaths.push(xmlPath);
      yearDirs.push(yearDir);
      objects.forEach((o, k) => {
        const c = classIndex.get(o.name);
        if (c === undefined) {
          throw new UserError(
            `${where}: object[${k}]: unknown class ${JSON.stringify(o.name)} (VOC has ${VOC_CLASSES.join(", ")})`,
          );
        }
        builder.addAnnotation(img, c, o.box, (o.difficult ? DIFFICULT : 0) | (o.truncated ? TRUNCATED : 0));
      });
    }
  }
  const dataset = builder.build();
  dataset.voc = { xmlPaths, yearDirs, sets: setDirs };
  return { dataset, sha256: hash.digest("hex"), bytes };
}

export interface VocObject {
  name: string;
  difficult: boolean;
  truncated: boolean;
  /** COCO [x, y, w, h]. */
  box: [number, number, number, number];
}

export function parseVocXml(
  text: string,
  where: string,
): { width: number; height: number; objects: VocObject[] } {
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new UserError(`${where}:${valid.err.line}:${valid.err.col}: malformed XML: ${valid.err.msg}`);
  const doc = parser.parse(text) as {
    annotation?: { size?: { width?: unknown; height?: unknown }; object?: VocObjectXml[] };
  };
  const ann = doc.annotation;
  if (!ann) throw new UserError(`${where}: not a VOC annotation (no <annotation> root element)`);
  const num = (v: unknown, what: string): number => {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
    if (!Number.isFinite(n))
      throw new UserError(`${where}: ${what} must be a number, got ${JSON.stringify(v ?? null)}`);
    return n;
  };
  const width = num(ann.size?.width, "<size><width>");
  const height = num(ann.size?.height, "<size><height>");
  if (!(width > 0 && height > 0))
    throw new UserError(`${where}: <size> must be positive, got ${width}×${height}`);
  const objects = (ann.object ?? []).map((o, k): VocObject => {
    const name = typeof o.name === "string" ? o.name.trim() : "";
    const what = `object[${k}]${name ? ` (${name})` : ""}`;
    if (!name) throw new UserError(`${where}: ${what}: missing <name>`);
    const flag = (v: unknown, tag: string) => {
      if (v === undefined || v === "") return false;
      const n = num(v, `${what} <${tag}>`);
      if (n !== 0 && n !== 1) throw new UserError(`${where}: ${what}: <${tag}> must be 0 or 1, got ${n}`);
      return n === 1;
    };
    const b = o.bndbox;
    if (!b || typeof b !== "object") throw new UserError(`${where}: ${what}: missing <bndbox>`);
    const xmin = num(b.xmin, `${what} <xmin>`);
    const ymin = num(b.ymin, `${what} <ymin>`);
    const xmax = num(b.xmax, `${what} <xmax>`);
    const ymax = num(b.ymax, `${what} <ymax>`);
    if (xmax < xmin || ymax < ymin) {
      throw new UserError(
        `${where}: ${what}: <bndbox> has xmax < xmin or ymax < ymin (${xmin}, ${ymin}, ${xmax}, ${ymax})`,
      );
    }
    return {
      name,
      difficult: flag(o.difficult, "difficult"),
      truncated: flag(o.truncated, "truncated"),
      box: [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1],
    };
  });
  return { width, height, objects };
}
