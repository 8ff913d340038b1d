import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readUserConfig, slurmSettings } from "../../src/exec/slurm-config.js";
import { parseShowJob } from "../../src/exec/slurm-query.js";
import { arraySpec, chunkSizes } from "../../src/exec/slurm-script.js";

describe("slurm helpers", () => {
  it("splits arrays at MaxArraySize and writes compact array specs", () => {
    expect(chunkSizes(8, 5)).toEqual([5, 3]);
    expect(chunkSizes(3, 1001)).toEqual([3]);
    expect(arraySpec([0, 1, 2, 5, 7, 8])).toBe("0-2,5,7-8");
  });

  it("reads per-task states and exit codes from scontrol -o show job, pending ranges expanded", () => {
    const tasks = parseShowJob(
      "JobId=10 ArrayJobId=3 ArrayTaskId=3 JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 Restarts=0 BatchHost=vm\n" +
        "JobId=3 ArrayJobId=3 ArrayTaskId=4-5%2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 Restarts=0\n",
    );
    expect(tasks.map((t) => [t.taskId, t.state, t.exitCode, t.node])).toEqual([
      [3, "FAILED", 3, "vm"],
      [4, "PENDING", null, ""],
      [5, "PENDING", null, ""],
    ]);
  });

  it("merges flags over the spec over the user config, and rejects unknown config keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-slurm-conf-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      "executor: slurm\nslurm: { partition: p, time: '01:00:00', sbatch_args: [--qos=a] }\n",
    );
    const user = readUserConfig({ LABELSWEEP_CONFIG: file });
    expect(user.executor).toBe("slurm");
    const s = slurmSettings(
      { time: "02:00:00", sbatchArgs: ["--x"] },
      { mem: "4G", sbatch_args: ["--y"] },
      user,
    );
    expect(s).toMatchObject({
      partition: "p",
      time: "02:00:00",
      mem: "4G",
      gpusPerRun: 1,
      requeueSignalSeconds: 120,
    });
    expect(s.sbatchArgs).toEqual(["--qos=a", "--y", "--x"]);
    writeFileSync(file, "slurm: { partiton: p }\n");
    expect(() => readUserConfig({ LABELSWEEP_CONFIG: file })).toThrow(/slurm.partiton: unknown key/);
  });
});
