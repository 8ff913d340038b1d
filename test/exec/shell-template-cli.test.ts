import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FAKE_TRAINER } from "../helpers/run-dirs.js";

// Item 8 of issue 11 through the built CLI: `engine.command: [sh, -c, "…{x}…"]`
// gets each substituted value quoted for the shell, so a value cannot run code.

function spec(dir: string, script: string): string {
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: shell
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: full }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: [sh, -c, ${JSON.stringify(script)}]
  metrics: { from: pycocotools }
eval: { type: coco }
`,
  );
  return file;
}

describe("shell -c command templates", () => {
  it("a value with shell syntax reaches the trainer as one argument and runs nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-shell-"));
    const file = spec(
      dir,
      `${process.execPath} ${FAKE_TRAINER} --out {out} --seed {seed} --steps 1 --tag {detector.arch}`,
    );
    const evil = `x;touch ${join(dir, "PWNED")};#`;
    const r = await runCli(["run", file, "--set", `detector.arch=${evil}`], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 runs: 1 done now, 0 failed.");
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
    const runs = join(dir, "results", "shell", "runs");
    const [key] = readdirSync(runs);
    expect(existsSync(join(runs, key!, "out", "PWNED"))).toBe(false);
    const log = readFileSync(join(runs, key!, "log"), "utf8");
    expect(log).toContain(`--tag '${evil}'`);
  });

  it("validate refuses a placeholder the script quotes itself, at its line and column", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-shell-"));
    const file = spec(dir, `train --arch '{detector.arch}' --out {out}`);
    const r = await runCli(["validate", file], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /spec\.yaml:7:21 {2}engine\.command\[2\] {2}\{detector\.arch\} is single-quoted in a shell -c script: write it without quotes/,
    );
  });
});
