import { describe, expect, it } from "vitest";
import { diffSummaries, regressions } from "../../src/results/diff.js";
import { configChanges } from "../../src/results/diff-config.js";
import { formatDiffText } from "../../src/results/diff-format.js";
import { compareSets } from "../../src/results/diff-report.js";
import type { Summary } from "../../src/results/summary.js";
import type { RunConfig } from "../../src/spec/types.js";

// diffSummaries on hand-made summaries: Δ and Welch p-values (checked against
// scipy.stats.ttest_ind(a, b, equal_var=False)), drift classes, one-sided cells.

const config = (weight: number) =>
  ({ method: { name: "csd", weight }, labels: { fraction: 0.1 } }) as unknown as RunConfig;

function cell(
  method: string,
  fraction: number,
  values: number[],
  opts: { config?: string; keyTag?: string; split?: string } = {},
) {
  return {
    row: { "method.name": method },
    column: { "labels.fraction": fraction },
    config: opts.config ?? "c1",
    expected: values.length,
    failed: 0,
    runs: values.map((v, i) => ({
      key: `${method}-${fraction}-${i}-${opts.keyTag ?? "k"}`,
      seed: i,
      fold: null,
      status: "done" as const,
      metrics: { AP: v },
      split: opts.split ?? `s${fraction}`,
    })),
    stats: {},
  };
}

function summary(cells: Summary["cells"], environment: Record<string, string[]> = {}): Summary {
  return {
    experiment: "exp",
    summaryVersion: 2,
    table: { rows: ["method.name"], columns: ["labels.fraction"], metric: "AP" },
    configs: { c1: config(1), c2: config(2) },
    cells,
    references: [],
    environment,
  };
}

describe("diffSummaries", () => {
  const a = summary(
    [
      cell("sup", 0.1, [0.3, 0.31, 0.32]),
      cell("csd", 0.1, [0.3, 0.32, 0.31]),
      cell("mt", 0.1, [0.2, 0.21]),
      cell("st", 0.1, [0.4, 0.41]),
      cell("old", 0.1, [0.1, 0.1]),
    ],
    { backend: ["tfjs-node"], commit: ["aaa"] },
  );
  const b = summary(
    [
      cell("sup", 0.1, [0.3, 0.31, 0.32]),
      cell("csd", 0.1, [0.35, 0.36, 0.34], { config: "c2", keyTag: "new" }),
      cell("mt", 0.1, [0.15, 0.16], { keyTag: "new" }),
      cell("st", 0.1, [0.4, 0.41], { split: "other", keyTag: "new" }),
      cell("new", 0.1, [0.5]),
    ],
    { backend: ["tfjs-node-gpu"], commit: ["bbb"] },
  );
  const d = diffSummaries(a, b);
  const byRow = (m: string) => d.cells.find((c) => c.row["method.name"] === m)!;

  it("classifies cells by why they may differ", () => {
    expect(d.cells.map((c) => [c.row["method.name"], c.status])).toEqual([
      ["sup", "same-runs"],
      ["csd", "config-drift"],
      ["mt", "re-run"],
      ["st", "split-drift"],
      ["new", "only-b"],
      ["old", "only-a"],
    ]);
    expect(byRow("csd").configChanges).toEqual([{ path: "method.weight", a: 1, b: 2 }]);
  });

  it("gives Δ in the table's scale and Welch p-values", () => {
    const csd = byRow("csd");
    expect(csd.delta).toBeCloseTo(4.0, 10);
    // scipy.stats.ttest_ind([30,32,31],[35,36,34], equal_var=False).pvalue = 0.008049
    expect(csd.p).toBeCloseTo(0.008049, 5);
    expect(csd.beyondNoise).toBe(true);
    expect(csd.worse).toBe(false);
    const mt = byRow("mt");
    // ttest_ind([20,21],[15,16], equal_var=False).pvalue = 0.019419 (t = 7.071, df = 2)
    expect(mt.p).toBeCloseTo(0.019419, 5);
    expect(mt.worse).toBe(true);
    expect(byRow("sup").p).toBe(1);
    expect(byRow("sup").beyondNoise).toBe(false);
    expect(byRow("new").p).toBeNull();
  });

  it("reports environment drift apart from the commit", () => {
    expect(d.environment).toEqual([{ key: "backend", a: ["tfjs-node"], b: ["tfjs-node-gpu"] }]);
    expect(d.runCommits).toEqual({ a: ["aaa"], b: ["bbb"] });
  });

  it("finds regressions beyond a threshold, honouring best: min", () => {
    expect(regressions(d, 1).map((c) => c.row["method.name"])).toEqual(["mt"]);
    expect(regressions(d, 5)).toEqual([]);
    const lowerBetter = diffSummaries(
      { ...a, table: { ...a.table, best: "min" } },
      { ...b, table: { ...b.table, best: "min" } },
    );
    expect(regressions(lowerBetter, 1).map((c) => c.row["method.name"])).toEqual(["csd"]);
  });

  it("says a cell with one run per side is undetermined, and prints the test used", () => {
    const one = diffSummaries(summary([cell("x", 0.1, [0.3])]), summary([cell("x", 0.1, [0.9])]));
    expect(one.cells[0]!.p).toBeNull();
    expect(one.cells[0]!.beyondNoise).toBe(false);
    const text = formatDiffText(
      compareSets(
        { label: "A", summaries: new Map([["exp", a]]) },
        { label: "B", summaries: new Map([["exp", b]]) },
      ),
    );
    expect(text).toContain("two-sided Welch t-test");
    expect(text).toMatch(
      /csd · 0\.1 +config-drift +31\.0 ± 1\.0 \(3\) +35\.0 ± 1\.0 \(3\) +\+4\.0 +0\.0080 +better +method\.weight: 1 → 2/,
    );
    expect(text).toContain("environment drift: backend: tfjs-node → tfjs-node-gpu");
  });

  it("rejects a metric the table does not have", () => {
    expect(() => diffSummaries(a, b, { metric: "AP50" })).toThrow(/--metric AP50/);
  });
});

describe("configChanges", () => {
  it("lists changed, added and removed dotted keys; arrays whole", () => {
    expect(configChanges({ a: { x: 1, y: [1, 2] }, b: 1 }, { a: { x: 1, y: [1, 3], z: "new" } })).toEqual([
      { path: "a.y", a: [1, 2], b: [1, 3] },
      { path: "a.z", b: "new" },
      { path: "b", a: 1 },
    ]);
  });
});
