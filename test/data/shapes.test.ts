import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { annotationsOf } from "../../src/data/detection-dataset.js";
import {
  decodeImageFile,
  exportShapes,
  readCocoFile,
  resolveShapesSpec,
  ShapesImages,
  shapesDataset,
} from "../../src/data/index.js";
import { BUILTIN_CLASSES, COLOURS, SHAPE_KINDS } from "../../src/data/shapes/classes.js";
import { SceneMaker } from "../../src/data/shapes/scene.js";
import { extraClassPool, frequencyGroups } from "../../src/data/shapes/shapes-dataset.js";
import type { ShapesDatasetSpec } from "../../src/spec/types.js";

const tmp = await mkdtemp(join(tmpdir(), "labelsweep-shapes-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const spec = (s: Omit<ShapesDatasetSpec, "name"> = {}) => resolveShapesSpec({ name: "shapes", ...s });

describe("shapes classes", () => {
  it("lists 200 distinct (colour, shape) classes, the first ten all different in both", () => {
    expect(BUILTIN_CLASSES).toHaveLength(SHAPE_KINDS.length * COLOURS.length);
    expect(new Set(BUILTIN_CLASSES.map((c) => c.name)).size).toBe(200);
    const first = BUILTIN_CLASSES.slice(0, 10);
    expect(new Set(first.map((c) => c.kind)).size).toBe(10);
    expect(new Set(first.map((c) => c.rgb.join())).size).toBe(10);
    expect(BUILTIN_CLASSES[0]!.name).toBe("red-circle");
  });
});

describe("shapes spec", () => {
  it("fills defaults with an 8× object-scale range", () => {
    const s = spec();
    expect(s.scale[1] / s.scale[0]).toBeGreaterThanOrEqual(8);
    expect(s.classes).toHaveLength(6);
  });

  it("names the key and suggests classes for bad input", () => {
    expect(() => spec({ classes: ["red-circle", "mauve-circle"] })).toThrow(
      /dataset\.classes\[1\]: unknown class "mauve-circle".*did you mean "red-circle"/,
    );
    expect(() => spec({ classes: ["Red Circle"] })).toThrow(/did you mean "red-circle"\?/);
    expect(() => spec({ scale: [0.5, 0.1] })).toThrow(/dataset\.scale: expected 0 < smallest ≤ largest ≤ 1/);
    expect(() => spec({ classes: 201 })).toThrow(/dataset\.classes: expected a whole number in \[1, 200\]/);
    expect(() => spec({ cooccurrence: { pairs: [[0, 9]], probability: 0.5 } })).toThrow(
      /cooccurrence\.pairs\[0\]/,
    );
  });
});

describe("shapes scenes", () => {
  it("are deterministic per (seed, split, index) and differ across seeds", () => {
    const a = new ShapesImages(spec({ seed: 3 }));
    const b = new ShapesImages(spec({ seed: 3 }));
    expect(Buffer.from(a.render("train/000007.png"))).toEqual(Buffer.from(b.render("train/000007.png")));
    expect(Buffer.from(a.render("train/000007.png"))).not.toEqual(
      Buffer.from(new ShapesImages(spec({ seed: 4 })).render("train/000007.png")),
    );
    expect(() => a.render("train/999999.png")).toThrow(/the train split has 2000 images/);
    expect(() => a.render("dog.png")).toThrow(/not a shapes image name/);
  });

  it("keep objects inside the image, in the count and scale range asked for", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 32, max: 160 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 5 }),
        (seed, size, lo, extra) => {
          const hi = Math.max(1, lo + extra);
          const s = spec({ seed, image_size: size, objects_per_image: [lo, hi], scale: [0.05, 0.5] });
          const maker = new SceneMaker(s);
          for (let i = 0; i < 5; i++) {
            const scene = maker.scene("train", i);
            expect(scene.objects.length).toBeLessThanOrEqual(hi);
            for (const o of scene.objects) {
              const [x, y, w, h] = o.box;
              expect(x).toBeGreaterThanOrEqual(0);
              expect(y).toBeGreaterThanOrEqual(0);
              expect(x + w).toBeLessThanOrEqual(size + 0.011);
              expect(y + h).toBeLessThanOrEqual(size + 0.011);
              const side = Math.sqrt(o.frame[2] * o.frame[3]) / size;
              expect(side).toBeGreaterThanOrEqual(0.05 * 0.99);
              expect(side).toBeLessThanOrEqual(0.5 * 1.01);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("span at least 8× in object size with the defaults", () => {
    const ds = shapesDataset(spec({ train_images: 400 }), "train");
    const sides = Array.from({ length: ds.annotations.count }, (_, a) => Math.sqrt(ds.annotations.areas[a]!));
    expect(Math.max(...sides) / Math.min(...sides)).toBeGreaterThan(7);
  });

  it("paint each object in its class colour where the box is", () => {
    const s = spec({
      objects_per_image: [1, 1],
      classes: ["red-square", "blue-circle"],
      background: "plain",
    });
    const images = new ShapesImages(s);
    const ds = shapesDataset({ ...s, train_images: 30 }, "train");
    for (let i = 0; i < 30; i++) {
      const [a] = annotationsOf(ds, i);
      const [x, y, w, h] = ds.annotations.boxes.subarray(4 * a!, 4 * a! + 4);
      const px = Math.floor(x! + w! / 2);
      const py = Math.floor(y! + h! / 2);
      const img = images.render(ds.images.fileNames[i]!);
      const p = (py * s.image_size + px) * 3;
      const want = ds.annotations.categoryIndex[a!] === 0 ? [220, 40, 40] : [40, 80, 225];
      for (let c = 0; c < 3; c++) expect(Math.abs(img[p + c]! - want[c]!)).toBeLessThanOrEqual(13);
    }
  });

  it("follow a Zipf law with LVIS-style frequency groups from image counts", () => {
    const s = spec({ train_images: 600, classes: 40, class_frequency: { zipf: 1.5 } });
    const ds = shapesDataset(s, "train");
    const perClass = new Array(40).fill(0);
    for (const c of ds.annotations.categoryIndex) perClass[c]++;
    expect(perClass[0]).toBeGreaterThan(5 * perClass[39]);
    const groups = frequencyGroups(s);
    expect(groups[0]).toBe("f");
    expect(groups).toContain("r");
    expect(ds.categories.map((c) => c.frequency)).toEqual(groups);
    expect(extraClassPool(s, "rare").every((c) => groups[c] === "r")).toBe(true);
    expect(() => extraClassPool(spec({ train_images: 600, classes: 2 }), "rare")).toThrow(
      /no class of this shapes dataset is rare/,
    );
  });

  it("make paired classes appear together", () => {
    const s = spec({
      train_images: 800,
      classes: 10,
      objects_per_image: [2, 4],
      cooccurrence: { pairs: [[0, 1]], probability: 1 },
    });
    const ds = shapesDataset(s, "train");
    let with0 = 0;
    let both = 0;
    for (let i = 0; i < ds.images.count; i++) {
      const cls = new Set(Array.from(annotationsOf(ds, i), (a) => ds.annotations.categoryIndex[a]));
      if (cls.has(0)) {
        with0++;
        if (cls.has(1)) both++;
      }
    }
    expect(both / with0).toBeGreaterThan(0.6);
  });

  it("have one dominant object when object-centric", () => {
    const s = spec({ object_centric: true, train_images: 50 });
    const ds = shapesDataset(s, "train");
    for (let i = 0; i < 50; i++) {
      const anns = annotationsOf(ds, i);
      expect(anns).toHaveLength(1);
      expect(ds.annotations.boxes[4 * anns[0]! + 2]!).toBeGreaterThan(0.4 * s.image_size);
    }
  });
});

describe("shapes export", () => {
  it("writes COCO JSON and PNGs that decode to the rendered pixels", async () => {
    const s = spec({ train_images: 6, eval_images: 2, image_size: 48 });
    const out = join(tmp, "export");
    const r = await exportShapes(s, out);
    expect(r.images).toBe(8);
    const ds = await readCocoFile(join(out, "annotations/instances_train.json"));
    expect(ds.images.count).toBe(6);
    const png = await decodeImageFile(join(out, ds.images.fileNames[3]!));
    expect(Buffer.from(png.data)).toEqual(Buffer.from(new ShapesImages(s).render(ds.images.fileNames[3]!)));
    const evalDoc = JSON.parse(readFileSync(join(out, "annotations/instances_eval.json"), "utf8"));
    expect(evalDoc.images).toHaveLength(2);
  });
});
