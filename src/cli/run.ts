import { dirname, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { EXIT } from "../util/errors.js";
import { EXIT_IO } from "../util/fs-faults.js";
import { collect, nonNegativeInt, positiveInt } from "./options.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

interface RunOptions extends SpecFlags {
  json?: boolean;
  jobs?: number;
  gpus?: string;
  force?: boolean;
  retryFailed?: boolean;
  dryRun?: boolean;
  timeout?: number;
  maxRuns?: number;
  executor?: "local" | "slurm";
  partition?: string;
  account?: string;
  time?: string;
  gpusPerRun?: number;
  cpusPerRun?: number;
  mem?: string;
  maxParallel?: number;
  sbatchArg: string[];
  detach?: boolean;
  cancelOnInterrupt?: boolean;
}

function executorChoice(text: string): "local" | "slurm" {
  if (text !== "local" && text !== "slurm") throw new InvalidArgumentError("expected local or slurm");
  return text;
}

export function registerRun(program: Command): void {
  specArguments(
    program
      .command("run")
      .description(
        "plan a spec, prepare its label splits, execute every run not done yet, and write its table",
      ),
  )
    .option("--json", "print the event stream as JSON lines (for scripts), then a summary object")
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
    .option(
      "--executor <local|slurm>",
      "where runs execute (default: spec executor.type, user config, local)",
      executorChoice,
    )
    .option("--partition <p>", "slurm: partition")
    .option("--account <a>", "slurm: account")
    .option("--time <limit>", "slurm: time limit per run, e.g. 04:00:00")
    .option(
      "--gpus-per-run <n>",
      "GPUs per run (slurm: --gres=gpu:N when the cluster has GPUs)",
      nonNegativeInt,
    )
    .option("--cpus-per-run <n>", "slurm: CPUs per run", positiveInt)
    .option("--mem <m>", "slurm: memory per run, e.g. 32G")
    .option("--max-parallel <k>", "slurm: at most K array tasks at once", positiveInt)
    .option("--sbatch-arg <arg>", "slurm: extra sbatch argument (repeatable)", collect, [])
    .option("--detach", "slurm: return after submission (follow later with `labelsweep collect`)")
    .option("--cancel-on-interrupt", "slurm: scancel the jobs on Ctrl-C without asking")
    .action(async (file: string, positional: string[], opts: RunOptions) => {
      const input = specInput(file, positional, opts);
      const [
        { runSweep },
        { dataSplits },
        { formatPlanTable },
        { afterInterrupt, printAlreadyQueued },
        { planWarnings },
        { stateNotes },
      ] = await Promise.all([
        import("../exec/run-sweep.js"),
        import("../data/split-provider.js"),
        import("../sweep/plan-format.js"),
        import("./slurm-report.js"),
        import("../sweep/plan-warnings.js"),
        import("../sweep/state-notes.js"),
      ]);
      const json = opts.json === true;
      const say = (text: string) => {
        if (!json) process.stdout.write(text);
      };
      let stop: (() => void) | undefined;
      let interrupts = 0;
      let slurmFollowing = false;
      const onSigint = () => {
        interrupts++;
        process.stderr.write(
          slurmFollowing
            ? "\nstopped following the Slurm jobs\n"
            : interrupts === 1
              ? "\nstopping: no new runs; running ones checkpoint and stop (Ctrl-C again to kill them now)\n"
              : "\nkilling running runs\n",
        );
        stop?.();
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      try {
        const r = await runSweep(file, {
          ...input,
          ...(json ? { json: true } : {}),
          splits: dataSplits(dirname(resolve(file))),
          onStopHandle: (s) => {
            stop = s;
          },
          onSlurmFollow: () => {
            slurmFollowing = true;
          },
          onPlanned: (planned) => {
            printNotes(planned.notes);
            for (const w of planWarnings(planned.plan, planned.spec.table))
              process.stderr.write(`warning: ${w}\n`);
          },
          ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }),
          ...(opts.gpus === undefined ? {} : { gpus: opts.gpus }),
          ...(opts.force ? { force: true } : {}),
          ...(opts.retryFailed ? { retryFailed: true } : {}),
          ...(opts.dryRun ? { dryRun: true } : {}),
          ...(opts.timeout === undefined ? {} : { timeoutSec: opts.timeout }),
          ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
          ...(opts.executor ? { executor: opts.executor } : {}),
          ...(opts.detach ? { detach: true } : {}),
          slurm: {
            sbatchArgs: opts.sbatchArg,
            ...(opts.partition === undefined ? {} : { partition: opts.partition }),
            ...(opts.account === undefined ? {} : { account: opts.account }),
            ...(opts.time === undefined ? {} : { time: opts.time }),
            ...(opts.gpusPerRun === undefined ? {} : { gpusPerRun: opts.gpusPerRun }),
            ...(opts.cpusPerRun === undefined ? {} : { cpusPerRun: opts.cpusPerRun }),
            ...(opts.mem === undefined ? {} : { mem: opts.mem }),
            ...(opts.maxParallel === undefined ? {} : { maxParallel: opts.maxParallel }),
          },
        });
        if (r.slurm?.preview !== undefined) {
          process.stdout.write(r.slurm.preview);
          process.stdout.write(
            `dry run: ${r.selected.length} run(s) would be submitted to Slurm; nothing was submitted\n`,
          );
          return;
        }
        if (r.slurm && !json) printAlreadyQueued(r.slurm.alreadyQueued);
        if (r.slurm?.detached) {
          const ids = r.slurm.submission?.arrays.map((a) => a.jobId).join(", ");
          say(
            ids
              ? `detached: follow with \`labelsweep collect ${file}\` (or \`labelsweep status ${file}\`); jobs ${ids}\n`
              : "detached: nothing to submit\n",
          );
          return;
        }
        if (opts.dryRun) {
          if (json) {
            const chosen = new Set(r.selected.map((x) => x.key));
            process.stdout.write(
              `${JSON.stringify({ type: "dry-run", experiment: r.plan.experiment, runs: r.plan.runs.filter((x) => chosen.has(x.key)).map((x) => x.key) })}\n`,
            );
          } else {
            process.stdout.write(formatPlanTable(r.plan, r.statuses));
            process.stdout.write(`dry run: ${r.selected.length} run(s) would execute; nothing was run\n`);
          }
          return;
        }
        const failed = r.results.filter((x) => x.outcome === "failed");
        const interrupted = r.results.filter((x) => x.outcome === "interrupted");
        const locked = r.results.filter((x) => x.outcome === "locked");
        const blocked = r.results.filter((x) => x.outcome === "blocked");
        for (const l of locked) say(`skipped ${l.key.slice(0, 12)}: ${l.error ?? "run elsewhere"}\n`);
        if (r.slurm?.stoppedFollowing)
          await afterInterrupt(r.slurm, {
            spec: file,
            results: opts.results,
            ...(opts.cancelOnInterrupt ? { cancelOnInterrupt: true } : {}),
          });
        for (const f of failed) {
          say(`\nFAILED ${f.key.slice(0, 12)}: ${f.error ?? "see its log"}\n`);
          for (const line of f.logTail) say(`  | ${line}\n`);
        }
        for (const b of blocked) say(`BLOCKED ${b.key.slice(0, 12)}: ${b.error}\n`);
        if (r.table) say(`\n${r.table}`);
        if (r.summaryKept) say(`\nsummary not replaced: ${r.summaryKept}`);
        for (const p of r.metricProblems ?? []) say(`note: ${p}\n`);
        const done = r.results.filter((x) => x.outcome === "done").length;
        const before = { done: 0, failed: 0, running: 0, corrupt: 0, unknown: 0, blocked: 0 };
        const chosen = new Set(r.selected.map((x) => x.key));
        r.plan.runs.forEach((run, i) => {
          const s = r.statuses[i]!;
          if (!chosen.has(run.key) && s in before) before[s as keyof typeof before]++;
        });
        const parts = [`${done} done now`, `${failed.length} failed`];
        if (locked.length > 0) parts.push(`${locked.length} held by another process`);
        if (r.slurm?.stoppedFollowing) parts.push(`${r.selected.length - r.results.length} still in Slurm`);
        if (blocked.length + before.blocked > 0)
          parts.push(`${blocked.length + before.blocked} blocked by a failed run they depend on`);
        if (interrupted.length > 0) parts.push(`${interrupted.length} interrupted (run again to resume)`);
        if (before.done > 0) parts.push(`${before.done} done before`);
        if (before.failed > 0) parts.push(`${before.failed} failed before (--retry-failed runs them again)`);
        if (before.running > 0) parts.push(`${before.running} running elsewhere`);
        for (const s of ["corrupt", "unknown"] as const)
          if (before[s] > 0)
            parts.push(
              `${before[s]} with a${s === "unknown" ? "n unknown" : " corrupt"} state, not run (see below)`,
            );
        const where = `${r.resultsDir}/${r.plan.experiment}/`;
        const notes = stateNotes(r.plan, r.statuses, r.resultsDir);
        if (json) {
          process.stdout.write(
            `${JSON.stringify({
              type: "summary",
              experiment: r.plan.experiment,
              runs: r.plan.runs.length,
              now: { done, failed: failed.length, interrupted: interrupted.length, locked: locked.length },
              before,
              results: where,
              table: r.table === null ? null : `${where}table.md`,
              ...(r.summaryKept ? { summaryKept: r.summaryKept } : {}),
              ...(notes.length > 0 ? { notes } : {}),
              ...(r.diskFull ? { diskFull: r.diskFull } : {}),
            })}\n`,
          );
        } else {
          process.stdout.write(`\n${r.plan.runs.length} runs: ${parts.join(", ")}. Results in ${where}\n`);
          for (const note of notes) process.stdout.write(`${note}\n`);
        }
        if (r.diskFull) {
          process.stderr.write(
            `labelsweep run: ${/^disk full/.test(r.diskFull) ? r.diskFull : `disk full — ${r.diskFull}`}. ` +
              "The sweep stopped; runs in flight are interrupted and resume " +
              "from their last checkpoint when you run again with space freed.\n",
          );
          process.exitCode = EXIT_IO;
        } else if (failed.length > 0 || before.failed > 0 || before.corrupt > 0 || before.unknown > 0)
          process.exitCode = EXIT.failure;
        else if (interrupted.length > 0 || r.slurm?.stoppedFollowing) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });
}
