import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { plantedLinks, RUN_FILES, readState, writeFailed } from "../sweep/run-store.js";
import { EXIT_IO } from "../util/fs-faults.js";
import { runDagPool } from "./dag-pool.js";
import { runPool } from "./pool.js";
import type { Slot } from "./slots.js";
import { EXIT_INTERRUPTED, EXIT_LOCKED, type WorkerEvent } from "./worker-events.js";

// The local executor: one `labelsweep worker` process per run, pinned to a
// slot, in its own process group. Stopping: stop dispatching, SIGTERM every
// worker (they checkpoint and exit), SIGKILL their process groups after a grace
// period or at a second request. Workers also stop by themselves when the
// runner dies (their IPC channel closes), so a kill -9 leaves no orphans.

const BIN = fileURLToPath(new URL("../../bin/labelsweep.js", import.meta.url));

export interface ExecTask {
  key: string;
  dir: string;
  /** Dependent runs: keys of tasks that must finish well first (dag-pool.ts). */
  after?: string[];
}

/** blocked: never started, because a run it depends on did not finish well. */
export type TaskOutcome = "done" | "failed" | "interrupted" | "locked" | "blocked";

export interface TaskResult {
  key: string;
  outcome: TaskOutcome;
  exitCode: number | null;
  error?: string;
  /** The run stopped because its disk is full (interrupted, resumable): the sweep should stop too. */
  diskFull?: boolean;
  logTail: string[];
  seconds: number;
}

export interface ExecObserver {
  started?(task: ExecTask, slot: Slot): void;
  event?(task: ExecTask, event: WorkerEvent): void;
  finished?(task: ExecTask, result: TaskResult): void;
}

export interface LocalExecOptions {
  slots: Slot[];
  /** Seconds after the trainer starts (the worker's "trainer" event) before the run is stopped and failed. */
  timeoutSec?: number;
  /** Seconds a stopping worker gets before its process group is killed. */
  graceSec?: number;
  observer?: ExecObserver;
}

export interface LocalExecution {
  results: Promise<TaskResult[]>;
  /** First call: graceful stop. Second call: kill at once. */
  stop(): void;
}

export function tailLines(file: string, n = 20): string[] {
  try {
    const lines = readFileSync(file, "utf8").split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function executeLocal(tasks: readonly ExecTask[], options: LocalExecOptions): LocalExecution {
  const running = new Map<string, ResultPromise>();
  const results: TaskResult[] = [];
  let stopRequests = 0;
  const grace = (options.graceSec ?? 60) * 1000;

  const stop = () => {
    stopRequests++;
    for (const child of running.values()) {
      if (stopRequests === 1) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), grace);
        timer.unref();
      } else {
        killGroup(child.pid, "SIGKILL");
      }
    }
  };

  const runOne = async (task: ExecTask, slot: Slot) => {
    const t0 = Date.now();
    const log = join(task.dir, RUN_FILES.log);
    options.observer?.started?.(task, slot);
    // The worker's output is appended to the run's log: never through a link planted there.
    const links = plantedLinks(task.dir);
    if (links.length > 0) {
      const error = `${links.join(", ")} in the run directory ${links.length === 1 ? "is a symbolic link" : "are symbolic links"}; labelsweep never writes through one (remove it and run again)`;
      await writeFailed(task.dir, { attempt: 0, restarts: 0, ...readState(task.dir) }, error);
      const result: TaskResult = {
        key: task.key,
        outcome: "failed",
        exitCode: null,
        error,
        logTail: [],
        seconds: 0,
      };
      results.push(result);
      options.observer?.finished?.(task, result);
      return;
    }
    const child = execa(process.execPath, [BIN, "worker", task.dir, "--gpus", slot.gpus], {
      env: {
        CUDA_VISIBLE_DEVICES: slot.gpus,
        MASTER_PORT: String(slot.port),
        LABELSWEEP_SLOT: String(slot.id),
        LABELSWEEP_IPC: "1",
      },
      stdin: "ignore",
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
      ipc: true,
      serialization: "json",
      detached: true,
      reject: false,
    });
    running.set(task.key, child);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // --timeout counts from the trainer's start, not the worker's: starting a worker (loading
    // TensorFlow.js on a loaded machine) can take longer than a short run itself.
    const startClock = () => {
      if (options.timeoutSec === undefined || timer) return;
      timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGTERM");
        setTimeout(() => killGroup(child.pid, "SIGKILL"), Math.min(grace, 30_000)).unref();
      }, options.timeoutSec * 1000);
    };
    let stopReason: string | undefined;
    child.on("message", (msg) => {
      const event = msg as WorkerEvent;
      if (event.type === "trainer") startClock();
      // A disk-full worker may not be able to write its state: its reason comes over IPC too.
      if (event.type === "interrupted" && event.reason) stopReason = event.reason;
      options.observer?.event?.(task, msg as WorkerEvent);
    });
    const r = await child;
    if (timer) clearTimeout(timer);
    running.delete(task.key);
    // A worker killed outright (second Ctrl-C) leaves its trainer's group behind: end it.
    killGroup(child.pid, "SIGKILL");
    const code = typeof r.exitCode === "number" ? r.exitCode : null;
    let outcome: TaskOutcome;
    let error: string | undefined;
    let diskFull = false;
    const state = readState(task.dir);
    if (timedOut) {
      outcome = "failed";
      error = `timed out after ${options.timeoutSec} s`;
      await writeFailed(task.dir, state ?? { attempt: 1, restarts: 0 }, error, code);
    } else if (code === 0 && state?.status === "done") outcome = "done";
    else if (code === EXIT_LOCKED) outcome = "locked";
    else if (code === EXIT_IO) {
      outcome = "interrupted";
      diskFull = true;
      error = state?.error ?? stopReason ?? "disk full";
    } else if (code === EXIT_INTERRUPTED || stopRequests > 0) outcome = "interrupted";
    else {
      outcome = "failed";
      error = state?.error ?? (r.signal ? `worker killed by ${r.signal}` : `worker exited with code ${code}`);
      if (state?.status === "running") {
        // The worker died without writing its end (a crash): record it.
        await writeFailed(task.dir, state, error, code);
      }
    }
    const result: TaskResult = {
      key: task.key,
      outcome,
      exitCode: code,
      error,
      logTail: outcome === "failed" ? tailLines(log) : [],
      seconds: (Date.now() - t0) / 1000,
      ...(diskFull ? { diskFull } : {}),
    };
    results.push(result);
    options.observer?.finished?.(task, result);
  };

  const stopped = () => stopRequests > 0;
  const done = (
    tasks.some((t) => t.after?.length)
      ? runDagPool(
          tasks,
          options.slots,
          async (task, slot) => {
            await runOne(task, slot);
            return results.find((r) => r.key === task.key)?.outcome === "done";
          },
          stopped,
          (task, parent) => {
            const result: TaskResult = {
              key: task.key,
              outcome: "blocked",
              exitCode: null,
              error: `blocked: run ${parent.slice(0, 12)}, which it depends on, did not finish`,
              logTail: [],
              seconds: 0,
            };
            results.push(result);
            options.observer?.finished?.(task, result);
          },
        )
      : runPool(tasks, options.slots, runOne, stopped)
  ).then(() => results);
  return { results: done, stop };
}
