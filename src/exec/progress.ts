import cliProgress from "cli-progress";
import type { ExecObserver, ExecTask, TaskResult } from "./local-executor.js";
import type { Slot } from "./slots.js";
import type { WorkerEvent } from "./worker-events.js";

// Progress of a sweep. On a terminal: a sweep bar (done/failed/running/total,
// ETA) and one bar per running run (iteration, loss, its GPU). Elsewhere (pipes,
// CI): plain lines, one when a run starts and one when it ends.

export interface ProgressOptions {
  total: number;
  /** Short human names of runs (swept values), by key. */
  labels: Map<string, string>;
  tty?: boolean;
  out?: NodeJS.WriteStream;
}

export interface Progress extends ExecObserver {
  stop(): void;
}

function metricsText(metrics: Record<string, number | null> | undefined): string {
  if (!metrics) return "";
  return Object.entries(metrics)
    .slice(0, 3)
    .map(([k, v]) => `${k}=${v === null ? "n/a" : v.toFixed(3)}`)
    .join(" ");
}

export function createProgress(options: ProgressOptions): Progress {
  const out = options.out ?? process.stdout;
  const tty = options.tty ?? (Boolean(out.isTTY) && !process.env.CI);
  const counts = { done: 0, failed: 0, running: 0, interrupted: 0 };
  const name = (key: string) => `${key.slice(0, 12)}  ${options.labels.get(key) ?? ""}`.trim();
  const results = new Map<string, string>();
  const remember = (task: ExecTask, e: WorkerEvent) => {
    if (e.type === "done") results.set(task.key, metricsText(e.metrics));
  };

  if (!tty) {
    const line = (s: string) => out.write(`${s}\n`);
    return {
      event: remember,
      started(task: ExecTask, slot: Slot) {
        counts.running++;
        line(`start  ${name(task.key)}${slot.gpus ? `  gpu ${slot.gpus}` : ""}`);
      },
      finished(task: ExecTask, r: TaskResult) {
        counts.running--;
        if (r.outcome === "done") counts.done++;
        else if (r.outcome === "failed") counts.failed++;
        else counts.interrupted++;
        const fin = counts.done + counts.failed;
        const detail = r.outcome === "done" ? results.get(task.key) : r.error;
        line(
          `${r.outcome.padEnd(6)} ${name(task.key)}  ${detail ?? ""}  (${r.seconds.toFixed(1)} s)  [${fin}/${options.total}]`,
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
  const sweepText = () =>
    `sweep: ${counts.done} done, ${counts.failed} failed, ${counts.running} running, ${options.total} total | ETA {eta_formatted}`;
  const sweep = multi.create(options.total, 0, { text: sweepText() });
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    started(task: ExecTask, slot: Slot) {
      counts.running++;
      bars.set(
        task.key,
        multi.create(1, 0, { text: `${name(task.key)}${slot.gpus ? ` gpu ${slot.gpus}` : ""} starting` }),
      );
      sweep.update({ text: sweepText() });
    },
    event(task: ExecTask, e: WorkerEvent) {
      remember(task, e);
      const bar = bars.get(task.key);
      if (!bar || e.type !== "progress") return;
      bar.setTotal(e.total);
      const loss = typeof e.loss === "number" ? ` loss ${e.loss.toFixed(4)}` : "";
      bar.update(e.iter, { text: `${name(task.key)} it ${e.iter}/${e.total}${loss}` });
    },
    finished(task: ExecTask, r: TaskResult) {
      counts.running--;
      if (r.outcome === "done") counts.done++;
      else if (r.outcome === "failed") counts.failed++;
      const bar = bars.get(task.key);
      if (bar) {
        multi.remove(bar);
        bars.delete(task.key);
      }
      const fin = counts.done + counts.failed;
      const detail = r.outcome === "done" ? results.get(task.key) : r.error;
      multi.log(`${r.outcome.padEnd(6)} ${name(task.key)}  ${detail ?? ""}  (${r.seconds.toFixed(1)} s)\n`);
      sweep.update(fin, { text: sweepText() });
    },
    stop() {
      multi.stop();
    },
  };
}
