import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { writeStandInSpec } from "../helpers/run-dirs.js";

// Seeing what will run and what ran (issue 17 §3), through the built CLI:
// `config` (one run's resolved config), `ls` (experiments of a results
// folder), `completion`, readable run names and the `latest` pointer.

describe("config, ls, completion", () => {
  it("config prints one run's resolved config as YAML; ls lists experiments; names and latest point at runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-commands-"));
    const file = writeStandInSpec(dir, ["--steps", "1"]);
    const config = await runCli(["config", file, "--run", "3"], { cwd: dir });
    expect(config.code).toBe(0);
    expect(config.stdout).toMatch(
      /^# e2e: run 3 of 8 {2}\(method\.name=supervised labels\.fraction=0\.5 seed=1\)$/m,
    );
    expect(config.stdout).toMatch(/^# key [0-9a-f]{64} {2}status new$/m);
    const yaml = parse(config.stdout) as Record<string, { [k: string]: unknown }>;
    // Sweep and schema defaults applied: what the run would get.
    expect(yaml.labels).toMatchObject({ protocol: "budget", fraction: 0.5, fold: 1, nested: true });
    expect(yaml.seed).toBe(1);
    expect(yaml.train).toMatchObject({ iterations: 1000, batch: 16 });
    // The same run named by a key prefix, with an override; --json for scripts.
    const key = (config.stdout.match(/^# key ([0-9a-f]{64})/m) ?? [])[1]!;
    const byKey = await runCli(["config", file, "--run", key.slice(0, 10), "--json"], { cwd: dir });
    expect(JSON.parse(byKey.stdout)).toMatchObject({ key, index: 3, config: { seed: 1 } });
    const bad = await runCli(["config", file, "--run", "99"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--run 99: the plan has 8 run(s) (indices 0–7)");

    const empty = await runCli(["ls"], { cwd: dir });
    expect(empty.stdout).toContain("no experiments in");
    const run = await runCli(["run", file, "--jobs", "2", "seed=0"], { cwd: dir });
    expect(run.code).toBe(0);
    const ls = await runCli(["ls"], { cwd: dir });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(
      /^experiment\s+runs\s+done\s+failed\s+running\s+interrupted\s+last activity\s+table$/m,
    );
    expect(ls.stdout).toMatch(/^e2e\s+4\s+4\s+0\s+0\s+0\s+\d+ (s|min) ago\s+results\/e2e\/table\.md$/m);
    const lsJson = JSON.parse((await runCli(["ls", join(dir, "results"), "--json"])).stdout);
    expect(lsJson.experiments[0]).toMatchObject({
      experiment: "e2e",
      runs: { done: 4, total: 4 },
      spec: "spec.yaml",
    });
    const missing = await runCli(["ls", join(dir, "nowhere")]);
    expect(missing.code).toBe(2);

    // Readable names beside keys, and `latest`.
    const link = readlinkSync(
      join(dir, "results", "e2e", "names", "method.name=pseudo-label_labels.fraction=0.5_seed=0"),
    );
    expect(link).toMatch(/^\.\.\/runs\/[0-9a-f]{64}$/);
    expect(readlinkSync(join(dir, "results", "e2e", "latest"))).toMatch(/^runs\/[0-9a-f]{64}$/);
    const named = join(dir, "results", "e2e", "names", "method.name=pseudo-label_labels.fraction=0.5_seed=0");
    const runJson = JSON.parse(readFileSync(join(named, "run.json"), "utf8"));
    expect(runJson.name).toBe("method.name=pseudo-label labels.fraction=0.5 seed=0");
  }, 600_000);

  it("completion: bash completes commands, subcommands and options; zsh and fish scripts cover them", async () => {
    const bash = await runCli(["completion", "bash"]);
    expect(bash.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "ls-completion-"));
    mkdirSync(join(dir, "experiments"));
    writeFileSync(join(dir, "experiments", "quick.yaml"), "name: q\n");
    writeFileSync(join(dir, "script.bash"), bash.stdout);
    const complete = (line: string) =>
      execFileSync(
        "bash",
        [
          "-c",
          `source script.bash; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _labelsweep; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { cwd: dir, encoding: "utf8" },
      )
        .trim()
        .split("\n");
    expect(complete("labelsweep r")).toEqual(expect.arrayContaining(["run", "report"]));
    expect(complete("labelsweep r")).not.toContain("worker");
    expect(complete("labelsweep data p")).toEqual(["prepare"]);
    expect(complete("labelsweep run --re")).toEqual(expect.arrayContaining(["--results", "--retry-failed"]));
    expect(complete("labelsweep run experiments/q")).toEqual(["experiments/quick.yaml"]);
    const zsh = (await runCli(["completion", "zsh"])).stdout;
    expect(zsh).toMatch(/^#compdef labelsweep/);
    expect(zsh).toContain("'run:plan a spec");
    expect(zsh).toContain("compdef _labelsweep labelsweep");
    const fish = (await runCli(["completion", "fish"])).stdout;
    expect(fish).toContain("complete -c labelsweep -n '__fish_use_subcommand' -a run");
    expect(fish).toContain("-l retry-failed");
    expect(fish).not.toContain("-a worker");
    const wrong = await runCli(["completion", "tcsh"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("expected bash, zsh, fish");
    // A syntax check where the shell is installed (not on every machine).
    for (const [shell, script] of [
      ["zsh", zsh],
      ["fish", fish],
    ] as const) {
      try {
        execFileSync("which", [shell]);
      } catch {
        continue;
      }
      writeFileSync(join(dir, `script.${shell}`), script);
      execFileSync(shell, ["-n", join(dir, `script.${shell}`)]);
    }
  }, 120_000);

  it("ls counts a committed summary's runs when the run folders are not there (a fresh clone)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-clone-"));
    mkdirSync(join(dir, "results", "quickstart"), { recursive: true });
    for (const f of ["summary.json", "table.md"])
      copyFileSync(join(REPO_ROOT, "results", "quickstart", f), join(dir, "results", "quickstart", f));
    const summary = JSON.parse(readFileSync(join(dir, "results", "quickstart", "summary.json"), "utf8"));
    const n = summary.cells.flatMap((c: { runs: unknown[] }) => c.runs).length;
    expect(n).toBeGreaterThan(0);
    const ls = await runCli(["ls"], { cwd: dir });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^quickstart \\*\\s+${n}\\s+${n}\\s+0\\s+0\\s+0\\s`, "m"));
    expect(ls.stdout).toContain("* counted from summary.json: its run folders are not here");
    const json = JSON.parse((await runCli(["ls", "--json"], { cwd: dir })).stdout);
    expect(json.experiments[0]).toMatchObject({
      experiment: "quickstart",
      counted: "summary",
      runs: { done: n },
    });
  }, 120_000);
});
