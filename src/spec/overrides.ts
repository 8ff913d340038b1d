import { parse as parseYaml } from "yaml";
import { UserError } from "../util/errors.js";
import type { SourceLocation } from "./diagnostics.js";
import { fromValue, type LocatedNode, setLocated } from "./located.js";
import { pinSweep } from "./override-pins.js";
import type { JsonValue } from "./types.js";

// Command-line overrides, Hydra-style:
//   --set train.lr=0.02            one value (parsed as YAML: numbers, booleans, [lists], {maps})
//   --sweep labels.fraction=0.01,0.1  a sweep.grid axis (top-level commas separate values)

export interface Overrides {
  set?: readonly string[];
  sweep?: readonly string[];
}

/**
 * Hydra-style positional overrides (`train.lr=0.02 labels.fraction=0.05,0.1`):
 * a value with a top-level comma is a sweep axis (like --sweep), anything else
 * one value (like --set). Brackets keep a list one value: `x=[1,2]`.
 */
export function positionalOverrides(args: readonly string[]): Required<Overrides> {
  const set: string[] = [];
  const sweep: string[] = [];
  for (const arg of args) {
    const { raw } = splitAssignment("override", arg);
    (splitTopLevel(raw).length > 1 ? sweep : set).push(arg);
  }
  return { set, sweep };
}

/** Whether a command-line argument is a PATH=VALUE override rather than a file name. */
export function looksLikeOverride(arg: string): boolean {
  const eq = arg.indexOf("=");
  return eq > 0 && PATH.test(arg.slice(0, eq).trim());
}

const PATH = /^[A-Za-z_$][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

function splitAssignment(flag: string, text: string): { path: string; raw: string } {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    const example = flag === "override" ? "train.lr=0.01" : `${flag} train.lr=0.01`;
    throw new UserError(`${flag} ${text}: expected PATH=VALUE, e.g. ${example}`);
  }
  const path = text.slice(0, eq).trim();
  if (!PATH.test(path)) {
    throw new UserError(`${flag} ${text}: "${path}" is not a dotted key path (e.g. method.name, train.lr)`);
  }
  return { path, raw: text.slice(eq + 1) };
}

function parseValue(raw: string): JsonValue {
  const trimmed = raw.trim();
  if (trimmed === "") return "";
  try {
    return parseYaml(trimmed) as JsonValue;
  } catch {
    return trimmed;
  }
}

/** Splits at commas that are not inside brackets, braces or quotes. */
export function splitTopLevel(raw: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(raw.slice(start));
  return parts;
}

/** Applies --set then --sweep; a --set on a swept path pins that axis (override-pins.ts). */
export function applyOverrides(root: LocatedNode, overrides: Overrides, notes: string[] = []): LocatedNode {
  let out = root;
  for (const text of overrides.set ?? []) {
    const { path, raw } = splitAssignment("--set", text);
    const loc: SourceLocation = { file: `(--set ${text})`, line: 1, column: 1 };
    const value = parseValue(raw);
    out = setLocated(out, path.split("."), fromValue(value, loc), loc);
    const pinned = pinSweep(out, path, value, loc, `--set ${text}`);
    out = pinned.root;
    for (const p of pinned.pins) notes.push(p.note);
  }
  for (const text of overrides.sweep ?? []) {
    const { path, raw } = splitAssignment("--sweep", text);
    const values = splitTopLevel(raw).map(parseValue);
    const loc: SourceLocation = { file: `(--sweep ${text})`, line: 1, column: 1 };
    out = setLocated(out, ["sweep", "grid", path], fromValue(values, loc), loc);
  }
  return out;
}
