import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCocoFile } from "../../src/data/coco-reader.js";
import { cocoBytes } from "../../src/data/coco-writer.js";
import { annotationsOf, CROWD } from "../../src/data/detection-dataset.js";
import { UserError } from "../../src/util/errors.js";

const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/data/${p}`, import.meta.url));

describe("COCO reader", () => {
  it("reads images, boxes, categories and flags from a COCO instances file", async () => {
    const ds = await readCocoFile(fixture("coco/instances_mini.json"));
    expect(ds.format).toBe("coco");
    expect(ds.images.ids).toEqual([9, 25, 30, 34]);
    expect(ds.images.fileNames[1]).toBe('café "quoted".jpg');
    expect(Array.from(ds.images.widths)).toEqual([640, 640, 640, 640]);
    expect(ds.categories.map((c) => [c.id, c.name])).toEqual([
      [1, "person"],
      [2, "bicycle"],
      [51, "bowl"],
    ]);
    expect(ds.annotations.count).toBe(5);
    expect(Array.from(ds.annotations.ids)).toEqual([1038967, 1039564, 900100000009, 7, 8]);
    expect(Array.from(ds.annotations.boxes.subarray(4, 8))).toEqual([10, -2.5, 100, 40.5]);
    expect(Array.from(ds.annotations.categoryIndex)).toEqual([2, 0, 0, 1, 2]);
    expect(ds.annotations.flags[2]! & CROWD).toBe(CROWD);
    // A missing area falls back to w·h; exponents parse.
    expect(ds.annotations.areas[3]).toBe(100);
    expect(ds.annotations.areas[1]).toBe(1000);
    expect(Array.from(annotationsOf(ds, 0))).toEqual([0, 1, 2]);
    expect(Array.from(annotationsOf(ds, 3))).toEqual([]);
  });

  it("parses decimals exactly as JSON.parse does", async () => {
    const path = fixture("coco/instances_mini.json");
    const ds = await readCocoFile(path);
    const doc = JSON.parse(readFileSync(path, "utf8")) as { annotations: { bbox: number[] }[] };
    expect(Array.from(ds.annotations.boxes)).toEqual(doc.annotations.flatMap((a) => a.bbox));
  });

  it("writes subsets by copying records verbatim", async () => {
    const path = fixture("coco/instances_mini.json");
    const ds = await readCocoFile(path);
    const all = JSON.parse(
      cocoBytes(ds, { images: [0, 1, 2, 3], annotations: [0, 1, 2, 3, 4] }).toString("utf8"),
    );
    expect(all).toEqual(JSON.parse(readFileSync(path, "utf8")));
    const sub = JSON.parse(cocoBytes(ds, { images: [1], annotations: [3] }).toString("utf8"));
    expect(Object.keys(sub)).toEqual(["info", "licenses", "images", "annotations", "categories"]);
    expect(sub.images).toEqual([
      { license: 1, file_name: 'café "quoted".jpg', height: 427, width: 640, id: 25 },
    ]);
    expect(sub.annotations[0].segmentation).toEqual([[1, 2, 3, 4]]);
    const none = JSON.parse(cocoBytes(ds, { images: [], annotations: [] }).toString("utf8"));
    expect(none.images).toEqual([]);
    expect(none.annotations).toEqual([]);
  });

  const malformed: [string, RegExp][] = [
    [
      "bbox-three-numbers.json",
      /:2:\d+: annotations\[0\] \(id 1\): "bbox" must be \[x, y, width, height\], got 3/,
    ],
    ["unknown-image.json", /:3:1: annotations\[1\] \(id 2\): image_id 77 is not in "images"/],
    ["unknown-category.json", /annotations\[0\] \(id 1\): category_id 5 is not in "categories"/],
    ["duplicate-annotation-id.json", /:3:1: annotations\[1\] \(id 1\): duplicate annotation id/],
    ["truncated.json", /truncated\.json:2:\d+: .*(expected|end of file)/],
    ["negative-width.json", /width and height must be ≥ 0/],
    ["missing-comma.json", /:2:\d+: annotations\[0\]: expected ',' or '\]' in an array, found '3'/],
    ["no-annotations.json", /not a COCO annotation file: no top-level "annotations"/],
    ["image-without-width.json", /images\[0\] \(id 1\): "width" and "height" must be positive numbers/],
    ["bad-number.json", /annotations\[0\]: expected ',' or '}', found '.'/],
  ];
  for (const [file, message] of malformed) {
    it(`names the file, record and problem for ${file}`, async () => {
      const err = await readCocoFile(fixture(`coco/malformed/${file}`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(message);
    });
  }

  it("reports a missing file as a UserError", async () => {
    await expect(readCocoFile("/nonexistent/instances.json")).rejects.toThrow(/cannot read annotation file/);
  });
});

describe("LVIS reader", () => {
  it("reads frequency groups, federated labels and coco_url file names", async () => {
    const ds = await readCocoFile(fixture("lvis/lvis_mini.json"), { format: "lvis" });
    expect(ds.categories.map((c) => c.frequency)).toEqual(["c", "f", "r"]);
    expect(ds.images.fileNames).toEqual(["train2017/000000391895.jpg", "val2017/000000522418.jpg"]);
    const fed = ds.federated!;
    expect(Array.from(fed.negStart)).toEqual([0, 1, 1]);
    expect(Array.from(fed.neg)).toEqual([2]);
    expect(Array.from(fed.notExhaustiveStart)).toEqual([0, 1, 1]);
    expect(Array.from(fed.notExhaustive)).toEqual([1]);
    expect(ds.annotations.count).toBe(3);
  });

  it("rejects LVIS files without frequency or with unknown negative categories", async () => {
    await expect(
      readCocoFile(fixture("lvis/malformed-no-frequency.json"), { format: "lvis" }),
    ).rejects.toThrow(/categories\[0\] \(id 1\): LVIS "frequency" must be "r", "c" or "f"/);
    await expect(
      readCocoFile(fixture("lvis/malformed-neg-unknown.json"), { format: "lvis" }),
    ).rejects.toThrow(/images\[1\] \(id 522418\): "neg_category_ids" names category 99/);
  });
});
