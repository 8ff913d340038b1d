import { Command, CommanderError } from "commander";
import { EXIT, UserError } from "../util/errors.js";
import { describeFsFault, EXIT_IO } from "../util/fs-faults.js";
import { registerCollect } from "./collect.js";
import { registerData } from "./data.js";
import { registerDiff } from "./diff.js";
import { registerDoctor } from "./doctor.js";
import { registerEval } from "./eval.js";
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
// (spec/, sweep/, data/, eval/, engine/, exec/, results/).

export function buildProgram(): Command {
  const program = new Command("labelsweep")
    .description("Declarative experiment runner for label-efficient object detection.")
    .version(VERSION)
    .showHelpAfterError("(run `labelsweep --help` for usage)")
    .exitOverride();
  registerEval(program);
  registerValidate(program);
  registerData(program);
  registerPlan(program);
  registerWorker(program);
  registerRun(program);
  registerStatus(program);
  registerCollect(program);
  registerTable(program);
  registerDiff(program);
  registerReport(program);
  registerTrain(program);
  registerDoctor(program);
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
