import { existsSync, readdirSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { effectiveStatus, RUN_FILES, readJsonFile, readState, writeFailed } from "../sweep/run-store.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic-write.js";
import type { ExecObserver, ExecTask, TaskOutcome, TaskResult } from "./local-executor.js";
import { tailLines } from "./local-executor.js";
import { lockHolder } from "./lock.js";
import type { SlurmSettings } from "./slurm-config.js";
import { clusterInfo, isActive, sbatch, scancel, showArrayJob, type TaskInfo } from "./slurm-query.js";
import { batchScript, chunkSizes, SCRIPT_EXIT_LOCKED, sbatchArgs } from "./slurm-script.js";
import { chainWaves } from "./slurm-waves.js";
import type { WorkerEvent } from "./worker-events.js";

// The Slurm executor: one job array per sweep (several above MaxArraySize),
// each task running `labelsweep worker <run-dir>` in the shared results store.
// Layout under results/<experiment>/slurm/:
//   array.sbatch              the batch script (kept for inspection)
//   <submission>-<n>.index    run directory of task N on line N+1 (written before sbatch)
//   <submission>.json         which array job ids hold which run keys
//   logs/<job>_<task>.out     each task's Slurm output (the worker's own log is in its run dir)

const BIN = fileURLToPath(new URL("../../bin/labelsweep.js", import.meta.url));

export interface SlurmArray {
  jobId: string;
  indexFile: string;
  keys: string[];
  /** Dependent runs: the index (in `arrays`) of the array whose task i this one's task i waits for. */
  after?: number;
}

export interface SlurmSubmission {
  id: string;
  created: string;
  script: string;
  arrays: SlurmArray[];
}

export function slurmDir(resultsDir: string, experiment: string): string {
  return join(resultsDir, experiment, "slurm");
}

export function readSubmissions(resultsDir: string, experiment: string): SlurmSubmission[] {
  const dir = slurmDir(resultsDir, experiment);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{8}T\d{6}-[0-9a-f]+\.json$/.test(f))
    .sort()
    .map((f) => readJsonFile<SlurmSubmission>(join(dir, f)))
    .filter((s): s is SlurmSubmission => s !== undefined);
}

/** Run keys with a task still pending or running in an earlier submission, with its job id. */
export async function activeKeys(resultsDir: string, experiment: string): Promise<Map<string, string>> {
  const active = new Map<string, string>();
  for (const sub of readSubmissions(resultsDir, experiment)) {
    for (const arr of sub.arrays) {
      const tasks = await showArrayJob(arr.jobId);
      for (const t of tasks ?? []) {
        const key = arr.keys[t.taskId];
        if (key && isActive(t.state)) active.set(key, `${arr.jobId}_${t.taskId}`);
      }
    }
  }
  return active;
}

export function scriptFor(experiment: string): string {
  return batchScript({ experiment, node: process.execPath, bin: BIN });
}

export interface SubmitOptions {
  resultsDir: string;
  experiment: string;
  settings: SlurmSettings;
}

/** The script and the sbatch command lines a submission would use, without submitting. */
export async function previewSlurm(count: number, opts: SubmitOptions): Promise<string> {
  const dir = slurmDir(opts.resultsDir, opts.experiment);
  let info: { maxArraySize: number; hasGpus: boolean };
  let note = "";
  try {
    info = await clusterInfo(opts.settings.partition);
  } catch {
    info = { maxArraySize: 1001, hasGpus: true };
    note = "# (Slurm not reachable: assuming MaxArraySize=1001 and a cluster with GPUs)\n";
  }
  const lines = chunkSizes(count, info.maxArraySize).map(
    (n, i) =>
      `LABELSWEEP_INDEX=${join(dir, `<submission>-${i}.index`)} sbatch ${sbatchArgs({
        settings: opts.settings,
        experiment: opts.experiment,
        script: join(dir, "array.sbatch"),
        logDir: join(dir, "logs"),
        count: n,
        clusterHasGpus: info.hasGpus,
      }).join(" ")}`,
  );
  return `${note}${lines.map((l) => `# ${l}`).join("\n")}\n${scriptFor(opts.experiment)}`;
}

