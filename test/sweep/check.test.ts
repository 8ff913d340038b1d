import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Diagnostic, formatKeyPath, SpecError } from "../../src/spec/diagnostics.js";
import { loadSpec } from "../../src/spec/load.js";
import { planSpec } from "../../src/sweep/plan.js";
import { fixedIdentity } from "./spec-fixture.js";

// Each file in test/fixtures/sweep/bad/ is a spec the loader accepts but whose
// sweep is wrong. Its "# expect LINE:COL KEYPATH | TEXT" lines are every
// diagnostic `plan` must report: the place to edit and the words that say why.

const BAD = fileURLToPath(new URL("../fixtures/sweep/bad/", import.meta.url));
const CODE = { code: { commit: "c".repeat(40), dirty: false }, codeIdentity: fixedIdentity("c") };

interface Expected {
  line: number;
  column: number;
  keyPath: string;
  text: string;
}

function expectations(file: string): Expected[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((l) => {
      const m = /^# expect (\d+):(\d+) (\S+) \| (.+)$/.exec(l);
      return m ? [{ line: Number(m[1]), column: Number(m[2]), keyPath: m[3]!, text: m[4]! }] : [];
    });
}

function planProblems(file: string, maxRuns?: number): Diagnostic[] {
  const { spec, locate } = loadSpec(file);
  try {
    planSpec(spec, { ...CODE, locate, ...(maxRuns ? { maxRuns } : {}) });
  } catch (err) {
    if (err instanceof SpecError) return err.diagnostics;
    throw err;
  }
  return [];
}

const show = (d: Diagnostic) =>
  `${d.location?.line}:${d.location?.column} ${formatKeyPath(d.path)} | ${d.message}${d.hint ? ` (${d.hint})` : ""}`;

describe("sweep problems are reported at the sweep key or value that causes them", () => {
  for (const name of readdirSync(BAD).filter((f) => f.endsWith(".yaml"))) {
    it(name, () => {
      const file = join(BAD, name);
      const wanted = expectations(file);
      expect(wanted.length).toBeGreaterThan(0);
      const got = planProblems(file);
      expect(got.map(show)).toHaveLength(wanted.length);
      for (const w of wanted) {
        const match = got.find(
          (d) =>
            d.location?.file === file &&
            d.location.line === w.line &&
            d.location.column === w.column &&
            formatKeyPath(d.path) === w.keyPath &&
            show(d).includes(w.text),
        );
        expect(
          match,
          `${w.line}:${w.column} ${w.keyPath} | ${w.text}\nin:\n${got.map(show).join("\n")}`,
        ).toBeDefined();
      }
    });
  }

  it("--max-runs raises the cap", () => {
    expect(planProblems(join(BAD, "cap-total.yaml"), 15_000)).toEqual([]);
  });
});
