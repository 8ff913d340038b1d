import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { COMPAT, DEVKIT } from "./fixtures.js";

// `labelsweep data export --run … --layout coco|mmdet`: a run's split as plain
// files for external trainers, through the built CLI.

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

function specFile(dir: string, dataset: string, labels: string, evalType = "coco"): string {
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: export
dataset: ${dataset}
labels: ${labels}
detector: { arch: ssd-lite }
method: { name: supervised }
train: { image_size: 32 }
eval: { type: ${evalType} }
`,
  );
  return file;
}

describe("labelsweep data export", () => {
  it("--layout coco: a VOC split as COCO JSON (lists and XMLs converted, unlabelled sizes from the images)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-export-"));
    const file = specFile(
      dir,
      `{ name: voc, root: ${dirname(DEVKIT)}, train: 2007/trainval, eval: 2007/test, unlabeled: 2012/trainval }`,
      "{ protocol: budget, count: 4 }",
      "voc07",
    );
    const out = join(dir, "out");
    const r = await runCli(["data", "export", file, "--run", "0", "--out", out], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(join(out, "annotations")).sort()).toEqual([
      "eval.json",
      "labeled.json",
      "unlabeled.json",
      "unlabeled_extra.json",
    ]);
    const labeled = json(join(out, "annotations", "labeled.json"));
    expect(labeled.images).toHaveLength(4);
    expect(labeled.categories).toHaveLength(20);
    const extra = json(join(out, "annotations", "unlabeled_extra.json"));
    expect(extra.annotations).toEqual([]);
    expect(extra.images.find((i: { id: string }) => i.id === "2008_000016")).toMatchObject({
      file_name: "VOC2012/JPEGImages/2008_000016.jpg",
      width: 48,
      height: 40,
    });
    const evalGt = json(join(out, "annotations", "eval.json"));
    expect(evalGt.images).toHaveLength(7);
    // 000004's third car is difficult (xmin 20 → x 19).
    expect(evalGt.annotations).toContainEqual(
      expect.objectContaining({ image_id: "000004", bbox: [19, 29, 9, 11], difficult: 1 }),
    );
    const manifest = json(join(out, "export.json"));
    expect(manifest.files.map((f: { role: string }) => f.role)).toEqual([
      "labeled",
      "unlabeled",
      "unlabeled_extra",
      "eval",
    ]);
    expect(r.stdout).toContain("images: ");
  });

  it("--layout mmdet: split_coco.py's file names and contents", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-export-"));
    const file = specFile(
      dir,
      `{ name: coco, root: ${COMPAT}, train: coco-mini.json }`,
      "{ protocol: budget, fraction: 0.25, fold: 2, compat: mmdet }",
    );
    const out = join(dir, "semi");
    const r = await runCli(["data", "export", file, "--layout", "mmdet", "--out", out], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const name of ["instances_train2017.2@25.json", "instances_train2017.2@25-unlabeled.json"]) {
      const theirs = json(join(COMPAT, "expected", `mmdet-${name}`));
      expect(JSON.stringify(json(join(out, name)))).toBe(JSON.stringify(theirs));
    }
    const plain = specFile(
      dir,
      `{ name: coco, root: ${COMPAT}, train: coco-mini.json }`,
      "{ protocol: budget, fraction: 0.25 }",
    );
    const bad = await runCli(["data", "export", plain, "--layout", "mmdet", "--out", out], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("the run's labels must be a budget with compat: mmdet");
  });
});
