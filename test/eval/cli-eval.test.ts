import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { loadCase } from "./cases.js";

// End to end through the built CLI, on a fixture case with pycocotools' own printout.

function writeCase(name: string): { gt: string; dt: string; expected: Record<string, unknown> } {
  const c = loadCase(name);
  const dir = mkdtempSync(join(tmpdir(), "labelsweep-eval-"));
  const gt = join(dir, "gt.json");
  const dt = join(dir, "dt.json");
  writeFileSync(gt, JSON.stringify(c.gt));
  writeFileSync(dt, JSON.stringify(c.dt));
  return { gt, dt, expected: c.expected };
}

describe("labelsweep eval", () => {
  const c = writeCase("coco-default");

  it("prints pycocotools' 12-line summary, character for character", async () => {
    const r = await runCli(["eval", "--gt", c.gt, "--dt", c.dt]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(c.expected.summaryText);
    expect(r.stderr).toContain("warning: 18 × detections of a category that is not in the ground truth");
  });

  it("--json gives every stat at full precision", async () => {
    const r = await runCli(["eval", "--gt", c.gt, "--dt", c.dt, "--type", "coco", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.type).toBe("coco");
    expect(Object.values(report.metrics)).toEqual(c.expected.stats);
    expect(report.perCategory.map((p: { ap: number | null }) => p.ap)).toEqual(c.expected.perCategoryAp);
  });

  it("--type voc07 prints the devkit port's per-class lines and the mean", async () => {
    const v = writeCase("voc07-default");
    // The case's expected values follow labelsweep's corrected rules (full-precision scores, classes without
    // positives left out); test/compat/ checks the detectron2 and ssd-pytorch modes against their code.
    const r = await runCli(["eval", "--gt", v.gt, "--dt", v.dt, "--type", "voc07", "--compat", "corrected"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("VOC07 metric? Yes");
    expect(lines[1]).toBe("AP for class1 = n/a (no positives)");
    expect(lines.at(-1)).toBe(`Mean AP = ${(v.expected.mAP as number).toFixed(4)}`);
    expect(r.stderr).toContain("warning: 1 × classes without non-difficult ground truth");
  });

  it("exits 2 with the file and line of broken JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labelsweep-eval-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '[\n  {"image_id": 1,\n  }\n]');
    const r = await runCli(["eval", "--gt", c.gt, "--dt", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: the predictions file is not valid JSON at line 3`);
    const missing = await runCli(["eval", "--gt", join(dir, "nope.json"), "--dt", c.dt]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the ground-truth file (ENOENT)");
  });

  it("exits 2 on a bad flag value or eval type", async () => {
    const r = await runCli(["eval", "--gt", c.gt, "--dt", c.dt, "--max-dets", "1,x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-dets: expected comma-separated numbers, got "1,x"');
    const t = await runCli(["eval", "--gt", c.gt, "--dt", c.dt, "--type", "kitti"]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('unknown eval type "kitti"');
  });
});
