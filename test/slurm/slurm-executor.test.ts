import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { writeStandInSpec } from "../helpers/run-dirs.js";
import { type SlurmCluster, slurmMissing, startSlurm } from "../helpers/slurm-cluster.js";

// The Slurm executor against a real single-node Slurm started here (SLURM.md).
// MaxArraySize=5 so the 8-run sweep is split into two arrays.

const missing = slurmMissing();
if (missing) console.warn(`skipping the Slurm tests: ${missing}`);

const spec = (dir: string, extra: string[], grid = true) =>
  writeStandInSpec(dir, extra, {
    grid,
    executor: "{ type: slurm, gpus_per_run: 1, requeue_signal_seconds: 30 }",
  });

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const stateOf = (runs: string, key: string) => readJson(join(runs, key, "state.json"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Bounded only to name what never happened; the bound is far above any slowness (the test timeout is 15 min).
async function waitFor(what: string, check: () => boolean, ms = 10 * 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const ckptStep = (runs: string, key: string) => {
  try {
    return readJson(join(runs, key, "out", "ckpt.json")).step as number;
  } catch {
    return 0;
  }
};
const submissions = (results: string) =>
  readdirSync(join(results, "e2e", "slurm"))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => readJson(join(results, "e2e", "slurm", f)));

describe.skipIf(missing !== undefined)("Slurm executor on a real single-node cluster", () => {
  let cluster: SlurmCluster;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    cluster = await startSlurm({ cpus: 4, gpus: 2, maxArraySize: 5 });
    env = {
      SLURM_CONF: cluster.conf,
      LABELSWEEP_SLURM_POLL_MS: "300",
      LABELSWEEP_CONFIG: join(cluster.dir, "none.yaml"),
    };
    writeFileSync(join(cluster.dir, "none.yaml"), "");
    console.log(`slurm test cluster up in ${cluster.startSeconds.toFixed(2)} s`);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs a 2 × 2 × 2 sweep as job arrays with the same run keys, metrics and table as the local executor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-sweep-"));
    const file = spec(dir, ["--steps", "2"]);
    const localRes = join(mkdtempSync(join(tmpdir(), "ls-local-res-")), "results");
    const slurmRes = join(mkdtempSync(join(tmpdir(), "ls-slurm-res-")), "results");
    const dry = await runCli(["run", file, "--results", slurmRes, "--dry-run"], { cwd: dir, env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("--array=0-4");
    expect(dry.stdout).toContain("--gres=gpu:1");
    expect(dry.stdout).toContain('labelsweep.js worker "$run_dir"');
    expect(dry.stdout).toContain("dry run: 8 run(s) would be submitted");
    expect(existsSync(join(slurmRes, "e2e", "slurm"))).toBe(false);

    const local = await runCli(["run", file, "--results", localRes, "--executor", "local", "--jobs", "2"], {
      cwd: dir,
      env,
    });
    expect(local.code).toBe(0);
    const t0 = Date.now();
    const slurm = await runCli(["run", file, "--results", slurmRes, "--max-parallel", "4"], {
      cwd: dir,
      env,
    });
    console.log(`8-run sweep on Slurm: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(slurm.stderr).toBe("");
    expect(slurm.code).toBe(0);
    expect(slurm.stdout).toContain("8 runs: 8 done now, 0 failed.");
    const subs = submissions(slurmRes);
    expect(subs).toHaveLength(1);
    expect(subs[0].arrays.map((a: { keys: string[] }) => a.keys.length)).toEqual([5, 3]);
    const script = readFileSync(join(slurmRes, "e2e", "slurm", "array.sbatch"), "utf8");
    expect(script).toContain("worker");

    const keys = (res: string) => readdirSync(join(res, "e2e", "runs")).sort();
    expect(keys(slurmRes)).toEqual(keys(localRes));
    for (const key of keys(localRes)) {
      expect(readJson(join(slurmRes, "e2e", "runs", key, "metrics.json")).metrics).toEqual(
        readJson(join(localRes, "e2e", "runs", key, "metrics.json")).metrics,
      );
      // The fake GPUs were handed out by Slurm (gres), one per task.
      expect(readJson(join(slurmRes, "e2e", "runs", key, "out", "env.json")).CUDA_VISIBLE_DEVICES).toMatch(
        /^[01]$/,
      );
    }
    expect(readFileSync(join(slurmRes, "e2e", "table.md"), "utf8")).toBe(
      readFileSync(join(localRes, "e2e", "table.md"), "utf8"),
    );
  });

  it("finds a failing task's exit code, node and log tail; --retry-failed resubmits only those runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-fail-"));
    const fixed = join(dir, "fixed");
    const file = spec(dir, ["--steps", "1", "--fail-when", "0.5", "--unless-exists", fixed]);
    const first = await runCli(["run", file], { cwd: dir, env });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      new RegExp(`FAILED [0-9a-f]{12}: array task \\d+_\\d on ${cluster.node} failed, exit code 1`),
    );
    expect(first.stdout).toContain("| RuntimeError: CUDA out of memory (fake)");
    expect(first.stdout).toContain("4 done now, 4 failed.");
    const runs = join(dir, "results", "e2e", "runs");
    const failed = readdirSync(runs)
      .filter((k) => stateOf(runs, k).status === "failed")
      .sort();
    expect(failed).toHaveLength(4);

    writeFileSync(fixed, "");
    const retry = await runCli(["run", file, "--retry-failed"], { cwd: dir, env });
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain("submitted 4 run(s)");
    expect(retry.stdout).toContain("8 runs: 4 done now, 0 failed, 4 done before.");
    const last = submissions(join(dir, "results")).at(-1);
    expect(last.arrays.flatMap((a: { keys: string[] }) => a.keys).sort()).toEqual(failed);
  });

  it("scancel mid-sweep leaves the runs resumable; a resubmission while queued never runs a key twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-cancel-"));
    const file = spec(dir, ["--steps", "60", "--step-ms", "100"]);
    const runs = join(dir, "results", "e2e", "runs");
    const sub = await runCli(["run", file, "--detach", "--max-parallel", "2"], { cwd: dir, env });
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("detached: follow with `labelsweep collect");
    // While the first submission is queued, a second `run` submits nothing again.
    const again = await runCli(["run", file, "--detach"], { cwd: dir, env });
    expect(again.stdout).toContain("8 run(s) not submitted again: still queued or running");
    expect(submissions(join(dir, "results"))).toHaveLength(1);

    const keys = () => (existsSync(runs) ? readdirSync(runs) : []);
    await waitFor("a run mid-way", () => keys().some((k) => ckptStep(runs, k) >= 3));
    const ids = submissions(join(dir, "results"))[0].arrays.map((a: { jobId: string }) => a.jobId);
    execFileSync("scancel", ids, { env: { ...process.env, ...env } });
    const status = await runCli(["collect", file], { cwd: dir, env });
    expect(status.stdout).toMatch(/interrupted/);
    const interrupted = keys().filter(
      (k) => existsSync(join(runs, k, "state.json")) && stateOf(runs, k).status === "interrupted",
    );
    expect(interrupted.length).toBeGreaterThan(0);
    // A run cancelled before its first checkpoint starts again from step 0; one cancelled after it
    // resumes from exactly its checkpoint. The run waited for above had one.
    const checkpointed = new Map(interrupted.map((k) => [k, ckptStep(runs, k)]));
    expect(Math.max(...checkpointed.values())).toBeGreaterThanOrEqual(3);

    const resumed = await runCli(["run", file], { cwd: dir, env });
    expect(resumed.code).toBe(0);
    expect(readdirSync(runs).every((k) => stateOf(runs, k).status === "done")).toBe(true);
    for (const key of interrupted) {
      const starts = readFileSync(join(runs, key, "out", "starts.txt"), "utf8")
        .trim()
        .split("\n")
        .map(Number);
      expect(starts.at(-1)).toBe(checkpointed.get(key));
      expect(stateOf(runs, key).restarts).toBe(1);
    }
  });

  it("a requeued task (scontrol requeue) resumes from its checkpoint; collect picks the sweep up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-requeue-"));
    const file = spec(dir, ["--steps", "30", "--step-ms", "100"], false);
    const runs = join(dir, "results", "e2e", "runs");
    const sub = await runCli(["run", file, "--detach"], { cwd: dir, env });
    expect(sub.code).toBe(0);
    const [arr] = submissions(join(dir, "results"))[0].arrays;
    const key = arr.keys[0];
    await waitFor("a checkpoint", () => ckptStep(runs, key) >= 3);
    const cenv = { ...process.env, ...env };
    execFileSync("scontrol", ["requeue", `${arr.jobId}_0`], { env: cenv });
    // Slurm holds a requeued task back for the credential lifetime (AuthInfo=cred_expire, 10 s here,
    // 120 s by default) before it starts again.
    const collected = await runCli(["collect", file], { cwd: dir, env });
    expect(collected.code).toBe(0);
    expect(collected.stdout).toContain("1 runs: 1 done");
    const state = stateOf(runs, key);
    expect(state.status).toBe("done");
    expect(state.restarts).toBe(1);
    expect(readJson(join(runs, key, "run.json")).provenance.restarts).toBe(1);
    const starts = readFileSync(join(runs, key, "out", "starts.txt"), "utf8")
      .trim()
      .split("\n")
      .map(Number);
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(dir, "results", "e2e", "table.md"))).toBe(true);
  });
});
