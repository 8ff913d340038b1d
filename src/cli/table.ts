import { dirname, join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { dataSplits } from "../data/index.js";
import { renderCsv, renderLatex, renderMarkdown } from "../results/render-table.js";
import { buildSummary, collectOutcomes, type SummaryWrite, writeSummary } from "../results/summary.js";
import { guardMessage } from "../results/summary-guard.js";
import { summaryInputOf } from "../results/summary-input.js";
import { resolveSweep } from "../sweep/resolve.js";
import { EXIT } from "../util/errors.js";
import { describeFsFault } from "../util/fs-faults.js";
import { collect } from "./options.js";

export function registerTable(program: Command): void {
  program
    .command("table")
    .description("write results/<experiment>/summary.json and the table files, and print the table")
    .argument("<spec>", "experiment spec file (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--results <dir>", "results directory", "results")
    .option("--force", "write the summary even when the one on disk has more finished runs")
    .addOption(
      new Option("--format <format>", "what to print").choices(["md", "csv", "latex", "json"]).default("md"),
    )
    .action(
      async (
        file: string,
        opts: { set: string[]; sweep: string[]; results: string; format: string; force?: boolean },
      ) => {
        const r = await resolveSweep(file, {
          ...opts,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
        });
        const input = summaryInputOf(r);
        let written: SummaryWrite | null = null;
        let unwritable: string | null = null;
        try {
          written = await writeSummary(input, { force: opts.force === true });
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
        const { summary, agg, md } =
          written ??
          (() => {
            const built = buildSummary(input, collectOutcomes(input));
            return { ...built, md: renderMarkdown(built.agg, input.table, built.refs) };
          })();
        if (opts.format === "md") process.stdout.write(md);
        else if (opts.format === "json") process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else if (opts.format === "csv") process.stdout.write(renderCsv(agg, input.table));
        else process.stdout.write(renderLatex(agg, input.table));
        if (unwritable)
          process.stderr.write(`note: summary.json and the table files were not written: ${unwritable}\n`);
        else if (opts.format !== "md")
          process.stderr.write(`wrote ${join(r.resultsDir, r.plan.experiment)}/summary.json\n`);
      },
    );
}
