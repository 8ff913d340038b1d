import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { prepareSplit, splitPaths } from "../../src/data/index.js";
import { splitInputs } from "../../src/engine/index.js";
import type { RunConfig } from "../../src/spec/types.js";
import { runCli } from "../helpers/cli.js";
import { DEVKIT } from "./fixtures.js";

// PASCAL VOC end to end: the split's VOCdevkit tree read by the tfjs engine
// (VOC07 labelled, VOC12 as dataset.unlabeled), `labelsweep run` with the
// tfjs engine and with an external (command) trainer, both scored by
// labelsweep's VOC evaluator against the devkit's test set.

const VOC_ROOT = dirname(DEVKIT);
const FAKE = fileURLToPath(new URL("../fixtures/command/fake-voc-trainer.mjs", import.meta.url));
const dataset = {
  name: "voc",
  root: VOC_ROOT,
  train: "2007/trainval",
  eval: "2007/test",
  unlabeled: "2012/trainval",
};

function spec(engine: string, extra = ""): string {
  return `name: voc-e2e
dataset: { name: voc, root: ${VOC_ROOT}, train: 2007/trainval, eval: 2007/test, unlabeled: 2012/trainval }
labels: { protocol: full }
detector: { arch: ssd-lite, width: 8 }
method: { name: supervised }
train: { iterations: 2, batch: 2, image_size: 32, lr: 0.005, checkpoint_every: 100, schedule: { type: constant, warmup: 0 } }
engine: ${engine}
eval: { type: voc07${extra} }
table: { rows: [method.name], columns: [detector.arch], metric: mAP }
`;
}

function runOf(dir: string): {
  metrics: { source: string; metrics: { mAP: number | null } };
  run: { split: { files: Record<string, string> } };
} {
  const runs = join(dir, "results", "voc-e2e", "runs");
  const [key] = readdirSync(runs);
  const read = (f: string) => JSON.parse(readFileSync(join(runs, key!, f), "utf8"));
  return { metrics: read("metrics.json"), run: read("run.json") };
}

describe("VOC end to end", () => {
  it("the tfjs engine reads a VOC split: labelled tree, VOC12 unlabelled, the test set", async () => {
    const cache = mkdtempSync(join(tmpdir(), "ls-voc-"));
    const a = await prepareSplit(dataset, { protocol: "budget", count: 4 }, cache);
    const files = splitPaths(a);
    expect(files.eval_annotations).toBe(join(DEVKIT, "VOC2007", "ImageSets", "Main", "test.txt"));
    const config = { dataset, detector: { arch: "ssd-lite" } } as unknown as RunConfig;
    const inputs = await splitInputs(config, files);
    expect(inputs.labelled.size).toBe(4);
    expect(inputs.eval.size).toBe(7);
    // The budget's 5 unlabelled VOC07 images, then VOC12 trainval's 7 (no XML in the split: sizes from the pixels).
    expect(inputs.unlabelled?.size).toBe(5 + 7);
    const last = await inputs.unlabelled!.get(11);
    expect([last.imageId, last.width, last.height]).toEqual(["2008_000016", 48, 40]);
    expect(last.image.length).toBe(48 * 40 * 3);
    // VOC objects with <part> children, float corners and names with surrounding spaces are read as they should be.
    const s = await inputs.labelled.get(0);
    expect(s.width * s.height * 3).toBe(s.image.length);
  });

  it("labelsweep run with the tfjs engine, scored by the VOC07 evaluator", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-voc-run-"));
    writeFileSync(join(dir, "spec.yaml"), spec("{ name: tfjs, backend: wasm }"));
    const r = await runCli(["run", join(dir, "spec.yaml")], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { metrics, run } = runOf(dir);
    expect(metrics.source).toBe("labelsweep voc07 evaluator");
    expect(typeof metrics.metrics.mAP).toBe("number");
    expect(run.split.files.unlabeled_extra).toMatch(/VOC2012\/ImageSets\/Main\/unlabeled_extra\.txt$/);
  });

  it("labelsweep run with an external trainer's predictions, scored by the VOC07 evaluator", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-voc-cmd-"));
    const engine = `{ command: [${process.execPath}, ${FAKE}, --labeled, "{annotations}", --unlabeled-extra, "{unlabeled_extra}", --eval, "{eval_annotations}", --out, "{out}"], metrics: { from: predictions, file: predictions.json } }`;
    writeFileSync(join(dir, "spec.yaml"), spec(engine, ", compat: corrected"));
    const r = await runCli(["run", join(dir, "spec.yaml")], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { metrics } = runOf(dir);
    expect(metrics.source).toBe("labelsweep voc07 evaluator");
    // The ground truth itself as predictions: every class with positives is found (11-point AP 1).
    expect(metrics.metrics.mAP).toBeCloseTo(1, 12);
    const log = readFileSync(
      join(
        dir,
        "results",
        "voc-e2e",
        "runs",
        readdirSync(join(dir, "results", "voc-e2e", "runs"))[0]!,
        "log",
      ),
      "utf8",
    );
    expect(log).toContain("fake VOC trainer: 9 labelled, 7 extra unlabelled images");
  });
});
