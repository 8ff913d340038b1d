import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { vulkanEnvironment } from "../../src/engine/webgpu/vulkan-env.js";
import { webgpuUnavailable } from "../engine/webgpu-helpers.js";
import { runCli } from "../helpers/cli.js";
import { FAKE_TRAINER } from "../helpers/run-dirs.js";

// The runner with engine.backend webgpu in GPU slots, end to end through the
// built CLI. The GPUs are a fake nvidia-smi's (two identical "NVIDIA Fake
// GPU"s at PCI 00000000:10:00.0 and :11:00.0) and the only Vulkan adapter is
// lavapipe, so the pin cannot land on the slot's GPU: what is checked is that
// the worker plans the pin for the slot's GPU (Mesa's device-select layer by
// PCI address, or Dawn's adapter name without it), records it in provenance,
// and warns when the adapter it got is not the slot's GPU.

const FAKE_SMI_DIR = dirname(FAKE_TRAINER);
const skip = await webgpuUnavailable();

const SPEC = `name: pin
dataset: { name: shapes, train_images: 8, eval_images: 2, image_size: 32, classes: 2, objects_per_image: [1, 1], scale: [0.3, 0.7] }
labels: { protocol: full }
detector: { arch: ssd-lite, width: 4 }
method: { name: supervised }
train: { iterations: 2, batch: 2, lr: 0.005, schedule: { type: constant, warmup: 0 } }
engine: { name: tfjs, backend: webgpu }
eval: { type: coco }
`;

async function runInSlot(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "ls-webgpu-run-"));
  const file = join(dir, "spec.yaml");
  writeFileSync(file, SPEC);
  const r = await runCli(["run", file, "--gpus", "1"], {
    cwd: dir,
    env: { PATH: `${FAKE_SMI_DIR}:${process.env.PATH}`, FAKE_GPUS: "2", ...env },
  });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const runs = join(dir, "results", "pin", "runs");
  const [key] = readdirSync(runs);
  return JSON.parse(readFileSync(join(runs, key!, "run.json"), "utf8")).provenance;
}

describe.skipIf(skip !== null)(
  `labelsweep run on webgpu in a GPU slot${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    it("pins through Mesa's device-select layer by the slot GPU's PCI address (or by name without the layer)", async () => {
      const p = await runInSlot({});
      expect(p.backend).toBe("webgpu");
      expect(p.gpus).toBe("1");
      const adapter = p.backendAdapter as { pinned: string; description: string };
      if (vulkanEnvironment().deviceSelectLayer) {
        expect(adapter.pinned).toBe(
          "GPU 1 (NVIDIA Fake GPU, PCI 00000000:11:00.0) through Mesa's device-select layer (DRI_PRIME=pci-0000_11_00_0!)",
        );
      } else {
        expect(adapter.pinned).toMatch(/by adapter name/);
      }
      expect((p.backendWarnings as string[]).join("\n")).toMatch(
        /the slot's GPU 1 is 'NVIDIA Fake GPU' but Vulkan gave '[^']+' \(.*\): the run may not be on its slot's GPU/,
      );
    }, 180_000);

    it("without the layer, warns that identical GPUs cannot be told apart", async () => {
      // NODEVICE_SELECT=1 is the layer's own off switch.
      const p = await runInSlot({ NODEVICE_SELECT: "1" });
      expect((p.backendAdapter as { pinned: string }).pinned).toBe(
        "GPU 1 (NVIDIA Fake GPU) by adapter name (Dawn's adapter= flag)",
      );
      const warnings = (p.backendWarnings as string[]).join("\n");
      expect(warnings).toMatch(
        /GPU 1 is one of 2 identical 'NVIDIA Fake GPU': Vulkan cannot tell them apart/,
      );
      expect(warnings).toMatch(/not found by name among the Vulkan adapters/);
    }, 180_000);
  },
);
