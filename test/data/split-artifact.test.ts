import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  DatasetLoader,
  identifySplitsForRuns,
  inspectSplit,
  loadSplitOutput,
  outputOf,
  prepareActiveCycle,
  prepareSplit,
  prepareSplitsForRuns,
  type SplitArtifact,
  splitManifestHash,
  splitPaths,
} from "../../src/data/index.js";
import type { DatasetSpec, LabelsSpec } from "../../src/spec/types.js";

const fixtures = fileURLToPath(new URL("../fixtures/data", import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), "labelsweep-split-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(tmp, `cache-${n++}`);

const coco: DatasetSpec = { name: "coco", root: join(fixtures, "coco"), train: "instances_mini.json" };
const shapes: DatasetSpec = {
  name: "shapes",
  train_images: 120,
  eval_images: 10,
  classes: 12,
  class_frequency: { zipf: 1.3 },
};

/** Every file of an artifact folder (symlinks skipped), path → bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      out.set(path.slice(dir.length), readFileSync(path));
    }
  }
  return out;
}

const protocols: LabelsSpec[] = [
  { protocol: "full" },
  { protocol: "budget", fraction: 0.5, fold: 2 },
  { protocol: "budget", count: 2, compat: "mmdet", fold: 1 },
  { protocol: "sparse", level: "easy" },
  { protocol: "sparse", level: "missing50p", keep_at_least_one: false },
  { protocol: "sparse", level: { keep: 0.5 } },
  { protocol: "single-positive", fold: 4 },
  { protocol: "active", initial: { count: 1 }, per_cycle: { count: 1 }, cycles: 2, acquisition: "random" },
];

describe("split artifacts", () => {
  for (const [name, ds] of [
    ["coco", coco],
    ["shapes", shapes],
  ] as const) {
    it(`are byte-identical when generated twice (${name}, every protocol)`, async () => {
      const a = freshDir();
      const b = freshDir();
      for (const labels of protocols) {
        const x = await prepareSplit(ds, labels, a);
        const y = await prepareSplit(ds, labels, b);
        expect(x.cached).toBe(false);
        expect(y.hash).toBe(x.hash);
        expect(x.key).toBe(y.key);
        expect(filesOf(y.dir)).toEqual(filesOf(x.dir));
        expect(splitManifestHash(x.manifest)).toBe(x.hash);
      }
    });
  }

  it("are generated once and found in the cache afterwards", async () => {
    const dir = freshDir();
    const first = await prepareSplit(shapes, { protocol: "budget", fraction: 0.25 }, dir);
    const again = await prepareSplit(
      shapes,
      { protocol: "budget", fraction: 0.25, fold: 1, nested: true },
      dir,
    );
    expect(again.cached).toBe(true);
    expect(again.dir).toBe(first.dir);
    expect(again.hash).toBe(first.hash);
    expect(readdirSync(dir).filter((f) => f.startsWith(".labelsweep-tmp"))).toEqual([]);
  });

  it("differ between folds and protocols, and budgets of one fold nest", async () => {
    const dir = freshDir();
    const ids = async (labels: LabelsSpec) =>
      (await loadSplitOutput(outputOf(await prepareSplit(shapes, labels, dir), "labeled")!)).images.ids;
    const small = await ids({ protocol: "budget", fraction: 0.1, fold: 1 });
    const large = new Set(await ids({ protocol: "budget", fraction: 0.3, fold: 1 }));
    expect(small).toHaveLength(12);
    for (const id of small) expect(large.has(id)).toBe(true);
    expect(await ids({ protocol: "budget", fraction: 0.1, fold: 2 })).not.toEqual(small);
    const h1 = (await prepareSplit(shapes, { protocol: "sparse", level: "hard", fold: 1 }, dir)).hash;
    const h2 = (await prepareSplit(shapes, { protocol: "sparse", level: "hard", fold: 2 }, dir)).hash;
    expect(h1).not.toBe(h2);
  });

  it("record inputs, outputs and per-class counts in the manifest", async () => {
    const a = await prepareSplit(coco, { protocol: "budget", count: 2, fold: 7 }, freshDir());
    const m = a.manifest;
    expect(m).toMatchObject({
      schema: "labelsweep.split-manifest/1",
      protocol: "budget",
      fold: 7,
      params: { protocol: "budget", count: 2, fold: 7, compat: "labelsweep", nested: true },
      dataset: { name: "coco", format: "coco" },
    });
    expect(m.inputs[0]).toMatchObject({ role: "train", name: "instances_mini.json" });
    expect(m.inputs[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(m)).not.toContain(fixtures); // no absolute paths: the hash is the same on every machine
    expect(m.counts.images).toMatchObject({ total: 4, labeled: 2, unlabeled: 2 });
    const labeled = await loadSplitOutput(outputOf(a, "labeled")!);
    expect(m.counts.boxes.visible).toBe(labeled.annotations.count);
    const perClassBoxes = m.counts.per_class.reduce((s, c) => s + c.boxes, 0);
    const crowd = Array.from(labeled.annotations.flags).filter((f) => f & 1).length;
    expect(perClassBoxes).toBe(labeled.annotations.count - crowd);
    for (const id of m.counts.zero_label_classes) {
      expect(m.counts.per_class.find((c) => c.id === id)!.boxes).toBe(0);
    }
    const unlabeled = JSON.parse(readFileSync(outputOf(a, "unlabeled")!.path, "utf8"));
    expect(unlabeled.annotations).toEqual([]);
    expect(unlabeled.images).toHaveLength(2);
  });

  it("point `full` at the input file instead of copying it", async () => {
    const a = await prepareSplit(coco, { protocol: "full" }, freshDir());
    const out = outputOf(a, "labeled")!;
    expect(out.path).toBe(join(fixtures, "coco/instances_mini.json"));
    expect(a.manifest.outputs[0]).toMatchObject({
      same_as_input: "train",
      sha256: a.manifest.inputs[0]!.sha256,
    });
  });

  it("add object-centric extra images with image-level labels as whole-image boxes (shapes)", async () => {
    const a = await prepareSplit(
      shapes,
      { protocol: "budget", fraction: 0.5, extra: { images: 25, classes: "tail" } },
      freshDir(),
    );
    const extra = JSON.parse(readFileSync(outputOf(a, "extra")!.path, "utf8"));
    expect(extra.images).toHaveLength(25);
    expect(extra.annotations).toHaveLength(25);
    const rareOrCommon = new Set(
      a.manifest.counts.per_class.filter((c) => c.total_images <= 100).map((c) => c.id),
    );
    for (const [k, ann] of extra.annotations.entries()) {
      const img = extra.images[k];
      expect(ann.bbox).toEqual([0, 0, img.width, img.height]);
      expect(ann.image_level).toBe(1);
      expect(img.pos_category_ids).toEqual([ann.category_id]);
      expect(rareOrCommon.has(ann.category_id)).toBe(true);
    }
    expect(a.manifest.counts.images.extra).toBe(25);
  });

  it("report a changed output file and a missing one", async () => {
    const a = await prepareSplit(coco, { protocol: "sparse", level: "extreme" }, freshDir());
    expect((await inspectSplit(a.dir)).checks).toEqual([
      { role: "labeled", path: "labeled.json", status: "ok" },
    ]);
    writeFileSync(join(a.dir, "labeled.json"), "{}");
    expect((await inspectSplit(a.dir)).checks[0]!.status).toBe("changed");
    await expect(inspectSplit(join(a.dir, "nope"))).rejects.toThrow(/no manifest\.json/);
  });

  it("write nothing when the input is malformed", async () => {
    const dir = freshDir();
    const bad: DatasetSpec = {
      name: "coco",
      root: join(fixtures, "coco/malformed"),
      train: "unknown-image.json",
    };
    for (const labels of [{ protocol: "full" }, { protocol: "sparse", level: "hard" }] as LabelsSpec[]) {
      await expect(prepareSplit(bad, labels, dir)).rejects.toThrow(
        /unknown-image\.json:3:1: .*image_id 77 is not in "images"/,
      );
    }
    expect(existsSync(dir) ? readdirSync(dir, { recursive: true }) : []).toEqual([]);
  });

  it("grow an active-learning split by one cycle at a time from the acquisition's selection", async () => {
    const dir = freshDir();
    const labels: LabelsSpec = {
      protocol: "active",
      initial: { count: 10 },
      per_cycle: { count: 5 },
      cycles: 2,
      acquisition: "entropy",
    };
    const base = await prepareSplit(shapes, labels, dir);
    const ids = async (a: SplitArtifact, role: "labeled" | "unlabeled") =>
      (await loadSplitOutput(outputOf(a, role)!)).images.ids;
    // The initial set is the budget split of the same size and fold.
    const budget = await prepareSplit(shapes, { protocol: "budget", count: 10 }, dir);
    expect(await ids(base, "labeled")).toEqual(await ids(budget, "labeled"));

    const pool = await ids(base, "unlabeled");
    await expect(prepareActiveCycle(shapes, base, pool.slice(0, 4), dir)).rejects.toThrow(
      /expected 5 selected images/,
    );
    const taken = (await ids(base, "labeled"))[0]!;
    await expect(prepareActiveCycle(shapes, base, [taken, ...pool.slice(0, 4)], dir)).rejects.toThrow(
      /already labelled/,
    );
    await expect(prepareActiveCycle(shapes, base, [99999, ...pool.slice(0, 4)], dir)).rejects.toThrow(
      /not in the training pool/,
    );

    const c1 = await prepareActiveCycle(shapes, base, pool.slice(0, 5), dir);
    expect(c1.manifest.details).toMatchObject({ cycle: 1, parent: base.hash, selected: 5 });
    expect(c1.manifest.counts.images).toMatchObject({ labeled: 15, unlabeled: 105 });
    expect(new Set(await ids(c1, "labeled"))).toEqual(
      new Set([...(await ids(base, "labeled")), ...pool.slice(0, 5)]),
    );
    expect((await prepareActiveCycle(shapes, base, pool.slice(0, 5).reverse(), dir)).cached).toBe(true);
    const c2 = await prepareActiveCycle(shapes, c1, pool.slice(5, 10), dir);
    expect(c2.manifest.counts.images.labeled).toBe(20);
    await expect(prepareActiveCycle(shapes, c2, pool.slice(10, 15), dir)).rejects.toThrow(/all 2 cycles/);
  });

  it("write shapes images as PNG files for external trainers when asked", async () => {
    const dir = freshDir();
    const small: DatasetSpec = { name: "shapes", train_images: 12, eval_images: 3, image_size: 24 };
    const labels: LabelsSpec = { protocol: "budget", count: 4, extra: { images: 2 } };
    const rendered = await prepareSplit(small, labels, dir);
    expect(outputOf(rendered, "labeled")!.images.kind).toBe("shapes");
    const a = await prepareSplit(small, labels, dir, { shapesImages: "files" });
    const paths = splitPaths(a);
    expect(paths.images).toBeDefined();
    const labeled = await loadSplitOutput(outputOf(a, "labeled")!);
    for (const name of labeled.images.fileNames) expect(existsSync(join(paths.images!, name))).toBe(true);
    expect(existsSync(join(paths.eval_images!, "eval/000002.png"))).toBe(true);
    expect(existsSync(join(paths.extra_images!, "extra-all/000001.png"))).toBe(true);
    expect(paths).toMatchObject({
      annotations: join(a.dir, "labeled.json"),
      unlabeled: join(a.dir, "unlabeled.json"),
      extra: join(a.dir, "extra.json"),
    });
    expect(a.hash).toBe(rendered.hash); // where pixels live is not part of the split's identity
  });

  it("prepare every distinct split of a list of runs once", async () => {
    const loader = new DatasetLoader();
    const runs = [0.1, 0.2, 0.1, 0.2].map((fraction) => ({
      dataset: shapes,
      labels: { protocol: "budget", fraction } as LabelsSpec,
    }));
    const out = await prepareSplitsForRuns(runs, freshDir(), { loader });
    expect(out.artifacts).toHaveLength(2);
    expect(out.runArtifact).toEqual([0, 1, 0, 1]);
    expect(out.hashFor(runs[2]!)).toBe(out.artifacts[0]!.key);
    expect(out.hashFor({ dataset: shapes, labels: { protocol: "full" } })).toBeNull();
    // plan keys runs without preparing: the identity it computes is the same.
    const identify = await identifySplitsForRuns(runs, { loader });
    expect(runs.map(identify.hashFor)).toEqual(runs.map(out.hashFor));
    expect(identify.problems).toEqual([]);
    expect(out.filesFor(runs[1]!).annotations).toBe(join(out.artifacts[1]!.dir, "labeled.json"));
    expect(out.filesFor({ dataset: shapes, labels: { protocol: "full" } })).toEqual({});
  });
});
