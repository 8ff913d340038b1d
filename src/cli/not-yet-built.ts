import type { Command } from "commander";
import { NotImplementedError } from "../util/errors.js";

// Commands whose stage has not landed yet. They are listed in --help so the
// tour is complete, and they fail loudly instead of pretending to work.
const PENDING: [name: string, summary: string, issue: string][] = [
  ["train", "train one run in-process (debugging)", "the tfjs engine"],
];

export function registerNotYetBuilt(program: Command): void {
  const taken = new Set(program.commands.map((c) => c.name()));
  for (const [name, summary, stage] of PENDING) {
    if (taken.has(name)) continue;
    program
      .command(name, { hidden: false })
      .description(`${summary} (not implemented yet)`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new NotImplementedError(`labelsweep ${name} (${stage})`);
      });
  }
}
