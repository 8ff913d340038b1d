import { describe, expect, it } from "vitest";
import { parseNvidiaSmi, slotGpu } from "../../src/exec/gpus.js";

// The GPU of a runner slot, as the webgpu backend needs it to pin itself
// (name and PCI address from nvidia-smi; CUDA_VISIBLE_DEVICES-style ids).

const SMI = `0, NVIDIA A100-SXM4-40GB, 40960, 00000000:07:00.0, GPU-aaaa
1, NVIDIA A100-SXM4-40GB, 40960, 00000000:0B:00.0, GPU-bbbb
2, NVIDIA GeForce RTX 3090, 24576, 00000000:41:00.0, GPU-cccc
`;

describe("slot GPUs", () => {
  it("reads name, PCI bus id and UUID from nvidia-smi", () => {
    expect(parseNvidiaSmi(SMI)[1]).toEqual({
      index: 1,
      name: "NVIDIA A100-SXM4-40GB",
      memoryMiB: 40960,
      pciBusId: "00000000:0B:00.0",
      uuid: "GPU-bbbb",
    });
    // The three-column form older callers print still parses.
    expect(parseNvidiaSmi("3, Fake, 100")).toEqual([{ index: 3, name: "Fake", memoryMiB: 100 }]);
  });

  it("finds a slot's first GPU by index or UUID and counts the GPUs sharing its name", () => {
    const gpus = parseNvidiaSmi(SMI);
    expect(slotGpu("1,2", gpus)).toEqual({
      id: "1",
      name: "NVIDIA A100-SXM4-40GB",
      pciBusId: "00000000:0B:00.0",
      sameName: 2,
    });
    expect(slotGpu("GPU-cccc", gpus)).toMatchObject({
      id: "GPU-cccc",
      name: "NVIDIA GeForce RTX 3090",
      sameName: 1,
    });
    expect(slotGpu("", gpus)).toBeUndefined();
    expect(slotGpu("7", gpus)).toBeUndefined();
  });
});
