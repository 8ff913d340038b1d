import { closeSync, openSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../util/errors.js";
import { explainAliases } from "./aliases.js";
import { checkNames } from "./compat.js";
import {
  type Diagnostic,
  type KeyPath,
  type Locator,
  type SourceLocation,
  SpecError,
} from "./diagnostics.js";
import { mergeLayers, pointAtSwitches, type VariantSwitch } from "./inherit.js";
import { type LocatedMap, type LocatedNode, locate, nodeAt, toValue } from "./located.js";
import { applyOverrides, type Overrides } from "./overrides.js";
import { validateSpecValue } from "./schema.js";
import type { JsonObject, Spec } from "./types.js";
import { binaryReason, MAX_SPEC_BYTES, sizeText } from "./yaml-limits.js";
import { parseYamlSpec } from "./yaml-source.js";

// Loading a spec: read the YAML with positions, follow `extends` (relative
// paths, cycles refused), apply --set/--sweep overrides, validate against the
// JSON Schema (filling defaults), and report every problem at once with the
// file, line and column a person must edit.

export interface LoadedSpec {
  /** What the overrides did beyond setting values (a --set that pinned a sweep axis). */
  notes: string[];
  spec: Spec;
  /** Key path → where it was written (key or value); defaults map to their nearest written ancestor. */
  locate: Locator;
  /** The spec file and every file it extends, absolute. */
  files: string[];
  /** Whether a path was written (in a file or an override), not filled in as a schema default. */
  written: (path: KeyPath) => boolean;
}

export type LoadOptions = Overrides;

interface Layer {
  root: LocatedNode | undefined;
  files: string[];
}

/** The file's bytes, at most `limit` + 1 of them (a file can grow, or report size 0, as /proc files do). */
function readBounded(file: string, limit: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function fileKind(s: Stats): string {
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isFIFO()) return "a named pipe";
  if (s.isSocket()) return "a socket";
  return "not a regular file";
}

/** The spec's text, or why it cannot be one (never reads more than MAX_SPEC_BYTES + 1 bytes). */
function specText(file: string): { text: string } | { reason: string } {
  try {
    const s = statSync(file);
    if (s.isDirectory()) return { reason: "it is a folder; expected a YAML file" };
    if (!s.isFile()) return { reason: `it is ${fileKind(s)}, not a regular file; expected a YAML file` };
    const tooBig = (size: number) => ({
      reason: `it is ${sizeText(size)}; a spec may be at most ${sizeText(MAX_SPEC_BYTES)} (${MAX_SPEC_BYTES} bytes)`,
    });
    if (s.size > MAX_SPEC_BYTES) return tooBig(s.size);
    const bytes = readBounded(file, MAX_SPEC_BYTES);
    if (bytes.length > MAX_SPEC_BYTES) return tooBig(bytes.length);
    const binary = binaryReason(bytes);
    if (binary) return { reason: `it is not a text file (${binary}); expected a YAML file` };
    return { text: bytes.toString("utf8") };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      reason:
        code === "ENOENT"
          ? "no such file"
          : code === "EISDIR"
            ? "it is a folder; expected a YAML file"
            : (err as Error).message,
    };
  }
}
/** Variant switches found while merging `extends` layers (spec/inherit.ts). */
type Switches = VariantSwitch[];

function readText(
  file: string,
  from: { loc: SourceLocation } | undefined,
  diagnostics: Diagnostic[],
): string | undefined {
  const read = specText(file);
  if ("text" in read) return read.text;
  if (!from) throw new UserError(`cannot read spec file ${file}: ${read.reason}`);
  diagnostics.push({
    location: from.loc,
    path: ["extends"],
    message: `cannot read extended file ${file}: ${read.reason}`,
  });
  return undefined;
}

function extendsEntries(
  root: LocatedMap,
  diagnostics: Diagnostic[],
): { name: string; loc: SourceLocation }[] {
  const node = root.entries.get("extends");
  if (!node) return [];
  const items = node.kind === "seq" ? node.items : [node];
  const out: { name: string; loc: SourceLocation }[] = [];
  for (const item of items) {
    if (item.kind === "scalar" && typeof item.value === "string" && item.value !== "")
      out.push({ name: item.value, loc: item.loc });
    else
      diagnostics.push({
        location: item.loc,
        path: ["extends"],
        message: "expected a file path (or a list of file paths)",
      });
  }
  return out;
}

function readLayer(
  file: string,
  stack: string[],
  from: { loc: SourceLocation } | undefined,
  diagnostics: Diagnostic[],
  switches: Switches,
): Layer {
  const text = readText(file, from, diagnostics);
  if (text === undefined) return { root: undefined, files: [] };
  const real = realpathSync(file);
  const parsed = parseYamlSpec(file, text);
  if (!parsed.ok) {
    diagnostics.push(...parsed.diagnostics);
    return { root: undefined, files: [file] };
  }
  const files = [file];
  let merged: LocatedNode | undefined;
  for (const entry of extendsEntries(parsed.root, diagnostics)) {
    const target = resolve(dirname(file), entry.name);
    let targetReal: string | undefined;
    try {
      targetReal = realpathSync(target);
    } catch {
      targetReal = undefined;
    }
    if (targetReal !== undefined && (stack.includes(targetReal) || targetReal === real)) {
      const chain = [...stack, real, targetReal].map((f) => f.split("/").pop()).join(" → ");
      diagnostics.push({ location: entry.loc, path: ["extends"], message: `extends cycle: ${chain}` });
      continue;
    }
    const base = readLayer(target, [...stack, real], { loc: entry.loc }, diagnostics, switches);
    if (base.root) {
      merged = merged
        ? mergeLayers(merged, base.root, { switches, baseFiles: [...files.slice(1)] })
        : base.root;
    }
    files.push(...base.files);
  }
  const own: LocatedMap = { ...parsed.root, entries: new Map(parsed.root.entries) };
  own.entries.delete("extends");
  own.entries.delete("$schema");
  return { root: merged ? mergeLayers(merged, own, { switches, baseFiles: files.slice(1) }) : own, files };
}

/** Sections whose name is already reported as unknown: their schema errors would only be noise. */
function noisySections(nameProblems: Diagnostic[]): Set<string> {
  return new Set(nameProblems.map((d) => String(d.path[0])));
}

export function loadSpec(path: string, options: LoadOptions = {}): LoadedSpec {
  const file = resolve(path);
  const diagnostics: Diagnostic[] = [];
  const switches: Switches = [];
  const layer = readLayer(file, [], undefined, diagnostics, switches);
  if (!layer.root || diagnostics.length > 0) throw new SpecError(diagnostics);

  const notes: string[] = [];
  const root = applyOverrides(layer.root, options, notes);
  const locator: Locator = (p, part) => locate(root, p, part);
  const value = toValue(root) as JsonObject;

  // The metric family follows the model unless the spec says otherwise.
  const detector = value.detector;
  if (value.eval === undefined && detector && typeof detector === "object" && !Array.isArray(detector)) {
    value.eval = { type: detector.arch === "mlc-lite" ? "multilabel" : "coco" };
  }

  const nameProblems = checkNames(value, locator);
  const skip = noisySections(nameProblems);
  const schemaProblems = validateSpecValue(value, locator).filter((d) => !skip.has(String(d.path[0])));
  const all = explainAliases(pointAtSwitches([...nameProblems, ...schemaProblems], switches), value);
  if (all.length > 0) throw new SpecError(all);
  return {
    spec: value as unknown as Spec,
    locate: locator,
    files: [...new Set(layer.files)],
    written: (p) => nodeAt(root, p).depth === p.length,
    notes,
  };
}
