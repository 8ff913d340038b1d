import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/spec/types.js";
import { expandSweep } from "../../src/sweep/expand.js";
import { specWith } from "./spec-fixture.js";
import { yamlSpec } from "./yaml-spec.js";

const rows = (sweep: Parameters<typeof specWith>[0], over = {}) => {
  const e = expandSweep(specWith(sweep, over));
  expect(e.diagnostics).toEqual([]);
  return { columns: e.columns, values: e.cells.map((c) => c.values), cells: e.cells };
};

describe("grid", () => {
  it("is the cartesian product, axes in the order written, the last varying fastest", () => {
    const { columns, values } = rows({
      grid: { "method.name": ["supervised", "csd"], "labels.fraction": [0.01, 0.05, 0.1] },
    });
    expect(columns).toEqual(["method.name", "labels.fraction"]);
    expect(values).toEqual([
      ["supervised", 0.01],
      ["supervised", 0.05],
      ["supervised", 0.1],
      ["csd", 0.01],
      ["csd", 0.05],
      ["csd", 0.1],
    ]);
    const swapped = rows({
      grid: { "labels.fraction": [0.01, 0.05, 0.1], "method.name": ["supervised", "csd"] },
    });
    expect(swapped.values[1]).toEqual([0.01, "csd"]);
  });

  it("without a sweep gives the base spec's one run", () => {
    const { cells, columns } = rows(undefined);
    expect(columns).toEqual([]);
    expect(cells).toHaveLength(1);
    expect(cells[0]!.config.method).toEqual({ name: "csd", weight: 1, ramp_up: 0.267 });
    expect(cells[0]!.config).not.toHaveProperty("name");
    expect(cells[0]!.config).not.toHaveProperty("sweep");
  });

  it("deep-sets into a copy, creating objects as needed and sharing unchanged blocks", () => {
    const spec = specWith({ grid: { "train.augment.flip": [true, false] } });
    const { cells } = expandSweep(spec);
    expect(cells.map((c) => c.config.train.augment)).toEqual([{ flip: true }, { flip: false }]);
    expect(cells[0]!.config.train.lr).toBe(0.01);
    expect(spec.train).not.toHaveProperty("augment");
    expect(cells[0]!.config.method).toBe(cells[1]!.config.method);
    expect(Object.isFrozen(cells[0]!.config.train)).toBe(true);
    expect(() => {
      (cells[0]!.config.train as { lr: number }).lr = 1;
    }).toThrow();
  });
});

describe("sweeping a block's variant", () => {
  it("starts another method's block afresh and keeps the base method's parameters", () => {
    const { cells } = rows({ grid: { "method.name": ["supervised", "csd"] } });
    expect(cells.map((c) => c.config.method)).toEqual([
      { name: "supervised" },
      { name: "csd", weight: 1, ramp_up: 0.267 },
    ]);
  });

  it("sweeps whole blocks, each with its own parameters, and keys inside them on top", () => {
    const { cells, columns } = rows({
      grid: { method: [{ name: "supervised" }, { name: "csd", weight: 2 }], "train.lr": [0.1, 0.2] },
    });
    expect(columns).toEqual(["method", "train.lr"]);
    expect(cells.map((c) => [c.config.method, c.config.train.lr])).toEqual([
      [{ name: "supervised" }, 0.1],
      [{ name: "supervised" }, 0.2],
      [{ name: "csd", weight: 2 }, 0.1],
      [{ name: "csd", weight: 2 }, 0.2],
    ]);
    const layered = rows({ grid: { method: [{ name: "csd", weight: 2 }], "method.ramp_up": [0.1, 0.2] } });
    expect(layered.cells.map((c) => c.config.method)).toEqual([
      { name: "csd", weight: 2, ramp_up: 0.1 },
      { name: "csd", weight: 2, ramp_up: 0.2 },
    ]);
  });

  it("resets the label protocol block the same way", () => {
    const { cells } = rows({ grid: { "labels.protocol": ["full", "budget"] } });
    expect(cells.map((c) => c.config.labels)).toEqual([
      { protocol: "full" },
      { protocol: "budget", fraction: 0.1, fold: 1, nested: true, compat: "labelsweep" },
    ]);
  });

  it("passes each distinct block once through the preparer that completes it", () => {
    const seen: string[] = [];
    const e = expandSweep(specWith({ grid: { "method.name": ["supervised", "sed"] }, seeds: 50 }), {
      prepare: (section, value) => {
        seen.push(`${section}:${JSON.stringify(value)}`);
        const sed = section === "method" && (value as { name: string }).name === "sed";
        return { value: sed ? { name: "sed", tau: 0.5 } : value };
      },
    });
    expect(e.cells).toHaveLength(100);
    expect(e.cells[50]!.config.method).toEqual({ name: "sed", tau: 0.5 });
    // The base block and the two swept ones, each once (not once per seed).
    expect(seen.filter((s) => s.startsWith("method:"))).toEqual([
      'method:{"name":"csd","weight":1,"ramp_up":0.267}',
      'method:{"name":"supervised"}',
      'method:{"name":"sed"}',
    ]);
  });
});

