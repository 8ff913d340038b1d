import { execa } from "execa";

// GPU discovery through nvidia-smi (found on PATH). No nvidia-smi, or one that
// fails, means a CPU-only machine: the executor then uses --jobs CPU slots.

export interface Gpu {
  index: number;
  name: string;
  memoryMiB: number | null;
  /** e.g. 00000000:01:00.0 (how a webgpu run finds this GPU among the Vulkan devices). */
  pciBusId?: string;
  /** GPU-… (CUDA_VISIBLE_DEVICES may name GPUs by UUID). */
  uuid?: string;
}

export async function discoverGpus(env: NodeJS.ProcessEnv = process.env): Promise<Gpu[]> {
  try {
    const r = await execa(
      "nvidia-smi",
      ["--query-gpu=index,name,memory.total,pci.bus_id,uuid", "--format=csv,noheader,nounits"],
      {
        env,
        timeout: 15_000,
        reject: false,
      },
    );
    if (r.exitCode !== 0 || typeof r.stdout !== "string") return [];
    return parseNvidiaSmi(r.stdout);
  } catch {
    return [];
  }
}

export function parseNvidiaSmi(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    const parts = line.split(",").map((s) => s.trim());
    if (parts.length < 2 || !/^\d+$/.test(parts[0]!)) continue;
    const mem = Number(parts[2]);
    gpus.push({
      index: Number(parts[0]),
      name: parts[1]!,
      memoryMiB: Number.isFinite(mem) ? mem : null,
      ...(parts[3] ? { pciBusId: parts[3] } : {}),
      ...(parts[4] ? { uuid: parts[4] } : {}),
    });
  }
  return gpus;
}

/**
 * The GPU a slot's first id names (an nvidia-smi index or a GPU-… UUID, as in
 * CUDA_VISIBLE_DEVICES), with how many GPUs share its name; undefined when the
 * slot has no GPU or nvidia-smi does not list it.
 */
export function slotGpu(
  ids: string,
  gpus: Gpu[],
): { id: string; name: string; pciBusId?: string; sameName: number } | undefined {
  const id = ids
    .split(",")
    .map((s) => s.trim())
    .find(Boolean);
  if (!id) return undefined;
  const g = /^\d+$/.test(id) ? gpus.find((x) => x.index === Number(id)) : gpus.find((x) => x.uuid === id);
  if (!g) return undefined;
  return {
    id,
    name: g.name,
    ...(g.pciBusId ? { pciBusId: g.pciBusId } : {}),
    sameName: gpus.filter((x) => x.name === g.name).length,
  };
}
