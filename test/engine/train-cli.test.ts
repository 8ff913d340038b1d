import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const SPEC = "test/fixtures/engine/tiny-train.yaml";

describe("labelsweep train", () => {
  it("trains one run of a spec on shapes, writes predictions and prints the COCO summary", async () => {
    const results = mkdtempSync(join(tmpdir(), "ls-train-"));
    const r = await runCli(["train", SPEC, "--results", results, "--every", "4"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1\/12 {2}loss /m);
    expect(r.stdout).toMatch(/^12\/12 {2}loss /m);
    expect(r.stdout).toMatch(/backend: wasm — /);
    expect(r.stdout).toContain("Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]");
    const file = /predictions: (.*)$/m.exec(r.stdout)![1]!;
    expect(existsSync(file)).toBe(true);
  });

  it("prints JSON lines with --json, ending with the metrics", async () => {
    const results = mkdtempSync(join(tmpdir(), "ls-train-"));
    const r = await runCli(["train", SPEC, "--results", results, "--json", "--set", "train.iterations=3"]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.type === "progress")).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({ backend: "wasm", metrics: { AP50: expect.any(Number) } });
  });

  it("rejects an unknown backend and a run index outside the plan", async () => {
    const a = await runCli(["train", SPEC, "--backend", "tpu"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--backend tpu: expected one of auto, tensorflow, webgpu, wasm, cpu");
    const b = await runCli(["train", SPEC, "--run", "7"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("the plan has 1 run(s)");
  });
});
