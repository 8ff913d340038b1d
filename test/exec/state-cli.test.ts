import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executeLocal } from "../../src/exec/local-executor.js";
import { makeSlots } from "../../src/exec/slots.js";
import { runCli } from "../helpers/cli.js";
import { fakeTrainerConfig, writeRunDir, writeSeedsSpec } from "../helpers/run-dirs.js";

// Item 5 of issue 11 through the built CLI: run state that cannot be trusted
// is reported and kept, a reused pid or a dead host does not hold a run for
// ever, failed runs resume from their checkpoint, --timeout counts from the
// trainer's start, and a symlink planted in a run directory is never written through.

const spec = (dir: string, extra: string[] = [], seeds = 2) => writeSeedsSpec(dir, "state", extra, seeds);

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
type JsonPlan = {
  runs: { key: string; status: string; config: { seed: number } }[];
  counts: Record<string, number>;
};
const plan = async (file: string, dir: string): Promise<JsonPlan> =>
  JSON.parse((await runCli(["plan", file, "--json"], { cwd: dir })).stdout) as JsonPlan;
const runDirOf = (dir: string, p: JsonPlan, seed: number) =>
  join(dir, "results", "state", "runs", p.runs.find((r) => r.config.seed === seed)!.key);
const starts = (runDir: string) =>
  readFileSync(join(runDir, "out", "starts.txt"), "utf8")
    .trim()
    .split("\n")
    .map(Number);

describe("run state and locks", () => {
  it("a corrupt or unknown state.json is reported and its run kept, not re-run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-state-"));
    const file = spec(dir, ["--steps", "1"], 3);
    expect((await runCli(["run", file, "--jobs", "2"], { cwd: dir })).code).toBe(0);
    const p = await plan(file, dir);
    const [a, b] = [runDirOf(dir, p, 0), runDirOf(dir, p, 1)];
    writeFileSync(join(a, "state.json"), '{"status": "do'); // truncated
    writeFileSync(
      join(b, "state.json"),
      JSON.stringify({ status: "paused", attempt: 1, restarts: 0, updated: "x" }),
    );

    const status = await runCli(["status", file], { cwd: dir });
    expect(status.stdout).toContain("3 runs: 0 new, 1 done, 0 failed, 0 running, 1 corrupt, 1 unknown");
    expect(status.stdout).toMatch(
      /corrupt [0-9a-f]{12}: state\.json is not valid JSON .*; the run's outputs are kept/,
    );
    expect(status.stdout).toMatch(
      /unknown [0-9a-f]{12}: state\.json says status "paused", which this labelsweep does not know/,
    );

    const again = await runCli(["run", file], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("1 with a corrupt state, not run (see below)");
    expect(again.stdout).toContain("1 with an unknown state, not run (see below)");
    expect(starts(a)).toEqual([0]);
    expect(starts(b)).toEqual([0]);
    expect(readFileSync(join(a, "state.json"), "utf8")).toBe('{"status": "do');
    expect(existsSync(join(a, "metrics.json"))).toBe(true);
  });

  it("a running state whose pid now belongs to another process is interrupted, and resumes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-state-"));
    const file = spec(dir, ["--steps", "3"], 1);
    const p = await plan(file, dir);
    const runDir = runDirOf(dir, p, 0);
    expect((await runCli(["run", file], { cwd: dir })).code).toBe(0);
    // As if the worker died at step 3 and the pid went to this (live) test process since.
    const state = readJson(join(runDir, "state.json"));
    const reused = { ...state, status: "running", pid: process.pid, pidStart: "other-boot:1" };
    writeFileSync(join(runDir, "state.json"), JSON.stringify(reused));
    writeFileSync(
      join(runDir, "lock"),
      JSON.stringify({ pid: process.pid, host: state.host, pidStart: "other-boot:1", since: "x" }),
    );
    expect((await plan(file, dir)).runs[0]!.status).toBe("interrupted");
    const r = await runCli(["run", file], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 runs: 1 done now, 0 failed.");
    expect(readJson(join(runDir, "state.json"))).toMatchObject({ status: "done", attempt: 2, restarts: 1 });
  });

  it("a run held by a silent other host waits; --force breaks its lock", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-state-"));
    const file = spec(dir, ["--steps", "1"], 1);
    const p = await plan(file, dir);
    const runDir = runDirOf(dir, p, 0);
    mkdirSync(runDir, { recursive: true });
    const old = new Date(Date.now() - 5 * 60_000);
    writeFileSync(
      join(runDir, "state.json"),
      JSON.stringify({
        status: "running",
        attempt: 1,
        restarts: 0,
        pid: 1234,
        host: "gone-node",
        updated: old.toISOString(),
      }),
    );
    writeFileSync(
      join(runDir, "lock"),
      JSON.stringify({ pid: 1234, host: "gone-node", since: old.toISOString() }),
    );
    utimesSync(join(runDir, "lock"), old, old);
    const waits = await runCli(["run", file], { cwd: dir });
    expect(waits.stdout).toContain("1 running elsewhere");
    const forced = await runCli(["run", file, "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("1 runs: 1 done now, 0 failed.");
  });

  it("--retry-failed resumes a failed run from its checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-state-"));
    const fixed = join(dir, "fixed");
    const file = spec(dir, ["--steps", "4", "--tag", "t", "--fail-when", "t", "--unless-exists", fixed], 1);
    expect((await runCli(["run", file], { cwd: dir })).code).toBe(1);
    writeFileSync(fixed, "");
    const r = await runCli(["run", file, "--retry-failed"], { cwd: dir });
    expect(r.code).toBe(0);
    const runDir = runDirOf(dir, await plan(file, dir), 0);
    expect(starts(runDir)).toEqual([0, 4]); // the second attempt started from the checkpoint at step 4
    expect(readJson(join(runDir, "state.json"))).toMatchObject({ status: "done", attempt: 2, restarts: 1 });
  });

  it("a symbolic link planted in a run directory is never written through", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-state-"));
    const file = spec(dir, ["--steps", "1"], 1);
    const runDir = runDirOf(dir, await plan(file, dir), 0);
    mkdirSync(runDir, { recursive: true });
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(runDir, "log"));
    symlinkSync(victim, join(runDir, "events.jsonl"));
    const r = await runCli(["run", file], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /FAILED [0-9a-f]{12}: log, events\.jsonl in the run directory are symbolic links; labelsweep never writes through one/,
    );
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    // The worker refuses too, when started by hand or by Slurm.
    const worker = await runCli(["worker", runDir], { cwd: dir });
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain("log, events.jsonl in");
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  });

  it("--timeout counts from the trainer's start, not the worker's", async () => {
    // A worker that takes 3 s to start (a loaded machine), a trainer of 0.2 s, a 2 s timeout.
    const dir = mkdtempSync(join(tmpdir(), "ls-state-"));
    const slow = join(dir, "slow-start.cjs");
    writeFileSync(
      slow,
      'if (process.argv[2] === "worker") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);\n',
    );
    const runDir = join(dir, "k1");
    writeRunDir(runDir, "k1", fakeTrainerConfig(0, ["--steps", "2", "--step-ms", "100"]));
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--require ${slow}`;
    try {
      const results = await executeLocal([{ key: "k1", dir: runDir }], {
        slots: makeSlots({ gpus: [], gpusPerRun: 0, jobs: 1 }),
        timeoutSec: 2,
      }).results;
      expect(results[0]).toMatchObject({ outcome: "done" });
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  });
});
