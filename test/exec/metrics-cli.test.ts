import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FAKE_TRAINER } from "../helpers/run-dirs.js";

// Item 4 of issue 11 through the built CLI: a metric that is not a number, a
// metric the table needs that the run lacks, the scale of parsed metrics, and
// a corrupt metrics.json of a finished run — each reported, never a silent "—".

const LINES = [
  '{"AP": 0.41}', // seed 0: fine (fractions)
  '{"AP": "n/a"}', // seed 1: not a number
  '{"AP50": 0.5}', // seed 2: no AP, which the table shows
  '{"AP": 3000}', // seed 3: no scale makes this a fraction
  '{"AP": 41.2}', // seed 4: percent, detected
];

function spec(dir: string): string {
  const file = join(dir, "spec.yaml");
  const argv = [process.execPath, FAKE_TRAINER, "--out", "{out}", "--seed", "{seed}", "--steps", "1"];
  writeFileSync(
    file,
    `name: metrics
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: full }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify([...argv, "--format", "jsonl", "--jsonl-by-seed", JSON.stringify(LINES)])}
  metrics: { from: jsonl, file: metrics.jsonl }
eval: { type: coco }
sweep: { seeds: ${LINES.length} }
table: { rows: [method.name], columns: [], metric: AP }
`,
  );
  return file;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

describe("metrics of external trainers", () => {
  it("fails runs whose metrics are not numbers, lack the table's metric, or are no fraction; detects percent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-metrics-"));
    const file = spec(dir);
    const r = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("5 runs: 2 done now, 3 failed.");
    expect(r.stdout).toMatch(/FAILED [0-9a-f]{12}: JSON lines: line 1: metric AP is "n\/a", not a number/);
    expect(r.stdout).toMatch(
      /FAILED [0-9a-f]{12}: the table needs AP, but the run's metrics \(jsonl\) have AP50/,
    );
    expect(r.stdout).toMatch(
      /FAILED [0-9a-f]{12}: metric AP = 3000 is not a percentage \(0–100\) \(detected percent\)/,
    );
    // seeds 0 and 4: 0.41 and 41.2 % → 41.1 ± 0.1 over 2 of 5 runs, † for the failed ones.
    expect(r.stdout).toContain("| supervised | 41.1 ± 0.1 (2/5)† |");

    const plan = JSON.parse((await runCli(["plan", file, "--json"], { cwd: dir })).stdout) as {
      runs: { key: string; config: { seed: number } }[];
    };
    const dirOf = (seed: number) =>
      join(dir, "results", "metrics", "runs", plan.runs.find((x) => x.config.seed === seed)!.key);
    expect(readJson(join(dirOf(4), "metrics.json")).scale).toEqual({
      scale: "percent",
      how: "detected",
      evidence: "AP = 41.2 > 1",
    });
    expect(readFileSync(join(dirOf(4), "log"), "utf8")).toContain(
      "metrics read as percentages (divided by 100) (detected: AP = 41.2 > 1)",
    );
    expect(readJson(join(dirOf(1), "state.json"))).toMatchObject({ status: "failed" });

    // A finished run's metrics.json goes bad: the table says so and counts it failed
    // (and does not replace the summary that had it finished without --force).
    writeFileSync(join(dirOf(0), "metrics.json"), '{"key": "x", "metr');
    const kept = await runCli(["table", file], { cwd: dir });
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain(
      "1 of 5 planned runs found — 1 finished run now has metrics that cannot be used (see the notes).",
    );
    const table = await runCli(["table", file, "--force"], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stderr).toMatch(/note: run [0-9a-f]{12}: finished, but .*metrics\.json is not valid JSON/);
    expect(table.stdout).toContain("| supervised | 41.2 (1/5)† |");
    const summary = readJson(join(dir, "results", "metrics", "summary.json"));
    const runs = summary.cells[0].runs as { status: string; problem?: string }[];
    expect(runs.filter((x) => x.problem).map((x) => x.status)).toEqual(["failed"]);
    expect(readdirSync(join(dir, "results", "metrics", "runs"))).toHaveLength(5);
  });
});
