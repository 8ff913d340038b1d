import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeActiveSpec } from "../helpers/active-spec.js";
import { runCli } from "../helpers/cli.js";
import { type SlurmCluster, slurmMissing, startSlurm } from "../helpers/slurm-cluster.js";

// Active-learning chains on a real single-node Slurm: waves of job arrays
// linked with --dependency=aftercorr (exec/slurm-waves.ts), the same keys and
// table as the local executor, a failed cycle blocking only its own chain,
// --retry-failed resubmitting the failed cycle and what follows it.

const missing = slurmMissing();
if (missing) console.warn(`skipping the Slurm chain tests: ${missing}`);

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const submissions = (results: string) =>
  readdirSync(join(results, "al", "slurm"))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => readJson(join(results, "al", "slurm", f)));

describe.skipIf(missing !== undefined)("active-learning chains on Slurm", () => {
  let cluster: SlurmCluster;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    cluster = await startSlurm({ cpus: 4, gpus: 0, maxArraySize: 5 });
    env = {
      SLURM_CONF: cluster.conf,
      LABELSWEEP_SLURM_POLL_MS: "300",
      LABELSWEEP_CONFIG: join(cluster.dir, "none.yaml"),
    };
    writeFileSync(join(cluster.dir, "none.yaml"), "");
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs the chains as aftercorr-linked waves with the local executor's keys and table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-al-"));
    const file = writeActiveSpec(dir, ["--steps", "1"], { acquisition: "entropy" });
    const localRes = join(mkdtempSync(join(tmpdir(), "ls-al-local-")), "results");
    const slurmRes = join(mkdtempSync(join(tmpdir(), "ls-al-slurm-")), "results");
    const local = await runCli(["run", file, "--results", localRes, "--jobs", "2"], { cwd: dir, env });
    expect(local.code).toBe(0);
    const slurm = await runCli(["run", file, "--results", slurmRes, "--executor", "slurm"], {
      cwd: dir,
      env,
    });
    expect(slurm.stderr).toBe("");
    expect(slurm.code).toBe(0);
    expect(slurm.stdout).toContain("6 runs: 6 done now, 0 failed.");
    const arrays = submissions(slurmRes)[0].arrays as { keys: string[]; after?: number }[];
    expect(arrays.map((a) => a.keys.length)).toEqual([2, 2, 2]);
    expect(arrays.map((a) => a.after)).toEqual([undefined, 0, 1]);
    const keys = (res: string) => readdirSync(join(res, "al", "runs")).sort();
    expect(keys(slurmRes)).toEqual(keys(localRes));
    for (const key of keys(localRes)) {
      const sel = (res: string) => {
        try {
          return readJson(join(res, "al", "runs", key, "selection.json")).selected;
        } catch {
          return null;
        }
      };
      expect(sel(slurmRes)).toEqual(sel(localRes));
    }
    expect(readFileSync(join(slurmRes, "al", "table.md"), "utf8")).toBe(
      readFileSync(join(localRes, "al", "table.md"), "utf8"),
    );
  });

  it("a failed cycle blocks only its chain; --retry-failed resubmits it and what follows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-al-fail-"));
    const fixed = join(dir, "fixed");
    const file = writeActiveSpec(dir, ["--steps", "1", "--fail-when", "1-1", "--unless-exists", fixed], {
      executor: "{ type: slurm }",
    });
    const first = await runCli(["run", file], { cwd: dir, env });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/FAILED [0-9a-f]{12}: array task/);
    expect(first.stdout).toMatch(/BLOCKED [0-9a-f]{12}: blocked: run [0-9a-f]{12}/);
    expect(first.stdout).toContain("4 done now, 1 failed, 1 blocked by a failed run they depend on");
    writeFileSync(fixed, "");
    const retry = await runCli(["run", file, "--retry-failed"], { cwd: dir, env });
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain("6 runs: 2 done now, 0 failed, 4 done before.");
    const last = submissions(join(dir, "results")).at(-1);
    expect(last.arrays.map((a: { keys: string[] }) => a.keys.length)).toEqual([1, 1]);
  });
});
