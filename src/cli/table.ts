import { dirname, join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { EXIT } from "../util/errors.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

export function registerTable(program: Command): void {
  specArguments(
    program
      .command("table")
      .description("write results/<experiment>/summary.json and the table files, and print the table"),
  )
    .option("--force", "write the summary even when the one on disk has more finished runs")
    .addOption(
      new Option("--format <format>", "what to print").choices(["md", "csv", "latex", "json"]).default("md"),
    )
    .action(
      async (file: string, positional: string[], opts: SpecFlags & { format: string; force?: boolean }) => {
        const input = specInput(file, positional, opts);
        const [
          { resolveSweep },
          { dataSplits },
          render,
          summary,
          { summaryInputOf },
          { claimExperiment },
          { guardMessage },
          { describeFsFault },
        ] = await Promise.all([
          import("../sweep/resolve.js"),
          import("../data/split-provider.js"),
          import("../results/render-table.js"),
          import("../results/summary.js"),
          import("../results/summary-input.js"),
          import("../sweep/experiment-owner.js"),
          import("../results/summary-guard.js"),
          import("../util/fs-faults.js"),
        ]);
        const r = await resolveSweep(file, { ...input, splits: dataSplits(dirname(resolve(file))) });
        printNotes(r.notes);
        const summaryInput = summaryInputOf(r);
        let written: Awaited<ReturnType<typeof summary.writeSummary>> | null = null;
        let unwritable: string | null = null;
        try {
          await claimExperiment(r.resultsDir, r.plan.experiment, r.specFile);
          written = await summary.writeSummary(summaryInput, { force: opts.force === true });
        } catch (err) {
          // A read-only (or full) results directory: the table is still printed.
          unwritable = describeFsFault(err);
          if (!unwritable) throw err;
        }
        for (const problem of written?.problems ?? []) process.stderr.write(`note: ${problem}\n`);
        if (written?.kept) {
          process.stderr.write(`labelsweep table: ${guardMessage(written.kept, written.file)}`);
          process.exitCode = EXIT.failure;
          return;
        }
        const {
          summary: built,
          agg,
          md,
        } = written ??
        (() => {
          const b = summary.buildSummary(summaryInput, summary.collectOutcomes(summaryInput));
          return { ...b, md: render.renderMarkdown(b.agg, summaryInput.table, b.refs) };
        })();
        if (opts.format === "md") process.stdout.write(md);
        else if (opts.format === "json") process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
        else if (opts.format === "csv") process.stdout.write(render.renderCsv(agg, summaryInput.table));
        else process.stdout.write(render.renderLatex(agg, summaryInput.table));
        if (unwritable)
          process.stderr.write(`note: summary.json and the table files were not written: ${unwritable}\n`);
        else if (opts.format !== "md")
          process.stderr.write(`wrote ${join(r.resultsDir, r.plan.experiment)}/summary.json\n`);
      },
    );
}
