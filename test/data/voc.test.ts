import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DIFFICULT, TRUNCATED } from "../../src/data/detection-dataset.js";
import { inspectSplit, loadSplitOutput, outputOf, prepareSplit, readVoc } from "../../src/data/index.js";
import { parseVocSets } from "../../src/data/voc-reader.js";

const root = fileURLToPath(new URL("../fixtures/data/voc", import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), "labelsweep-voc-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe("VOC reader", () => {
  it("reads a VOCdevkit image set with difficult kept as a flag and boxes in COCO form", async () => {
    const { dataset: ds, sha256 } = await readVoc(root, parseVocSets("2007/trainval", "test"));
    expect(ds.format).toBe("voc");
    expect(ds.images.ids).toEqual(["000005", "000007", "000009", "000012"]);
    expect(ds.images.fileNames[0]).toBe("VOC2007/JPEGImages/000005.jpg");
    expect(Array.from(ds.images.heights)).toEqual([375, 333, 375, 333]);
    expect(ds.annotations.count).toBe(9);
    // <xmin>263 <ymin>211 <xmax>324 <ymax>339 → [262, 210, 62, 129]
    expect(Array.from(ds.annotations.boxes.subarray(0, 4))).toEqual([262, 210, 62, 129]);
    expect(ds.annotations.flags[1]).toBe(DIFFICULT | TRUNCATED);
    expect(ds.annotations.flags[0]).toBe(0);
    expect(ds.categories[ds.annotations.categoryIndex[2]!]!.name).toBe("diningtable");
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("joins sets of several years", async () => {
    const { dataset } = await readVoc(
      join(root, "VOCdevkit"),
      parseVocSets("2007/train+2012/trainval", "test"),
    );
    expect(dataset.images.ids).toEqual(["000005", "000009", "2008_000002"]);
    expect(dataset.images.fileNames[2]).toBe("VOC2012/JPEGImages/2008_000002.jpg");
  });

  it("names the file and the problem for malformed annotations", async () => {
    const read = (set: string) => readVoc(root, parseVocSets(set, "test"));
    await expect(read("2007/bad_xml")).rejects.toThrow(/bad_xml\.xml:\d+:\d+: malformed XML/);
    await expect(read("2007/bad_class")).rejects.toThrow(
      /bad_class\.xml: object\[0\]: unknown class "unicorn"/,
    );
    await expect(read("2007/bad_box")).rejects.toThrow(
      /bad_box\.xml: object\[0\] \(cat\): <bndbox> has xmax < xmin/,
    );
    await expect(read("2007/missing")).rejects.toThrow(
      /missing\.txt: image missing_image: cannot read .*missing_image\.xml/,
    );
    await expect(read("2007/nosuchset")).rejects.toThrow(/cannot read VOC image set .*nosuchset\.txt/);
    expect(() => parseVocSets("trainval", "dataset.train")).toThrow(
      /dataset\.train: expected "<year>\/<set>"/,
    );
  });
});

describe("VOC split artifacts", () => {
  const dataset = { name: "voc", root, train: "2007/trainval", eval: "2007/train" };

  it("writes sparse labels as a VOCdevkit tree whose XMLs lost only the dropped objects", async () => {
    const a = await prepareSplit(dataset, { protocol: "sparse", level: "extreme", fold: 3 }, tmp);
    const labeled = outputOf(a, "labeled")!;
    expect(labeled.format).toBe("voc");
    const ds = await loadSplitOutput(labeled);
    expect(ds.images.ids).toEqual(["000005", "000007", "000009", "000012"]);
    expect(ds.annotations.count).toBe(4); // extreme: one box per image
    const xml = readFileSync(join(a.dir, "VOCdevkit/VOC2007/Annotations/000009.xml"), "utf8");
    expect(xml.match(/<object>/g)).toHaveLength(1);
    expect(xml).toContain("<size><width>500</width><height>375</height><depth>3</depth></size>");
    // Untouched images are byte-identical copies.
    expect(readFileSync(join(a.dir, "VOCdevkit/VOC2007/Annotations/000007.xml"), "utf8")).toBe(
      readFileSync(join(root, "VOCdevkit/VOC2007/Annotations/000007.xml"), "utf8"),
    );
    expect(existsSync(join(a.dir, "VOCdevkit/VOC2007/JPEGImages/000005.jpg"))).toBe(true);
    expect((await inspectSplit(a.dir)).checks.every((c) => c.status === "ok")).toBe(true);
    expect(a.eval).toMatchObject({ format: "voc", voc: { sets: "2007/train" } });
  });

  it("gives unlabelled images label-free XMLs and lists extra unlabelled sets", async () => {
    const a = await prepareSplit(
      { ...dataset, unlabeled: "2012/trainval" },
      { protocol: "budget", count: 1, fold: 1 },
      tmp,
    );
    const unlabeled = await loadSplitOutput(outputOf(a, "unlabeled")!);
    expect(unlabeled.images.count).toBe(3);
    expect(unlabeled.annotations.count).toBe(0);
    const extra = await loadSplitOutput(outputOf(a, "unlabeled_extra")!);
    expect(extra.images.ids).toEqual(["2008_000002"]);
    expect(extra.annotations.count).toBe(0);
    expect(a.manifest.counts.images).toMatchObject({ labeled: 1, unlabeled: 3, unlabeled_extra: 1 });
    expect(a.manifest.inputs.map((i) => i.role)).toEqual(["train", "unlabeled", "eval"]);
  });

  it("writes single-positive labels as a multi-label file and keeps only the observed class's boxes", async () => {
    const a = await prepareSplit(dataset, { protocol: "single-positive" }, tmp);
    const ml = JSON.parse(readFileSync(outputOf(a, "multilabel")!.path, "utf8"));
    expect(ml.unlisted).toBe("unknown");
    expect(ml.images).toHaveLength(4);
    for (const img of ml.images) expect(img.positive).toHaveLength(1);
    // 000005: chairs (one difficult) and a table; the difficult chair alone would not make chair positive.
    const ds = await loadSplitOutput(outputOf(a, "labeled")!);
    expect(ds.images.count).toBe(4);
  });
});
