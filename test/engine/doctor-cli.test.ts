import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { webgpuUnavailable } from "./webgpu-helpers.js";

// `labelsweep doctor` and a forced webgpu backend where Vulkan has no driver,
// end to end through the built CLI.

/** The Vulkan loader's own switches: read only this (missing) manifest, i.e. no driver at all. */
const NO_DRIVER = { VK_DRIVER_FILES: "/nonexistent/icd.json", VK_ICD_FILENAMES: "/nonexistent/icd.json" };
const available = (await webgpuUnavailable()) === null;

describe("labelsweep doctor", () => {
  it("reports packages, Vulkan, adapters and what auto chooses (never a software adapter)", async () => {
    const r = await runCli(["doctor"]);
    expect(r.code, r.stderr).toBe(0);
    for (const section of [
      "optional packages:",
      "vulkan:",
      "adapters (Dawn, Vulkan backend):",
      "GPUs (nvidia-smi):",
    ]) {
      expect(r.stdout).toContain(section);
    }
    expect(r.stdout).toMatch(/^ {2}webgpu {2,}(\d+\.\d+\.\d+|not installed)$/m);
    const auto = /^auto would choose: (\w+) — /m.exec(r.stdout);
    expect(auto).not.toBeNull();
    if (auto![1] === "webgpu") expect(r.stdout).not.toMatch(/^ {2}adapter: .*\[mesa, software\]/m);
  }, 120_000);

  it("prints JSON with --json", async () => {
    const r = await runCli(["doctor", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { choices: { asked: string; selection?: { name: string } }[] };
    expect(report.choices.map((c) => c.asked)).toEqual(["auto"]);
    expect(["tensorflow", "webgpu", "wasm", "cpu"]).toContain(report.choices[0]!.selection!.name);
  }, 120_000);

  it("says what is missing and exits 2 when webgpu is asked for without a Vulkan driver", async () => {
    const r = await runCli(["doctor", "--backend", "webgpu"], { env: NO_DRIVER });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^--backend webgpu: cannot start$/m);
    expect(r.stdout).toMatch(
      /backend 'webgpu' cannot start: (Dawn found no Vulkan adapter\. no Vulkan driver manifest \(ICD\) was found in \/nonexistent\/icd\.json|the optional npm package)/,
    );
    expect(r.stdout).toMatch(/^auto would choose: /m);
  }, 120_000);

  it.skipIf(!available)(
    "starts webgpu on request where a Vulkan adapter exists",
    async () => {
      const r = await runCli(["doctor", "--backend", "webgpu"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^--backend webgpu: webgpu — requested: WebGPU through Dawn/m);
      expect(r.stdout).toMatch(/^ {2}adapter: /m);
    },
    120_000,
  );

  it("rejects an unknown backend", async () => {
    const r = await runCli(["doctor", "--backend", "tpu"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--backend tpu: expected one of auto, tensorflow, webgpu, wasm, cpu");
  });
});

describe("labelsweep train --backend webgpu without a Vulkan driver", () => {
  it("fails with a message naming what is missing, exit 2, no stack trace", async () => {
    const results = mkdtempSync(join(tmpdir(), "ls-webgpu-none-"));
    const r = await runCli(
      ["train", "test/fixtures/engine/tiny-train.yaml", "--backend", "webgpu", "--results", results],
      { env: NO_DRIVER },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/backend 'webgpu' cannot start: /);
    expect(r.stderr).toMatch(/no Vulkan driver manifest \(ICD\)|the optional npm package/);
    expect(r.stderr).toContain("`labelsweep doctor` lists what this machine has");
    // No JavaScript stack trace (the Vulkan loader and Dawn log their own lines to stderr).
    expect(r.stderr).not.toMatch(/^\s+at .*(node:|\.js:\d+)/m);
  }, 120_000);
});
