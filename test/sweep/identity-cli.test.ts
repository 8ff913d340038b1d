import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dataSplits } from "../../src/data/index.js";
import { resolveSweep } from "../../src/sweep/resolve.js";
import { REPO_ROOT, runCli, withoutPassWarnings } from "../helpers/cli.js";
import { FAKE_TRAINER } from "../helpers/run-dirs.js";

// Run identity (issue 11, item 1): scratch files never change a key, a tracked
// change to the trainer does, `plan --explain-key` says what went in, and a
// table is never silently replaced by one that found fewer finished runs.

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", ...args],
    { cwd, encoding: "utf8" },
  ).trim();

/** A git repository holding a copy of the stand-in trainer and two specs: command engine and tfjs. */
function project(): { repo: string; command: string; tfjs: string; trainer: string } {
  const repo = mkdtempSync(join(tmpdir(), "ls-identity-"));
  mkdirSync(join(repo, "trainer"));
  mkdirSync(join(repo, "experiments"));
  const trainer = join(repo, "trainer", "train.mjs");
  copyFileSync(FAKE_TRAINER, trainer);
  writeFileSync(join(repo, "trainer", "util.mjs"), "export const w = 1;\n");
  writeFileSync(join(repo, ".gitignore"), "results/\n");
  const command = join(repo, "experiments", "command.yaml");
  writeFileSync(
    command,
    `name: ident
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.5 }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(trainer)}, --out, "{out}", --seed, "{seed}", --steps, "1"]
  metrics: { from: pycocotools }
eval: { type: coco }
sweep: { seeds: 2 }
table: { rows: [method.name], columns: [], metric: AP }
`,
  );
  const tfjs = join(repo, "experiments", "tfjs.yaml");
  writeFileSync(
    tfjs,
    `name: ident-tfjs
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.5 }
detector: { arch: ssd-lite, width: 8, levels: 2 }
method: { name: supervised }
train: { iterations: 2, batch: 2 }
engine: { name: tfjs, backend: cpu }
eval: { type: coco }
sweep: { seeds: 2 }
`,
  );
  git(repo, "init", "-q");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "project");
  return { repo, command, tfjs, trainer };
}

async function keys(spec: string, cwd: string): Promise<string[]> {
  const r = await resolveSweep(spec, {
    resultsDir: join(cwd, "results"),
    splits: dataSplits(dirname(spec)),
  });
  return r.plan.runs.map((run) => run.key);
}

const cliKeys = async (spec: string, cwd: string): Promise<string[]> => {
  const r = await runCli(["plan", spec, "--json"], { cwd });
  expect(withoutPassWarnings(r.stderr)).toBe("");
  return (JSON.parse(r.stdout) as { runs: { key: string }[] }).runs.map((x) => x.key);
};

const scratchName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}(\.(txt|py|mjs|json|html|yaml|md))?$/);
const scratchFile = fc.record({
  dirs: fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), { maxLength: 2 }),
  name: scratchName,
  body: fc.string({ maxLength: 40 }),
});

