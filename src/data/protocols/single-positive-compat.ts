import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UserError } from "../../util/errors.js";
import { cpythonSetOrder } from "../cpython-set.js";
import { annotationsOf, type DetectionDataset } from "../detection-dataset.js";
import { NumpyLegacyRandom, PythonRandom } from "../mt19937.js";
import { VOC_CLASSES } from "../voc-reader.js";
import type { Derivation } from "./derivation.js";

// The observed single-positive labels of the two reference code bases,
// reproduced exactly (labels.compat cole | scob; METHODS.md §5b, §6). Both
// count every COCO annotation, crowd regions included, as a positive, and read
// VOC's image-level labels from ImageSets/Main/<class>_<set>.txt (flag 1).
//
// Cole et al. (elijahcole/single-positive-multi-label):
//  - preproc/format_coco.py: the images with ≥ 1 annotation, sorted by their
//    id *as a string*; class index = position in the file's categories;
//    format_pascal.py: the images with a flag-1 line in any class file,
//    sorted by "<name>.jpg"; class index = the VOC class order;
//  - preproc/generate_observed_labels.py: rng = np.random.RandomState(1200)
//    for the phase; for every image in that order, np.nonzero(row == 1) is
//    shuffled and its first entry kept, then np.nonzero(row == -1) is shuffled
//    too (num_neg = 0 keeps none, but the shuffle consumes the stream);
//  - datasets.py generate_split: a validation hold-out of the formatted train
//    images, idx = RandomState(1200).permutation(N), n2 = round(0.2·N)
//    (np.round), train = sort(idx[:N − n2]), val = sort(idx[−n2:]) (with
//    n2 = 0 that slice is all of idx: both parts are every image).
// Scob (iCVTEAM/Scob data/voc.py, data/coco.py, main.py):
//  - VOC: images in first-seen order over the class files in class order,
//    lines in file order, flag "1"; labels in class order;
//  - COCO: the images with ≥ 1 annotation in the file's image order; class
//    index = position of the name among the sorted names; an image's labels
//    are list(set) of its annotations' classes added in file order — CPython's
//    set order (cpython-set.ts), which random.choice then indexes;
//  - drop_to_single(114514): random.seed(114514), then for every image in list
//    order single_label = [random.choice(labels)].

/** The draw of each image: its observed class index, or -1 (no positive: dropped). */
export interface ObservedDraw {
  observed: Int32Array;
  /** Images held out as a validation split with full labels (Cole et al.), ascending. */
  holdout?: Int32Array;
  /** The held-out images are also training images (Cole's split with round(f·N) = 0). */
  holdoutOverlaps?: boolean;
  details: Derivation["details"];
}

const COLE_SEED = 1200;
const SCOB_SEED = 114514;

/** One VOC class file's lines: [image name, the last space-separated token] (Cole) / stripped (Scob). */
interface ClassLine {
  name: string;
  /** Cole: line.rstrip().split(' ')[-1]. */
  last: string;
  /** Scob: [t.strip() for t in line.strip().split(" ")][-1]. */
  lastStripped: string;
}

async function readClassFile(path: string): Promise<ClassLine[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UserError(
      `cannot read VOC class list ${path} (single-positive compat modes read image-level labels from ` +
        `ImageSets/Main/<class>_<set>.txt): ${(err as Error).message}`,
    );
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => {
    const cole = line.replace(/\s+$/, "").split(" ");
    const scob = line
      .trim()
      .split(" ")
      .map((t) => t.trim());
    return {
      name: cole[0] ?? "",
      last: cole[cole.length - 1] ?? "",
      lastStripped: scob[scob.length - 1] ?? "",
    };
  });
}

/** For every set the dataset was read from, for every VOC class in order: its class file's lines. */
async function vocClassLines(
  ds: DetectionDataset,
): Promise<{ path: string; cls: number; lines: ClassLine[] }[]> {
  const out: { path: string; cls: number; lines: ClassLine[] }[] = [];
  for (const s of ds.voc!.sets) {
    for (let c = 0; c < VOC_CLASSES.length; c++) {
      const path = join(dirname(s.list), `${VOC_CLASSES[c]}_${s.set}.txt`);
      out.push({ path, cls: c, lines: await readClassFile(path) });
    }
  }
  return out;
}

function indexByName(ds: DetectionDataset): Map<string, number> {
  return new Map(ds.images.ids.map((id, i) => [String(id), i]));
}

function imageOf(byName: Map<string, number>, name: string, path: string, line: number): number {
  const i = byName.get(name);
  if (i === undefined)
    throw new UserError(`${path}:${line}: image ${JSON.stringify(name)} is not in the image set`);
  return i;
}

/** Every class index of an image's annotations (crowd included), ascending. */
function allClasses(ds: DetectionDataset, i: number): number[] {
  const set = new Set<number>();
  for (const a of annotationsOf(ds, i)) set.add(ds.annotations.categoryIndex[a] as number);
  return [...set].sort((x, y) => x - y);
}

