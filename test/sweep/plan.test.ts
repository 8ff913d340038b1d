import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../src/spec/load.js";
import type { RunConfig } from "../../src/spec/types.js";
import { checkSweep, keyExpansion, planSpec } from "../../src/sweep/plan.js";
import { runKey } from "../../src/sweep/run-key.js";
import { fixedIdentity } from "./spec-fixture.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/sweep/budget-sweep.yaml", import.meta.url));
const CODE = { code: { commit: "d".repeat(40), dirty: false }, codeIdentity: fixedIdentity("d") };

describe("planSpec", () => {
  it("keys every cell with runKey's hash, in expansion order", () => {
    const { spec } = loadSpec(FIXTURE);
    const plan = planSpec(spec, CODE);
    expect(plan.columns).toEqual([
      "method.name",
      "labels.fraction",
      "labels.protocol",
      "labels.fold",
      "seed",
    ]);
    expect(plan.runs).toHaveLength(2 * 2 * 2 * 2 + 2 * 2);
    expect(plan.runs[0]!.values).toEqual(["supervised", 0.05, "budget", 1, 0]);
    expect(plan.runs.at(-1)!.values).toEqual(["supervised", undefined, "full", 2, 1]);
    for (const run of plan.runs) {
      const plain = JSON.parse(JSON.stringify(run.config)) as RunConfig;
      expect(run.key).toBe(runKey({ config: plain, split: null, code: "d".repeat(64) }));
    }
    expect(new Set(plan.runs.map((r) => r.key)).size).toBe(plan.runs.length);
    expect(planSpec(loadSpec(FIXTURE).spec, CODE).runs.map((r) => r.key)).toEqual(
      plan.runs.map((r) => r.key),
    );
  });

  it("fills schema defaults of swept blocks, so a swept method keys like one written in the base", () => {
    const dir = mkdtempSync(join(tmpdir(), "sweep-plan-"));
    const base = (method: string, sweep: string) => {
      const file = join(dir, `${method}-${sweep === "" ? "direct" : "swept"}.yaml`);
      writeFileSync(
        file,
        [
          "name: defaults",
          "dataset: {name: shapes}",
          "labels: {protocol: budget, fraction: 0.1}",
          "detector: {arch: ssd-lite}",
          `method: {name: ${method}}`,
          "train: {iterations: 10}",
          "engine: tfjs",
          sweep,
        ].join("\n"),
      );
      return planSpec(loadSpec(file).spec, CODE).runs;
    };
    const swept = base("supervised", "sweep: {grid: {method.name: [supervised, csd]}}");
    const direct = base("csd", "");
    expect(swept[1]!.config.method).toEqual(direct[0]!.config.method);
    expect(swept[1]!.config.method).toHaveProperty("ramp_up", 0.267);
    expect(swept[1]!.key).toBe(direct[0]!.key);
  });

  it("checks the base spec's own method × detector × labels when it runs, unless the caller already did", () => {
    const dir = mkdtempSync(join(tmpdir(), "sweep-plan-"));
    const file = join(dir, "scob.yaml");
    writeFileSync(
      file,
      [
        "name: scob-on-ssd",
        "dataset: {name: shapes}",
        "labels: {protocol: single-positive}",
        "detector: {arch: ssd-lite}",
        "method: {name: scob}",
        "eval: {type: coco}",
        "sweep: {seeds: 2}",
      ].join("\n"),
    );
    const { spec, locate } = loadSpec(file);
    const problems = checkSweep(spec, { locate }).diagnostics;
    expect(problems.map((d) => [d.location?.line, d.path.join(".")])).toEqual([[5, "method.name"]]);
    expect(() => planSpec(spec, { ...CODE, locate })).toThrow(
      /method "scob" does not run on detector "ssd-lite"/,
    );
    expect(checkSweep(spec, { locate, baseChecked: true }).diagnostics).toEqual([]);
  });

  it("asks for the split hash once per dataset × labels block, and keys with it", () => {
    const { spec } = loadSpec(FIXTURE);
    const asked: string[] = [];
    const plan = planSpec(spec, {
      ...CODE,
      splitHash: (config) => {
        asked.push(JSON.stringify(config.labels));
        return `split-${config.labels.protocol}-${config.labels.fold}`;
      },
    });
    // 2 budgets × 2 folds + full × 2 folds.
    expect(asked).toHaveLength(6);
    expect(plan.runs[0]!.split).toBe("split-budget-1");
    const plain = JSON.parse(JSON.stringify(plan.runs[0]!.config)) as RunConfig;
    expect(plan.runs[0]!.key).toBe(runKey({ config: plain, split: "split-budget-1", code: "d".repeat(64) }));
    expect(plan.runs[0]!.key).not.toBe(planSpec(spec, CODE).runs[0]!.key);
    // Check once, then key with the hashes: the same plan.
    const { expansion } = checkSweep(spec);
    const later = keyExpansion(spec, expansion!, {
      ...CODE,
      splitHash: (c) => `split-${c.labels.protocol}-${c.labels.fold}`,
    });
    expect(later.runs.map((r) => r.key)).toEqual(plan.runs.map((r) => r.key));
  });
});
