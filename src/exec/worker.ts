import { readdirSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { BackendSelection } from "../engine/index.js";
import type { EvalReport } from "../eval/types.js";
import type { CommandEngineSpec, JsonObject } from "../spec/types.js";
import { selfIdentity } from "../sweep/process-identity.js";
import { linkLatest } from "../sweep/run-links.js";
import { type Metrics, type MetricsFile, type RunRecord, readRunRecord } from "../sweep/run-record.js";
import {
  appendNoFollow,
  plantedLinks,
  RUN_FILES,
  type RunState,
  readState,
  readStateChecked,
  stateProblem,
  writeState,
} from "../sweep/run-store.js";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { describeFsFault, diskFull, EXIT_IO } from "../util/fs-faults.js";
import { parentPseudoLabels, pseudoRequest } from "./active-pseudo.js";
import {
  activeOptions,
  activeProvenance,
  continuesFrom,
  prepareActiveRun,
  scoresFile,
  selectAfterRun,
  wantsAcquisition,
} from "./active-run.js";
import { discoverGpus, slotGpu } from "./gpus.js";
import { acquireLock } from "./lock.js";
import { EXIT_INTERRUPTED, EXIT_LOCKED, type WorkerEvent } from "./worker-events.js";

// `labelsweep worker <run-dir>`: executes exactly one run, whoever started it
// (the local executor, a Slurm array task, a person debugging). It owns the
// run's lock and state; a stop request (SIGTERM, SIGINT, Slurm's USR2, or the
// runner disappearing) lets the engine checkpoint, marks the run interrupted
// and exits, so the next attempt resumes.

export { EXIT_INTERRUPTED, EXIT_LOCKED } from "./worker-events.js";

export interface WorkerOptions {
  /** GPU ids pinned to this run ("" on CPU). */
  gpus?: string;
}

/**
 * Sends an event to the runner, if one started this worker. A runner that died (kill -9) fails the
 * write with EPIPE after `connected` still said true; without a callback Node raises that as an
 * uncaught error and the worker would die without marking its run. The "disconnect" handler stops
 * the run instead.
 */
function tellRunner(event: WorkerEvent): void {
  if (process.connected) process.send?.(event, undefined, {}, () => undefined);
}

function emitter(dir: string): (event: WorkerEvent) => void {
  const file = join(dir, RUN_FILES.events);
  return (event) => {
    const line = JSON.stringify({ ...event, time: new Date().toISOString() });
    appendNoFollow(file, `${line}\n`);
    tellRunner(event);
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
  | {
      metrics: Metrics;
      source: string;
      report?: EvalReport;
      backend?: BackendSelection;
      method?: JsonObject;
      scale?: MetricsFile["scale"];
    }
  | "stopped"
> {
  const engine = record.config.engine;
  if ("command" in engine) {
    // The command engine's own door: an external trainer's worker never loads TensorFlow.js.
    const { runCommandEngine, scorePredictions } = await import("../engine/command/index.js");
    const outcome = await runCommandEngine(engine as CommandEngineSpec, {
      dir,
      record,
      resume,
      gpus,
      signal,
      onSpawn: () => emit({ type: "trainer" }),
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
      const report = await scorePredictions(record.config.eval, gt, outcome.file);
      return { metrics: report.metrics, source: `labelsweep ${report.type} evaluator`, report };
    }
    return { metrics: outcome.metrics, source: outcome.source, scale: outcome.scale };
  }
  // The built-in engine trains in this process; its progress becomes the runner's progress bars.
  const { runTfjsEngine, splitInputs, scorePredictions } = await import("../engine/index.js");
  emit({ type: "trainer" });
  const pseudoOut = pseudoRequest(record, dir);
  const acquire = wantsAcquisition(record)
    ? {
        file: scoresFile(record, dir),
        // AL-SSL's code scores its first round with an untrained network (METHODS.md §1a ⚠).
        untrained: record.active!.cycle === 0 && activeOptions(record).first_round === "code",
        ...(pseudoOut ? { pseudo: pseudoOut } : {}),
      }
    : undefined;
  // In a GPU slot, the webgpu backend is pinned to the slot's GPU (CUDA_VISIBLE_DEVICES means nothing to Vulkan).
  const gpu = gpus ? slotGpu(gpus, await discoverGpus()) : undefined;
  const initFrom = continuesFrom(record, dir);
  const pseudo = parentPseudoLabels(record, dir);
  const inputs = await splitInputs(
    record.config,
    record.split.files,
    pseudo ? { pseudo: pseudo.images } : {},
  );
  const outcome = await runTfjsEngine(record.config, inputs, {
    dir,
    resume,
    signal,
    ...(gpu ? { gpu } : {}),
    ...(acquire ? { acquire } : {}),
    ...(initFrom ? { initFrom } : {}),
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
  const report = await scorePredictions(record.config.eval, gt, outcome.file);
  return {
    metrics: report.metrics,
    source: `labelsweep ${report.type} evaluator`,
    report,
    backend: outcome.backend,
    method: outcome.method,
  };
}

export async function runWorker(dir: string, options: WorkerOptions = {}): Promise<number> {
  let record = readRunRecord(dir);
  // A run directory's files are never written through a link someone planted there.
  const links = plantedLinks(dir);
  if (links.length > 0) {
    process.stderr.write(
      `run ${record.key}: ${links.join(", ")} in ${dir} ${links.length === 1 ? "is a symbolic link" : "are symbolic links"}; ` +
        "labelsweep writes a run's files itself and never through a link: remove it, then run again\n",
    );
    return 1;
  }
  const checked = readStateChecked(dir);
  if (checked.kind === "corrupt" || checked.kind === "unknown") {
    process.stderr.write(`run ${record.key}: ${stateProblem(dir)}; not running it\n`);
    return 1;
  }
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
  // An interrupted run resumes; so does a failed one (--retry-failed) when it left a checkpoint.
  let resume =
    previous?.status === "interrupted" ||
    previous?.status === "running" ||
    (previous?.status === "failed" && hasCheckpoint(dir, record));
  const started = new Date().toISOString();
  const state: RunState = {
    status: "running",
    attempt: (previous?.attempt ?? 0) + 1,
    restarts: (previous?.restarts ?? 0) + (resume ? 1 : 0),
    ...selfIdentity(),
    started,
    updated: started,
  };
  const gpus = options.gpus ?? "";
  try {
    await writeState(dir, state);
    // A cycle of an active-learning chain: its split grows from its parents' selections (active-run.ts).
    const active = await prepareActiveRun(record, dir);
    record = active.record;
    if (active.restart) resume = false;
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
    if (result.scale) metricsFile.scale = result.scale;
    if (result.report) {
      metricsFile.perCategory = result.report.perCategory;
      metricsFile.counts = result.report.counts;
      metricsFile.warnings = result.report.warnings.map((w) => JSON.stringify(w));
    }
    await writeJsonAtomic(join(dir, RUN_FILES.metrics), metricsFile);
    // Active learning: choose the next cycle's images from this cycle's model (active-run.ts).
    const selection = wantsAcquisition(record) ? await selectAfterRun(record, dir) : undefined;
    // A run without a metric its table shows is not done: the table would print "—" for it silently.
    const missing = (record.needs ?? []).filter((m) => !Object.hasOwn(result.metrics, m));
    if (missing.length > 0)
      throw new UserError(
        `the table needs ${missing.join(", ")}, but the run's metrics (${result.source}) have ` +
          `${Object.keys(result.metrics).join(", ") || "none"}`,
        1,
      );
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
              ...(result.backend.adapter ? { backendAdapter: result.backend.adapter } : {}),
              ...(result.backend.warnings.length ? { backendWarnings: result.backend.warnings } : {}),
              versions: { ...provenance.versions, [result.backend.package]: result.backend.version },
            }
          : {}),
        // The method's resolved options and code-vs-paper choices (METHODS.md).
        ...(result.method ? { method: result.method } : {}),
        ...(record.active ? { active: activeProvenance(record, selection, dir) } : {}),
      },
    });
    await writeState(dir, { ...state, status: "done", updated: ended, ended, exitCode: 0 });
    emit({ type: "done", metrics: result.metrics });
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const ended = new Date().toISOString();
    // Disk full (ours or the trainer's): the run is not at fault — it is interrupted with the
    // reason, resumable once there is space, and the runner stops the sweep.
    const full = describeFsFault(err, "writing", "ENOSPC", "EDQUOT") ?? diskFull(dir);
    if (full) {
      const reason = `disk full: ${full}`;
      tryAppend(join(dir, RUN_FILES.log), `\nlabelsweep worker: ${reason} (${message})\n`);
      await writeState(dir, {
        ...state,
        status: "interrupted",
        updated: ended,
        error: reason,
        exitCode: EXIT_IO,
      }).catch(
        () => undefined, // nothing more can be written: the dead pid makes it "interrupted" anyway
      );
      try {
        emit({ type: "interrupted", reason });
      } catch {
        tellRunner({ type: "interrupted", reason });
      }
      process.stderr.write(`run ${record.key}: ${reason}\n`);
      return EXIT_IO;
    }
    tryAppend(join(dir, RUN_FILES.log), `\nlabelsweep worker: ${message}\n`);
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

/** Whether an earlier attempt left something to resume from (tfjs checkpoints/, the trainer's out/). */
function hasCheckpoint(dir: string, record: RunRecord): boolean {
  const where = join(dir, "command" in record.config.engine ? RUN_FILES.out : RUN_FILES.checkpoints);
  try {
    return readdirSync(where).length > 0;
  } catch {
    return false;
  }
}

function tryAppend(file: string, text: string): void {
  try {
    appendNoFollow(file, text);
  } catch {
    // The log cannot take more (disk full): the state says what happened.
  }
}
