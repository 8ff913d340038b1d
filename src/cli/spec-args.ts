import type { Command } from "commander";
import { positionalOverrides } from "../spec/overrides.js";
import { collect } from "./options.js";

// The arguments every command that reads a spec shares: the spec file,
// Hydra-style positional overrides after it (`train.lr=0.02
// labels.fraction=0.05,0.1`), --set / --sweep, and --results (default: the
// spec's project's results/ folder, sweep/project.ts).

export interface SpecFlags {
  set: string[];
  sweep: string[];
  results?: string;
}

export interface SpecInput {
  file: string;
  set: string[];
  sweep: string[];
  /** Absent: the spec's project decides (sweep/project.ts). */
  resultsDir?: string;
}

export const OVERRIDES_HELP =
  "overrides: path=value (one value, like --set) or path=v1,v2 (a sweep axis, like --sweep)";

/** Adds `<spec> [overrides...]`, --set, --sweep and --results to a command. */
export function specArguments(cmd: Command, options: { results?: boolean } = {}): Command {
  cmd
    .argument("<spec>", "experiment spec file (YAML)")
    .argument("[overrides...]", OVERRIDES_HELP)
    .option(
      "--set <path=value>",
      "override a value (repeatable); on a swept path it pins the axis",
      collect,
      [],
    )
    .option("--sweep <path=v1,v2>", "add or replace a sweep.grid axis (repeatable)", collect, []);
  if (options.results !== false)
    cmd.option("--results <dir>", "results directory (default: results/ of the spec's project)");
  return cmd;
}

/** The spec, its overrides (flags first, then positional ones) and the results directory. */
export function specInput(file: string, positional: readonly string[], flags: SpecFlags): SpecInput {
  const extra = positionalOverrides(positional);
  return {
    file,
    set: [...flags.set, ...extra.set],
    sweep: [...flags.sweep, ...extra.sweep],
    ...(flags.results === undefined ? {} : { resultsDir: flags.results }),
  };
}

/** Prints what the overrides did beyond setting values (pinned sweep axes). */
export function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`note: ${n}\n`);
}
