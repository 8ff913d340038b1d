import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, withoutPassWarnings } from "../helpers/cli.js";

// Co-mining and RichSem through `labelsweep run` on the tfjs engine, end to
// end with the built CLI: sparse and extra-data splits prepared by the data
// stage, a few real training iterations, LVIS evaluation with frequency groups,
// and each method's options in the run's provenance.

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

describe("labelsweep run with Co-mining and RichSem", () => {
  it("trains both methods (and a supervised baseline) and records their options", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-methods-"));
    const file = join(dir, "spec.yaml");
    writeFileSync(
      file,
      `name: tiny-methods
dataset: { name: shapes, train_images: 16, eval_images: 6, image_size: 32, classes: 6, class_frequency: { zipf: 1.5 }, objects_per_image: [1, 3], scale: [0.2, 0.6] }
labels: { protocol: full }
detector: { arch: retinanet-lite, width: 4, classifier: embedding, embedding_dim: 8, logit_scale: 10 }
method: { name: supervised }
train: { iterations: 4, batch: 4, lr: 0.005, optimizer: adam, checkpoint_every: 2, schedule: { type: constant, warmup: 0 } }
engine: { name: tfjs, backend: wasm }
eval: { type: lvis, max_dets: [300], rare_max: 3, common_max: 8 }
sweep:
  zip:
    - labels:
        - { protocol: sparse, level: hard }
        - { protocol: sparse, level: hard }
        - { protocol: full, extra: { images: 8, classes: all } }
        - { protocol: full, extra: { images: 8, classes: all } }
      method:
        - { name: supervised }
        - { name: co-mining, pseudo_score_threshold: 0.3 }
        - { name: richsem, teacher: classifier, teacher_iterations: 2, teacher_batch: 8, teacher_crop: 16, repeat_factor_threshold: 0.5 }
        - { name: richsem, teacher: oracle, embeddings: orthogonal, teacher_temperature: 2 }
table: { rows: [method.name, method.teacher], columns: [labels.protocol], metric: [AP, APr] }
`,
    );
    const r = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(withoutPassWarnings(r.stderr)).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("4 runs: 4 done now, 0 failed.");
    const runs = join(dir, "results", "tiny-methods", "runs");
    const byMethod = new Map<string, Record<string, unknown>>();
    for (const key of readdirSync(runs)) {
      const run = readJson(join(runs, key, "run.json")) as {
        config: { method: { name: string; teacher?: string } };
        provenance: { method: Record<string, unknown> };
      };
      const m = run.config.method;
      byMethod.set(m.teacher ? `${m.name}/${m.teacher}` : m.name, run.provenance.method);
      const metrics = readJson(join(runs, key, "metrics.json")) as {
        metrics: Record<string, unknown>;
        perCategory: { group?: string }[];
      };
      expect(typeof metrics.metrics.AP).toBe("number");
      // Every category carries its frequency group (image counts with rare ≤ 3, common ≤ 8).
      expect(metrics.perCategory.every((c) => ["r", "c", "f"].includes(c.group ?? ""))).toBe(true);
    }
    expect(byMethod.get("supervised")).toEqual({});
    expect(byMethod.get("co-mining")).toMatchObject({
      pseudo_score_threshold: 0.3,
      nms_iou: 0.5,
      max_pseudo: 100,
      merge_iou: 0.4,
      color_jitter: { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, p: 0.8 },
    });
    expect(byMethod.get("richsem/classifier")).toMatchObject({
      teacher: "classifier",
      embeddings: "teacher",
      distill_weight: 0.5,
      extra_ratio: 1,
      mosaic: true,
      repeat_factor_threshold: 0.5,
      semantic_head: true,
      teacher_classifier: { iterations: 2, crop: 16 },
    });
    expect(byMethod.get("richsem/oracle")).toMatchObject({
      teacher: "oracle",
      teacher_temperature: 2,
      embeddings: "orthogonal",
    });
    expect(r.stdout).toMatch(/\| richsem · oracle \| .*\(1\)/);
  }, 600_000);
});
