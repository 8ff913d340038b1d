import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadMultiLabelOutput,
  loadSplitOutput,
  outputOf,
  prepareActiveCycle,
  prepareSplit,
  type SplitArtifact,
} from "../../src/data/index.js";
import type { DatasetSpec, LabelsSpec } from "../../src/spec/types.js";
import { COMPAT, DEVKIT, expected, fixture } from "./fixtures.js";

// labels.compat against the reference code's own outputs on the same files
// (test/fixtures/compat/README.md: how expected/*.json were made).

const tmp = await mkdtemp(join(tmpdir(), "labelsweep-compat-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const coco: DatasetSpec = { name: "coco", root: COMPAT, train: "coco-mini.json" };
const vocRoot = dirname(DEVKIT);
const voc = (train: string): DatasetSpec => ({ name: "voc", root: vocRoot, train });
const prepare = (dataset: DatasetSpec, labels: LabelsSpec) =>
  prepareSplit(dataset, labels, join(tmp, "cache"));

interface Mini {
  images: { id: number; file_name: string }[];
  categories: { id: number; name: string }[];
}
const mini = fixture("coco-mini.json") as Mini;

/** image id (COCO number, VOC name) → observed class name, from a split's multi-label file. */
async function observedOf(a: SplitArtifact): Promise<Map<string, string>> {
  const ml = await loadMultiLabelOutput(outputOf(a, "multilabel")!);
  const out = new Map<string, string>();
  ml.imageIds.forEach((id, row) => {
    const k = ml.categories.findIndex((_, c) => ml.labels[row * ml.categories.length + c] === 1);
    out.set(String(id), ml.categories[k]!.name);
  });
  return out;
}

async function idsOf(a: SplitArtifact, role: "labeled" | "holdout" | "unlabeled"): Promise<string[]> {
  const ds = await loadSplitOutput(outputOf(a, role)!);
  return ds.images.ids.map(String).sort();
}

/** Cole's image names → labelsweep image ids. */
const coleId = (image: string) =>
  image.endsWith(".jpg") && image.includes("COCO_")
    ? String(Number(image.slice(-16, -4)))
    : image.replace(/\.jpg$/, "");

describe("single-positive compat cole: generate_observed_labels.py + datasets.generate_split", () => {
  for (const [name, dataset] of [
    ["coco", coco],
    ["pascal", voc("2012/train")],
  ] as const) {
    it(`${name}: the same observed label on every image, the same 20 % hold-out`, async () => {
      const exp = expected(`cole-${name}.json`) as {
        images: { image: string; observed: string }[];
        train: string[];
        val: string[];
      };
      const a = await prepare(dataset, { protocol: "single-positive", compat: "cole" });
      const observed = await observedOf(a);
      const train = new Set(exp.train.map(coleId));
      for (const row of exp.images) {
        const id = coleId(row.image);
        if (train.has(id)) expect(observed.get(id), id).toBe(row.observed);
        else expect(observed.has(id), `${id} is held out`).toBe(false);
      }
      expect([...observed.keys()].sort()).toEqual([...train].sort());
      expect(await idsOf(a, "holdout")).toEqual(exp.val.map(coleId).sort());
      expect(a.manifest.counts.images.holdout).toBe(exp.val.length);
      expect(a.manifest.details).toMatchObject({ compat: "cole", seed: 1200 });
    });
  }

  it("holdout: 0 keeps every formatted image for training", async () => {
    const a = await prepare(coco, { protocol: "single-positive", compat: "cole", holdout: 0 });
    const exp = expected("cole-coco.json") as { images: { image: string; observed: string }[] };
    const observed = await observedOf(a);
    expect(observed.size).toBe(exp.images.length);
    for (const row of exp.images) expect(observed.get(coleId(row.image))).toBe(row.observed);
    expect(outputOf(a, "holdout")).toBeUndefined();
  });
});

describe("single-positive compat scob: drop_to_single(114514)", () => {
  it("coco: the same observed label on every image (CPython set order included)", async () => {
    const exp = expected("scob-coco.json") as { images: { image: string; observed: string }[] };
    const byFile = new Map(mini.images.map((i) => [i.file_name, String(i.id)]));
    const observed = await observedOf(await prepare(coco, { protocol: "single-positive", compat: "scob" }));
    expect(observed.size).toBe(exp.images.length);
    for (const row of exp.images) expect(observed.get(byFile.get(row.image)!), row.image).toBe(row.observed);
  });

  it("pascal: the same observed label on every image, from the class lists", async () => {
    const exp = expected("scob-pascal.json") as { images: { image: string; observed: string }[] };
    const observed = await observedOf(
      await prepare(voc("2012/train"), { protocol: "single-positive", compat: "scob" }),
    );
    expect(observed.size).toBe(exp.images.length);
    for (const row of exp.images)
      expect(observed.get(row.image.replace(/\.jpg$/, "")), row.image).toBe(row.observed);
  });
});

describe("active compat al-ssl: loaders.create_loaders", () => {
  const exp = expected("al-ssl.json") as Record<
    "voc" | "coco",
    { labeled: (string | number)[]; initial: number }
  >;
  const active = (initial: number): LabelsSpec => ({
    protocol: "active",
    compat: "al-ssl",
    initial: { count: initial },
    per_cycle: { count: 1 },
    cycles: 1,
    acquisition: "random",
  });

  it("voc (VOC07 + VOC12 trainval): the same initial labelled images", async () => {
    const a = await prepare(voc("2007/trainval+2012/trainval"), active(exp.voc.initial));
    expect(await idsOf(a, "labeled")).toEqual(exp.voc.labeled.map(String).sort());
    expect(a.manifest.details).toMatchObject({ compat: "al-ssl", seed: 314, pool: 16 });
  });

  it("coco: the same initial labelled images; images without annotations are outside the pool", async () => {
    const a = await prepare(coco, active(exp.coco.initial));
    expect(await idsOf(a, "labeled")).toEqual(exp.coco.labeled.map(String).sort());
    expect(a.manifest.details).toMatchObject({ images_outside_pool: 4 });
    const pool = await idsOf(a, "unlabeled");
    expect(pool).toHaveLength(mini.images.length - 4 - exp.coco.initial);
    // The next cycle draws from the same pool and keeps the outside images out of it.
    const next = await prepareActiveCycle(coco, a, [pool[0]!], join(tmp, "cache"));
    expect(await idsOf(next, "unlabeled")).toEqual(pool.slice(1));
    const outside = mini.images
      .map((i) => String(i.id))
      .find((id) => !pool.includes(id) && !exp.coco.labeled.map(String).includes(id))!;
    await expect(prepareActiveCycle(coco, a, [outside], join(tmp, "cache"))).rejects.toThrow(
      "is not in the training pool",
    );
  });
});

describe("budget compat mmdet: split_coco.py's files", () => {
  for (const fold of [1, 2]) {
    for (const percent of [10, 25]) {
      it(`fold ${fold}, ${percent} %: same names, same contents (unlabelled file with its annotations)`, async () => {
        const a = await prepare(coco, { protocol: "budget", fraction: percent / 100, fold, compat: "mmdet" });
        for (const [role, suffix] of [
          ["mmdet_labeled", ""],
          ["mmdet_unlabeled", "-unlabeled"],
        ] as const) {
          const name = `instances_train2017.${fold}@${percent}${suffix}.json`;
          const out = outputOf(a, role)!;
          expect(out.path.endsWith(name)).toBe(true);
          const mine = JSON.parse(readFileSync(out.path, "utf8"));
          const theirs = JSON.parse(readFileSync(join(COMPAT, "expected", `mmdet-${name}`), "utf8"));
          // Same content, key order included (JSON.stringify follows it); whitespace differs.
          expect(JSON.stringify(mine)).toBe(JSON.stringify(theirs));
        }
        const record = a.manifest.outputs.find((o) => o.role === "mmdet_unlabeled")!;
        expect(record.note).toMatch(
          /keeps the annotations of the unlabelled images.*no labelsweep engine reads them/,
        );
        expect(record.boxes).toBeGreaterThan(0);
        // labelsweep's own unlabelled file carries no annotations.
        expect((await loadSplitOutput(outputOf(a, "unlabeled")!)).annotations.count).toBe(0);
      });
    }
  }
});
