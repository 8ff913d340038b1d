import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { standInArgv } from "../helpers/run-dirs.js";

// "Did my method help at which budget?" (issue 17 §7), through the built CLI:
// `report <spec>` with no finished run is refused and writes nothing; with runs
// it goes to results/<experiment>/report.html and shows every metric of the
// table, a log budget axis when budgets span more than 10×, the Δ-vs-baseline
// plot (table.baseline) and a run list with status, duration and links to each
// run's folder and log. The stand-in trainer's AP is 0.3 + seed/100 + weight/100,
// so CSD (weight 3) is 3 points above supervised in every cell.

function specText(): string {
  const argv = [
    ...standInArgv(),
    "--steps",
    "1",
    "--config",
    "{config}",
    "--tag",
    "{method.name}-{labels.fraction}-{seed}",
    "--fail-when",
    "csd-0.5-1",
  ];
  return `name: rep
dataset: { name: shapes, train_images: 200, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.02 }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify(argv)}
  metrics: { from: pycocotools }
eval: { type: coco }
train: { iterations: 1 }
sweep:
  grid:
    method: [{ name: supervised }, { name: csd, weight: 3 }]
    labels.fraction: [0.02, 0.5]
  seeds: 2
table: { rows: [method.name], columns: [labels.fraction], metric: [AP50, AP], baseline: { method.name: supervised } }
`;
}

describe("labelsweep report <spec>", () => {
  it("refuses without finished runs, then answers the budget question in results/<experiment>/report.html", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-report-"));
    writeFileSync(join(dir, "spec.yaml"), specText());
    const out = join(dir, "results", "rep", "report.html");

    const none = await runCli(["report", "spec.yaml"], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no finished runs in rep: nothing to report, no report written");
    expect(existsSync(out)).toBe(false);

    const run = await runCli(["run", "spec.yaml", "--jobs", "2"], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1); // one run fails on purpose
    expect(run.stdout).toContain("7 done now, 1 failed.");

    const r = await runCli(["report", "spec.yaml"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // Budget and Δ-vs-baseline plots (the stand-in trainer records no loss curve or per-class AP).
    expect(r.stdout).toContain("wrote results/rep/report.html (2 plots)");
    expect(existsSync(join(dir, "report.html"))).toBe(false);
    const html = readFileSync(out, "utf8");

    // Every metric of the table: the budget plot has one panel per metric.
    const budget = html.match(/<figure data-chart="rep-budget">[\s\S]*?<\/figure>/)?.[0] ?? "";
    expect(budget).toContain("<figcaption>AP50, AP vs label budget");
    expect(budget).toMatch(/>AP50</);
    expect(budget).toMatch(/>AP</);
    // 0.02 → 0.5 spans 25×: the budget axis is logarithmic.
    expect(budget).toContain("labels.fraction (log scale)");

    // The Δ-vs-baseline plot, and the table's Δ against supervised (+3.0 on AP at the 2 % budget).
    expect(html).toContain('<figure data-chart="rep-baseline">');
    const table = html.match(/<table[\s\S]*?<\/table>/)?.[0] ?? "";
    expect(table).toContain("+3.0");

    // The run list: every run, its status, duration and links to its folder and log (relative to the report).
    const runs = html.match(/<details class="runs"[\s\S]*?<\/details>/)?.[0] ?? "";
    expect(runs).toContain("Runs: 7 of 8 done");
    expect(runs.match(/<tr data-status="done">/g)).toHaveLength(7);
    expect(runs.match(/<tr data-status="failed">/g)).toHaveLength(1);
    const logs = [...runs.matchAll(/href="(runs\/[0-9a-f]+\/log)"/g)].map((m) => m[1]!);
    expect(logs).toHaveLength(8);
    for (const log of logs) expect(existsSync(join(dir, "results", "rep", log))).toBe(true);
    expect(runs).toMatch(/href="runs\/[0-9a-f]+\/?"/);
    // A duration in every row: the time cell before the log link is never "—".
    expect(runs).not.toContain('<td>—</td><td><a href="runs/');
  }, 300_000);

  it("keeps a linear budget axis when the budgets span 10× or less", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-report-lin-"));
    writeFileSync(
      join(dir, "spec.yaml"),
      specText()
        .replace("labels.fraction: [0.02, 0.5]", "labels.fraction: [0.1, 0.5]")
        .replace("0.02 }", "0.1 }"),
    );
    expect((await runCli(["run", "spec.yaml", "--jobs", "2"], { cwd: dir })).code).toBe(1);
    const r = await runCli(["report", "spec.yaml", "--out", "r.html"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    expect(html).toContain("labels.fraction</text>");
    expect(html).not.toContain("(log scale)");
  }, 300_000);
});
