import { describe, expect, it } from "vitest";
import type { ActiveLabels } from "../../src/spec/types.js";
import {
  ancestorsOf,
  CYCLE_PATH,
  chainedKey,
  chainKeys,
  chainStatuses,
  runCount,
} from "../../src/sweep/chains.js";
import { checkSweep, planSpec } from "../../src/sweep/plan.js";
import { runKey } from "../../src/sweep/run-key.js";
import type { RunStatus } from "../../src/sweep/run-store.js";
import { fixedIdentity, specWith } from "./spec-fixture.js";

const CODE = { code: { commit: "e".repeat(40), dirty: false }, codeIdentity: fixedIdentity("e") };
const ACTIVE: ActiveLabels = {
  protocol: "active",
  initial: { count: 20 },
  per_cycle: { count: 10 },
  cycles: 3,
  acquisition: "entropy",
  fold: 1,
  compat: "labelsweep",
};

describe("active-learning chains in the plan", () => {
  it("expands an active cell into one chain of cycle runs per seed, each keyed on its parent", () => {
    const spec = specWith({ seeds: 2 }, { labels: ACTIVE });
    const plan = planSpec(spec, CODE);
    expect(plan.columns.at(-1)).toBe(CYCLE_PATH);
    expect(plan.runs).toHaveLength(2 * 4);
    expect(runCount(plan.runs.filter((r) => r.cycle === 0))).toBe(8);
    expect(plan.runs.map((r) => r.cycle)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(plan.runs.map((r) => r.config.seed)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    for (const [i, run] of plan.runs.entries()) {
      expect((run.config.labels as ActiveLabels & { cycle: number }).cycle).toBe(run.cycle);
      expect(run.values.at(-1)).toBe(run.cycle);
      const own = runKey({
        config: JSON.parse(JSON.stringify(run.config)),
        split: null,
        code: "e".repeat(64),
      });
      if (run.cycle === 0) {
        expect(run.parents).toEqual([]);
        expect(run.key).toBe(own);
      } else {
        expect(run.parents).toEqual([plan.runs[i - 1]!.key]);
        expect(run.key).toBe(chainedKey(own, [plan.runs[i - 1]!.key]));
      }
    }
    expect(new Set(plan.runs.map((r) => r.key)).size).toBe(8);
    const byKey = new Map(plan.runs.map((r) => [r.key, r]));
    expect(ancestorsOf(plan.runs[3]!, byKey)).toEqual(plan.runs.slice(0, 3).map((r) => r.key));
    // The same spec keys the same; runs of other protocols are untouched (no cycle value).
    expect(planSpec(spec, CODE).runs.map((r) => r.key)).toEqual(plan.runs.map((r) => r.key));
    const budget = planSpec(specWith({ seeds: 2 }), CODE);
    expect(budget.columns).not.toContain(CYCLE_PATH);
    expect(budget.runs.every((r) => r.parents === undefined)).toBe(true);
  });

  it("re-keys exactly a changed cycle and its descendants", () => {
    const owns = ["a", "b", "c", "d", "e"].map((c) => c.repeat(64));
    const before = chainKeys(owns);
    const changed = [...owns];
    changed[2] = "f".repeat(64);
    const after = chainKeys(changed);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    for (let i = 2; i < 5; i++) expect(after[i]).not.toBe(before[i]);
    expect(new Set([...before, ...after]).size).toBe(5 + 3);
    // A spec change that reaches every cycle (the acquisition function) re-keys the whole chain.
    const entropy = planSpec(specWith(undefined, { labels: ACTIVE }), CODE).runs.map((r) => r.key);
    const random = planSpec(specWith(undefined, { labels: { ...ACTIVE, acquisition: "random" } }), CODE).runs;
    expect(random.map((r) => r.key).filter((k) => entropy.includes(k))).toEqual([]);
  });

  it("blocks the descendants of a failed cycle, and only those", () => {
    const plan = planSpec(specWith({ seeds: 2 }, { labels: ACTIVE }), CODE);
    const stored: RunStatus[] = ["done", "failed", "new", "new", "done", "done", "interrupted", "new"];
    expect(chainStatuses(plan.runs, stored)).toEqual([
      "done",
      "failed",
      "blocked",
      "blocked",
      "done",
      "done",
      "interrupted",
      "new",
    ]);
    // A finished child keeps its status, and its own children may run (their parent is done).
    expect(chainStatuses(plan.runs, ["failed", "done", "new", "new", "new", "new", "new", "new"])).toEqual([
      "failed",
      "done",
      "new",
      "new",
      "new",
      "new",
      "new",
      "new",
    ]);
  });

  it("validate refuses chains the engine cannot run: a classifier, a dataset labelsweep does not read, options only the built-in engine has", () => {
    const messages = (over: Parameters<typeof specWith>[1]) =>
      checkSweep(specWith(undefined, { labels: ACTIVE, ...over }), { baseChecked: false }).diagnostics.map(
        (d) => d.message,
      );
    expect(messages({})).toEqual([]);
    expect(messages({ detector: { arch: "mlc-lite" } }).join("\n")).toMatch(
      /mlc-lite is a multi-label classifier/,
    );
    expect(
      messages({
        dataset: { name: "my-data" },
        engine: { command: ["train", "{out}"], metrics: { from: "pycocotools" } },
      }).join("\n"),
    ).toMatch(/dataset "my-data" is not one labelsweep reads/);
    // Pseudo-labels with the paper's boxes or the code's run on the built-in engine.
    expect(messages({ labels: { ...ACTIVE, pseudo_labels: { threshold: 0.99 } } as ActiveLabels })).toEqual(
      [],
    );
    expect(
      messages({
        labels: { ...ACTIVE, pseudo_labels: { threshold: 0.99, pseudo_boxes: "code" } } as ActiveLabels,
      }),
    ).toEqual([]);
    // An external trainer is handed neither pseudo-labels nor the previous cycle's weights.
    const command = { engine: { command: ["train", "{out}"], metrics: { from: "pycocotools" as const } } };
    expect(
      messages({
        ...command,
        labels: { ...ACTIVE, pseudo_labels: { threshold: 0.99 } } as ActiveLabels,
      }).join("\n"),
    ).toMatch(/an external trainer \(engine.command\) is not handed them/);
    expect(
      messages({ ...command, labels: { ...ACTIVE, cycle_init: "continue" } as ActiveLabels }).join("\n"),
    ).toMatch(/only the built-in engine \(engine: tfjs\) hands over/);
  });
});
