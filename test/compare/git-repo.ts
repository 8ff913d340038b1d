import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { standInArgv } from "../helpers/run-dirs.js";

// A temporary git repository with two commits of results: A runs a 2-method ×
// 2-budget × 3-seed sweep; B changes CSD's consistency-loss weight (the stand-in
// trainer adds it to AP) and re-runs; only CSD's cells run again.

export interface TwoCommitRepo {
  dir: string;
  a: string;
  b: string;
}

const git = (dir: string, args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

function spec(weight: number): string {
  const argv = [...standInArgv(), "--steps", "1", "--config", "{config}"];
  return `name: budget
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.2 }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify(argv)}
  metrics: { from: pycocotools }
eval: { type: coco }
sweep:
  grid:
    method: [{ name: supervised }, { name: csd, weight: ${weight} }]
    labels.fraction: [0.2, 0.5]
  seeds: 3
table: { rows: [method.name], columns: [labels.fraction], metric: AP }
`;
}

async function run(dir: string): Promise<string> {
  const r = await runCli(["run", "spec.yaml", "--jobs", "2"], { cwd: dir });
  if (r.code !== 0) throw new Error(`labelsweep run failed (${r.code}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

export async function twoCommitRepo(): Promise<TwoCommitRepo & { runB: string }> {
  const dir = mkdtempSync(join(tmpdir(), "ls-diff-"));
  git(dir, ["init", "-q"]);
  git(dir, ["config", "user.email", "test@example.com"]);
  git(dir, ["config", "user.name", "test"]);
  git(dir, ["config", "commit.gpgsign", "false"]);
  // Summaries are committed; run directories (checkpoints, logs) are not.
  writeFileSync(join(dir, ".gitignore"), "results/*/runs/\n");
  writeFileSync(join(dir, "spec.yaml"), spec(1));
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-qm", "spec"]);
  await run(dir);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-qm", "A: results"]);
  const a = git(dir, ["rev-parse", "HEAD"]);
  writeFileSync(
    join(dir, "spec.yaml"),
    readFileSync(join(dir, "spec.yaml"), "utf8").replace("weight: 1 }", "weight: 5 }"),
  );
  const runB = await run(dir);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-qm", "B: csd weight 5"]);
  return { dir, a, b: git(dir, ["rev-parse", "HEAD"]), runB };
}
