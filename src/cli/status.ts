import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { EXIT } from "../util/errors.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

export function registerStatus(program: Command): void {
  specArguments(
    program
      .command("status")
      .description("show each run's status (done, failed, running, interrupted, new), metrics, time and log"),
  )
    .option("--json", "print the runs with status, metrics, time and log path as JSON")
    .action(async (file: string, positional: string[], opts: SpecFlags & { json?: boolean }) => {
      const input = specInput(file, positional, opts);
      const [
        { resolveSweep },
        { dataSplits },
        format,
        { readRunLines },
        { slurmQueueLines },
        { stateNotes },
      ] = await Promise.all([
        import("../sweep/resolve.js"),
        import("../data/split-provider.js"),
        import("../sweep/plan-format.js"),
        import("../sweep/run-details.js"),
        import("../exec/slurm-executor.js"),
        import("../sweep/state-notes.js"),
      ]);
      const r = await resolveSweep(file, { ...input, splits: dataSplits(dirname(resolve(file))) });
      printNotes(r.notes);
      const details = readRunLines(r.plan, r.statuses, r.resultsDir);
      // Failed runs, and runs whose state cannot be read (corrupt, unknown): something needs a look.
      const bad = r.statuses.filter((s) => s === "failed" || s === "corrupt" || s === "unknown").length;
      if (bad > 0) process.exitCode = EXIT.failure;
      if (opts.json) {
        process.stdout.write(format.formatPlanJson(r.plan, r.statuses, details));
        return;
      }
      const table = r.spec.table;
      const metrics = table
        ? {
            names: Array.isArray(table.metric) ? table.metric : [table.metric],
            scale: table.scale ?? 100,
            precision: table.precision ?? 1,
          }
        : undefined;
      process.stdout.write(
        format.formatPlanTable(r.plan, r.statuses, {
          title: "status",
          details,
          ...(metrics ? { metrics } : {}),
        }),
      );
      r.plan.runs.forEach((run, i) => {
        if (r.statuses[i] !== "failed") return;
        process.stdout.write(`failed ${run.key.slice(0, 12)}: ${details[i]?.error ?? "no error recorded"}\n`);
      });
      for (const note of stateNotes(r.plan, r.statuses, r.resultsDir)) process.stdout.write(`${note}\n`);
      for (const line of await slurmQueueLines(r.resultsDir, r.plan.experiment))
        process.stdout.write(`${line}\n`);
    });
}
