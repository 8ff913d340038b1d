import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { EXIT, UserError } from "../util/errors.js";
import { describeFsFault, EXIT_IO } from "../util/fs-faults.js";
import { registerCollect } from "./collect.js";
import { registerCompletion } from "./completion.js";
import { registerConfig } from "./config.js";
import { registerData } from "./data.js";
import { registerDiff } from "./diff.js";
import { registerDoctor } from "./doctor.js";
import { registerEval } from "./eval.js";
import { registerLs } from "./ls.js";
import { registerPlan } from "./plan.js";
import { registerReport } from "./report.js";
import { registerRun } from "./run.js";
import { registerStatus } from "./status.js";
import { registerTable } from "./table.js";
import { registerTrain } from "./train.js";
import { registerValidate } from "./validate.js";
import { VERSION } from "./version.js";
import { registerWorker } from "./worker.js";

// The CLI only parses arguments and prints; the work lives in the stage rooms
// (spec/, sweep/, data/, eval/, engine/, exec/, results/). Each command loads
// its room when it runs (dynamic import), so `labelsweep --help` and
// `labelsweep validate` start without TensorFlow.js, Vega or sharp.

const README = fileURLToPath(new URL("../../README.md", import.meta.url));
const SCHEMA = fileURLToPath(new URL("../../schemas/experiment.schema.json", import.meta.url));

const EXAMPLES = `
Examples:
  labelsweep validate experiments/quickstart.yaml       check a spec: every problem with file:line:column
  labelsweep run experiments/quickstart.yaml --jobs 2   run its sweep, then read results/quickstart/table.md
  labelsweep plan experiments/quickstart.yaml train.lr=0.02 labels.fraction=0.05,0.1
                                                        what overrides would run (path=value, or a sweep with commas)

Docs: ${README} (a tour of every command)
Spec keys: ${SCHEMA} (every key, with descriptions)
`;

export function buildProgram(): Command {
  const program = new Command("labelsweep")
    .description("Declarative experiment runner for label-efficient object detection.")
    .version(VERSION)
    .showHelpAfterError("(run `labelsweep --help` for usage)")
    .addHelpText("after", EXAMPLES)
    .exitOverride();
  registerValidate(program);
  registerPlan(program);
  registerConfig(program);
  registerRun(program);
  registerStatus(program);
  registerTable(program);
  registerReport(program);
  registerLs(program);
  registerDiff(program);
  registerCollect(program);
  registerData(program);
  registerEval(program);
  registerTrain(program);
  registerDoctor(program);
  registerCompletion(program);
  registerWorker(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UserError) {
      process.stderr.write(`${err.message.replace(/\n?$/, "\n")}`);
      return err.exitCode;
    }
    // Disk full, a read-only results directory, a file where a folder should be: one line, no stack.
    const fault = describeFsFault(err);
    if (fault) {
      process.stderr.write(`labelsweep: ${fault}\n`);
      return EXIT_IO;
    }
    throw err;
  }
}