/** np.round(x) for x ≥ 0: round half to even. */
function npRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

export async function coleObserved(ds: DetectionDataset, holdout: number): Promise<ObservedDraw> {
  const K = ds.categories.length;
  // The formatted rows: dataset index and positive class indices, in Cole's order.
  const rows: { image: number; positives: number[] }[] = [];
  if (ds.format === "voc") {
    const byName = indexByName(ds);
    const positives = new Map<number, Set<number>>();
    for (const file of await vocClassLines(ds)) {
      file.lines.forEach((l, n) => {
        const flag = Number.parseInt(l.last, 10);
        if (!/^\s*[+-]?\d+\s*$/.test(l.last)) {
          throw new UserError(
            `${file.path}:${n + 1}: expected "<image> <flag>", got ${JSON.stringify(l.name)}`,
          );
        }
        if (flag !== 1) return;
        const i = imageOf(byName, l.name, file.path, n + 1);
        const set = positives.get(i) ?? new Set<number>();
        set.add(file.cls);
        positives.set(i, set);
      });
    }
    const names = [...positives.keys()].map((i) => ({ i, key: `${ds.images.ids[i]}.jpg` }));
    names.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { i } of names)
      rows.push({ image: i, positives: [...positives.get(i)!].sort((x, y) => x - y) });
  } else {
    const ids: { i: number; key: string }[] = [];
    for (let i = 0; i < ds.images.count; i++) {
      if (annotationsOf(ds, i).length === 0) continue;
      const id = ds.images.ids[i];
      if (typeof id !== "number") {
        throw new UserError(
          `labels.compat cole: image id ${JSON.stringify(id)} is not a number (format_coco.py converts ids with int())`,
        );
      }
      ids.push({ i, key: String(id) });
    }
    ids.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { i } of ids) rows.push({ image: i, positives: allClasses(ds, i) });
  }
  const observed = new Int32Array(ds.images.count).fill(-1);
  const rng = new NumpyLegacyRandom(COLE_SEED);
  for (const row of rows) {
    const pos = [...row.positives];
    rng.shuffle(pos);
    const isPos = new Uint8Array(K);
    for (const c of row.positives) isPos[c] = 1;
    const neg: number[] = [];
    for (let c = 0; c < K; c++) if (!isPos[c]) neg.push(c);
    rng.shuffle(neg);
    observed[row.image] = pos[0]!;
  }
  const details: ObservedDraw["details"] = { seed: COLE_SEED, formatted_images: rows.length };
  if (holdout === 0) return { observed, details };
  const N = rows.length;
  const n2 = npRound(holdout * N);
  const perm = new NumpyLegacyRandom(COLE_SEED).permutation(N);
  const held = n2 === 0 ? perm : perm.subarray(N - n2);
  const holdoutImages = Int32Array.from(held, (r) => rows[r]!.image).sort();
  details.holdout = { fraction: holdout, seed: COLE_SEED, images: holdoutImages.length };
  // idx[-0:] is all of idx: Cole's split then puts every image in both parts.
  return { observed, holdout: holdoutImages, ...(n2 === 0 ? { holdoutOverlaps: true } : {}), details };
}

export async function scobObserved(ds: DetectionDataset): Promise<ObservedDraw> {
  const list: { image: number; labels: number[] }[] = [];
  if (ds.format === "voc") {
    const byName = indexByName(ds);
    const labels = new Map<number, number[]>();
    for (const file of await vocClassLines(ds)) {
      file.lines.forEach((l, n) => {
        if (l.lastStripped !== "1") return;
        const i = imageOf(byName, l.name.trim(), file.path, n + 1);
        let mine = labels.get(i);
        if (!mine) {
          mine = [];
          labels.set(i, mine);
          list.push({ image: i, labels: mine });
        }
        mine.push(file.cls);
      });
    }
  } else {
    const names = ds.categories.map((c) => c.name);
    const sorted = [...names].sort();
    if (new Set(names).size !== names.length) {
      throw new UserError("labels.compat scob: category names must be unique (Scob indexes classes by name)");
    }
    const scobIndex = names.map((n) => sorted.indexOf(n));
    const byScob = new Map(scobIndex.map((s, c) => [s, c]));
    for (let i = 0; i < ds.images.count; i++) {
      const anns = annotationsOf(ds, i);
      if (anns.length === 0) continue;
      const order = cpythonSetOrder(
        Array.from(anns, (a) => scobIndex[ds.annotations.categoryIndex[a] as number]!),
      );
      list.push({ image: i, labels: order.map((s) => byScob.get(s)!) });
    }
  }
  const observed = new Int32Array(ds.images.count).fill(-1);
  const rng = new PythonRandom(SCOB_SEED);
  for (const { image, labels } of list) observed[image] = rng.choice(labels);
  return { observed, details: { seed: SCOB_SEED, listed_images: list.length } };
}
