import type { Command } from "commander";
import type { TrainEvent } from "../engine/index.js";
import { EXIT_INTERRUPTED } from "../exec/worker-events.js";
import { BACKEND_CHOICES, type BackendChoice } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { positiveInt } from "./options.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

interface TrainOptions extends SpecFlags {
  run?: string;
  backend?: string;
  threads?: number;
  resume?: boolean;
  json?: boolean;
  every: number;
}

function line(e: TrainEvent, every: number): string | null {
  if (e.type === "progress") {
    if (e.iter % every !== 0 && e.iter !== e.total && e.iter !== 1) return null;
    const terms = Object.entries(e)
      .filter(([k]) => k.startsWith("loss_") || k === "grad_norm")
      .map(([k, v]) => `${k} ${Number(v).toFixed(4)}`)
      .join("  ");
    return `${e.iter}/${e.total}  loss ${e.loss.toFixed(4)}  ${terms}  lr ${e.lr.toPrecision(3)}  ${e.ms.toFixed(0)} ms`;
  }
  if (e.type === "resume") return `resumed at iteration ${e.iter}`;
  if (e.type === "stopped") return `stopped at iteration ${e.iter} (${e.reason}); checkpoint written`;
  if (e.type === "eval") return `eval at ${e.iter}: ${JSON.stringify(e.metrics)}`;
  return null;
}

export function registerTrain(program: Command): void {
  specArguments(
    program
      .command("train")
      .description("train one run of a spec in this process on the tfjs engine (debugging) and evaluate it"),
  )
    .option("--run <index|key>", "which run of the plan: index (default 0) or key prefix")
    .option("--backend <name>", `override engine.backend: ${BACKEND_CHOICES.join(", ")}`)
    .option("--threads <n>", "wasm threads (default 1)", positiveInt)
    .option("--resume", "continue from the run's last checkpoint")
    .option("--every <n>", "print progress every n iterations", positiveInt, 10)
    .option("--json", "print events as JSON lines, then the metrics as JSON")
    .action(async (file: string, positional: string[], opts: TrainOptions) => {
      const input = specInput(file, positional, opts);
      if (opts.backend && !BACKEND_CHOICES.includes(opts.backend as BackendChoice)) {
        throw new UserError(`--backend ${opts.backend}: expected one of ${BACKEND_CHOICES.join(", ")}`);
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        // Loaded here, not at startup: the engine brings TensorFlow.js.
        const [{ trainOne }, { formatReport }, { runnerCapabilities }] = await Promise.all([
          import("../engine/index.js"),
          import("../eval/index.js"),
          import("../exec/capabilities.js"),
        ]);
        const r = await trainOne(file, {
          capabilities: runnerCapabilities(),
          set: input.set,
          sweep: input.sweep,
          ...(input.resultsDir === undefined ? {} : { resultsDir: input.resultsDir }),
          onNotes: printNotes,
          signal: stop.signal,
          onEvent: (e) => {
            const text = opts.json ? JSON.stringify(e) : line(e, opts.every);
            if (text) process.stdout.write(`${text}\n`);
          },
          ...(opts.run === undefined ? {} : { run: opts.run }),
          ...(opts.backend === undefined ? {} : { backend: opts.backend as BackendChoice }),
          ...(opts.threads === undefined ? {} : { threads: opts.threads }),
          ...(opts.resume ? { resume: true } : {}),
        });
        const b = r.outcome.backend;
        if (!opts.json) {
          process.stdout.write(
            `run ${r.index + 1}/${r.runs} ${r.key.slice(0, 12)} in ${r.dir}\nbackend: ${b.name} — ${b.reason}\n`,
          );
          if (b.adapter) process.stdout.write(`adapter: ${b.adapter.description} (${b.adapter.pinned})\n`);
        }
        if (r.outcome.kind === "stopped") {
          process.exitCode = EXIT_INTERRUPTED;
          return;
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ key: r.key, backend: b.name, metrics: r.report?.metrics ?? null })}\n`,
          );
        } else {
          process.stdout.write(`predictions: ${r.outcome.file}\n`);
          if (r.report) process.stdout.write(`${formatReport(r.report)}\n`);
        }
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
