import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadSplitOutput,
  multiLabelView,
  NEGATIVE,
  outputOf,
  POSITIVE,
  prepareSplit,
  readCocoFile,
  readMultiLabelFile,
  readVoc,
  resolveDataset,
  UNKNOWN,
} from "../../src/data/index.js";
import { multiLabelBytes } from "../../src/data/multilabel.js";
import { parseVocSets } from "../../src/data/voc-reader.js";

const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/data/${p}`, import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), "labelsweep-ml-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe("image-level multi-label views", () => {
  it("COCO: boxes are positives, absent classes negatives, crowd-only classes unknown", async () => {
    const ds = await readCocoFile(fixture("coco/instances_mini.json"));
    const v = multiLabelView(ds);
    const row = (i: number) => Array.from(v.labels.subarray(i * 3, i * 3 + 3));
    // categories: person, bicycle, bowl. Image 9: bowl + person (+ crowd person).
    expect(row(0)).toEqual([POSITIVE, NEGATIVE, POSITIVE]);
    expect(row(1)).toEqual([NEGATIVE, POSITIVE, NEGATIVE]);
    expect(row(3)).toEqual([NEGATIVE, NEGATIVE, NEGATIVE]);
    expect(v.unlisted).toBe("negative");
  });

  it("VOC: a class seen only as difficult is unknown (VOC ImageSets flag 0)", async () => {
    const { dataset } = await readVoc(fixture("voc"), parseVocSets("2007/trainval", "t"));
    const v = multiLabelView(dataset);
    const k = dataset.categories.length;
    const chair = dataset.categories.findIndex((c) => c.name === "chair");
    const table = dataset.categories.findIndex((c) => c.name === "diningtable");
    // 000005 has a normal chair and a difficult one: positive.
    expect(v.labels[chair]).toBe(POSITIVE);
    expect(v.labels[table]).toBe(POSITIVE);
    expect(v.labels[k + chair]).toBe(NEGATIVE);
  });

  it("LVIS: negatives only from neg_category_ids, everything else unknown", async () => {
    const ds = await readCocoFile(fixture("lvis/lvis_mini.json"), { format: "lvis" });
    const v = multiLabelView(ds);
    expect(Array.from(v.labels)).toEqual([POSITIVE, POSITIVE, NEGATIVE, UNKNOWN, UNKNOWN, POSITIVE]);
    expect(v.unlisted).toBe("unknown");
  });

  it("round-trips through the labelsweep.multilabel/1 file form", async () => {
    const ds = await readCocoFile(fixture("lvis/lvis_mini.json"), { format: "lvis" });
    const v = multiLabelView(ds);
    const path = join(tmp, "ml.json");
    await writeFile(path, multiLabelBytes(ds, v));
    const back = await readMultiLabelFile(path);
    expect(back.imageIds).toEqual([391895, 522418]);
    expect(Array.from(back.labels)).toEqual(Array.from(v.labels));
    await writeFile(
      join(tmp, "bad.json"),
      JSON.stringify({
        format: "labelsweep.multilabel/1",
        unlisted: "unknown",
        categories: [{ id: 1, name: "a" }],
        images: [{ id: 1, positive: [2] }],
      }),
    );
    await expect(readMultiLabelFile(join(tmp, "bad.json"))).rejects.toThrow(
      /images\[0\] \(id 1\): "positive" names category 2/,
    );
  });
});

describe("single-positive split of a COCO file", () => {
  it("keeps images with a positive, observes one true class each and records the true mean positives", async () => {
    const dataset = { name: "coco", root: fixture("coco"), train: "instances_mini.json" };
    const a = await prepareSplit(dataset, { protocol: "single-positive", fold: 1 }, join(tmp, "sp-cache"));
    const ml = await readMultiLabelFile(outputOf(a, "multilabel")!.path);
    // Image 9: person + bowl (+ a crowd person); 25: bicycle; 30: bowl; 34: nothing (dropped).
    expect(ml.imageIds).toEqual([9, 25, 30]);
    expect(ml.unlisted).toBe("unknown");
    const truth: Record<number, number[]> = { 9: [1, 51], 25: [2], 30: [51] };
    ml.imageIds.forEach((id, row) => {
      const observed = ml.categories.filter((_, c) => ml.labels[row * 3 + c] === POSITIVE).map((c) => c.id);
      expect(observed).toHaveLength(1);
      expect(truth[id as number]).toContain(observed[0]);
    });
    expect(ml.meanPositives).toBeCloseTo(4 / 3, 12);
    const again = await prepareSplit(
      dataset,
      { protocol: "single-positive", fold: 1 },
      join(tmp, "sp-cache-2"),
    );
    expect(again.hash).toBe(a.hash);
  });
});

describe("LVIS split artifacts", () => {
  it("add image-level extra images (ImageNet-LVIS style) as whole-image boxes, filtered to rare classes", async () => {
    const dataset = { name: "lvis", root: fixture("lvis"), train: "lvis_mini.json" };
    const a = await prepareSplit(
      dataset,
      {
        protocol: "full",
        extra: { annotations: "imagenet_lvis_mini.json", images_dir: "imagenet", classes: "rare" },
      },
      join(tmp, "cache"),
    );
    expect(a.manifest.inputs.map((i) => [i.role, i.name])).toContainEqual([
      "extra",
      "imagenet_lvis_mini.json",
    ]);
    const out = outputOf(a, "extra")!;
    expect(out.images).toEqual({ kind: "dir", root: join(fixture("lvis"), "imagenet") });
    const extra = await readCocoFile(out.path);
    // anklet (id 3) is the one rare class: images 1 and 3 show it; image 3 keeps only its anklet box.
    expect(extra.images.ids).toEqual([1, 3]);
    expect(Array.from(extra.annotations.boxes)).toEqual([0, 0, 500, 375, 0, 0, 320, 240]);
    expect(extra.imageLevel && Array.from(extra.imageLevel.categories)).toEqual([2, 2]);
    await expect(
      prepareSplit(dataset, { protocol: "full", extra: { images: 10 } }, join(tmp, "cache")),
    ).rejects.toThrow(
      /labels\.extra\.images generates shapes images; for the lvis dataset give labels\.extra\.annotations/,
    );
  });

  it("keep LVIS records (frequency, federated lists) verbatim in derived files", async () => {
    const a = await prepareSplit(
      { name: "lvis", root: fixture("lvis"), train: "lvis_mini.json" },
      { protocol: "budget", count: 1, fold: 1 },
      join(tmp, "cache"),
    );
    expect(a.manifest.dataset.format).toBe("lvis");
    const labeled = await loadSplitOutput(outputOf(a, "labeled")!);
    expect(labeled.format).toBe("lvis");
    expect(labeled.categories.map((c) => c.frequency)).toEqual(["c", "f", "r"]);
    expect(labeled.images.count).toBe(1);
    expect(labeled.federated).toBeDefined();
  });
});

describe("dataset sources", () => {
  it("resolve LVIS image folders given as the COCO root or as its split folder", () => {
    const a = resolveDataset({
      name: "lvis",
      root: "/data/lvis",
      train_images: "coco/train2017",
      eval_images: "coco",
    });
    expect(a.trainImages).toEqual({ kind: "dir", root: "/data/lvis/coco" });
    expect(a.evalImages).toEqual({ kind: "dir", root: "/data/lvis/coco" });
    const c = resolveDataset({ name: "coco", root: "/data/coco" });
    expect(c.trainImages).toEqual({ kind: "dir", root: "/data/coco/train2017" });
    expect(c.train).toMatchObject({ path: "/data/coco/annotations/instances_train2017.json" });
  });
});
