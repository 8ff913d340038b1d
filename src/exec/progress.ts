import cliProgress from "cli-progress";
import { formatSeconds, metricText } from "../sweep/plan-format.js";
import { estimateEta, type RunningRun } from "./eta.js";
import type { ExecObserver, ExecTask, TaskResult } from "./local-executor.js";
import type { Slot } from "./slots.js";
import type { WorkerEvent } from "./worker-events.js";

// Progress of a sweep, three ways:
//   terminal: a sweep bar (done/failed/running/total, ETA) and one bar per
//     running run (iteration, loss, its GPU); each run's final line stays above;
//   plain lines elsewhere (pipes, CI): one when a run starts, one when it ends;
//   JSON lines (`run --json`): every event, with the run's key and name.
// Metrics are shown on the table's scale (×100 by default), as in table.md.

export interface MetricDisplay {
  names: readonly string[];
  scale: number;
  precision: number;
}

export interface ProgressOptions {
  total: number;
  /** Readable names of runs (swept values), by key. */
  labels: Map<string, string>;
  tty?: boolean;
  /** JSON lines instead of text. */
  json?: boolean;
  out?: NodeJS.WriteStream;
  /** Which metrics a finished run's line shows, at which scale (the spec's table). */
  metrics?: MetricDisplay;
  /** Concurrent slots (for the ETA). */
  slots?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

export interface Progress extends ExecObserver {
  stop(): void;
}

/** A finished run's metrics as the table prints them: `AP50 61.1  AP 34.2`. */
export function metricsLine(
  metrics: Record<string, number | null> | undefined,
  display?: MetricDisplay,
): string {
  if (!metrics) return "";
  const names = display?.names.length ? display.names : Object.keys(metrics).slice(0, 3);
  return names
    .map((k) => `${k} ${metricText(metrics[k], display?.scale ?? 100, display?.precision ?? 1)}`)
    .join("  ");
}

/** The ETA as a person reads it: `ETA 3m 05s`, or `ETA estimating` before any duration is known. */
export function etaText(seconds: number | null): string {
  return seconds === null ? "ETA estimating" : `ETA ${formatSeconds(seconds)}`;
}

interface Live {
  started: number;
  firstProgress?: { iter: number; at: number };
  last?: { iter: number; total: number; at: number };
}

/** Tracks what the ETA needs: finished durations, running runs' rates, what is queued. */
function etaTracker(total: number, slots: number, now: () => number) {
  const live = new Map<string, Live>();
  const finished: number[] = [];
  return {
    start(key: string) {
      live.set(key, { started: now() });
    },
    progress(key: string, iter: number, totalIters: number) {
      const l = live.get(key);
      if (!l) return;
      const at = now();
      if (!l.firstProgress || iter < l.firstProgress.iter) l.firstProgress = { iter, at };
      l.last = { iter, total: totalIters, at };
    },
    finish(key: string, seconds: number, counted: boolean) {
      live.delete(key);
      if (counted) finished.push(seconds);
    },
    eta(done: number): number | null {
      const t = now();
      const running: RunningRun[] = [...live.values()].map((l) => {
        const elapsed = (t - l.started) / 1000;
        if (!l.last || !l.firstProgress) return { elapsed };
        const dt = (l.last.at - l.firstProgress.at) / 1000;
        const di = l.last.iter - l.firstProgress.iter;
        const rate = dt > 0 && di > 0 ? di / dt : null;
        // Between reports the run keeps going at its rate: count from now, not from the last report.
        const since = (t - l.last.at) / 1000;
        const iter = rate === null ? l.last.iter : Math.min(l.last.total, l.last.iter + rate * since);
        return { elapsed, progress: { iter, total: l.last.total, itersPerSecond: rate } };
      });
      const queued = Math.max(0, total - done - running.length);
      return estimateEta({ finishedSeconds: finished, running, queued, slots });
    },
  };
}

function finalLine(
  r: TaskResult,
  name: string,
  metrics: Record<string, number | null> | undefined,
  display: MetricDisplay | undefined,
): string {
  const detail = r.outcome === "done" ? metricsLine(metrics, display) : (r.error ?? "");
  return `${r.outcome.padEnd(6)} ${name}  ${detail}${detail ? "  " : ""}(${formatSeconds(r.seconds)})`;
}

export function createProgress(options: ProgressOptions): Progress {
  const out = options.out ?? process.stdout;
  const now = options.now ?? Date.now;
  const counts = { done: 0, failed: 0, running: 0, interrupted: 0 };
  const name = (key: string) => `${key.slice(0, 12)}  ${options.labels.get(key) ?? ""}`.trim();
  const results = new Map<string, Record<string, number | null>>();
  const eta = etaTracker(options.total, options.slots ?? 1, now);
  const track = (task: ExecTask, e: WorkerEvent) => {
    if (e.type === "done") results.set(task.key, e.metrics);
    if (e.type === "progress" && typeof e.iter === "number" && typeof e.total === "number")
      eta.progress(task.key, e.iter, e.total);
  };
  const settle = (task: ExecTask, r: TaskResult) => {
    counts.running--;
    if (r.outcome === "done") counts.done++;
    else if (r.outcome === "failed") counts.failed++;
    else counts.interrupted++;
    eta.finish(task.key, r.seconds, r.outcome === "done");
  };
  const finishedCount = () => counts.done + counts.failed;

  if (options.json) {
    const emit = (obj: object) => out.write(`${JSON.stringify(obj)}\n`);
    return {
      started(task: ExecTask, slot: Slot) {
        counts.running++;
        eta.start(task.key);
        emit({
          type: "started",
          key: task.key,
          name: options.labels.get(task.key) ?? "",
          gpus: slot.gpus,
          dir: task.dir,
        });
      },
      event(task: ExecTask, e: WorkerEvent) {
        track(task, e);
        emit({ ...e, key: task.key });
      },
      finished(task: ExecTask, r: TaskResult) {
        settle(task, r);
        emit({
          type: "finished",
          key: task.key,
          name: options.labels.get(task.key) ?? "",
          outcome: r.outcome,
          seconds: r.seconds,
          ...(r.outcome === "done" ? { metrics: results.get(task.key) ?? null } : {}),
          ...(r.error ? { error: r.error } : {}),
          finished: finishedCount(),
          total: options.total,
          eta: eta.eta(finishedCount()),
        });
      },
      stop() {},
    };
  }

  const tty = options.tty ?? (Boolean(out.isTTY) && !process.env.CI);
  if (!tty) {
    const line = (s: string) => out.write(`${s}\n`);
    return {
      event: track,
      started(task: ExecTask, slot: Slot) {
        counts.running++;
        eta.start(task.key);
        line(`start  ${name(task.key)}${slot.gpus ? `  gpu ${slot.gpus}` : ""}`);
      },
      finished(task: ExecTask, r: TaskResult) {
        settle(task, r);
        const left = options.total - finishedCount();
        const tail = left > 0 ? `  ${etaText(eta.eta(finishedCount()))}` : "";
        line(
          `${finalLine(r, name(task.key), results.get(task.key), options.metrics)}  [${finishedCount()}/${options.total}]${tail}`,
        );
      },
      stop() {},
    };
  }

  const multi = new cliProgress.MultiBar(
    {
      clearOnComplete: false,
      hideCursor: true,
      format: " {bar} {percentage}% | {text}",
      barsize: 24,
      stream: out,
    },
    cliProgress.Presets.shades_grey,
  );
  // The ETA is ours (cli-progress's {eta_formatted} is not filled inside a payload):
  // recomputed on every event and once a second, so it counts down between events.
  const began = now();
  const sweepText = () =>
    `sweep: ${counts.done} done, ${counts.failed} failed, ${counts.running} running, ${options.total} total | ${
      finishedCount() >= options.total
        ? `took ${formatSeconds((now() - began) / 1000)}`
        : etaText(eta.eta(finishedCount()))
    }`;
  const sweep = multi.create(options.total, 0, { text: sweepText() });
  const refresh = () => sweep.update(finishedCount(), { text: sweepText() });
  const ticker = setInterval(refresh, 1000);
  ticker.unref();
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    started(task: ExecTask, slot: Slot) {
      counts.running++;
      eta.start(task.key);
      bars.set(
        task.key,
        multi.create(1, 0, { text: `${name(task.key)}${slot.gpus ? ` gpu ${slot.gpus}` : ""} starting` }),
      );
      refresh();
    },
    event(task: ExecTask, e: WorkerEvent) {
      track(task, e);
      const bar = bars.get(task.key);
      if (!bar || e.type !== "progress") return;
      bar.setTotal(e.total);
      const loss = typeof e.loss === "number" ? ` loss ${e.loss.toFixed(4)}` : "";
      bar.update(e.iter, { text: `${name(task.key)} it ${e.iter}/${e.total}${loss}` });
      refresh();
    },
    finished(task: ExecTask, r: TaskResult) {
      settle(task, r);
      // Log first, then remove the bar: remove() redraws, which writes the logged line
      // (cli-progress only flushes its log buffer on a redraw, never in stop()).
      multi.log(`${finalLine(r, name(task.key), results.get(task.key), options.metrics)}\n`);
      const bar = bars.get(task.key);
      bars.delete(task.key);
      if (bar) multi.remove(bar);
      else multi.update();
      refresh();
    },
    stop() {
      clearInterval(ticker);
      refresh();
      multi.update();
      multi.stop();
    },
  };
}
