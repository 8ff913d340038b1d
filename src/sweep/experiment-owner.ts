import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { writeJsonAtomic } from "../util/atomic-write.js";
import { UserError } from "../util/errors.js";
import { readJsonFile } from "./run-store.js";

// results/<experiment>/ belongs to one spec. Two spec files with the same
// `name` would write the same summary and table, each overwriting the other's
// (issue 17 §4); the first one to write claims the folder in
// results/<experiment>/experiment.json (the spec's path relative to the
// results folder's parent, so the file is the same in every clone), and
// another spec that still carries the name is refused.

export const OWNER_FILE = "experiment.json";

interface Owner {
  spec: string;
}

/** The top-level `name:` a spec file writes itself (undefined: none, or unreadable). */
function ownName(file: string): string | undefined {
  try {
    const doc = parseYaml(readFileSync(file, "utf8")) as { name?: unknown } | null;
    return typeof doc?.name === "string" ? doc.name : undefined;
  } catch {
    return undefined;
  }
}

export async function claimExperiment(
  resultsDir: string,
  experiment: string,
  specFile: string,
): Promise<void> {
  const base = dirname(resolve(resultsDir));
  const file = join(resultsDir, experiment, OWNER_FILE);
  const mine = relative(base, resolve(specFile));
  const owner = readJsonFile<Owner>(file);
  if (owner?.spec === mine) return;
  if (owner && typeof owner.spec === "string") {
    const other = resolve(base, owner.spec);
    const otherName = existsSync(other) ? ownName(other) : null;
    // The other spec still exists and still names this experiment (or takes its name from a parent).
    if (otherName !== null && (otherName === undefined || otherName === experiment)) {
      throw new UserError(
        `${specFile}: its name "${experiment}" is already used by ${other}, whose results are in ` +
          `${join(resultsDir, experiment)}/; two specs with one name would overwrite each other's table. ` +
          "Give this spec another `name:`, or use --results for a separate results folder.",
      );
    }
  }
  await writeJsonAtomic(file, { spec: mine } satisfies Owner);
}

/** Specs among `files` that share a name: one message per name used twice. */
export function duplicateNames(named: readonly { file: string; name: string }[]): string[] {
  const byName = new Map<string, string[]>();
  for (const { file, name } of named) byName.set(name, [...(byName.get(name) ?? []), file]);
  return [...byName]
    .filter(([, files]) => new Set(files.map((f) => resolve(f))).size > 1)
    .map(
      ([name, files]) =>
        `name "${name}" is used by ${files.join(", ")}: their results would share results/${name}/ and overwrite each other's table`,
    );
}