/** Writes the script and index files, then submits one array per chunk. */
export async function submitSlurm(tasks: readonly ExecTask[], opts: SubmitOptions): Promise<SlurmSubmission> {
  const dir = slurmDir(opts.resultsDir, opts.experiment);
  const script = join(dir, "array.sbatch");
  await writeFileAtomic(script, scriptFor(opts.experiment));
  const logDir = join(dir, "logs");
  await writeFileAtomic(join(logDir, ".keep"), "");
  const info = await clusterInfo(opts.settings.partition);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const id = `${stamp}-${process.pid.toString(16)}`;
  const submission: SlurmSubmission = { id, created: new Date().toISOString(), script, arrays: [] };
  // Chains of dependent runs go in waves linked chain by chain (slurm-waves.ts); otherwise one wave.
  const waves = tasks.some((t) => t.after?.length) ? chainWaves(tasks) : [tasks];
  /** Per wave, the array index of each chunk (the next wave's chunk j waits on chunk j). */
  let previous: number[] = [];
  let i = 0;
  for (const wave of waves) {
    const current: number[] = [];
    let offset = 0;
    for (const [j, n] of chunkSizes(wave.length, info.maxArraySize).entries()) {
      const chunk = wave.slice(offset, offset + n);
      offset += n;
      const indexFile = join(dir, `${id}-${i}.index`);
      await writeFileAtomic(indexFile, `${chunk.map((t) => t.dir).join("\n")}\n`);
      const after = previous[j];
      const args = sbatchArgs({
        settings: opts.settings,
        experiment: opts.experiment,
        script,
        logDir,
        count: n,
        clusterHasGpus: info.hasGpus,
        ...(after === undefined ? {} : { afterArray: submission.arrays[after]!.jobId }),
      });
      const jobId = await sbatch(args, { LABELSWEEP_INDEX: indexFile }, opts.resultsDir);
      current.push(submission.arrays.length);
      submission.arrays.push({
        jobId,
        indexFile,
        keys: chunk.map((t) => t.key),
        ...(after === undefined ? {} : { after }),
      });
      await writeJsonAtomic(join(dir, `${id}.json`), submission);
      i++;
    }
    previous = current;
  }
  return submission;
}

export interface FollowOptions {
  observer?: ExecObserver;
  pollMs?: number;
}

export interface SlurmFollow {
  results: Promise<TaskResult[]>;
  /** Stops following (the jobs keep running). */
  stop(): void;
  jobIds: string[];
}

const TERMINAL_DETAIL: Record<string, string> = {
  TIMEOUT: "hit its time limit",
  NODE_FAIL: "lost its node",
  OUT_OF_MEMORY: "ran out of memory",
  PREEMPTED: "was preempted",
  BOOT_FAIL: "node failed to boot",
  DEADLINE: "missed its deadline",
};

function slurmLogTail(logFile: string): string[] {
  // The script's own lines (which task, which node) are noise next to the run log.
  return tailLines(logFile, 40)
    .filter((l) => !l.startsWith("labelsweep: task ") && !l.startsWith("labelsweep: worker exited"))
    .slice(-10);
}

async function resultOf(
  task: ExecTask,
  info: TaskInfo | undefined,
  where: string,
  logFile: string,
  seconds: number,
): Promise<TaskResult> {
  const state = readState(task.dir);
  const status = effectiveStatus(task.dir);
  const code = info?.exitCode ?? state?.exitCode ?? null;
  const base = { key: task.key, exitCode: code, seconds };
  if (status === "done") return { ...base, outcome: "done", logTail: [] };
  if (code === SCRIPT_EXIT_LOCKED) {
    const holder = lockHolder(task.dir);
    const by = holder ? ` (pid ${holder.pid} on ${holder.host})` : "";
    return {
      ...base,
      outcome: "locked",
      error: `${where}: not run twice: another process was executing it${by}`,
      logTail: [],
    };
  }
  if (info?.state === "CANCELLED" || status === "interrupted") {
    return {
      ...base,
      outcome: "interrupted",
      error: `${where}: ${info?.state?.toLowerCase() ?? "stopped"}`,
      logTail: [],
    };
  }
  const how =
    info?.signal && info.signal > 0
      ? `killed by signal ${info.signal}`
      : info
        ? `${TERMINAL_DETAIL[info.state] ?? info.state.toLowerCase()}, exit code ${code}`
        : "no record in Slurm";
  const error = `${where} ${how}${state?.error ? `: ${state.error}` : ""}`;
  if (!state || state.status === "running") {
    // The worker died without writing its end (killed, node lost): record it so --retry-failed sees it.
    await writeFailed(task.dir, state ?? { attempt: 1, restarts: 0 }, error, code);
  }
  const tail = [...tailLines(join(task.dir, RUN_FILES.log)), ...slurmLogTail(logFile)];
  return { ...base, outcome: "failed" as TaskOutcome, error, logTail: tail.slice(-30) };
}

