import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { dataSplits } from "../exec/data-splits.js";
import { runSweep } from "../exec/run-sweep.js";
import { formatPlanTable } from "../sweep/plan-format.js";
import { EXIT } from "../util/errors.js";
import { collect, positiveInt } from "./options.js";

interface RunOptions {
  set: string[];
  sweep: string[];
  results: string;
  jobs?: number;
  gpus?: string;
  force?: boolean;
  retryFailed?: boolean;
  dryRun?: boolean;
  timeout?: number;
  maxRuns?: number;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("plan a spec, prepare its label splits, execute every run not done yet, and write its table")
    .argument("<spec>", "experiment spec file (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--results <dir>", "results directory", "results")
    .option(
      "--jobs <n>",
      "concurrent runs on a machine without GPUs (default: executor.jobs or 1)",
      positiveInt,
    )
    .option("--gpus <ids>", "GPUs to use: all (default), none, or a list such as 0,1")
    .option("--force", "run every run again, even those already done")
    .option("--retry-failed", "run failed runs again (and, as always, new and interrupted ones)")
    .option("--dry-run", "print what would run, run nothing")
    .option("--timeout <seconds>", "stop and fail a run after this many seconds", positiveInt)
    .option("--max-runs <n>", "allow plans above the 10,000-run cap", positiveInt)
    .action(async (file: string, opts: RunOptions) => {
      let stop: (() => void) | undefined;
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        process.stderr.write(
          interrupts === 1
            ? "\nstopping: no new runs; running ones checkpoint and stop (Ctrl-C again to kill them now)\n"
            : "\nkilling running runs\n",
        );
        stop?.();
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      try {
        const r = await runSweep(file, {
          set: opts.set,
          sweep: opts.sweep,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
          onStopHandle: (s) => {
            stop = s;
          },
          ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }),
          ...(opts.gpus === undefined ? {} : { gpus: opts.gpus }),
          ...(opts.force ? { force: true } : {}),
          ...(opts.retryFailed ? { retryFailed: true } : {}),
          ...(opts.dryRun ? { dryRun: true } : {}),
          ...(opts.timeout === undefined ? {} : { timeoutSec: opts.timeout }),
          ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
        });
        if (opts.dryRun) {
          process.stdout.write(formatPlanTable(r.plan, r.statuses));
          process.stdout.write(`dry run: ${r.selected.length} run(s) would execute; nothing was run\n`);
          return;
        }
        const failed = r.results.filter((x) => x.outcome === "failed");
        const interrupted = r.results.filter((x) => x.outcome === "interrupted");
        for (const f of failed) {
          process.stdout.write(`\nFAILED ${f.key.slice(0, 12)}: ${f.error ?? "see its log"}\n`);
          for (const line of f.logTail) process.stdout.write(`  | ${line}\n`);
        }
        if (r.table) process.stdout.write(`\n${r.table}`);
        const done = r.results.filter((x) => x.outcome === "done").length;
        const before = { done: 0, failed: 0, running: 0 };
        const chosen = new Set(r.selected.map((x) => x.key));
        r.plan.runs.forEach((run, i) => {
          const s = r.statuses[i]!;
          if (!chosen.has(run.key) && (s === "done" || s === "failed" || s === "running")) before[s]++;
        });
        const parts = [`${done} done now`, `${failed.length} failed`];
        if (interrupted.length > 0) parts.push(`${interrupted.length} interrupted (run again to resume)`);
        if (before.done > 0) parts.push(`${before.done} done before`);
        if (before.failed > 0) parts.push(`${before.failed} failed before (--retry-failed runs them again)`);
        if (before.running > 0) parts.push(`${before.running} running elsewhere`);
        process.stdout.write(
          `\n${r.plan.runs.length} runs: ${parts.join(", ")}. Results in ${r.resultsDir}/${r.plan.experiment}/\n`,
        );
        if (failed.length > 0 || before.failed > 0) process.exitCode = EXIT.failure;
        else if (interrupted.length > 0) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });
}
