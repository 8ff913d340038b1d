import { relative } from "node:path";
import type { Command } from "commander";
import { UserError } from "../util/errors.js";
import { collect } from "./options.js";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "write a self-contained HTML report: tables, budget curves, Δ vs baseline, per-class AP, loss, runs, diff",
    )
    .argument(
      "<spec|results-dir>",
      "an experiment spec (YAML) or a results directory with summary.json files",
    )
    .option("--out <file>", "the HTML file to write (default: results/<experiment>/report.html)")
    .option("--plots-dir <dir>", "also write each plot as SVG and PNG here")
    .option("--diff <rev...>", "add a diff view of two git revisions (A B)")
    .option("--results <dir>", "results directory (for a spec, and for --diff)")
    .option("--set <path=value>", "override a value of a spec (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis to a spec (repeatable)", collect, [])
    .action(
      async (
        input: string,
        opts: {
          out?: string;
          plotsDir?: string;
          diff?: string[];
          results?: string;
          set: string[];
          sweep: string[];
        },
      ) => {
        if (opts.diff && opts.diff.length !== 2)
          throw new UserError(`--diff takes two revisions, got ${opts.diff.length}`);
        // Loaded here, not at startup: Vega and sharp are heavy and only the report needs them.
        const { writeReport } = await import("../results/report.js");
        const r = await writeReport({
          input,
          set: opts.set,
          sweep: opts.sweep,
          ...(opts.out ? { out: opts.out } : {}),
          ...(opts.results ? { resultsDir: opts.results } : {}),
          ...(opts.plotsDir ? { plotsDir: opts.plotsDir } : {}),
          ...(opts.diff ? { diff: [opts.diff[0]!, opts.diff[1]!] as [string, string] } : {}),
        });
        for (const e of r.empty)
          process.stderr.write(`warning: ${e} has no finished runs; left out of the report\n`);
        const shown = relative(process.cwd(), r.out);
        process.stdout.write(
          `wrote ${shown.startsWith("..") ? r.out : shown} (${r.charts.length} plot${r.charts.length === 1 ? "" : "s"})\n`,
        );
        for (const f of r.files.slice(0, -1)) process.stdout.write(`wrote ${f}\n`);
      },
    );
}
