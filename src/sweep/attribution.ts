import { type Diagnostic, formatKeyPath, type KeyPath } from "../spec/diagnostics.js";
import type { SemanticKey } from "../spec/types.js";
import { type Atom, FOLD_PATH, SEED_PATH } from "./axes.js";
import { problem, type SweepProblem } from "./problems.js";
import { DISCRIMINATORS } from "./sections.js";
import { show } from "./show.js";

// A problem found in a run's config (by the schema or the compatibility rules)
// is the sweep's doing: point it at the sweep key or value that made it, say
// it once however many runs share it, and name only the sweep values that all
// those runs have in common.

function atomParts(a: Atom): string[] {
  return [a.section, ...a.rel];
}

function isPrefix(prefix: readonly string[], path: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(path[i]) === p);
}

const isCounter = (a: Atom) => a.path === SEED_PATH || a.path === FOLD_PATH;

/** The same problem (place and text) found in several runs, with the sweep values they share. */
export interface Finding {
  path: KeyPath;
  part: "key" | "value";
  described: string;
  hint: string | undefined;
  /** Sweep values present in every run that showed it (they are the context worth naming). */
  shared: Atom[];
  /** The sweep value it is pinned on, when it is the value itself (not a key inside it). */
  value: Atom | undefined;
}

/** The atom that sets the method's name in a cell: `method.name`, else a whole `method` block. */
function methodChoice(atoms: readonly Atom[]): Atom | undefined {
  return atoms.find((a) => a.path === "method.name") ?? atoms.find((a) => a.path === "method");
}

/**
 * Re-points a problem found in a cell's config at the sweep value that made
 * it: the value written at (or above) the problem's path; otherwise, for a
 * block check, the value that chose the block's variant; for a compatibility
 * check (method-centred rules, compat.ts), the method the sweep chose. A
 * config check (config-checks.ts: values of one block that contradict each
 * other, or the data stage's split check) that no sweep value of its section
 * explains stays at its own path, in the spec as written, with the sweep
 * values of the runs that have it named as context.
 */
export function attribute(
  findings: Map<string, Finding>,
  d: Diagnostic,
  atoms: readonly Atom[],
  kind: "block" | "combination" | "config",
): void {
  const direct = atoms
    .filter((a) => isPrefix(atomParts(a), d.path))
    .sort((a, b) => b.rel.length - a.rel.length)[0];
  const section = String(d.path[0]);
  const disc = DISCRIMINATORS[section as SemanticKey];
  const sameSection = atoms.filter((a) => a.section === section);
  const variant = sameSection.find((a) => a.rel.length === 1 && a.rel[0] === disc);
  const cause =
    kind === "config"
      ? (direct ?? variant)
      : (direct ??
        variant ??
        (kind === "combination" ? methodChoice(atoms) : undefined) ??
        sameSection[0] ??
        atoms.find((a) => !isCounter(a)));
  const rest = cause && cause === direct ? d.path.slice(direct.rel.length + 1) : [];
  const path = cause ? [...cause.origin, ...rest] : d.path;
  const part = cause ? (rest.length === 0 ? "value" : "key") : (d.at ?? "key");
  const described = cause ? `${formatKeyPath(d.path)}: ${d.message}` : d.message;
  const context = atoms.filter(
    (a) =>
      a !== cause && !isCounter(a) && a.axisSize !== 1 && (kind !== "block" || a.section === cause?.section),
  );
  const id = JSON.stringify([path, described]);
  const seen = findings.get(id);
  if (seen) seen.shared = seen.shared.filter((a) => context.includes(a));
  else
    findings.set(id, {
      path,
      part,
      described,
      hint: d.hint,
      shared: context,
      value: rest.length === 0 ? cause : undefined,
    });
}

/** A problem every value of an axis has is the key's problem (e.g. a key no variant accepts): say it once. */
function collapseAxes(findings: Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.value || f.value.axisSize < 2) continue;
    const id = JSON.stringify([f.value.keyOrigin, f.described]);
    groups.set(id, [...(groups.get(id) ?? []), f]);
  }
  const out: Finding[] = [];
  const merged = new Set<Finding>();
  for (const group of groups.values()) {
    const first = group[0]!;
    if (new Set(group.map((f) => f.value!.token)).size < first.value!.axisSize) continue;
    for (const f of group) merged.add(f);
    const shared = group.reduce((acc, f) => acc.filter((a) => f.shared.includes(a)), first.shared);
    out.push({ ...first, path: first.value!.keyOrigin, part: "key", shared, value: undefined });
  }
  return [...findings.filter((f) => !merged.has(f)), ...out];
}

export function toProblems(findings: Map<string, Finding>): SweepProblem[] {
  return collapseAxes([...findings.values()]).map((f) => {
    const context = f.shared.map((a) => `${a.path} = ${show(a.value)}`).join(", ");
    return problem(
      f.path,
      f.part,
      context === "" ? f.described : `${f.described} (in runs with ${context})`,
      f.hint,
    );
  });
}
