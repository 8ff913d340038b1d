import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, REPO_ROOT, runCli, withoutPassWarnings } from "../../helpers/cli.js";

// The semi-supervised methods end to end through the built CLI: `labelsweep
// run` trains every method on a budget split of shapes (its unlabelled file
// read back as the unlabelled images), records the methods' provenance and
// writes a table with Δ against supervised; `labelsweep train` stopped by
// SIGTERM and resumed ends bit for bit where an uninterrupted run ends.

const DATA = `dataset: { name: shapes, seed: 1, train_images: 24, eval_images: 6, image_size: 32, classes: 2, objects_per_image: [1, 2], scale: [0.25, 0.8] }
labels: { protocol: budget, fraction: 0.25, fold: 1 }
engine: { name: tfjs, backend: wasm }
eval: { type: coco }`;

describe("semi-supervised methods through the CLI", () => {
  it("labelsweep run trains every method, records provenance and prints Δ against supervised", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-ssl-run-"));
    const file = join(dir, "spec.yaml");
    writeFileSync(
      file,
      `name: ssl-tiny
${DATA}
detector: { arch: ssd-lite, width: 8 }
method: { name: supervised }
train: { iterations: 5, batch: 4, lr: 0.005, unlabeled_ratio: 1, checkpoint_every: 2, schedule: { type: constant, warmup: 0 } }
sweep:
  include:
    - { method: { name: supervised } }
    - { method: { name: csd } }
    - { method: { name: mean-teacher, burn_in: 0.2, threshold: 0.05 } }
    - { method: { name: pseudo-label, mode: online, burn_in: 0.2, threshold: 0.05 } }
    - { detector: { arch: retinanet-lite, width: 8 }, method: { name: supervised } }
    - { detector: { arch: retinanet-lite, width: 8 }, method: { name: csd, divergence: js } }
    - { detector: { arch: retinanet-lite, width: 8 }, method: { name: sed, burn_in: 0.2 } }
    - { detector: { arch: retinanet-lite, width: 8 }, method: { name: pseudo-label, burn_in: 0.4, threshold: 0.02 } }
table: { rows: [detector.arch, method.name], columns: [labels.fraction], metric: AP50, baseline: { method.name: supervised } }
`,
    );
    const r = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(withoutPassWarnings(r.stderr)).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("8 runs: 8 done now, 0 failed.");
    // One run a cell: the Δ of the means, and no test.
    expect(r.stdout).toMatch(/\| ssd-lite · csd \| .*\(1\).*, Δ [+−]\d+\.\d \(n too small\) \|/);
    expect(r.stdout).toMatch(/\| retinanet-lite · sed \| .*\(1\).*, Δ [+−]\d+\.\d \(n too small\) \|/);
    expect(r.stdout).toContain("Δ: difference to the baseline cell (method.name = supervised");
    const runs = join(dir, "results", "ssl-tiny", "runs");
    const seen = new Set<string>();
    for (const key of readdirSync(runs)) {
      const run = JSON.parse(readFileSync(join(runs, key, "run.json"), "utf8"));
      const name = run.config.method.name as string;
      seen.add(`${run.config.detector.arch} ${name}`);
      const method = run.provenance.method as Record<string, unknown>;
      if (name === "supervised") continue;
      expect(method.method).toBe(name);
      // Every semi-supervised run took labelled and unlabelled images from the split.
      expect(method.batches).toMatchObject({ batch: 4, labelled_per_batch: 2, unlabelled_per_batch: 2 });
      if (name === "csd")
        expect(method).toMatchObject({ mirror_exact: true, divergence: expect.any(String) });
      if (name === "sed")
        expect(method).toMatchObject({ cross_scale: true, reconstruction: expect.any(String) });
    }
    expect(seen.size).toBe(8);
  }, 600_000);

  it("labelsweep train: a CSD run stopped by SIGTERM and resumed ends bit for bit like an uninterrupted one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-ssl-resume-"));
    const file = join(dir, "spec.yaml");
    writeFileSync(
      file,
      `name: csd-resume
${DATA}
detector: { arch: ssd-lite, width: 8 }
method: { name: csd, supervised_warmup: false }
train: { iterations: 8, batch: 4, lr: 0.005, unlabeled_ratio: 1, checkpoint_every: 100, schedule: { type: cosine, warmup: 1 } }
`,
    );
    type Line = { type: string; iter?: number; loss?: number; metrics?: Record<string, number> };
    const parse = (out: string): Line[] =>
      out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Line);

    const whole = await runCli(["train", file, "--results", join(dir, "a"), "--json"]);
    expect(whole.code).toBe(0);
    const reference = parse(whole.stdout);

    // Stopped after its first progress event (the step finishes, a checkpoint is written, exit 143) …
    const stopped = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, "train", file, "--results", join(dir, "b"), "--json"], {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: "1" },
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes('"type":"progress"') && !child.killed) child.kill("SIGTERM");
      });
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(stopped.code).toBe(143);
    const first = parse(stopped.out).filter((l) => l.type === "progress");
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(8);
    // … and resumed.
    const resumed = await runCli(["train", file, "--results", join(dir, "b"), "--json", "--resume"]);
    expect(resumed.code).toBe(0);
    const second = parse(resumed.stdout);
    const losses = (ls: Line[]) => ls.filter((l) => l.type === "progress").map((l) => [l.iter, l.loss]);
    expect([...losses(first), ...losses(second)]).toEqual(losses(reference));
    expect(second.at(-1)!.metrics).toEqual(reference.at(-1)!.metrics);
    const predictions = (root: string) => {
      const base = join(root, "csd-resume", "train");
      return readFileSync(join(base, readdirSync(base)[0]!, "predictions.json"), "utf8");
    };
    expect(predictions(join(dir, "b"))).toBe(predictions(join(dir, "a")));
  }, 300_000);
});