describe("run identity", () => {
  it("plan keys are unchanged by random untracked scratch files, and change with a tracked trainer file (property)", async () => {
    const { repo, command, tfjs, trainer } = project();
    const base = { command: await keys(command, repo), tfjs: await keys(tfjs, repo) };
    await fc.assert(
      fc.asyncProperty(fc.array(scratchFile, { minLength: 1, maxLength: 6 }), async (files) => {
        const root = join(repo, "scratch-area");
        // Untracked scratch anywhere: in a new folder, beside the trainer, beside the specs.
        const places = [root, join(repo, "trainer"), join(repo, "experiments")];
        const made: string[] = [];
        try {
          files.forEach((f, i) => {
            const dir = join(places[i % places.length]!, ...f.dirs.map((d) => `s${d}`));
            mkdirSync(dir, { recursive: true });
            const path = join(dir, `s${i}-${f.name}`);
            writeFileSync(path, f.body);
            made.push(path);
          });
          expect(await keys(command, repo)).toEqual(base.command);
          expect(await keys(tfjs, repo)).toEqual(base.tfjs);
        } finally {
          for (const p of made) rmSync(p, { force: true });
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 12 },
    );
    // A tracked trainer file changes the command engine's keys (not the tfjs ones), committed or not.
    writeFileSync(join(repo, "trainer", "util.mjs"), "export const w = 2;\n");
    const edited = await keys(command, repo);
    expect(edited.every((k, i) => k !== base.command[i])).toBe(true);
    expect(await keys(tfjs, repo)).toEqual(base.tfjs);
    git(repo, "commit", "-q", "-am", "w = 2");
    expect(await keys(command, repo)).toEqual(edited);
    writeFileSync(trainer, `${readFileSync(trainer, "utf8")}\n// tuned\n`);
    expect((await keys(command, repo))[0]).not.toBe(edited[0]);
  });

  it("through the CLI: notes, a report, a node_modules symlink change no key; --explain-key shows the parts", async () => {
    const { repo, command, tfjs } = project();
    const before = { command: await cliKeys(command, repo), tfjs: await cliKeys(tfjs, repo) };
    writeFileSync(join(repo, "notes.txt"), "try lr 0.02 next");
    symlinkSync(join(REPO_ROOT, "node_modules"), join(repo, "node_modules"));
    // No run has finished, so `report` refuses (issue 17 §7) and writes nothing; an HTML file of one
    // in the repository (untracked) changes no key either.
    const report = await runCli(["report", command, "--out", join(repo, "report.html")], { cwd: repo });
    expect(report.code).toBe(1);
    expect(report.stderr).toContain("no finished runs");
    writeFileSync(join(repo, "report.html"), "<!doctype html><title>report</title>\n");
    expect(await cliKeys(command, repo)).toEqual(before.command);
    expect(await cliKeys(tfjs, repo)).toEqual(before.tfjs);

    const explained = await runCli(["plan", command, "--explain-key", before.command[1]!.slice(0, 10)], {
      cwd: repo,
    });
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(`run ${before.command[1]}`);
    expect(explained.stdout).toMatch(/keyVersion 3/);
    expect(explained.stdout).toMatch(/config {5}\{"dataset":/);
    expect(explained.stdout).toMatch(/ {6}[0-9a-f]{16} {2}trainer\/trainer\/train\.mjs\n/);
    expect(explained.stdout).toMatch(/ {6}[0-9a-f]{16} {2}labelsweep\/engine\/command\/run-command\.js\n/);
    expect(explained.stdout).not.toContain("notes.txt");
    expect(explained.stdout).not.toContain("report.html");
    expect(explained.stdout).toContain(`trainer repository ${repo}`);
    const tfjsExplained = await runCli(["plan", tfjs, "--explain-key", before.tfjs[0]!], { cwd: repo });
    expect(tfjsExplained.stdout).toMatch(/packages {4}@tensorflow\/tfjs 4\.\d+\.\d+, /);
    expect(tfjsExplained.stdout).toContain("labelsweep/engine/methods/supervised.js");
    expect(tfjsExplained.stdout).not.toContain("trainer/");
    const missing = await runCli(["plan", command, "--explain-key", "ffffffffff"], { cwd: repo });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no run of this plan has a key starting with it");
  });

  it("a tfjs plan from a copy of the built package (no git) has the same keys as from the repository", async () => {
    const install = mkdtempSync(join(tmpdir(), "ls-installed-"));
    for (const part of ["bin", "dist", "schemas", "package.json"])
      cpSync(join(REPO_ROOT, part), join(install, part), { recursive: true });
    symlinkSync(join(REPO_ROOT, "node_modules"), join(install, "node_modules"));
    const spec = join(REPO_ROOT, "experiments", "quickstart.yaml");
    const fromRepo = await cliKeys(spec, REPO_ROOT);
    // The copy's own bin/labelsweep.js, so its own dist/ is what runs and what is hashed.
    const out = execFileSync(
      process.execPath,
      [join(install, "bin", "labelsweep.js"), "plan", spec, "--json", "--results", join(install, "results")],
      { cwd: install, encoding: "utf8" },
    );
    const copied = (JSON.parse(out) as { runs: { key: string }[] }).runs.map((x) => x.key);
    expect(copied).toEqual(fromRepo);
  });

  it("a table that would find fewer finished runs is not written without --force, and says why", async () => {
    const { repo, command } = project();
    const run = await runCli(["run", command, "--jobs", "2"], { cwd: repo });
    expect(run.code).toBe(0);
    const summaryFile = join(repo, "results", "ident", "summary.json");
    const tableFile = join(repo, "results", "ident", "table.md");
    const committed = { summary: readFileSync(summaryFile, "utf8"), table: readFileSync(tableFile, "utf8") };
    expect(JSON.parse(committed.summary)).toMatchObject({ summaryVersion: 3, keyVersion: 3 });

    // The trainer's code changes: every key is new, no finished run is found.
    writeFileSync(join(repo, "trainer", "util.mjs"), "export const w = 3;\n");
    const table = await runCli(["table", command], { cwd: repo });
    expect(table.code).toBe(1);
    expect(table.stdout).toBe("");
    expect(table.stderr).toContain(
      "0 of 2 planned runs found — code identity changed (1 file differs since the runs).",
    );
    expect(table.stderr).toContain("changed: trainer/trainer/util.mjs");
    expect(table.stderr).toContain("(2 finished runs) is kept; --force writes the new one anyway.");
    expect(readFileSync(summaryFile, "utf8")).toBe(committed.summary);
    expect(readFileSync(tableFile, "utf8")).toBe(committed.table);
    const forced = await runCli(["table", command, "--force"], { cwd: repo });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("| supervised | — |");
    expect(readFileSync(summaryFile, "utf8")).not.toBe(committed.summary);

    // A fresh clone: same keys, but the raw runs are not committed.
    writeFileSync(join(repo, "trainer", "util.mjs"), "export const w = 1;\n");
    writeFileSync(summaryFile, committed.summary);
    rmSync(join(repo, "results", "ident", "runs"), { recursive: true });
    const fresh = await runCli(["table", command], { cwd: repo });
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain(
      "0 of 2 planned runs found — 2 runs with unchanged keys have no finished run directory here",
    );
    expect(readFileSync(summaryFile, "utf8")).toBe(committed.summary);
  });
});
