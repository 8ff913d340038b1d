import type { Diagnostic, KeyPath, Locator, SourceLocation } from "../spec/diagnostics.js";

// Sweep checks find problems as spec paths; the Locator turns them into
// file:line:column once, at the end, so the checks stay plain functions of data.

export interface SweepProblem {
  /** Where in the spec the person must edit (e.g. ["sweep", "grid", "method.name", 1]). */
  path: KeyPath;
  /** Point at the key itself or at its value. */
  part: "key" | "value";
  message: string;
  hint?: string;
}

export function problem(path: KeyPath, part: "key" | "value", message: string, hint?: string): SweepProblem {
  return hint === undefined ? { path, part, message } : { path, part, message, hint };
}

/** The Locator may take a second argument naming the key or the value; older ones ignore it. */
type PartLocator = (path: KeyPath, part?: "key" | "value") => SourceLocation | undefined;

export function toDiagnostics(problems: readonly SweepProblem[], locate?: Locator): Diagnostic[] {
  const at: PartLocator | undefined = locate;
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const p of problems) {
    const id = JSON.stringify([p.path, p.message]);
    if (seen.has(id)) continue;
    seen.add(id);
    const d: Diagnostic = { path: p.path, message: p.message };
    const location = at?.(p.path, p.part);
    if (location) d.location = location;
    if (p.hint !== undefined) d.hint = p.hint;
    out.push(d);
  }
  return out;
}
