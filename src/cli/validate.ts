import type { Command } from "commander";
import { checkCompatibility } from "../spec/compat.js";
import { SpecError } from "../spec/diagnostics.js";
import { loadSpec } from "../spec/load.js";
import { EXIT, UserError } from "../util/errors.js";
import { collect } from "./options.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "check specs against the schema and the semantic rules; print every problem with file:line:column",
    )
    .argument("<spec...>", "experiment spec files (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .action((files: string[], opts: { set: string[]; sweep: string[] }) => {
      let failed = 0;
      for (const file of files) {
        try {
          const loaded = loadSpec(file, opts);
          const problems = checkCompatibility(loaded.spec as never, loaded.locate);
          if (problems.length > 0) throw new SpecError(problems);
          process.stdout.write(`ok  ${file}  (${loaded.spec.name})\n`);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          failed++;
          process.stderr.write(`${err.message}\n`);
        }
      }
      if (failed > 0) {
        process.stderr.write(`${failed} of ${files.length} spec file(s) invalid\n`);
        process.exitCode = EXIT.usage;
      }
    });
}
