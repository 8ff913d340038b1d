import { UserError } from "../util/errors.js";

// A slot is where one run executes: a group of pinned GPUs (CUDA_VISIBLE_DEVICES)
// or a CPU slot, with a TCP port of its own for distributed trainers (MASTER_PORT).

export interface Slot {
  id: number;
  /** Comma-separated GPU ids; "" for a CPU slot. */
  gpus: string;
  port: number;
}

export interface SlotOptions {
  /** GPU indices available to this runner (after --gpus filtering); empty: CPU only. */
  gpus: number[];
  gpusPerRun: number;
  /** CPU slots when there are no GPUs (or gpusPerRun is 0). */
  jobs: number;
  /** First MASTER_PORT; slot i gets basePort + i. */
  basePort?: number;
}

export function makeSlots(options: SlotOptions): Slot[] {
  const basePort = options.basePort ?? 29500 + (process.pid % 1000) * 16;
  if (options.gpus.length > 0 && options.gpusPerRun > 0) {
    const n = Math.floor(options.gpus.length / options.gpusPerRun);
    if (n === 0) {
      throw new UserError(
        `each run needs ${options.gpusPerRun} GPU(s) but only ${options.gpus.length} are available`,
      );
    }
    return Array.from({ length: n }, (_, i) => ({
      id: i,
      gpus: options.gpus.slice(i * options.gpusPerRun, (i + 1) * options.gpusPerRun).join(","),
      port: basePort + i,
    }));
  }
  if (!Number.isInteger(options.jobs) || options.jobs < 1)
    throw new UserError(`--jobs must be a positive integer, got ${options.jobs}`);
  return Array.from({ length: options.jobs }, (_, i) => ({ id: i, gpus: "", port: basePort + i }));
}

/** Parses --gpus: "all", "none", or a list such as "0,2,3", against the GPUs found. */
export function selectGpus(flag: string | undefined, found: number[]): number[] {
  if (flag === undefined || flag === "all") return found;
  if (flag === "none" || flag === "") return [];
  const wanted = flag.split(",").map((s) => s.trim());
  const ids: number[] = [];
  for (const w of wanted) {
    if (!/^\d+$/.test(w))
      throw new UserError(`--gpus: "${w}" is not a GPU index (expected all, none, or e.g. 0,1)`);
    const id = Number(w);
    if (!found.includes(id))
      throw new UserError(
        `--gpus: GPU ${id} not found (nvidia-smi lists ${found.length ? found.join(", ") : "none"})`,
      );
    ids.push(id);
  }
  return ids;
}