it("keeps one of two cells that the preparer makes equal (a default written out or left out)", () => {
  const e = expandSweep(
    specWith({ grid: { method: [{ name: "sed" }, { name: "sed", tau: 0.5 }] }, seeds: 2 }),
    {
      prepare: (section, value) =>
        section === "method" ? { value: { tau: 0.5, ...(value as object) } as JsonValue } : { value },
    },
  );
  expect(e.cells.map((c) => [c.config.method, c.config.seed])).toEqual([
    [{ name: "sed", tau: 0.5 }, 0],
    [{ name: "sed", tau: 0.5 }, 1],
  ]);
});

describe("zip", () => {
  it("moves a group's axes together and crosses the group with the grid", () => {
    const { columns, values } = rows({
      grid: { "method.name": ["supervised", "csd"] },
      zip: [{ "labels.fraction": [0.01, 0.1], "train.iterations": [500, 2000] }],
    });
    expect(columns).toEqual(["method.name", "labels.fraction", "train.iterations"]);
    expect(values).toEqual([
      ["supervised", 0.01, 500],
      ["supervised", 0.1, 2000],
      ["csd", 0.01, 500],
      ["csd", 0.1, 2000],
    ]);
  });

  it("reports lists of unequal length at the key of the odd one", () => {
    const e = expandSweep(
      specWith({ zip: [{ "labels.fraction": [0.01, 0.1, 0.2], "train.iterations": [500, 2000] }] }),
    );
    expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0]!.path).toEqual(["sweep", "zip", 0, "train.iterations"]);
    expect(e.diagnostics[0]!.message).toMatch(/train\.iterations has 2 values, labels\.fraction has 3/);
  });
});

describe("seeds and folds", () => {
  it("counts give seeds 0..n-1 and folds 1..n; folds set labels.fold, seeds the training seed", () => {
    const { columns, values, cells } = rows({ grid: { "method.name": ["supervised"] }, seeds: 2, folds: 3 });
    expect(columns).toEqual(["method.name", "labels.fold", "seed"]);
    expect(values).toEqual([
      ["supervised", 1, 0],
      ["supervised", 1, 1],
      ["supervised", 2, 0],
      ["supervised", 2, 1],
      ["supervised", 3, 0],
      ["supervised", 3, 1],
    ]);
    expect(cells.map((c) => [c.config.labels.fold, c.config.seed])).toEqual(values.map((v) => [v[1], v[2]]));
    // The data split and the training seed stay apart (RUNNERS.md §4.2).
    expect(cells[0]!.config.dataset).toBe(cells[5]!.config.dataset);
  });

  it("lists are taken as written", () => {
    const { values } = rows({ seeds: [7, 3], folds: [2] });
    expect(values).toEqual([
      [2, 7],
      [2, 3],
    ]);
  });

  it("a count that is not a positive integer, or absurdly large, is a problem at the count", () => {
    const e = expandSweep(specWith({ seeds: 0 }));
    expect(e.diagnostics.map((d) => d.path)).toEqual([["sweep", "seeds"]]);
    const huge = expandSweep(specWith({ folds: 1e9 }));
    expect(huge.diagnostics.map((d) => d.message)).toEqual([
      "sweep.folds: 1000000000 is more than any plan can hold (at most 1,000,000)",
    ]);
  });
});

