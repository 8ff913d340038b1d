import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../util/errors.js";
import { annotationsOf, type DetectionDataset } from "./detection-dataset.js";

// Writes derived VOC sets as a VOCdevkit tree: per year,
// ImageSets/Main/<role>.txt lists the images, Annotations/<name>.xml holds
// the XML of every *labelled* image (copied byte for byte, minus the
// <object> elements the protocol removed), and JPEGImages links to the
// source images. Unlabelled images get no XML in the tree, so a trainer
// pointed at it cannot read labels it should not see.

export interface TreeFile {
  /** Path relative to the artifact folder. */
  path: string;
  data: Buffer;
}

export interface TreeLink {
  path: string;
  target: string;
}

export const VOC_TREE = "VOCdevkit";

/** The image-set list files of `images` (grouped by year folder), named `<role>.txt`. */
export function vocImageSets(ds: DetectionDataset, images: ArrayLike<number>, role: string): TreeFile[] {
  const byYear = new Map<string, string[]>();
  for (let k = 0; k < images.length; k++) {
    const i = images[k] as number;
    const year = ds.voc!.yearDirs[i] as string;
    const list = byYear.get(year) ?? [];
    list.push(String(ds.images.ids[i]));
    byYear.set(year, list);
  }
  return [...byYear.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([year, names]) => ({
      path: `${VOC_TREE}/${year}/ImageSets/Main/${role}.txt`,
      data: Buffer.from(`${names.join("\n")}\n`, "utf8"),
    }));
}

const OBJECT_BLOCK = /[ \t]*<object\b[^>]*>[\s\S]*?<\/object>[ \t]*\r?\n?/g;

/** The XML of every image in `images`, keeping only the objects whose annotation index is in `kept`. */
export function vocAnnotationFiles(
  ds: DetectionDataset,
  images: ArrayLike<number>,
  kept: Uint8Array,
): TreeFile[] {
  const files: TreeFile[] = [];
  for (let k = 0; k < images.length; k++) {
    const i = images[k] as number;
    const xmlPath = ds.voc!.xmlPaths[i] as string;
    const text = readFileSync(xmlPath, "utf8");
    const anns = annotationsOf(ds, i);
    const blocks = text.match(OBJECT_BLOCK) ?? [];
    if (blocks.length !== anns.length) {
      throw new UserError(
        `${xmlPath}: found ${blocks.length} <object> blocks but read ${anns.length} objects; cannot rewrite it`,
      );
    }
    let n = 0;
    const out = text.replace(OBJECT_BLOCK, (block) => (kept[anns[n++] as number] ? block : ""));
    files.push({
      path: `${VOC_TREE}/${ds.voc!.yearDirs[i]}/Annotations/${ds.images.ids[i]}.xml`,
      data: Buffer.from(out, "utf8"),
    });
  }
  return files;
}

/** Links from the tree's JPEGImages folders to the source ones, for every year folder the images use. */
export function vocImageLinks(ds: DetectionDataset, images: ArrayLike<number>): TreeLink[] {
  const years = new Map<string, string>();
  for (let k = 0; k < images.length; k++) {
    const i = images[k] as number;
    const year = ds.voc!.yearDirs[i] as string;
    if (!years.has(year)) years.set(year, `${dirname(dirname(ds.voc!.xmlPaths[i] as string))}/JPEGImages`);
  }
  return [...years.entries()].map(([year, target]) => ({ path: `${VOC_TREE}/${year}/JPEGImages`, target }));
}
