import { appendFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { BackendSelection } from "../engine/index.js";
import { evaluateFiles } from "../eval/run-eval.js";
import type { EvalReport } from "../eval/types.js";
import type { CommandEngineSpec, JsonObject } from "../spec/types.js";
import { linkLatest } from "../sweep/run-links.js";
import { type Metrics, type MetricsFile, type RunRecord, readRunRecord } from "../sweep/run-record.js";
import { RUN_FILES, type RunState, readState, writeState } from "../sweep/run-store.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { EXIT_INTERRUPTED, EXIT_LOCKED } from "./exit-codes.js";
import { acquireLock } from "./lock.js";
import type { WorkerEvent } from "./worker-events.js";

// `labelsweep worker <run-dir>`: executes exactly one run, whoever started it
// (the local executor, a Slurm array task, a person debugging). It owns the
// run's lock and state; a stop request (SIGTERM, SIGINT, Slurm's USR2, or the
// runner disappearing) lets the engine checkpoint, marks the run interrupted
// and exits, so the next attempt resumes.

export { EXIT_INTERRUPTED, EXIT_LOCKED } from "./exit-codes.js";

export interface WorkerOptions {
  /** GPU ids pinned to this run ("" on CPU). */
  gpus?: string;
}

function emitter(dir: string): (event: WorkerEvent) => void {
  const file = join(dir, RUN_FILES.events);
  return (event) => {
    const line = JSON.stringify({ ...event, time: new Date().toISOString() });
    appendFileSync(file, `${line}\n`);
    if (process.connected) process.send?.(event);
  };
}

async function execute(
  record: RunRecord,
  dir: string,
  resume: boolean,
  gpus: string,
  signal: AbortSignal,
  emit: (event: WorkerEvent) => void,
): Promise<
  | { metrics: Metrics; source: string; report?: EvalReport; backend?: BackendSelection; method?: JsonObject }
  | "stopped"
> {
  const engine = record.config.engine;
  if ("command" in engine) {
    // The command engine's own door: an external trainer's worker never loads TensorFlow.js.
    const { runCommandEngine } = await import("../engine/command/index.js");
    const outcome = await runCommandEngine(engine as CommandEngineSpec, {
      dir,
      record,
      resume,
      gpus,
      signal,
      // JSON progress lines of the trainer: bars, ETA and loss curves as for the built-in engine.
      onProgress: (e) => emit(e),
    });
    if (outcome.kind === "stopped") return "stopped";
    if (outcome.kind === "predictions") {
      // The trainer's predictions are scored by labelsweep's own evaluator, like the tfjs engine's.
      const gt = record.split.files.eval_annotations;
      if (!gt)
        throw new UserError(
          "engine.metrics.from: predictions needs evaluation annotations (dataset.eval)",
          1,
        );
      const report = evaluateFiles(record.config.eval, gt, outcome.file);
      return { metrics: report.metrics, source: `labelsweep ${report.type} evaluator`, report };
    }
    return { metrics: outcome.metrics, source: outcome.source };
  }
  // The built-in engine trains in this process; its progress becomes the runner's progress bars.
  const { runTfjsEngine, splitInputs } = await import("../engine/index.js");
  const outcome = await runTfjsEngine(record.config, await splitInputs(record.config, record.split.files), {
    dir,
    resume,
    signal,
    onEvent: (e) => {
      if (e.type === "progress")
        emit({ type: "progress", iter: e.iter, total: e.total, loss: e.loss, lr: e.lr });
      else if (e.type === "checkpoint") emit({ type: "checkpoint", iter: e.iter, path: e.path });
      else if (e.type === "eval") emit({ type: "eval", iter: e.iter, metrics: e.metrics });
    },
  });
  if (outcome.kind === "stopped") return "stopped";
  const gt = record.split.files.eval_annotations;
  if (!gt) throw new UserError("this run's split has no evaluation annotations (dataset eval images)", 1);
  const report = evaluateFiles(record.config.eval, gt, outcome.file);
  return {
    metrics: report.metrics,
    source: `labelsweep ${report.type} evaluator`,
    report,
    backend: outcome.backend,
    method: outcome.method,
  };
}

export async function runWorker(dir: string, options: WorkerOptions = {}): Promise<number> {
  const record = readRunRecord(dir);
  const lock = acquireLock(dir);
  if (!lock) {
    process.stderr.write(`run ${record.key} is being executed by another process; not starting it twice\n`);
    return EXIT_LOCKED;
  }
  if (readState(dir)?.status === "done") {
    // A second submission of the same key (e.g. a Slurm array resubmitted while the
    // first was queued) must not run it again; --force removes the run dir first.
    lock.release();
    process.stderr.write(`run ${record.key} is already done; not running it again\n`);
    return 0;
  }
  const emit = emitter(dir);
  const stop = new AbortController();
  const onStop = (why: string) => () => {
    if (!stop.signal.aborted) emit({ type: "stopping", reason: why });
    stop.abort(why);
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ["SIGTERM", onStop("SIGTERM")],
    ["SIGINT", onStop("SIGINT")],
    ["SIGUSR2", onStop("SIGUSR2")],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);
  const onDisconnect = onStop("runner gone");
  if (process.connected) process.on("disconnect", onDisconnect);
  // Started by a runner that died before this worker got going: do not start training alone.
  else if (process.env.LABELSWEEP_IPC === "1") onDisconnect();

  const previous = readState(dir);
  const resume = previous?.status === "interrupted" || previous?.status === "running";
  const started = new Date().toISOString();
  const state: RunState = {
    status: "running",
    attempt: (previous?.attempt ?? 0) + 1,
    restarts: (previous?.restarts ?? 0) + (resume ? 1 : 0),
    pid: process.pid,
    host: hostname(),
    started,
    updated: started,
  };
  const gpus = options.gpus ?? "";
  try {
    await writeState(dir, state);
    const provenance = {
      ...record.provenance,
      hostname: hostname(),
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
      gpus: gpus || "none",
      node: process.version,
      started,
      attempt: state.attempt,
      restarts: state.restarts,
    };
    await writeJsonAtomic(join(dir, RUN_FILES.run), { ...record, provenance });
    // results/<experiment>/latest → this run (only for a run dir inside a results store).
    if (basename(dirname(resolve(dir))) === "runs") linkLatest(dirname(dirname(resolve(dir))), record.key);
    emit({ type: "start", attempt: state.attempt, resume });
    const t0 = Date.now();
    const result = await execute(record, dir, resume, gpus, stop.signal, emit);
    const ended = new Date().toISOString();
    if (result === "stopped") {
      await writeState(dir, { ...state, status: "interrupted", updated: ended });
      emit({ type: "interrupted" });
      return EXIT_INTERRUPTED;
    }
    const metricsFile: MetricsFile = { key: record.key, metrics: result.metrics, source: result.source };
    if (result.report) {
      metricsFile.perCategory = result.report.perCategory;
      metricsFile.counts = result.report.counts;
      metricsFile.warnings = result.report.warnings.map((w) => JSON.stringify(w));
    }
    await writeJsonAtomic(join(dir, RUN_FILES.metrics), metricsFile);
    await writeJsonAtomic(join(dir, RUN_FILES.run), {
      ...record,
      provenance: {
        ...provenance,
        ended,
        seconds: (Date.now() - t0) / 1000,
        ...(result.backend
          ? {
              backend: result.backend.name,
              backendReason: result.backend.reason,
              versions: { ...provenance.versions, [result.backend.package]: result.backend.version },
            }
          : {}),
        // The method's resolved options and code-vs-paper choices (METHODS.md).
        ...(result.method ? { method: result.method } : {}),
      },
    });
    await writeState(dir, { ...state, status: "done", updated: ended, ended, exitCode: 0 });
    emit({ type: "done", metrics: result.metrics });
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const ended = new Date().toISOString();
    appendFileSync(join(dir, RUN_FILES.log), `\nlabelsweep worker: ${message}\n`);
    await writeState(dir, { ...state, status: "failed", updated: ended, ended, error: message, exitCode: 1 });
    emit({ type: "failed", error: message });
    if (!(err instanceof UserError)) process.stderr.write(`${(err as Error)?.stack ?? message}\n`);
    return 1;
  } finally {
    for (const [sig, fn] of handlers) process.off(sig, fn);
    process.off("disconnect", onDisconnect);
    lock.release();
  }
}
