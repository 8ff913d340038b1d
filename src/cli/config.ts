import { dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

// `labelsweep config <spec> [--run i|key]`: one run's resolved config — extends
// merged, overrides and the sweep applied, schema defaults filled — as YAML
// (Hydra's `--cfg job`, mmdetection's print_config).

export function registerConfig(program: Command): void {
  specArguments(
    program
      .command("config")
      .description(
        "print one run's resolved config as YAML (extends, overrides, sweep and defaults applied)",
      ),
  )
    .option("--run <index|key>", "which run of the plan: index (default 0) or key prefix")
    .option("--json", "print it as JSON (with key, name, status)")
    .action(
      async (file: string, positional: string[], opts: SpecFlags & { run?: string; json?: boolean }) => {
        const input = specInput(file, positional, opts);
        const [{ resolveSweep }, { dataSplits }, { pickRun }, { runNames }, { stringify }] =
          await Promise.all([
            import("../sweep/resolve.js"),
            import("../data/split-provider.js"),
            import("../sweep/pick-run.js"),
            import("../sweep/plan-format.js"),
            import("yaml"),
          ]);
        const r = await resolveSweep(file, { ...input, splits: dataSplits(dirname(resolve(file))) });
        printNotes(r.notes);
        const index = pickRun(r.plan, opts.run);
        const run = r.plan.runs[index]!;
        const name = runNames(r.plan)[index]!;
        const dir = join(r.resultsDir, r.plan.experiment, "runs", run.key);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ key: run.key, index, name, status: r.statuses[index], dir, config: run.config }, null, 2)}\n`,
          );
          return;
        }
        const shownDir = relative(process.cwd(), dir);
        const header = [
          `# ${r.plan.experiment}: run ${index} of ${r.plan.runs.length}${name ? `  (${name})` : ""}`,
          `# key ${run.key}  status ${r.statuses[index]}`,
          `# results ${shownDir.startsWith("..") ? dir : shownDir}`,
          ...(r.plan.runs.length > 1
            ? [`# --run <index|key> shows another run (0–${r.plan.runs.length - 1})`]
            : []),
        ];
        process.stdout.write(`${header.join("\n")}\n${stringify(run.config, { lineWidth: 0 })}`);
      },
    );
}
