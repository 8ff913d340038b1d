import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALIASES } from "../../src/spec/aliases.js";
import { runCli } from "../helpers/cli.js";

// Names from other tools (issue 17 §6): every entry of the one alias table
// (src/spec/aliases.ts), written into an otherwise valid spec, is reported by
// `labelsweep validate` (the built CLI) at its line with the labelsweep name
// and the conversion. The expected hints are written out here, not computed
// from the table, so a wrong conversion fails.

const SECTIONS: Record<string, string> = {
  dataset: "{ name: shapes, train_images: 40, eval_images: 10, image_size: 32, classes: 3 }",
  labels: "{ protocol: budget, fraction: 0.1 }",
  detector: "{ arch: ssd-lite, width: 8 }",
  method: "{ name: supervised }",
  train: "{ iterations: 10, batch: 4 }",
};

/** example (as in the table) → [problem path, hint shown in parentheses]. */
const EXPECTED: Record<string, [string, string]> = {
  "train: { iters: 300 }": ["train.iters", "write iterations: 300; iters is mmdetection's name"],
  "train: { max_iters: 300 }": ["train.max_iters", "write iterations: 300; max_iters is mmengine's name"],
  "train: { max_iter: 300 }": ["train.max_iter", "write iterations: 300; max_iter is detectron2's name"],
  "train: { max_epochs: 12 }": ["train.max_epochs", "write epochs: 12; max_epochs is mmengine's name"],
  "train: { batch_size: 8 }": ["train.batch_size", "write batch: 8; batch_size is PyTorch's"],
  "train: { base_lr: 0.02 }": ["train.base_lr", "write lr: 0.02; base_lr is detectron2's name"],
  "train: { seed: 1 }": ["train.seed", "the training seed is the top-level `seed:`"],
  "labels: { protocol: budget, percent: 10 }": ["labels.percent", "write fraction: 0.1 for 10 %"],
  "labels: { protocol: budget, labeled_percent: 10 }": [
    "labels.labeled_percent",
    "write fraction: 0.1 for 10 %",
  ],
  'labels: { protocol: budget, fraction: "5%" }': ["labels.fraction", "write 0.05; a fraction is a number"],
  "eval: coco": ["eval", "write eval: {type: coco}"],
  "method: supervised": ["method", "write method: {name: supervised}"],
  "detector: ssd-lite": ["detector", "write detector: {arch: ssd-lite}"],
  "sweep: { labels.fraction: [0.05, 0.1] }": [
    'sweep["labels.fraction"]',
    "write sweep: {grid: {labels.fraction: […]}}",
  ],
  "sweep: { parameters: { train.lr: [0.01] } }": [
    "sweep.parameters",
    "write sweep: {grid: {train.lr: [0.01, 0.02]}}",
  ],
  // Not table examples: the other conversions of the same entries.
  "labels: { protocol: budget, fraction: 25 }": ["labels.fraction", "write 0.25 for 25 %"],
  'labels: { protocol: budget, percent: "2.5%" }': ["labels.percent", "write fraction: 0.025 for 2.5 %"],
};

function specWith(name: string, example: string): string {
  const section = example.slice(0, example.indexOf(":"));
  const lines = [`name: ${name}`];
  for (const [key, value] of Object.entries(SECTIONS)) if (key !== section) lines.push(`${key}: ${value}`);
  lines.push(example);
  return `${lines.join("\n")}\n`;
}

describe("aliases from other tools", () => {
  it("the test covers every entry of the table", () => {
    for (const alias of ALIASES) expect(Object.keys(EXPECTED)).toContain(alias.example);
  });

  it("every alias is explained by validate at its line, with the conversion", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-aliases-"));
    const files = Object.keys(EXPECTED).map((example, i) => {
      const file = `alias${i}.yaml`;
      writeFileSync(join(dir, file), specWith(`alias${i}`, example));
      return file;
    });
    const r = await runCli(["validate", ...files], { cwd: dir });
    expect(r.code).toBe(2);
    const n = files.length;
    expect(r.stderr).toContain(`${n} of ${n} spec file(s) invalid`);
    Object.values(EXPECTED).forEach(([path, hint], i) => {
      // The problem sits on the example's line (the last line of the spec).
      const line = specWith("x", Object.keys(EXPECTED)[i]!).trimEnd().split("\n").length;
      const header = r.stderr
        .split("\n")
        .find((l) => l.startsWith(`alias${i}.yaml:${line}:`) && l.includes(`  ${path}  `));
      expect(header, `alias${i}.yaml (${path}) in:\n${r.stderr}`).toBeDefined();
      expect(header).toContain(`(${hint}`);
    });
  }, 120_000);
});