describe("include and exclude", () => {
  it("include adds cells after the product, crossed with seeds unless it sets the seed", () => {
    const { columns, values } = rows({
      grid: { "method.name": ["csd"] },
      seeds: 2,
      include: [
        { "method.name": "supervised", "labels.protocol": "full" },
        { "method.name": "sed", seed: 9 },
      ],
    });
    expect(columns).toEqual(["method.name", "labels.protocol", "seed"]);
    expect(values).toEqual([
      ["csd", "budget", 0],
      ["csd", "budget", 1],
      ["supervised", "full", 0],
      ["supervised", "full", 1],
      ["sed", "budget", 9],
    ]);
  });

  it("an include identical to a product cell is not duplicated", () => {
    const { cells } = rows({
      grid: { "method.name": ["supervised", "csd"] },
      include: [{ "method.name": "csd" }, { "method.name": "csd", "method.weight": 1 }],
    });
    expect(cells.map((c) => c.source)).toEqual(["product", "product"]);
  });

  it("exclude drops a cell when every listed path matches; a list matches any member", () => {
    const { values } = rows({
      grid: { "method.name": ["supervised", "csd"], "labels.fraction": [0.01, 0.05, 0.1] },
      seeds: 2,
      exclude: [
        { "method.name": "supervised", "labels.fraction": [0.01, 0.05] },
        { seed: 1, "labels.fraction": 0.1 },
      ],
    });
    expect(values).toEqual([
      ["supervised", 0.1, 0],
      ["csd", 0.01, 0],
      ["csd", 0.01, 1],
      ["csd", 0.05, 0],
      ["csd", 0.05, 1],
      ["csd", 0.1, 0],
    ]);
  });

  it("exclude matches values the sweep did not set, and whole blocks by value", () => {
    const { values } = rows({
      grid: { method: [{ name: "supervised" }, { name: "csd", weight: 2 }] },
      exclude: [{ method: { weight: 2, name: "csd" }, "detector.arch": "ssd-lite" }],
    });
    expect(values).toEqual([[{ name: "supervised" }]]);
  });

  it("exclude applies to include entries too, and an entry it wipes out is a problem", () => {
    const e = expandSweep(
      specWith({
        grid: { "method.name": ["csd"] },
        include: [{ "method.name": "supervised" }],
        exclude: [{ "method.name": "supervised" }],
      }),
    );
    expect(e.cells).toHaveLength(1);
    expect(e.diagnostics.map((d) => d.path)).toEqual([["sweep", "include", 0]]);
  });

  it("combines grid, zip, folds, seeds, include and exclude in one deterministic order", () => {
    const sweep = {
      grid: { "method.name": ["supervised", "csd"] },
      zip: [{ "labels.fraction": [0.01, 0.1], "train.iterations": [500, 2000] }],
      folds: 2,
      seeds: [0, 1],
      include: [{ "labels.protocol": "full", "method.name": "supervised", "labels.fold": 1 }],
      exclude: [{ "method.name": "supervised", "labels.fold": 2 }],
    };
    const a = rows(sweep).values;
    expect(a).toHaveLength(2 * 2 * 2 + 2 * 2 * 2 - 4 + 2);
    expect(a.slice(0, 4)).toEqual([
      ["supervised", 0.01, 500, "budget", 1, 0],
      ["supervised", 0.01, 500, "budget", 1, 1],
      ["supervised", 0.1, 2000, "budget", 1, 0],
      ["supervised", 0.1, 2000, "budget", 1, 1],
    ]);
    expect(a.slice(-2)).toEqual([
      ["supervised", undefined, 100, "full", 1, 0],
      ["supervised", undefined, 100, "full", 1, 1],
    ]);
    expect(rows(sweep).values).toEqual(a);
  });
});

describe("problems are located in the YAML", () => {
  const dir = mkdtempSync(join(tmpdir(), "sweep-expand-"));

  it("points at the sweep key or value that causes it", () => {
    const { spec, locate, file } = yamlSpec(
      dir,
      [
        "name: bad",
        "dataset: {name: shapes}",
        "labels: {protocol: budget, fraction: 0.1}",
        "detector: {arch: ssd-lite}",
        "method: {name: csd}",
        "train: {iterations: 10}",
        "engine: {name: tfjs}",
        "eval: {type: coco}",
        "seed: 0",
        "sweep:",
        "  grid:",
        "    labels.fraction.low: [1, 2]",
        "    table.rows: [[a]]",
        "  zip:",
        "    - train.lr: [0.1, 0.2]",
        "      train.batch: [4]",
        "  include:",
        "    - {train.lr: 0.3, labels.fraction.low: 1}",
        "",
      ].join("\n"),
    );
    const e = expandSweep(spec, { locate });
    const where = e.diagnostics.map((d) => `${d.location?.line}:${d.location?.column} ${d.path.join("/")}`);
    expect(where.sort()).toEqual(
      [
        "12:5 sweep/grid/labels.fraction.low",
        "13:5 sweep/grid/table.rows",
        "16:7 sweep/zip/0/train.batch",
        "18:23 sweep/include/0/labels.fraction.low",
      ].sort(),
    );
    expect(e.diagnostics.every((d) => d.location?.file === file)).toBe(true);
    const blocked = e.diagnostics.find((d) => d.path[2] === "labels.fraction.low")!;
    expect(blocked.message).toBe(
      "cannot set labels.fraction.low: labels.fraction is 0.1, not a block with keys",
    );
  });

  it("reports a path swept twice at its second place", () => {
    const e = expandSweep(specWith({ grid: { seed: [1, 2] }, seeds: 3 }));
    expect(e.diagnostics.map((d) => [d.path, d.message])).toEqual([
      [["sweep", "seeds"], "seed is swept twice; it is already swept at sweep.grid.seed"],
    ]);
  });
});
