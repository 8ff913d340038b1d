import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vocGroundTruth } from "../../src/data/index.js";
import { evaluateFiles, evaluateJson } from "../../src/eval/index.js";
import type { EvalSpec } from "../../src/spec/types.js";
import { runCli } from "../helpers/cli.js";
import { COMPAT, DEVKIT, expected, fixture } from "./fixtures.js";

// eval.compat against the reference code's own outputs on the same files
// (test/fixtures/compat/README.md: how expected/*.json were made).

const DETS = join(COMPAT, "voc-dets.json");
const close = (a: number | null | undefined, b: number | null, what: string) => {
  if (b === null) expect(a, what).toBeNull();
  else expect(Math.abs((a as number) - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-12);
};

describe("eval.compat pycocotools / lvis-api (default): annotation id 0", () => {
  const gt = fixture("id-zero-coco.json");
  const dt = fixture("id-zero-dt.json");

  it("coco: the 12 numbers and the printout are pycocotools' own", async () => {
    const exp = expected("id-zero-pycocotools.json") as { stats: number[]; summaryText: string };
    const r = evaluateJson({ type: "coco" }, gt, dt);
    Object.values(r.metrics).forEach((v, i) => {
      close(v, exp.stats[i] === -1 ? null : exp.stats[i]!, `stats[${i}]`);
    });
    expect(r.warnings.find((w) => w.code === "gt-id-zero")?.message).toMatch(/as in pycocotools/);
    const cli = await runCli([
      "eval",
      "--gt",
      join(COMPAT, "id-zero-coco.json"),
      "--dt",
      join(COMPAT, "id-zero-dt.json"),
    ]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(exp.summaryText);
    expect(cli.stderr).toContain("warning: 1 × ground-truth annotations have id 0");
  });

  it("coco: compat corrected counts the match to id 0", () => {
    const r = evaluateJson({ type: "coco", compat: "corrected" }, gt, dt);
    const p = evaluateJson({ type: "coco" }, gt, dt);
    expect(r.metrics.AP!).toBeGreaterThan(p.metrics.AP!);
    expect(r.metrics.AR100!).toBeGreaterThan(p.metrics.AR100!);
    expect(r.warnings.find((w) => w.code === "gt-id-zero")?.message).toMatch(/corrected counts the match/);
  });

  it("coco: AP at the literal maxDets 100 unless corrected", () => {
    const spec: EvalSpec = { type: "coco", max_dets: [1, 5] };
    expect(evaluateJson(spec, gt, dt).metrics.AP).toBeNull(); // pycocotools: -1
    expect(evaluateJson({ ...spec, compat: "corrected" }, gt, dt).metrics.AP).not.toBeNull();
  });

  it("lvis: lvis-api's results", () => {
    const exp = expected("id-zero-lvis-api.json") as { results: Record<string, number> };
    const r = evaluateJson({ type: "lvis" }, fixture("id-zero-lvis.json"), dt);
    for (const [k, v] of Object.entries(exp.results)) close(r.metrics[k], v === -1 ? null : v, k);
    const fixed = evaluateJson({ type: "lvis", compat: "corrected" }, fixture("id-zero-lvis.json"), dt);
    expect(fixed.metrics.AP!).toBeGreaterThan(r.metrics.AP!);
  });

  it("refuses a compat mode of another family", () => {
    expect(() => evaluateJson({ type: "coco", compat: "ssd-pytorch" }, gt, dt)).toThrow(
      'eval.compat "ssd-pytorch" does not apply to eval type "coco"; expected pycocotools or corrected',
    );
  });
});

describe("VOC compat modes on a real-format devkit (eval --gt <devkit> --split test)", () => {
  for (const type of ["voc07", "voc"] as const) {
    it(`${type}: detectron2 (default) equals PascalVOCDetectionEvaluator`, async () => {
      const exp = expected(`voc-detectron2-${type}.json`) as { ap: (number | null)[]; AP50: number | null };
      const gt = (await vocGroundTruth(DEVKIT, "2007/test"))!;
      const r = evaluateFiles({ type }, gt, DETS);
      expect(r.perCategory.map((c) => c.name)).toEqual(expected(`voc-detectron2-${type}.json`).classes);
      r.perCategory.forEach((c, k) => {
        close(c.ap, exp.ap[k]!, `${c.name}`);
      });
      // detectron2 averages AP × 100.
      if (exp.AP50 === null) expect(r.metrics.mAP).toBeNull();
      else expect(Math.abs(100 * r.metrics.mAP! - exp.AP50)).toBeLessThanOrEqual(1e-10);
    });

    it(`${type}: ssd-pytorch equals CSD's eval.py`, async () => {
      const exp = expected(`voc-ssd-pytorch-${type}.json`) as { ap: (number | null)[]; mAP: number | null };
      const r = evaluateFiles({ type, compat: "ssd-pytorch" }, (await vocGroundTruth(DEVKIT, "test"))!, DETS);
      r.perCategory.forEach((c, k) => {
        close(c.ap, exp.ap[k]!, `${c.name}`);
      });
      close(r.metrics.mAP, exp.mAP, "mAP");
    });
  }

  it("the two conventions differ on the same boxes; corrected leaves classes without positives out", async () => {
    const gt = (await vocGroundTruth(DEVKIT, "2007/test"))!;
    const d2 = evaluateFiles({ type: "voc07" }, gt, DETS).perCategory;
    const ssd = evaluateFiles({ type: "voc07", compat: "ssd-pytorch" }, gt, DETS).perCategory;
    expect(d2.some((c, k) => c.ap !== ssd[k]!.ap && ssd[k]!.ap !== -1)).toBe(true);
    const fixed = evaluateFiles({ type: "voc07", compat: "corrected" }, gt, DETS);
    expect(fixed.perCategory.filter((c) => c.ap === null).map((c) => c.name)).toContain("bird");
  });

  it("CLI: devkit + --split, or the image-set file, prints do_python_eval's lines", async () => {
    const exp = expected("voc-ssd-pytorch-voc07.json") as { printed: string[] };
    for (const gt of [
      ["--gt", DEVKIT, "--split", "test"],
      ["--gt", join(DEVKIT, "VOC2007", "ImageSets", "Main", "test.txt")],
    ]) {
      const r = await runCli(["eval", ...gt, "--dt", DETS, "--type", "voc07", "--compat", "ssd-pytorch"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd().split("\n")).toEqual(exp.printed);
      expect(r.stderr).toContain("classes without detections get AP -1");
    }
    const json = await runCli([
      "eval",
      "--gt",
      DEVKIT,
      "--split",
      "2007/test",
      "--dt",
      DETS,
      "--type",
      "voc07",
      "--json",
    ]);
    expect(JSON.parse(json.stdout).params).toMatchObject({ compat: "detectron2", metric: "voc07-11point" });
    const bad = await runCli([
      "eval",
      "--gt",
      join(COMPAT, "id-zero-coco.json"),
      "--split",
      "test",
      "--dt",
      DETS,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--split names a VOC image set");
  });

  it("refuses fractional ground-truth corners in the compat modes (their parse_rec reads int())", () => {
    const gt = {
      images: [{ id: "a" }],
      categories: [{ id: 1, name: "cat" }],
      annotations: [{ id: 1, image_id: "a", category_id: 1, bbox: [0.5, 0, 10, 10] }],
    };
    const dt = [{ image_id: "a", category_id: 1, bbox: [0, 0, 10, 10], score: 0.5 }];
    expect(() => evaluateJson({ type: "voc07" }, gt, dt)).toThrow(
      /fractional VOC corners.*eval.compat: corrected/,
    );
    expect(evaluateJson({ type: "voc07", compat: "corrected" }, gt, dt).metrics.mAP).toBeCloseTo(1, 12);
  });
});

describe("multilabel: eval.compat scob (default) and eval.crowd", () => {
  const gt = {
    images: [{ id: 1 }, { id: 2 }, { id: 3 }],
    categories: [{ id: 1 }, { id: 2 }, { id: 3 }],
    annotations: [
      { image_id: 1, category_id: 1 },
      { image_id: 2, category_id: 2, iscrowd: 1 },
    ],
  };
  const dt = [1, 2, 3].flatMap((img) =>
    [1, 2, 3].map((c) => ({ image_id: img, category_id: c, score: img === c ? 0.9 : 0.1 })),
  );

  it("a class without positives: CR undefined as in the meter, 0 when corrected", () => {
    expect(evaluateJson({ type: "multilabel" }, gt, dt).metrics.CR).toBeNull();
    expect(evaluateJson({ type: "multilabel", compat: "corrected" }, gt, dt).metrics.CR).toBeCloseTo(
      2 / 3,
      12,
    );
  });

  it("crowd positive by default, ignore on request", () => {
    const pos = evaluateJson({ type: "multilabel", compat: "corrected" }, gt, dt);
    const ign = evaluateJson({ type: "multilabel", compat: "corrected", crowd: "ignore" }, gt, dt);
    expect(pos.counts.positives).toBe(2);
    expect(ign.counts.positives).toBe(1);
    expect(ign.params.crowd).toBe("ignore");
  });
});
