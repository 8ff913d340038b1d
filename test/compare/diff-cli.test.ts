import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type TwoCommitRepo, twoCommitRepo } from "./git-repo.js";

// `labelsweep diff` end to end on a temporary git repository (acceptance of issue 8).

interface JsonCell {
  row: Record<string, unknown>;
  column: Record<string, unknown>;
  status: string;
  delta: number;
  p: number | null;
  configChanges: unknown[];
  a: { keys: string[] };
  b: { keys: string[] };
}

let repo: TwoCommitRepo;
beforeAll(async () => {
  const r = await twoCommitRepo();
  // Only CSD's cells ran again at B: the others kept their run keys.
  expect(r.runB).toContain("12 runs: 6 done now, 0 failed, 6 done before.");
  repo = r;
});

describe("labelsweep diff A B", () => {
  it("shows exactly CSD's cells as config-drifted with Δ and p, the others unchanged with the same keys", async () => {
    const r = await runCli(["diff", repo.a, repo.b, "--format", "json"], { cwd: repo.dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.code.commits.map((c: { subject: string }) => c.subject)).toEqual(["B: csd weight 5"]);
    expect(report.code.files).toEqual(["spec.yaml"]);
    const [exp] = report.experiments;
    expect(exp.test).toBe("welch-t");
    const rows = exp.cells.map((c: JsonCell) => [
      c.row["method.name"],
      c.column["labels.fraction"],
      c.status,
      Number(c.delta.toFixed(6)),
      c.p === null ? null : Number(c.p.toFixed(4)),
      c.configChanges,
    ]);
    // AP = 30 + seed + weight (points): seeds 0..2 give 32 ± 1 at weight 1 and 36 ± 1 at weight 5.
    // scipy.stats.ttest_ind([31,32,33],[35,36,37], equal_var=False).pvalue = 0.008050
    const drift = [{ path: "method.weight", a: 1, b: 5 }];
    expect(rows).toEqual([
      ["supervised", 0.2, "same-runs", 0, 1, []],
      ["supervised", 0.5, "same-runs", 0, 1, []],
      ["csd", 0.2, "config-drift", 4, 0.008, drift],
      ["csd", 0.5, "config-drift", 4, 0.008, drift],
    ]);
    for (const c of exp.cells as JsonCell[]) {
      if (c.status === "same-runs") expect(c.a.keys).toEqual(c.b.keys);
      else expect(c.a.keys.some((k: string) => c.b.keys.includes(k))).toBe(false);
    }
  });

  it("prints a text table that names the test, and fails on a regression in the other direction", async () => {
    const text = await runCli(["diff", repo.a, repo.b], { cwd: repo.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("two-sided Welch t-test");
    expect(text.stdout).toContain("budget: 2 of 4 cells kept their run keys");
    expect(text.stdout).toMatch(
      /csd · 0\.2 +config-drift +32\.0 ± 1\.0 \(3\) +36\.0 ± 1\.0 \(3\) +\+4\.0 +0\.0080 +better +method\.weight: 1 → 5/,
    );
    expect(text.stdout).toMatch(
      /supervised · 0\.2 +same-runs +31\.0 ± 1\.0 \(3\) +31\.0 ± 1\.0 \(3\) +0\.0 +1\.0 +within noise/,
    );

    const back = await runCli(["diff", repo.b, repo.a, "--fail-on-regression", "1"], { cwd: repo.dir });
    expect(back.code).toBe(1);
    expect(back.stderr).toContain("2 cell(s) worse by more than 1 beyond noise");
    const lenient = await runCli(["diff", repo.b, repo.a, "--fail-on-regression", "5"], { cwd: repo.dir });
    expect(lenient.code).toBe(0);
  });

  it("compares HEAD with the working tree by default, and lists one-sided cells", async () => {
    const file = join(repo.dir, "results", "budget", "summary.json");
    const saved = readFileSync(file, "utf8");
    const s = JSON.parse(saved);
    s.cells = s.cells.slice(1);
    writeFileSync(file, JSON.stringify(s));
    try {
      const r = await runCli(["diff", "budget", "--format", "md"], { cwd: repo.dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("→ working tree");
      expect(r.stdout).toContain("| supervised · 0.2 | only-a |");
      expect(r.stdout).toContain("| csd · 0.2 | same-runs |");
    } finally {
      writeFileSync(file, saved);
    }
  });

  it("compares two results directories with --dirs, and names a bad input", async () => {
    const dir = join(repo.dir, "results");
    const same = await runCli(["diff", "--dirs", dir, dir], { cwd: repo.dir });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("budget: 4 of 4 cells kept their run keys");
    const bad = await runCli(["diff", repo.a, "nope"], { cwd: repo.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("experiment nope: no summary.json");
  });
});
