import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

// The randomized cases with expected outputs from the reference tools
// (test/fixtures/eval/make-cases.mjs + reference.py).

export const CASES_DIR = fileURLToPath(new URL("../fixtures/eval/cases", import.meta.url));

export interface FixtureCase {
  name: string;
  dir: string;
  info: { type: string; description: string; params?: Record<string, unknown> };
  gt: unknown;
  dt: unknown;
  expected: Record<string, unknown>;
}

export function listCases(type: string): string[] {
  return readdirSync(CASES_DIR)
    .filter((name) => JSON.parse(readFileSync(join(CASES_DIR, name, "case.json"), "utf8")).type === type)
    .sort();
}

export function loadCase(name: string): FixtureCase {
  const dir = join(CASES_DIR, name);
  const json = (file: string) => JSON.parse(readFileSync(join(dir, file), "utf8"));
  const gz = (file: string) => JSON.parse(gunzipSync(readFileSync(join(dir, file))).toString("utf8"));
  return {
    name,
    dir,
    info: json("case.json"),
    gt: gz("gt.json.gz"),
    dt: gz("dt.json.gz"),
    expected: json("expected.json"),
  };
}
