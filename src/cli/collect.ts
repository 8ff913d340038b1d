import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { EXIT } from "../util/errors.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

export function registerCollect(program: Command): void {
  specArguments(
    program
      .command("collect")
      .description("follow a detached Slurm sweep until its tasks end, then write its summary and table"),
  )
    .option("--no-wait", "do not follow running jobs: write the summary from what has finished")
    .option("--cancel-on-interrupt", "scancel the jobs on Ctrl-C without asking")
    .action(
      async (
        file: string,
        positional: string[],
        opts: SpecFlags & { wait: boolean; cancelOnInterrupt?: boolean },
      ) => {
        const input = specInput(file, positional, opts);
        const [
          { dataSplits },
          { readSubmissions },
          { followSweep },
          { writeSummary },
          { summaryInputOf },
          { namesByKey },
          { resolveSweep },
          { afterInterrupt },
          { metricDisplay },
          { claimExperiment },
          { guardMessage },
        ] = await Promise.all([
          import("../data/split-provider.js"),
          import("../exec/slurm-executor.js"),
          import("../exec/slurm-run.js"),
          import("../results/summary.js"),
          import("../results/summary-input.js"),
          import("../sweep/plan-format.js"),
          import("../sweep/resolve.js"),
          import("./slurm-report.js"),
          import("../exec/run-sweep.js"),
          import("../sweep/experiment-owner.js"),
          import("../results/summary-guard.js"),
        ]);
        const splits = dataSplits(dirname(resolve(file)));
        const r = await resolveSweep(file, { ...input, splits });
        printNotes(r.notes);
        await claimExperiment(r.resultsDir, r.plan.experiment, r.specFile);
        const submission = readSubmissions(r.resultsDir, r.plan.experiment).at(-1);
        let stop: (() => void) | undefined;
        const onSigint = () => {
          process.stderr.write("\nstopped following the Slurm jobs\n");
          stop?.();
        };
        process.on("SIGINT", onSigint);
        const summaryInput = summaryInputOf(r);
        let failed = 0;
        try {
          if (submission && opts.wait) {
            const followed = await followSweep(submission, {
              plan: r.plan,
              labels: namesByKey(r.plan),
              resultsDir: r.resultsDir,
              out: process.stdout,
              metrics: metricDisplay(r.spec),
              onStopHandle: (s) => {
                stop = s;
              },
            });
            for (const f of followed.results.filter((x) => x.outcome === "failed")) {
              failed++;
              process.stdout.write(`\nFAILED ${f.key.slice(0, 12)}: ${f.error ?? "see its log"}\n`);
              for (const line of f.logTail) process.stdout.write(`  | ${line}\n`);
            }
            if (followed.stoppedFollowing) {
              await afterInterrupt(
                { ...followed, submission, alreadyQueued: new Map(), detached: false },
                {
                  spec: file,
                  results: opts.results,
                  ...(opts.cancelOnInterrupt ? { cancelOnInterrupt: true } : {}),
                },
              );
              process.exitCode = 130;
            }
          } else if (!submission) {
            process.stdout.write(
              `no Slurm submission under ${join(r.resultsDir, r.plan.experiment, "slurm")}\n`,
            );
          }
        } finally {
          process.off("SIGINT", onSigint);
        }
        const table = await writeSummary(summaryInput);
        process.stdout.write(`\n${table.md}`);
        if (table.kept)
          process.stdout.write(`\nsummary not replaced: ${guardMessage(table.kept, table.file)}`);
        const fresh = await resolveSweep(file, { ...input, splits });
        const count = (s: string) => fresh.statuses.filter((x) => x === s).length;
        process.stdout.write(
          `\n${fresh.plan.runs.length} runs: ${count("done")} done, ${count("failed")} failed, ${count("running")} running, ${count("interrupted")} interrupted, ${count("new")} new. Results in ${r.resultsDir}/${r.plan.experiment}/\n`,
        );
        if (failed > 0 || count("failed") > 0) process.exitCode ??= EXIT.failure;
      },
    );
}
