import { dirname, join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

export function registerTable(program: Command): void {
  specArguments(
    program
      .command("table")
      .description("write results/<experiment>/summary.json and the table files, and print the table"),
  )
    .addOption(
      new Option("--format <format>", "what to print").choices(["md", "csv", "latex", "json"]).default("md"),
    )
    .action(async (file: string, positional: string[], opts: SpecFlags & { format: string }) => {
      const input = specInput(file, positional, opts);
      const [{ resolveSweep }, { dataSplits }, render, summary, { summaryInputOf }, { claimExperiment }] =
        await Promise.all([
          import("../sweep/resolve.js"),
          import("../data/split-provider.js"),
          import("../results/render-table.js"),
          import("../results/summary.js"),
          import("../results/summary-input.js"),
          import("../sweep/experiment-owner.js"),
        ]);
      const r = await resolveSweep(file, { ...input, splits: dataSplits(dirname(resolve(file))) });
      printNotes(r.notes);
      await claimExperiment(r.resultsDir, r.plan.experiment, r.specFile);
      const summaryInput = summaryInputOf(r);
      const md = await summary.writeSummary(summaryInput);
      if (opts.format === "md") {
        process.stdout.write(md);
        return;
      }
      const { summary: built, agg } = summary.buildSummary(
        summaryInput,
        summary.collectOutcomes(summaryInput),
      );
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
      else if (opts.format === "csv") process.stdout.write(render.renderCsv(agg, summaryInput.table));
      else process.stdout.write(render.renderLatex(agg, summaryInput.table));
      process.stderr.write(`wrote ${join(r.resultsDir, r.plan.experiment)}/summary.json\n`);
    });
}
