import { execa } from "execa";
import { UserError } from "../util/errors.js";

// Talking to Slurm's client commands (sbatch, scontrol, sinfo, scancel), argv
// arrays only. Per-task states and exit codes come from `scontrol -o show job`,
// which works without accounting (SLURM.md §5: one line per task while the job
// is within MinJobAge; pending tasks folded into one line with a range).

export interface TaskInfo {
  arrayJobId: string;
  taskId: number;
  jobId: string;
  state: string;
  /** Exit status of the batch script; null while it has none. */
  exitCode: number | null;
  signal: number | null;
  node: string;
  reason: string;
  restarts: number;
}

/** States in which a task may still run (or run again, after a requeue). */
const ACTIVE = new Set([
  "PENDING",
  "RUNNING",
  "SUSPENDED",
  "COMPLETING",
  "CONFIGURING",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
]);

export function isActive(state: string): boolean {
  return ACTIVE.has(state);
}

async function client(cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  try {
    return await execa(cmd, args, { reject: false, stdin: "ignore", ...(env ? { env } : {}) });
  } catch (err) {
    throw new UserError(
      `cannot run ${cmd}: ${(err as Error).message} (is Slurm's client installed and on PATH?)`,
    );
  }
}

/** Expands an ArrayTaskId field: "3", "2-4%2", "1,5-7". */
export function expandTaskIds(field: string): number[] {
  const ids: number[] = [];
  for (const part of field.replace(/%\d+$/, "").split(",")) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = a; i <= b; i += step) ids.push(i);
  }
  return ids;
}

/** Parses `scontrol -o show job` output into one record per array task. */
export function parseShowJob(text: string): TaskInfo[] {
  const tasks: TaskInfo[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f: Record<string, string> = {};
    for (const m of line.matchAll(/(?:^|\s)([A-Za-z]+)=(\S*)/g)) f[m[1]!] ??= m[2]!;
    const [code, sig] = (f.ExitCode ?? "").split(":");
    const ids = f.ArrayTaskId !== undefined ? expandTaskIds(f.ArrayTaskId) : [];
    const state = f.JobState ?? "UNKNOWN";
    for (const taskId of ids) {
      tasks.push({
        arrayJobId: f.ArrayJobId ?? f.JobId ?? "",
        taskId,
        jobId: f.JobId ?? "",
        state,
        exitCode: code === undefined || code === "" || state === "PENDING" ? null : Number(code),
        signal: sig === undefined || sig === "" ? null : Number(sig),
        node: f.BatchHost ?? (f.NodeList && f.NodeList !== "(null)" ? f.NodeList : ""),
        reason: f.Reason ?? "",
        restarts: Number(f.Restarts ?? 0),
      });
    }
  }
  return tasks;
}

/** The tasks of an array job, or null when Slurm no longer knows the job (purged after MinJobAge). */
export async function showArrayJob(jobId: string): Promise<TaskInfo[] | null> {
  const r = await client("scontrol", ["-o", "show", "job", jobId]);
  if (r.exitCode !== 0) {
    if (/Invalid job id/i.test(`${r.stderr}${r.stdout}`)) return null;
    throw new UserError(`scontrol show job ${jobId} failed: ${String(r.stderr).trim()}`);
  }
  return parseShowJob(String(r.stdout)).filter((t) => t.arrayJobId === jobId);
}

export interface ClusterInfo {
  maxArraySize: number;
  hasGpus: boolean;
}

export async function clusterInfo(partition?: string): Promise<ClusterInfo> {
  const conf = await client("scontrol", ["show", "config"]);
  if (conf.exitCode !== 0)
    throw new UserError(`cannot reach Slurm (scontrol show config): ${String(conf.stderr).trim()}`);
  const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(String(conf.stdout));
  const maxArraySize = m ? Number(m[1]) : 1001;
  const gres = await client("sinfo", ["-h", "-o", "%G", ...(partition ? ["-p", partition] : [])]);
  const hasGpus = gres.exitCode === 0 && /(^|[,\s])gpu[:(]/m.test(String(gres.stdout));
  return { maxArraySize, hasGpus };
}

/** Submits; returns the array job id. Variables go through sbatch's own environment (SLURM.md §7.2). */
export async function sbatch(args: string[], env: Record<string, string>, cwd: string): Promise<string> {
  let r: Awaited<ReturnType<typeof execa>>;
  try {
    r = await execa("sbatch", args, { reject: false, stdin: "ignore", cwd, env });
  } catch (err) {
    throw new UserError(
      `cannot run sbatch: ${(err as Error).message} (is Slurm's client installed and on PATH?)`,
    );
  }
  if (r.exitCode !== 0) throw new UserError(`sbatch failed (exit ${r.exitCode}): ${String(r.stderr).trim()}`);
  const id = String(r.stdout).trim().split(";")[0] ?? "";
  if (!/^\d+$/.test(id)) throw new UserError(`sbatch printed no job id: ${String(r.stdout).trim()}`);
  return id;
}

export async function scancel(jobIds: readonly string[]): Promise<void> {
  if (jobIds.length === 0) return;
  const r = await client("scancel", [...jobIds]);
  if (r.exitCode !== 0) throw new UserError(`scancel failed: ${String(r.stderr).trim()}`);
}
