import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  annotationsOf,
  CROWD,
  DIFFICULT,
  loadSplitOutput,
  outputOf,
  prepareSplit,
  readCocoFile,
  readVoc,
} from "../../src/data/index.js";
import { deriveSparse } from "../../src/data/protocols/sparse.js";
import type { DatasetSpec } from "../../src/spec/types.js";
import { COMPAT, DEVKIT } from "./fixtures.js";

// The real-format devkit's quirks, the sparse protocol's crowd rule, and
// labels.protocol: file (a released split file used as it is).

const tmp = await mkdtemp(join(tmpdir(), "labelsweep-protocols-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const coco: DatasetSpec = { name: "coco", root: COMPAT, train: "coco-mini.json" };

describe("the VOC reader on real devkit quirks", () => {
  it("reads <part> children, float corners, names with surrounding whitespace and an image without objects", async () => {
    const { dataset: ds } = await readVoc(dirname(DEVKIT), [{ year: "2012", set: "trainval" }]);
    const objects = (name: string) => {
      const i = ds.images.ids.indexOf(name);
      return Array.from(annotationsOf(ds, i), (a) => ({
        cls: ds.categories[ds.annotations.categoryIndex[a]!]!.name,
        box: Array.from(ds.annotations.boxes.subarray(4 * a, 4 * a + 4)),
        difficult: (ds.annotations.flags[a]! & DIFFICULT) !== 0,
      }));
    };
    // Parts (head) are not objects; "  person " is a person.
    expect(objects("2008_000003").map((o) => o.cls)).toEqual(["person", "train"]);
    expect(objects("2008_000007").map((o) => o.cls)).toEqual(["car"]);
    // 1-based inclusive float corners (10.5, 6, 52.5, 40.25) → [x, y, w, h].
    expect(objects("2008_000002")[0]!.box).toEqual([9.5, 5, 43, 35.25]);
    expect(objects("2008_000016")).toEqual([]);
    expect(objects("2008_000009").map((o) => o.difficult)).toEqual([false, true]);
  });
});

describe("sparse: crowd keep | as-instance", () => {
  it("keep (default) keeps every crowd region besides the level's instances; as-instance counts them", async () => {
    const ds = await readCocoFile(join(COMPAT, "coco-mini.json"));
    const keep = deriveSparse(ds, { protocol: "sparse", level: "extreme" }, 1);
    const asInstance = deriveSparse(ds, { protocol: "sparse", level: "extreme", crowd: "as-instance" }, 1);
    const crowd = (a: number) => (ds.annotations.flags[a]! & CROWD) !== 0;
    const perImage = (kept: Int32Array) => {
      const m = new Map<number, number>();
      for (const a of kept)
        m.set(ds.annotations.imageIndex[a]!, (m.get(ds.annotations.imageIndex[a]!) ?? 0) + 1);
      return m;
    };
    const crowdTotal = Array.from({ length: ds.annotations.count }, (_, a) => a).filter(crowd).length;
    expect(crowdTotal).toBeGreaterThan(0);
    expect(Array.from(keep.kept).filter(crowd)).toHaveLength(crowdTotal);
    // as-instance: exactly one box per image that has any, crowd or not.
    for (const [, n] of perImage(asInstance.kept)) expect(n).toBe(1);
    expect(asInstance.kept.length).toBeLessThan(keep.kept.length);
    expect(asInstance.details.crowd).toBe("as-instance");
  });
});

describe("labels.protocol: file", () => {
  const full = JSON.parse(readFileSync(join(COMPAT, "coco-mini.json"), "utf8"));

  it("uses a released file as the labelled set, hashed like any input; other images are unlabelled", async () => {
    // A "released" sparse file: the first 30 images, every other box.
    const kept = new Set(full.images.slice(0, 30).map((i: { id: number }) => i.id));
    const released = {
      ...full,
      images: full.images.filter((i: { id: number }) => kept.has(i.id)),
      annotations: full.annotations.filter(
        (a: { image_id: number }, k: number) => kept.has(a.image_id) && k % 2 === 0,
      ),
    };
    const path = join(tmp, "instances_train2017_easy.json");
    writeFileSync(path, JSON.stringify(released));
    const a = await prepareSplit(coco, { protocol: "file", annotations: path }, join(tmp, "cache"));
    const labeled = outputOf(a, "labeled")!;
    expect(labeled.path).toBe(path);
    const input = a.manifest.inputs.find((i) => i.role === "labels")!;
    expect(input.sha256).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
    expect(a.manifest.counts.images).toMatchObject({ labeled: 30, unlabeled: full.images.length - 30 });
    expect(a.manifest.counts.boxes.visible).toBe(released.annotations.length);
    expect((await loadSplitOutput(outputOf(a, "unlabeled")!)).images.count).toBe(full.images.length - 30);
    // Another file, another split.
    writeFileSync(path, JSON.stringify({ ...released, annotations: released.annotations.slice(1) }));
    const b = await prepareSplit(coco, { protocol: "file", annotations: path }, join(tmp, "cache"));
    expect(b.hash).not.toBe(a.hash);
  });

  it("refuses a file whose boxes are not boxes of dataset.train", async () => {
    const path = join(tmp, "made-up.json");
    const made = { ...full, annotations: [{ ...full.annotations[0], id: 999999 }] };
    writeFileSync(path, JSON.stringify(made));
    await expect(
      prepareSplit(coco, { protocol: "file", annotations: path }, join(tmp, "cache")),
    ).rejects.toThrow(
      "annotations[0] (id 999999) is not an annotation of dataset.train with the same id, image and category",
    );
  });
});
