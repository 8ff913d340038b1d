import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "../helpers/cli.js";

// Every ready spec in experiments/ must load, pass the schema and the semantic
// checks (or be refused only for a feature the engine does not have yet).
// experiments/base/ holds shared parts that are only valid once extended.

const specs = readdirSync(join(REPO_ROOT, "experiments"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("experiments/*.yaml", () => {
  it("has the quickstart and one spec per seed paper table, each with a shapes analogue", () => {
    for (const name of ["quickstart", "csd-voc", "comining-coco", "sed-coco", "richsem-lvis", "scob-voc"])
      expect(specs).toContain(`${name}.yaml`);
    // The shapes analogue of each paper table (Co-mining's is the sparse-label one, RichSem's the long-tail one, Scob's the single-positive one).
    for (const name of ["csd-shapes", "sparse-shapes", "sed-shapes", "longtail-shapes", "spml-shapes"])
      expect(specs).toContain(`${name}.yaml`);
  });

  // A spec may ask for a method or feature the built-in engine does not have
  // yet (methods land one by one in engine/methods/registry.ts): validate and
  // plan must then refuse it for exactly that, and for nothing else.
  const problemLines = (text: string) =>
    text.split("\n").filter((l) => /^experiments\/\S+:\d+:\d+ {2}/.test(l));
  const onlyNotImplemented = (text: string) => {
    const lines = problemLines(text);
    return lines.length > 0 && lines.every((l) => l.includes("not implemented yet: "));
  };

  it("all validate, in one call as `labelsweep validate experiments/*.yaml`, or wait only for features not built yet", async () => {
    const r = await runCli(["validate", ...specs.map((f) => join("experiments", f))]);
    const refused = specs.filter((f) => !r.stdout.includes(`ok  experiments/${f}`));
    for (const file of refused) {
      const own = problemLines(r.stderr).filter((l) => l.startsWith(`experiments/${file}:`));
      expect(own.length, `${file}: neither ok nor refused\n${r.stdout}${r.stderr}`).toBeGreaterThan(0);
      for (const line of own) expect(line, file).toContain("not implemented yet: ");
    }
    expect(r.code).toBe(refused.length > 0 ? 2 : 0);
    // The committed experiments of the built-in engine run today.
    for (const file of ["quickstart.yaml", "detectors-shapes.yaml", "mlc-shapes.yaml"])
      expect(r.stdout).toContain(`ok  experiments/${file}`);
  });

  it.each(specs)("%s plans (or waits only for features not built yet)", async (file) => {
    const r = await runCli(["plan", join("experiments", file)]);
    if (r.code === 2 && onlyNotImplemented(r.stderr)) return;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ runs?: \d+ new/);
  });
});
