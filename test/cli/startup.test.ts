import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CLI, REPO_ROOT, runCli } from "../helpers/cli.js";

// Every command starts fast (issue 17 §9): `--help` and `validate` load no
// TensorFlow.js, Vega, sharp or ajv's compiler — checked by the modules the
// process loads, not by a clock (bench/startup.mjs measures the time). A
// missing build is a sentence, not a stack trace.

const RECORD = fileURLToPath(new URL("../fixtures/startup/record-loads.mjs", import.meta.url));
const HEAVY = [
  /@tensorflow\//,
  /\/node_modules\/vega(-lite)?\//,
  /\/node_modules\/sharp\//,
  /\/node_modules\/ajv\/dist\/compile\//,
];

function loadsOf(args: string[]): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), "ls-loads-")), "loads.jsonl");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", RECORD, CLI, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, LABELSWEEP_LOADS: file } },
      (err) => {
        if (err) return reject(err);
        const lines = readFileSync(file, "utf8").trim().split("\n");
        resolve(lines.map((l) => Object.values(JSON.parse(l) as Record<string, string>)[0]!));
      },
    );
  });
}

describe("start-up", () => {
  it("--help and validate load none of the heavy libraries", async () => {
    for (const args of [["--help"], ["validate", "experiments/quickstart.yaml"]]) {
      const loads = await loadsOf(args);
      expect(loads.length).toBeGreaterThan(10);
      for (const heavy of HEAVY)
        expect(
          loads.filter((m) => heavy.test(m)),
          `${args[0]}: ${heavy}`,
        ).toEqual([]);
    }
    // The recorder sees them when they are loaded: `report` renders Vega plots.
    const report = await loadsOf([
      "report",
      "results/quickstart",
      "--out",
      join(tmpdir(), `ls-report-${process.pid}.html`),
    ]);
    expect(report.some((m) => /\/node_modules\/vega\//.test(m))).toBe(true);
  }, 240_000);

  it("a missing build says to run npm run build", async () => {
    const copy = mkdtempSync(join(tmpdir(), "ls-nobuild-"));
    cpSync(join(REPO_ROOT, "bin"), join(copy, "bin"), { recursive: true });
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(copy, "bin", "labelsweep.js"), "--help"], (err, _out, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stderr }),
      );
    });
    expect(r.code).toBe(70);
    expect(r.stderr).toContain("the CLI is not built (dist/cli/main.js is missing); run `npm run build`");
    expect(r.stderr).not.toContain("    at ");
  }, 60_000);

  it("help: worker hidden, three examples, the README and the schema named", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).not.toMatch(/^\s+worker\b/m);
    const examples = help.stdout.slice(help.stdout.indexOf("Examples:"));
    expect(examples.match(/^ {2}labelsweep /gm)).toHaveLength(3);
    expect(help.stdout).toContain(join(REPO_ROOT, "README.md"));
    expect(help.stdout).toContain(join(REPO_ROOT, "schemas", "experiment.schema.json"));
    // Still there for the executors and for debugging a run.
    expect((await runCli(["worker", "--help"])).stdout).toContain("<run-dir>");
  }, 120_000);
});
