import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { EXIT, UserError } from "../util/errors.js";

// A problem found in a spec, tied to the place in the YAML a person must edit.
// Every stage that checks a spec (loader, schema, semantic checks, sweep
// expansion) reports through this one type so the CLI prints them alike:
//
//   experiments/foo.yaml:12:5  method.lamda  unknown key "lamda" (did you mean "lambda"?)
//      12 |     lamda: 0.5
//         |     ^

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export type KeyPath = readonly (string | number)[];

export interface Diagnostic {
  /** Where to look; absent only when the problem has no place (e.g. an empty file list). */
  location?: SourceLocation;
  /** The key path inside the spec, e.g. ["sweep", "grid", "method.lr"]. */
  path: KeyPath;
  /** What was wrong, and what was expected. */
  message: string;
  /** e.g. `did you mean "lambda"?` */
  hint?: string;
  /** Whether the key or the value is at fault (where a later locator should point). */
  at?: "key" | "value";
  /** Other places worth showing, e.g. the parent's line of an inherited key. */
  context?: { location: SourceLocation; note: string }[];
}

/**
 * Maps a key path of the merged spec back to the YAML node it came from: the
 * key's position by default (where "unknown key" and most problems point), or
 * the value's. A path deeper than the YAML (e.g. a default) gives its nearest
 * written ancestor.
 */
export type Locator = (path: KeyPath, part?: "key" | "value") => SourceLocation | undefined;

export class SpecError extends UserError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(formatDiagnostics(diagnostics), EXIT.usage);
    this.name = "SpecError";
    this.diagnostics = diagnostics;
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `sweep.grid["method.lr"][0]`: dots between plain keys, brackets for anything else. */
export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return "(document)";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (IDENT.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Values from the command line (--set, --sweep) carry a pseudo file such as "(--set train.lr=0.1)". */
export function isPseudoFile(file: string): boolean {
  return file.startsWith("(");
}

function displayFile(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || rel === "" ? file : rel;
}

function sourceLine(file: string, line: number, cache: Map<string, string[] | null>): string | undefined {
  if (!cache.has(file)) {
    try {
      cache.set(file, readFileSync(file, "utf8").split(/\r?\n/));
    } catch {
      cache.set(file, null);
    }
  }
  return cache.get(file)?.[line - 1];
}

function excerpt(loc: SourceLocation, cache: Map<string, string[] | null>): string {
  const text = sourceLine(loc.file, loc.line, cache);
  if (text === undefined) return "";
  const num = String(loc.line);
  return `\n  ${num} | ${text}\n  ${" ".repeat(num.length)} | ${" ".repeat(Math.max(0, loc.column - 1))}^`;
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.location?.file ?? "";
  const fb = b.location?.file ?? "";
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (
    (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0)
  );
}

/** All diagnostics, ordered by file and position, each with its YAML line and a caret. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const cache = new Map<string, string[] | null>();
  const blocks = [...diagnostics].sort(compareDiagnostics).map((d) => {
    const where = !d.location
      ? "(spec)"
      : isPseudoFile(d.location.file)
        ? d.location.file
        : `${displayFile(d.location.file)}:${d.location.line}:${d.location.column}`;
    const hint = d.hint ? ` (${d.hint})` : "";
    let block = `${where}  ${formatKeyPath(d.path)}  ${d.message}${hint}`;
    if (d.location && !isPseudoFile(d.location.file)) block += excerpt(d.location, cache);
    for (const c of d.context ?? []) {
      block += `\n  ${c.note} ${displayFile(c.location.file)}:${c.location.line}:${c.location.column}`;
      block += excerpt(c.location, cache);
    }
    return block;
  });
  const n = diagnostics.length;
  return `${blocks.join("\n")}\n${n} problem${n === 1 ? "" : "s"} found; nothing was run or written.`;
}
