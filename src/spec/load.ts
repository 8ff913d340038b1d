import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../util/errors.js";
import { explainAliases } from "./aliases.js";
import { checkNames } from "./compat.js";
import { type Diagnostic, type Locator, type SourceLocation, SpecError } from "./diagnostics.js";
import { mergeLayers, pointAtSwitches, type VariantSwitch } from "./inherit.js";
import { type LocatedMap, type LocatedNode, locate, toValue } from "./located.js";
import { applyOverrides, type Overrides } from "./overrides.js";
import { validateSpecValue } from "./schema.js";
import type { JsonObject, Spec } from "./types.js";
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
}

export type LoadOptions = Overrides;

interface Layer {
  root: LocatedNode | undefined;
  files: string[];
}

/** Variant switches found while merging `extends` layers (spec/inherit.ts). */
type Switches = VariantSwitch[];

function readText(
  file: string,
  from: { loc: SourceLocation } | undefined,
  diagnostics: Diagnostic[],
): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a folder; expected a YAML file"
          : (err as Error).message;
    if (!from) throw new UserError(`cannot read spec file ${file}: ${reason}`);
    diagnostics.push({
      location: from.loc,
      path: ["extends"],
      message: `cannot read extended file ${file}: ${reason}`,
    });
    return undefined;
  }
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
  return { spec: value as unknown as Spec, locate: locator, files: [...new Set(layer.files)], notes };
}
