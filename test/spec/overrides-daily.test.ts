import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

// Overrides that never surprise (issue 17 §4), through the built CLI:
// a --set on a swept path pins the axis (the same for plan, run and table),
// Hydra-style positional overrides, extends that switches a variant, and
// two specs with one name.

const BASE = `dataset: { name: shapes, train_images: 40, eval_images: 10, image_size: 32, classes: 3 }
detector: { arch: ssd-lite, width: 8 }
method: { name: supervised }
train: { epochs: 30, batch: 4 }
`;

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

interface PlanJson {
  runs: {
    key: string;
    values: Record<string, unknown>;
    config: { seed: number; labels: { fraction?: number }; train: { lr: number } };
  }[];
}
const plan = async (args: string[], cwd: string) => {
  const r = await runCli(["plan", ...args, "--json"], { cwd });
  expect(r.code, r.stderr).toBe(0);
  return { json: JSON.parse(r.stdout) as PlanJson, stderr: r.stderr };
};

describe("overrides", () => {
  it("--set on a swept path pins the axis, the same in plan, run and table; positional overrides are shorthand", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-pin-"));
    write(
      dir,
      "grid.yaml",
      `name: grid\n${BASE}labels: { protocol: budget, fraction: 0.1 }
sweep:
  grid: { labels.fraction: [0.1, 0.3] }
  seeds: 2
  include: [{ labels.fraction: 0.5, seed: 7 }]
table: { rows: [method.name], columns: [labels.fraction], metric: AP }
`,
    );
    const full = await plan(["grid.yaml"], dir);
    expect(full.json.runs).toHaveLength(5);
    const pinned = await plan(["grid.yaml", "--set", "labels.fraction=0.3"], dir);
    expect(pinned.json.runs.map((r) => r.config.labels.fraction)).toEqual([0.3, 0.3]);
    expect(pinned.stderr).toContain(
      'note: --set labels.fraction=0.3 pins the sweep axis sweep.grid["labels.fraction"] to 0.3 (it listed 0.1, 0.3)',
    );
    expect(pinned.stderr).toContain("drops 1 sweep.include entry that set labels.fraction to another value");
    // The pinned runs are the full sweep's runs (same keys), and positional overrides say the same.
    expect(pinned.json.runs.map((r) => r.key)).toEqual(full.json.runs.slice(2, 4).map((r) => r.key));
    const positional = await plan(["grid.yaml", "labels.fraction=0.3"], dir);
    expect(positional.json.runs.map((r) => r.key)).toEqual(pinned.json.runs.map((r) => r.key));
    // seed pins sweep.seeds; a comma makes a sweep axis (like --sweep).
    const seed = await plan(["grid.yaml", "seed=1", "train.lr=0.01,0.02"], dir);
    expect(seed.json.runs.map((r) => [r.config.labels.fraction, r.config.train.lr, r.config.seed])).toEqual([
      [0.1, 0.01, 1],
      [0.1, 0.02, 1],
      [0.3, 0.01, 1],
      [0.3, 0.02, 1],
    ]);
    // run and table pin the same way.
    const dry = await runCli(["run", "grid.yaml", "labels.fraction=0.3", "--dry-run"], { cwd: dir });
    expect(dry.stdout).toContain("dry run: 2 run(s) would execute");
    expect(dry.stderr).toContain("pins the sweep axis");
    const table = await runCli(["table", "grid.yaml", "--set", "labels.fraction=0.3"], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stderr).toContain("pins the sweep axis");
    expect(table.stdout).toContain("| method.name | 0.3 |");
  }, 600_000);

  it("zip rows are kept by value; an override that only part of an axis would set is refused, naming the axis", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-pin-"));
    write(
      dir,
      "zip.yaml",
      `name: zip\n${BASE}labels: { protocol: budget, fraction: 0.1 }
sweep:
  zip: [{ labels.fraction: [0.1, 0.3], train.lr: [0.01, 0.02] }]
`,
    );
    const kept = await plan(["zip.yaml", "labels.fraction=0.3"], dir);
    expect(kept.json.runs.map((r) => [r.config.labels.fraction, r.config.train.lr])).toEqual([[0.3, 0.02]]);
    const none = await runCli(["plan", "zip.yaml", "labels.fraction=0.5"], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "sweep.zip[0] pairs labels.fraction with train.lr, and 0.5 is none of its values (0.1, 0.3)",
    );
    write(
      dir,
      "blocks.yaml",
      `name: blocks\n${BASE.replace("method: { name: supervised }\n", "")}labels: { protocol: budget, fraction: 0.1 }
method: { name: supervised }
sweep:
  grid:
    method: [{ name: supervised }, { name: csd, weight: 2 }]
`,
    );
    const part = await runCli(["plan", "blocks.yaml", "--set", "method.weight=3"], { cwd: dir });
    expect(part.code).toBe(2);
    expect(part.stderr).toContain(
      '--set method.weight=3: sweep.grid["method"] sets whole method values, which replace method.weight',
    );
  }, 300_000);

  it("a child that switches a variant drops the parent's keys it lacks; an inherited problem points at the child", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-extends-"));
    write(dir, "base.yaml", `name: base\n${BASE}labels: { protocol: budget, fraction: 0.1, fold: 2 }\n`);
    write(
      dir,
      "sparse.yaml",
      "extends: base.yaml\nname: sparse\nlabels:\n  protocol: sparse\n  level: easy\n",
    );
    const config = await runCli(["config", "sparse.yaml", "--json"], { cwd: dir });
    expect(config.code, config.stderr).toBe(0);
    // fraction (budget only) is gone; fold (both variants have it) stays.
    expect(JSON.parse(config.stdout).config.labels).toEqual({
      protocol: "sparse",
      level: "easy",
      fold: 2,
      keep_at_least_one: true,
      crowd: "keep",
    });
    write(
      dir,
      "ssd.yaml",
      `name: ssd\n${BASE.replace("width: 8", "width: 8, levels: 2")}labels: { protocol: full }\n`,
    );
    write(dir, "retina.yaml", "extends: ssd.yaml\nname: retina\ndetector:\n  arch: retinanet-lite\n");
    const bad = await runCli(["validate", "retina.yaml"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "retina.yaml:4:3  detector.levels  expected a number >= 3, got 2 (inherited; detector became retinanet-lite here, it was ssd-lite)",
    );
    expect(bad.stderr).toMatch(
      /inherited from ssd\.yaml:3:47\n {2}3 \| detector: \{ arch: ssd-lite, width: 8, levels: 2 \}/,
    );
  }, 300_000);

  it("two specs with one name are refused; results live under the project whatever the current folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-names-"));
    mkdirSync(join(dir, "experiments"));
    const spec = `${BASE}labels: { protocol: full }\ntable: { rows: [method.name], columns: [], metric: AP }\n`;
    write(join(dir, "experiments"), "a.yaml", `name: same\n${spec}`);
    write(join(dir, "experiments"), "b.yaml", `name: same\n${spec}`);
    const both = await runCli(["validate", "experiments/a.yaml", "experiments/b.yaml"], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('name "same" is used by experiments/a.yaml, experiments/b.yaml');
    const first = await runCli(["table", "a.yaml"], { cwd: join(dir, "experiments") });
    expect(first.code, first.stderr).toBe(0);
    // Written under the project (the folder holding experiments/), not experiments/results.
    expect(JSON.parse(readFileSync(join(dir, "results", "same", "experiment.json"), "utf8"))).toEqual({
      spec: "experiments/a.yaml",
    });
    const second = await runCli(["table", "experiments/b.yaml"], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('its name "same" is already used by');
    expect(second.stderr).toContain("Give this spec another `name:`, or use --results");
    // Renamed, it has its own folder.
    write(join(dir, "experiments"), "b.yaml", `name: other\n${spec}`);
    expect((await runCli(["table", "experiments/b.yaml"], { cwd: dir })).code).toBe(0);
  }, 300_000);
});
