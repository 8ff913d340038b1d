import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverGpus } from "../../src/exec/gpus.js";
import { executeLocal } from "../../src/exec/local-executor.js";
import { makeSlots, selectGpus } from "../../src/exec/slots.js";
import { FAKE_TRAINER, fakeTrainerConfig, writeRunDir } from "../helpers/run-dirs.js";
import { waitUntil } from "../helpers/wait.js";

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const FAKE_SMI_DIR = dirname(FAKE_TRAINER);

function tasks(n: number, extra: (i: number) => string[] = () => []) {
  const root = mkdtempSync(join(tmpdir(), "ls-exec-"));
  return Array.from({ length: n }, (_, i) => {
    const key = `key${i}`;
    const dir = join(root, key);
    writeRunDir(dir, key, fakeTrainerConfig(i, ["--gpus", "{gpus}", ...extra(i)]));
    return { key, dir };
  });
}

describe("GPU discovery and slots", () => {
  it("finds GPUs through nvidia-smi on PATH, and none without it", async () => {
    const env = { ...process.env, PATH: `${FAKE_SMI_DIR}:${process.env.PATH}`, FAKE_GPUS: "3" };
    expect((await discoverGpus(env)).map((g) => g.index)).toEqual([0, 1, 2]);
    expect(await discoverGpus({ ...process.env, PATH: "/nonexistent" })).toEqual([]);
  });

  it("groups GPUs per run and honours --gpus", () => {
    expect(makeSlots({ gpus: [0, 1, 2, 3], gpusPerRun: 2, jobs: 1, basePort: 100 })).toEqual([
      { id: 0, gpus: "0,1", port: 100 },
      { id: 1, gpus: "2,3", port: 101 },
    ]);
    expect(makeSlots({ gpus: [], gpusPerRun: 1, jobs: 3, basePort: 7 }).map((s) => s.gpus)).toEqual([
      "",
      "",
      "",
    ]);
    expect(selectGpus("1,3", [0, 1, 2, 3])).toEqual([1, 3]);
    expect(() => selectGpus("7", [0, 1])).toThrow(/GPU 7 not found/);
    expect(() => makeSlots({ gpus: [0], gpusPerRun: 2, jobs: 1 })).toThrow(/needs 2 GPU/);
  });
});

describe("local executor", () => {
  it("runs every task on its pinned slot, reports failures with their log tail", async () => {
    const ts = tasks(4, (i) => (i === 2 ? ["--fail"] : []));
    const slots = makeSlots({ gpus: [0, 1, 2, 3], gpusPerRun: 2, jobs: 1 });
    const seen: string[] = [];
    const exec = executeLocal(ts, {
      slots,
      observer: { started: (t, s) => seen.push(`${t.key}@${s.gpus}`) },
    });
    const results = await exec.results;
    expect(results.map((r) => [r.key, r.outcome]).sort()).toEqual([
      ["key0", "done"],
      ["key1", "done"],
      ["key2", "failed"],
      ["key3", "done"],
    ]);
    const failed = results.find((r) => r.key === "key2")!;
    expect(failed.logTail.join("\n")).toContain("CUDA out of memory (fake)");
    for (const t of ts) {
      const env = readJson(join(t.dir, "out", "env.json"));
      expect(["0,1", "2,3"]).toContain(env.CUDA_VISIBLE_DEVICES);
      expect(env.gpus).toBe(env.CUDA_VISIBLE_DEVICES);
      expect(Number(env.MASTER_PORT)).toBeGreaterThan(0);
    }
    expect(seen).toHaveLength(4);
  });

  it("times out a run and marks it failed", async () => {
    const ts = tasks(1, () => ["--steps", "1000", "--step-ms", "50"]);
    const results = await executeLocal(ts, {
      slots: makeSlots({ gpus: [], gpusPerRun: 0, jobs: 1 }),
      timeoutSec: 1.5,
    }).results;
    expect(results[0]).toMatchObject({ outcome: "failed", error: "timed out after 1.5 s" });
    expect(readJson(join(ts[0]!.dir, "state.json")).status).toBe("failed");
  });

  it("stops gracefully: running workers checkpoint, queued tasks never start", async () => {
    const ts = tasks(3, () => ["--steps", "1000", "--step-ms", "20"]);
    const exec = executeLocal(ts, { slots: makeSlots({ gpus: [], gpusPerRun: 0, jobs: 1 }) });
    await waitUntil(() => readJson(join(ts[0]!.dir, "out", "ckpt.json")).step >= 2);
    exec.stop();
    const results = await exec.results;
    expect(results.map((r) => r.outcome)).toEqual(["interrupted"]);
    expect(readJson(join(ts[0]!.dir, "state.json")).status).toBe("interrupted");
  });
});
