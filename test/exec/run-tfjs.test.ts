import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, withoutPassWarnings } from "../helpers/cli.js";

// The runner with the built-in tfjs engine, end to end through the built CLI:
// real (tiny) training of both detectors on shapes, scored by labelsweep's
// evaluator, with progress events and backend provenance.

describe("labelsweep run on the tfjs engine", () => {
  it("trains 2 detectors × 2 budgets × 2 seeds with --jobs 2 and writes the table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-tfjs-"));
    const file = join(dir, "spec.yaml");
    writeFileSync(
      file,
      `name: tiny
dataset: { name: shapes, train_images: 24, eval_images: 8, image_size: 32, classes: 2, objects_per_image: [1, 2], scale: [0.2, 0.8] }
labels: { protocol: budget, fraction: 0.5 }
detector: { arch: ssd-lite, width: 8 }
method: { name: supervised }
train: { iterations: 4, batch: 4, lr: 0.005, checkpoint_every: 2, schedule: { type: constant, warmup: 0 } }
engine: { name: tfjs, backend: wasm }
eval: { type: coco }
sweep:
  grid:
    detector: [{ arch: ssd-lite, width: 8 }, { arch: retinanet-lite, width: 8 }]
    labels.fraction: [0.5, 1.0]
  seeds: 2
table: { rows: [detector.arch], columns: [labels.fraction], metric: AP50 }
`,
    );
    const r = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(withoutPassWarnings(r.stderr)).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("8 runs: 8 done now, 0 failed.");
    expect(r.stdout).toMatch(/\| ssd-lite \| .*\(2\).* \| .*\(2\).* \|/);
    expect(r.stdout).toMatch(/\| retinanet-lite \| .*\(2\).* \| .*\(2\).* \|/);
    const runs = join(dir, "results", "tiny", "runs");
    const keys = readdirSync(runs);
    expect(keys).toHaveLength(8);
    for (const key of keys) {
      const run = JSON.parse(readFileSync(join(runs, key, "run.json"), "utf8"));
      expect(run.provenance.backend).toBe("wasm");
      const metrics = JSON.parse(readFileSync(join(runs, key, "metrics.json"), "utf8"));
      expect(metrics.source).toBe("labelsweep coco evaluator");
      expect(typeof metrics.metrics.AP50).toBe("number");
      const events = readFileSync(join(runs, key, "events.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(events.filter((e) => e.type === "progress").map((e) => e.iter)).toEqual([1, 2, 3, 4]);
      expect(events.at(-1).type).toBe("done");
    }
  });
});
