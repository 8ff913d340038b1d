import { type Command, Option } from "commander";
import { EXIT, UserError } from "../util/errors.js";

interface DiffOpts {
  metric?: string;
  format: "text" | "md" | "json";
  failOnRegression?: string;
  dirs?: string[];
  results: string;
  alpha: string;
}

function number(flag: string, text: string): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || x < 0)
    throw new UserError(`${flag} ${text}: expected a number ≥ 0`);
  return x;
}

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description("compare result summaries cell by cell across git revisions (seed-aware: Welch t-test)")
    .argument(
      "[rev-or-experiment...]",
      "up to two git revisions (default HEAD vs the working tree), then experiment names",
    )
    .option("--metric <name>", "metric to compare (default: the table's first)")
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "md", "json"]).default("text"),
    )
    .option(
      "--fail-on-regression <x>",
      "exit 1 when a cell gets worse by more than x (table scale) beyond noise",
    )
    .option("--dirs <dir...>", "compare two results directories instead of git revisions")
    .option("--results <dir>", "results directory inside the repository", "results")
    .option("--alpha <p>", "significance level for 'beyond noise'", "0.05")
    .action(async (args: string[], opts: DiffOpts) => {
      const [
        { regressions },
        { cellLabel, formatDiffMarkdown, formatDiffText },
        { buildDiff },
        { resolveCommit },
      ] = await Promise.all([
        import("../results/diff.js"),
        import("../results/diff-format.js"),
        import("../results/diff-report.js"),
        import("../results/diff-sources.js"),
      ]);
      const alpha = number("--alpha", opts.alpha);
      if (!(alpha > 0 && alpha < 1))
        throw new UserError(`--alpha ${opts.alpha}: expected a number in (0, 1)`);
      const threshold =
        opts.failOnRegression === undefined
          ? undefined
          : number("--fail-on-regression", opts.failOnRegression);
      const revs: string[] = [];
      let rest = args;
      if (opts.dirs) {
        if (opts.dirs.length !== 2)
          throw new UserError(`--dirs takes two directories, got ${opts.dirs.length}`);
      } else {
        while (
          revs.length < 2 &&
          rest.length > 0 &&
          (await resolveCommit(process.cwd(), rest[0]!).catch(() => null))
        ) {
          revs.push(rest[0]!);
          rest = rest.slice(1);
        }
      }
      const report = await buildDiff({
        revs,
        ...(opts.dirs ? { dirs: [opts.dirs[0]!, opts.dirs[1]!] as [string, string] } : {}),
        resultsDir: opts.results,
        experiments: rest,
        alpha,
        ...(opts.metric ? { metric: opts.metric } : {}),
      });
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(opts.format === "md" ? formatDiffMarkdown(report) : formatDiffText(report));
      if (threshold !== undefined) {
        const bad = report.experiments.flatMap((d) => regressions(d, threshold).map((c) => ({ d, c })));
        if (bad.length > 0) {
          process.stderr.write(
            `${bad.length} cell(s) worse by more than ${threshold} beyond noise (p < ${alpha}):\n` +
              bad
                .map(
                  ({ d, c }) =>
                    `  ${d.experiment}: ${cellLabel(c)}: Δ ${c.delta?.toFixed(d.precision)} p=${c.p?.toPrecision(2)}\n`,
                )
                .join(""),
          );
          process.exitCode = EXIT.failure;
        }
      }
    });
}
