import { execa } from "execa";

// GPU discovery through nvidia-smi (found on PATH). No nvidia-smi, or one that
// fails, means a CPU-only machine: the executor then uses --jobs CPU slots.

export interface Gpu {
  index: number;
  name: string;
  memoryMiB: number | null;
}

export async function discoverGpus(env: NodeJS.ProcessEnv = process.env): Promise<Gpu[]> {
  try {
    const r = await execa(
      "nvidia-smi",
      ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"],
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
    gpus.push({ index: Number(parts[0]), name: parts[1]!, memoryMiB: Number.isFinite(mem) ? mem : null });
  }
  return gpus;
}
