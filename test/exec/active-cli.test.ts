import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeActiveSpec } from "../helpers/active-spec.js";
import { CLI, runCli } from "../helpers/cli.js";
import { waitUntil } from "../helpers/wait.js";

// Active learning as dependent runs, end to end through the built CLI with the
// command engine and the stand-in trainer: 2 seeds × 3 cycles on tiny shapes,
// --jobs 2 (DESIGN.md "Dependent runs", issue 15).

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const runsOf = (dir: string) => join(dir, "results", "al", "runs");
const stateOf = (d: string) =>
  existsSync(join(d, "state.json")) ? readJson(join(d, "state.json")) : { status: "new" };

const writeSpec = (dir: string, extra: string[], acquisition = "random") =>
  writeActiveSpec(dir, extra, { acquisition });

interface PlanJson {
  runs: {
    key: string;
    status: string;
    parents?: string[];
    cycle?: number;
    values: Record<string, unknown>;
  }[];
}

async function planOf(dir: string, file: string): Promise<PlanJson> {
  const r = await runCli(["plan", file, "--json"], { cwd: dir });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
}

const labelledIds = (annotations: string) => readJson(annotations).images.map((i: { id: number }) => i.id);

describe("active learning chains through the CLI", () => {
  it("runs 2 seeds × 3 cycles with --jobs 2; each cycle labels its parent's images plus the selection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-al-"));
    const file = writeSpec(dir, ["--steps", "1"], "entropy");
    const plan = await planOf(dir, file);
    expect(plan.runs.map((r) => r.cycle)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(plan.runs[1]!.parents).toEqual([plan.runs[0]!.key]);
    const text = await runCli(["plan", file], { cwd: dir });
    expect(text.stdout).toMatch(/key\s+seed\s+labels\.cycle\s+parent\s+status/);

    const r = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("6 runs: 6 done now, 0 failed.");
    expect(r.stdout).toMatch(/\| method\.name \| 0 \| 1 \| 2 \|/);
    for (const chain of [plan.runs.slice(0, 3), plan.runs.slice(3)]) {
      let previous: number[] = [];
      for (const [cycle, run] of chain.entries()) {
        const d = join(runsOf(dir), run.key);
        const record = readJson(join(d, "run.json"));
        const labelled = labelledIds(record.split.files.annotations) as number[];
        expect(labelled).toHaveLength(6 + 3 * cycle);
        if (cycle > 0) {
          const parent = readJson(join(runsOf(dir), chain[cycle - 1]!.key, "selection.json"));
          expect(new Set(labelled)).toEqual(new Set([...previous, ...parent.selected]));
          expect(record.parents).toEqual([{ key: chain[cycle - 1]!.key, selection_sha256: parent.sha256 }]);
          expect(record.provenance.active.parent_selection_sha256).toBe(parent.sha256);
        }
        if (cycle < 2) {
          // Entropy: the stand-in's scores are known, so the selection is: the top 3 of the pool, ties by id.
          const sel = readJson(join(d, "selection.json"));
          const seed = record.config.seed as number;
          const pool = labelledIds(record.split.files.unlabeled) as number[];
          const expected = pool
            .map((id) => ({ id, e: ((id * 37 + seed) % 101) / 101 }))
            .sort((a, b) => b.e - a.e || a.id - b.id)
            .slice(0, 3)
            .map((x) => x.id);
          expect(sel.selected).toEqual(expected);
          expect(sel.selected.some((id: number) => labelled.includes(id))).toBe(false);
        } else expect(existsSync(join(d, "selection.json"))).toBe(false);
        previous = labelled;
      }
    }
    const again = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(again.stdout).toContain("6 runs: 0 done now, 0 failed, 6 done before.");
  });

  it("a failing cycle blocks only its own chain; --retry-failed runs it and what follows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-al-"));
    const fixed = join(dir, "fixed");
    const file = writeSpec(dir, ["--steps", "1", "--fail-when", "1-1", "--unless-exists", fixed]);
    const first = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/FAILED [0-9a-f]{12}: external trainer exited with code 1/);
    expect(first.stdout).toMatch(
      /BLOCKED [0-9a-f]{12}: blocked: run [0-9a-f]{12}, which it depends on, did not finish/,
    );
    expect(first.stdout).toContain("4 done now, 1 failed, 1 blocked by a failed run they depend on");
    const plan = await planOf(dir, file);
    expect(plan.runs.map((r) => r.status)).toEqual(["done", "done", "done", "done", "failed", "blocked"]);
    const text = await runCli(["plan", file], { cwd: dir });
    expect(text.stdout).toContain("1 blocked");

    writeFileSync(fixed, "");
    const retry = await runCli(["run", file, "--jobs", "2", "--retry-failed"], { cwd: dir });
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain("6 runs: 2 done now, 0 failed, 4 done before.");
    expect((await planOf(dir, file)).runs.every((r) => r.status === "done")).toBe(true);
  });

  it("survives kill -9 mid-chain: finished cycles untouched, the interrupted one resumes, the rest follow", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-al-"));
    const file = writeSpec(dir, ["--steps", "30", "--step-ms", "40"]);
    const plan = await planOf(dir, file);
    const child = spawn(process.execPath, [CLI, "run", file, "--jobs", "2"], { cwd: dir, stdio: "ignore" });
    // Kill once a cycle-1 run is mid-way (its cycle 0 is done, it has a checkpoint).
    const cycle1 = plan.runs.filter((r) => r.cycle === 1).map((r) => r.key);
    let caught: string[] = [];
    await waitUntil(() => {
      caught = cycle1.filter((k) => {
        const d = join(runsOf(dir), k);
        return stateOf(d).status === "running" && readJson(join(d, "out", "ckpt.json")).step >= 2;
      });
      return caught.length > 0;
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    await waitUntil(
      () => readdirSync(runsOf(dir)).every((k) => stateOf(join(runsOf(dir), k)).status !== "running"),
      200,
    );
    const doneBefore = readdirSync(runsOf(dir)).filter(
      (k) => stateOf(join(runsOf(dir), k)).status === "done",
    );
    expect(doneBefore.length).toBeGreaterThanOrEqual(1);
    expect(doneBefore.length).toBeLessThan(6);
    const resumed = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${doneBefore.length} done before`);
    for (const key of doneBefore) {
      const starts = readFileSync(join(runsOf(dir), key, "out", "starts.txt"), "utf8")
        .trim()
        .split("\n");
      expect(starts).toHaveLength(1);
    }
    const interrupted = caught.filter((k) => !doneBefore.includes(k));
    for (const key of interrupted) {
      expect(stateOf(join(runsOf(dir), key)).restarts).toBe(1);
      const starts = readFileSync(join(runsOf(dir), key, "out", "starts.txt"), "utf8")
        .trim()
        .split("\n");
      expect(Number(starts.at(-1))).toBeGreaterThanOrEqual(2);
    }
    expect((await planOf(dir, file)).runs.every((r) => r.status === "done")).toBe(true);
  });
});
