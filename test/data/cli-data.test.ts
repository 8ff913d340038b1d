import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const specs = fileURLToPath(new URL("../fixtures/data/specs", import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), "labelsweep-cli-data-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe("labelsweep data", () => {
  it("prepare builds a spec's split once, prints its counts, and finds it in the cache next time", async () => {
    const cache = join(tmp, "cache");
    const spec = join(specs, "shapes-budget.yaml");
    const first = await runCli(["data", "prepare", spec, "--cache", cache]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/budget 25%\s+2\s+15\s+45\s+0/);
    expect(first.stdout).toContain("(1 new, 0 cached)");
    const again = await runCli(["data", "prepare", spec, "--cache", cache]);
    expect(again.stdout).toContain("(0 new, 1 cached)");
    const other = await runCli(["data", "prepare", spec, "--cache", cache, "--set", "labels.fold=5"]);
    expect(other.stdout).toMatch(/budget 25%\s+5\s+15/);
    expect(readdirSync(cache).filter((d) => d.startsWith("budget-"))).toHaveLength(2);
  });

  it("prepare builds one split per distinct (dataset, labels) pair of a sweep", async () => {
    const r = await runCli([
      "data",
      "prepare",
      join(specs, "shapes-sweep.yaml"),
      "--cache",
      join(tmp, "sweep"),
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("4 split(s) for 16 run(s)");
    for (const [pct, fold, n] of [
      ["10%", 1, 6],
      ["10%", 2, 6],
      ["30%", 1, 18],
      ["30%", 2, 18],
    ] as const) {
      expect(r.stdout).toMatch(new RegExp(`budget ${pct}\\s+${fold}\\s+${n}\\s`));
    }
  });

  it("prepare resolves dataset paths against the spec's folder", async () => {
    const r = await runCli([
      "data",
      "prepare",
      join(specs, "coco-sparse.yaml"),
      "--cache",
      join(tmp, "coco"),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sparse easy\s+1\s+4\s+0\s+0\s+4\s+5/);
  });

  it("inspect prints the manifest and fails when an output changed", async () => {
    const cache = join(tmp, "inspect");
    await runCli(["data", "prepare", join(specs, "shapes-budget.yaml"), "--cache", cache]);
    const dir = join(cache, readdirSync(cache).find((d) => d.startsWith("budget-"))!);
    const ok = await runCli(["data", "inspect", dir, "--classes"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/protocol\s+budget 25%, fold 2/);
    expect(ok.stdout).toMatch(/output\s+labeled\s+labeled\.json\s+ok/);
    expect(ok.stdout).toContain("red-circle");
    const json = JSON.parse((await runCli(["data", "inspect", join(dir, "manifest.json"), "--json"])).stdout);
    expect(json.manifest.counts.images.labeled).toBe(15);
    writeFileSync(join(dir, "unlabeled.json"), "[]");
    const bad = await runCli(["data", "inspect", dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("do not match the manifest: unlabeled.json");
    const none = await runCli(["data", "inspect", join(tmp, "nothing-here")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no manifest.json");
  });

  it("export writes COCO JSON and PNGs of a shapes spec", async () => {
    const out = join(tmp, "export");
    const r = await runCli([
      "data",
      "export",
      join(specs, "shapes-budget.yaml"),
      "--out",
      out,
      "--split",
      "eval",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wrote 10 PNG image(s)");
    expect(existsSync(join(out, "annotations/instances_eval.json"))).toBe(true);
    expect(readdirSync(join(out, "eval"))).toHaveLength(10);
    // Other datasets: the split of a run (here run 0), as COCO JSON (test/compat/export.test.ts has more).
    const split = join(tmp, "export-split");
    const notShapes = await runCli(["data", "export", join(specs, "coco-sparse.yaml"), "--out", split]);
    expect(notShapes.stderr).toBe("");
    expect(notShapes.code).toBe(0);
    expect(readdirSync(join(split, "annotations"))).toEqual(["labeled.json"]);
  });
});
