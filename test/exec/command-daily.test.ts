import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FAKE_TRAINER } from "../helpers/run-dirs.js";

// External trainers as a newcomer writes them (issue 17 §2, §4), through the
// built CLI: a relative `tools/…` script found from the spec's folder (the
// default working directory) or from engine.cwd (relative to that folder);
// a `params:` block used as {params.x} and swept; the trainer's JSON progress
// lines as progress events (events.jsonl → the summary's loss curve); a
// failure quoting the trainer's stderr; results under the project (the folder
// holding experiments/), whichever folder the command runs from.

const project = () => {
  const dir = mkdtempSync(join(tmpdir(), "ls-command-"));
  mkdirSync(join(dir, "experiments", "tools"), { recursive: true });
  copyFileSync(FAKE_TRAINER, join(dir, "experiments", "tools", "fake.mjs"));
  writeFileSync(
    join(dir, "experiments", "ext.yaml"),
    `name: ext
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.2 }
detector: { arch: my-detector }
method: { name: supervised }
params: { script: tools/fake.mjs, noise: 0, tag: ok }
engine:
  command: ["${process.execPath}", "{params.script}", --out, "{out}", --seed, "{seed}", --steps, "3", --step-ms, "5",
            --progress-json, --noise, "{params.noise}", --tag, "{params.tag}", --fail-when, boom]
  metrics: { from: pycocotools }
train: { iterations: 3 }
sweep:
  grid:
    params.noise: [0, 0.05]
  include:
    - { engine.cwd: tools, params.script: fake.mjs, params.noise: 0.1 }
    - { params.tag: boom, params.noise: 0.2 }
table: { rows: [params.noise], columns: [labels.fraction], metric: AP }
`,
  );
  return dir;
};

describe("external trainers, daily use", () => {
  it("run from the spec's folder, params swept, JSON progress, stderr in failures, results under the project", async () => {
    const dir = project();
    const r = await runCli(["run", "experiments/ext.yaml", "--jobs", "2"], { cwd: dir });
    expect(r.code).toBe(1);
    // Three runs found tools/fake.mjs: from the spec's folder, or from engine.cwd: tools.
    expect(r.stdout).toContain("3 done now, 1 failed.");
    expect(r.stdout).toContain(`Results in ${join(dir, "results", "ext")}/`);
    // The failure names the trainer's stderr tail.
    expect(r.stdout).toMatch(/FAILED [0-9a-f]{12}: external trainer exited with code 1; its stderr ends:/);
    expect(r.stdout).toContain("  | RuntimeError: CUDA out of memory (fake)");
    // {params.noise} reached the trainer: 0.3 + noise per row, on the table's scale.
    const table = readFileSync(join(dir, "results", "ext", "table.md"), "utf8");
    expect(table).toContain("| 0 | 30.0 (1) |");
    expect(table).toContain("| 0.05 | 35.0 (1) |");
    expect(table).toContain("| 0.1 | **40.0 (1)** |");
    // JSON progress lines became progress events, and the summary's loss curve.
    const summary = JSON.parse(readFileSync(join(dir, "results", "ext", "summary.json"), "utf8"));
    const curve = summary.cells.find(
      (c: { row: Record<string, number> }) => c.row["params.noise"] === 0,
    ).loss;
    expect(curve.map((p: { iter: number }) => p.iter)).toEqual([1, 2, 3]);

    // `status` from experiments/ sees the same results (under the project, not the cwd); it says
    // "status", shows metrics, time and log per run, and exits 1 because a run failed.
    const status = await runCli(["status", "ext.yaml"], { cwd: join(dir, "experiments") });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^status ext {2}commit /);
    expect(status.stdout).toMatch(
      /^key\s+params\.noise\s+engine\.cwd\s+params\.script\s+params\.tag\s+status\s+AP\s+time\s+log$/m,
    );
    expect(status.stdout).toMatch(
      /^[0-9a-f]{12}\s+0\.05\s+–\s+tools\/fake\.mjs\s+ok\s+done\s+35\.0\s+\d+(\.\d s|m \d\ds)\s+\.\.\/results\/ext\/runs\/[0-9a-f]{64}\/log$/m,
    );
    expect(status.stdout).toMatch(/^[0-9a-f]{12}\s+0\.2\s+–\s+tools\/fake\.mjs\s+boom\s+failed\s+–\s/m);
    expect(status.stdout).toContain("4 runs: 0 new, 3 done, 1 failed, 0 running");
    const json = JSON.parse(
      (await runCli(["status", "experiments/ext.yaml", "--json"], { cwd: dir })).stdout,
    );
    const done = json.runs.find((x: { values: Record<string, number> }) => x.values["params.noise"] === 0.05);
    expect(done.details.metrics.AP).toBeCloseTo(0.35);
    expect(done.details.seconds).toBeGreaterThan(0);
    expect(existsSync(join(dir, done.details.log))).toBe(true);
    expect(existsSync(join(dir, "experiments", "results"))).toBe(false);
  }, 600_000);

  it("params belong to external trainers: validate refuses them with the tfjs engine", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-params-"));
    writeFileSync(
      join(dir, "p.yaml"),
      "name: p\ndataset: { name: shapes }\nlabels: { protocol: full }\ndetector: { arch: ssd-lite }\nmethod: { name: supervised }\nparams: { noise: 1 }\n",
    );
    const r = await runCli(["validate", "p.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("p.yaml:6:9  params  params are read only by an external trainer");
  }, 120_000);
});