/** Reads events.jsonl lines appended since the last call. */
function eventReader(file: string) {
  let offset = 0;
  let rest = "";
  return async (): Promise<WorkerEvent[]> => {
    if (!existsSync(file)) return [];
    const size = statSync(file).size;
    if (size <= offset) return [];
    const fh = await open(file, "r");
    try {
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      offset = size;
      const text = rest + buf.toString("utf8");
      const lines = text.split("\n");
      rest = lines.pop() ?? "";
      return lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as WorkerEvent);
    } finally {
      await fh.close();
    }
  };
}

/**
 * Follows the arrays of a submission until every task has ended: polls
 * `scontrol show job` (never `sbatch --wait`, SLURM.md §7.3) and the runs' own
 * state and event files.
 */
export function followSlurm(
  submission: SlurmSubmission,
  runDirOf: (key: string) => string,
  opts: FollowOptions = {},
): SlurmFollow {
  const pollMs = opts.pollMs ?? Number(process.env.LABELSWEEP_SLURM_POLL_MS ?? 1000);
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  const logDir = join(submission.script, "..", "logs");
  const run = async () => {
    const results: TaskResult[] = [];
    const started = new Map<string, number>();
    const finished = new Set<string>();
    const readers = new Map<string, () => Promise<WorkerEvent[]>>();
    const outcomes = new Map<string, TaskOutcome>();
    const total = submission.arrays.reduce((n, a) => n + a.keys.length, 0);
    const t0 = Date.now();
    while (!stopped && finished.size < total) {
      for (const arr of submission.arrays) {
        const infos = await showArrayJob(arr.jobId);
        const byTask = new Map((infos ?? []).map((t) => [t.taskId, t]));
        for (const [i, key] of arr.keys.entries()) {
          if (finished.has(key)) continue;
          const task = { key, dir: runDirOf(key) };
          const info = byTask.get(i);
          const where = `array task ${arr.jobId}_${i}${info?.node ? ` on ${info.node}` : ""}`;
          if (info && (info.state === "RUNNING" || info.state === "COMPLETING") && !started.has(key)) {
            started.set(key, Date.now());
            readers.set(key, eventReader(join(task.dir, RUN_FILES.events)));
            opts.observer?.started?.(task, { id: i, gpus: "", port: 0 });
          }
          const read = readers.get(key);
          if (read) for (const e of await read()) opts.observer?.event?.(task, e);
          // Unknown to Slurm: purged after MinJobAge, or a pending task cancelled before it began.
          if (info && isActive(info.state)) continue;
          if (!started.has(key)) opts.observer?.started?.(task, { id: i, gpus: "", port: 0 });
          const seconds = (Date.now() - (started.get(key) ?? t0)) / 1000;
          let r = await resultOf(task, info, where, join(logDir, `${arr.jobId}_${i}.out`), seconds);
          // A task Slurm cancelled because its chain's previous cycle failed was never run: blocked.
          const parent = arr.after === undefined ? undefined : submission.arrays[arr.after]?.keys[i];
          if (r.outcome !== "done" && parent !== undefined && !outcomes.get(parent)?.startsWith("done"))
            r = {
              ...r,
              outcome: "blocked",
              error: `blocked: run ${parent.slice(0, 12)}, which it depends on, did not finish`,
              logTail: [],
            };
          outcomes.set(key, r.outcome);
          finished.add(key);
          results.push(r);
          opts.observer?.finished?.(task, r);
        }
      }
      if (finished.size < total && !stopped)
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, pollMs);
        });
    }
    return results;
  };
  return { results: run(), stop, jobIds: submission.arrays.map((a) => a.jobId) };
}

export async function cancelSlurm(jobIds: readonly string[]): Promise<void> {
  await scancel(jobIds);
}

/** One line per array of the latest submission with tasks still in Slurm's queue, for `status`. */
export async function slurmQueueLines(resultsDir: string, experiment: string): Promise<string[]> {
  const sub = readSubmissions(resultsDir, experiment).at(-1);
  if (!sub) return [];
  const lines: string[] = [];
  for (const arr of sub.arrays) {
    let tasks: TaskInfo[] | null;
    try {
      tasks = await showArrayJob(arr.jobId);
    } catch {
      return [`slurm: cannot query job ${arr.jobId} (Slurm not reachable from here)`];
    }
    const counts = new Map<string, number>();
    for (const t of tasks ?? []) if (isActive(t.state)) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    if (counts.size === 0) continue;
    const parts = [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
    lines.push(`slurm: array job ${arr.jobId}: ${parts} (follow with \`labelsweep collect\`)`);
  }
  return lines;
}
