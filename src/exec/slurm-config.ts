import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { ExecutorSpec } from "../spec/types.js";
import { UserError } from "../util/errors.js";

// Where a Slurm sweep's sbatch settings come from, strongest first: command-line
// flags, the spec's `executor:` block, the user's config file
// ($LABELSWEEP_CONFIG or ~/.config/labelsweep/config.yaml), built-in defaults.
//
// The user config file (YAML; every key optional):
//   executor: slurm            # default executor for `labelsweep run` (local|slurm)
//   slurm:
//     partition: gpu
//     account: my-lab
//     time: "04:00:00"
//     cpus_per_run: 8
//     mem: 32G
//     gpus_per_run: 1
//     max_parallel: 16
//     requeue_signal_seconds: 120
//     sbatch_args: ["--qos=normal"]

export interface SlurmSettings {
  partition?: string;
  account?: string;
  time?: string;
  cpusPerRun?: number;
  mem?: string;
  gpusPerRun: number;
  maxParallel?: number;
  sbatchArgs: string[];
  /** Seconds before the time limit at which Slurm sends USR2 (the worker checkpoints). */
  requeueSignalSeconds: number;
}

export type SlurmFlags = Partial<Omit<SlurmSettings, "sbatchArgs">> & { sbatchArgs?: string[] };

export interface UserConfig {
  executor?: "local" | "slurm";
  slurm?: Record<string, unknown>;
}

const SLURM_KEYS: Record<string, "string" | "int" | "strings"> = {
  partition: "string",
  account: "string",
  time: "string",
  cpus_per_run: "int",
  mem: "string",
  gpus_per_run: "int",
  max_parallel: "int",
  requeue_signal_seconds: "int",
  sbatch_args: "strings",
};

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.LABELSWEEP_CONFIG ??
    join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "labelsweep", "config.yaml")
  );
}

/** Reads and checks the user config file; an absent file is an empty config. */
export function readUserConfig(env: NodeJS.ProcessEnv = process.env): UserConfig {
  const file = userConfigPath(env);
  if (!existsSync(file)) {
    if (env.LABELSWEEP_CONFIG)
      throw new UserError(`${file}: LABELSWEEP_CONFIG names a file that does not exist`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UserError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new UserError(`${file}: expected a mapping at the top`);
  const config = doc as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (key !== "executor" && key !== "slurm")
      throw new UserError(`${file}: unknown key "${key}" (expected executor, slurm)`);
  }
  if (config.executor !== undefined && config.executor !== "local" && config.executor !== "slurm")
    throw new UserError(`${file}: executor: expected local or slurm, got ${JSON.stringify(config.executor)}`);
  const slurm = config.slurm ?? {};
  if (typeof slurm !== "object" || slurm === null || Array.isArray(slurm))
    throw new UserError(`${file}: slurm: expected a mapping`);
  for (const [key, value] of Object.entries(slurm)) {
    const kind = SLURM_KEYS[key];
    if (!kind)
      throw new UserError(
        `${file}: slurm.${key}: unknown key (expected one of ${Object.keys(SLURM_KEYS).join(", ")})`,
      );
    const ok =
      kind === "string"
        ? typeof value === "string" || typeof value === "number"
        : kind === "int"
          ? Number.isInteger(value) && (value as number) >= 0
          : Array.isArray(value) && value.every((v) => typeof v === "string");
    if (!ok)
      throw new UserError(
        `${file}: slurm.${key}: expected ${kind === "int" ? "a whole number" : kind === "string" ? "a string" : "a list of strings"}, got ${JSON.stringify(value)}`,
      );
  }
  return {
    ...(config.executor ? { executor: config.executor as "local" | "slurm" } : {}),
    slurm: slurm as Record<string, unknown>,
  };
}

function pick<T>(...values: unknown[]): T | undefined {
  for (const v of values) if (v !== undefined && v !== null) return v as T;
  return undefined;
}

/** Merges flags over the spec's executor block over the user config. */
export function slurmSettings(
  flags: SlurmFlags,
  spec: ExecutorSpec | undefined,
  user: UserConfig,
): SlurmSettings {
  const s = spec ?? {};
  const u = user.slurm ?? {};
  const str = (flag: string | undefined, key: string) => {
    const v = pick<string | number>(flag, s[key], u[key]);
    return v === undefined ? undefined : String(v);
  };
  const num = (flag: number | undefined, key: string) => pick<number>(flag, s[key], u[key]);
  const settings: SlurmSettings = {
    gpusPerRun: num(flags.gpusPerRun, "gpus_per_run") ?? 1,
    sbatchArgs: [
      ...((u.sbatch_args as string[] | undefined) ?? []),
      ...((s.sbatch_args as string[] | undefined) ?? []),
      ...(flags.sbatchArgs ?? []),
    ],
    requeueSignalSeconds: num(flags.requeueSignalSeconds, "requeue_signal_seconds") ?? 120,
  };
  const partition = str(flags.partition, "partition");
  const account = str(flags.account, "account");
  const time = str(flags.time, "time");
  const mem = str(flags.mem, "mem");
  const cpus = num(flags.cpusPerRun, "cpus_per_run");
  const parallel = num(flags.maxParallel, "max_parallel");
  if (partition !== undefined) settings.partition = partition;
  if (account !== undefined) settings.account = account;
  if (time !== undefined) settings.time = time;
  if (mem !== undefined) settings.mem = mem;
  if (cpus !== undefined) settings.cpusPerRun = cpus;
  if (parallel !== undefined) settings.maxParallel = parallel;
  return settings;
}
