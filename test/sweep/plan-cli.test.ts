import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/sweep/budget-sweep.yaml", import.meta.url));
const BAD = fileURLToPath(new URL("../fixtures/sweep/bad/zip-length.yaml", import.meta.url));

interface JsonPlan {
  experiment: string;
  code: { commit: string };
  columns: string[];
  counts: Record<string, number>;
  runs: {
    key: string;
    short: string;
    status: string;
    values: Record<string, unknown>;
    config: { seed: number };
  }[];
}

describe("labelsweep plan", () => {
  const results = mkdtempSync(join(tmpdir(), "sweep-cli-"));

  it("prints the runs with short keys, swept values and status, then the counts", async () => {
    const r = await runCli(["plan", FIXTURE, "--results", results]);
    // 50 iterations of batch 8 are 2 passes over 200 labelled images: plan warns (issue 17 §8).
    expect(r.stderr).toMatch(
      /^warning: .* see each labelled image 2\.0 times \(50 iterations × 8 labelled images per step \/ 200 labelled images\)/m,
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^plan budget-sweep {2}commit /);
    expect(lines[1]).toMatch(
      /^code [0-9a-f]{12} {2}built-in tfjs engine: labelsweep \d+\.\d+\.\d+ \(\d+ files, method supervised\)/,
    );
    // One code line per identity: each method's runs have their own (its method file is part of it).
    const header = lines.findIndex((l) => l.startsWith("key "));
    expect(
      lines.slice(1, header - 1).every((l) => /^code [0-9a-f]{12} {2}built-in tfjs engine: /.test(l)),
    ).toBe(true);
    expect(lines[header]).toMatch(
      /^key\s+method\.name\s+labels\.fraction\s+labels\.protocol\s+labels\.fold\s+seed\s+status$/,
    );
    expect(lines[header + 1]).toMatch(/^[0-9a-f]{12}\s+supervised\s+0\.05\s+budget\s+1\s+0\s+new$/);
    expect(r.stdout).toContain("\n20 runs: 20 new, 0 done, 0 failed, 0 running\n");
  });

  it("--json gives full keys and configs; status comes from results/<experiment>/runs/<key>/state.json", async () => {
    const first = JSON.parse(
      (await runCli(["plan", FIXTURE, "--results", results, "--json"])).stdout,
    ) as JsonPlan;
    expect(first.experiment).toBe("budget-sweep");
    expect(first.runs).toHaveLength(20);
    expect(first.runs[0]!.key).toMatch(/^[0-9a-f]{64}$/);
    expect(first.runs[0]!.short).toBe(first.runs[0]!.key.slice(0, 12));
    expect(first.runs[1]!.values).toEqual({
      "method.name": "supervised",
      "labels.fraction": 0.05,
      "labels.protocol": "budget",
      "labels.fold": 1,
      seed: 1,
    });
    expect(first.runs[1]!.config.seed).toBe(1);

    const state = (i: number, body: object) => {
      const dir = join(results, "budget-sweep", "runs", first.runs[i]!.key);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "state.json"),
        JSON.stringify({ attempt: 1, restarts: 0, updated: new Date().toISOString(), ...body }),
      );
    };
    state(0, { status: "done" });
    state(1, { status: "failed" });
    state(2, { status: "running", pid: process.pid, host: hostname() });
    const again = JSON.parse(
      (await runCli(["plan", FIXTURE, "--results", results, "--json"])).stdout,
    ) as JsonPlan;
    expect(again.runs.slice(0, 4).map((r) => r.status)).toEqual(["done", "failed", "running", "new"]);
    expect(again.counts).toMatchObject({ total: 20, new: 17, done: 1, failed: 1, running: 1 });
    const table = await runCli(["plan", FIXTURE, "--results", results]);
    expect(table.stdout).toContain("\n20 runs: 17 new, 1 done, 1 failed, 1 running\n");
  });

  it("--set and --sweep change the plan; --max-runs caps it", async () => {
    const set = JSON.parse(
      (await runCli(["plan", FIXTURE, "--results", results, "--json", "--set", "train.lr=0.02"])).stdout,
    ) as JsonPlan;
    const base = JSON.parse(
      (await runCli(["plan", FIXTURE, "--results", results, "--json"])).stdout,
    ) as JsonPlan;
    expect(set.runs[0]!.key).not.toBe(base.runs[0]!.key);
    const swept = await runCli(["plan", FIXTURE, "--results", results, "--sweep", "train.lr=0.01,0.02"]);
    // The grid doubles; the include row is not crossed with grid axes (only with folds and seeds).
    expect(swept.stdout).toContain("\n36 runs: ");
    // A swept learning rate that is neither a row nor a column would be averaged into every cell: said once.
    expect(swept.stderr).toContain(
      "warning: table cells average runs that differ in train.lr (swept, but not among table.rows or table.columns)",
    );
    // Seeds, folds and the include row's protocol are not mixing: the plain plan says nothing of it.
    expect((await runCli(["plan", FIXTURE, "--results", results])).stderr).not.toContain("table cells");
    const shown = await runCli([
      "plan",
      FIXTURE,
      "--results",
      results,
      "--sweep",
      "train.lr=0.01,0.02",
      "--set",
      "table.rows=[method.name, train.lr]",
    ]);
    expect(shown.stderr).not.toContain("table cells");
    const capped = await runCli(["plan", FIXTURE, "--results", results, "--max-runs", "10"]);
    expect(capped.code).toBe(2);
    expect(capped.stderr).toContain("over the cap of 10; shrink it, or pass --max-runs 20");
  });

  it("exits 2 with every problem located, writing nothing", async () => {
    const r = await runCli(["plan", BAD, "--results", results]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('zip-length.yaml:6:7  sweep.zip[0]["train.iterations"]  zip group 0');
    expect(r.stderr).toContain("1 problem found; nothing was run or written.");
  });

  it("prints swept blocks as the keys that differ within their variant", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sweep-blocks-"));
    writeFileSync(
      join(dir, "blocks.yaml"),
      `name: blocks
dataset: { name: shapes, train_images: 40, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.1 }
detector: { arch: ssd-lite, width: 8 }
method: { name: supervised }
train: { epochs: 30, batch: 4 }
sweep:
  grid:
    method: [{ name: supervised }, { name: csd, ramp_up: 0.3 }, { name: csd, weight: 2 }]
  include: [{ train.lr: 0.02 }]
`,
    );
    const r = await runCli(["plan", "blocks.yaml"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .split("\n")
      .filter((l) => /^[0-9a-f]{12} /.test(l))
      .map((l) => l.slice(14).trim().split(/ {2,}/));
    // An include run shows the values it resolves to (the base spec's method and lr); a path a run
    // lacks altogether shows – (test/exec/command-daily.test.ts: engine.cwd).
    expect(rows).toEqual([
      ["supervised", "0.01", "new"],
      ["csd(ramp_up=0.3,weight=1)", "0.01", "new"],
      ["csd(weight=2,ramp_up=0.267)", "0.01", "new"],
      ["supervised", "0.02", "new"],
    ]);
  });
});
