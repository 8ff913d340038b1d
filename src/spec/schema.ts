import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Diagnostic, Locator } from "./diagnostics.js";
import { describeError } from "./schema-errors.js";
import { type JsonObject, type RunConfig, SEMANTIC_KEYS } from "./types.js";

// JSON Schema validation with ajv (allErrors, so every problem is reported at
// once). ajv also fills the schema's defaults, so a value left out and the same
// value written explicitly give the same resolved config, and the same run key.

export const SCHEMA_URL = new URL("../../schemas/experiment.schema.json", import.meta.url);
const SCHEMA_ID = "https://labelsweep.dev/schemas/experiment.schema.json";

/**
 * ajv fills a `default` only where it stands in a property's own schema, not
 * inside a `$ref`'s target. Copy each referenced definition's default next to
 * the `$ref`, so `train`, `engine`, `detector.width`, `labels.fold`… get their
 * defaults and an omitted value equals the same value written out.
 */
function hoistRefDefaults(schema: JsonObject): void {
  const definitions = (schema.definitions ?? {}) as Record<string, JsonObject>;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const obj = node as JsonObject;
    const ref = obj.$ref;
    if (typeof ref === "string" && ref.startsWith("#/definitions/") && !("default" in obj)) {
      const target = definitions[ref.slice("#/definitions/".length)];
      if (target && "default" in target) obj.default = target.default!;
    }
    for (const value of Object.values(obj)) visit(value);
  };
  visit(schema);
}

let compiled: { spec: ValidateFunction; run: ValidateFunction } | undefined;

function validators(): { spec: ValidateFunction; run: ValidateFunction } {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as JsonObject;
  hoistRefDefaults(schema);
  const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false });
  // ajv-formats ships CommonJS; under NodeNext its default export is the module object.
  const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
  addFormats(ajv);
  ajv.addSchema(schema);
  const spec = ajv.getSchema(SCHEMA_ID);
  if (!spec) throw new Error("experiment schema failed to compile");
  const properties: JsonObject = {};
  for (const key of SEMANTIC_KEYS) properties[key] = { $ref: `${SCHEMA_ID}#/properties/${key}` };
  const run = ajv.compile({ type: "object", properties, required: [...SEMANTIC_KEYS] });
  compiled = { spec, run };
  return compiled;
}

function toDiagnostics(errors: readonly ErrorObject[], locate?: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const d of describeError(errors)) {
    const id = `${d.path.join("\u0000")}\u0001${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ ...d, location: locate?.(d.path, d.at) });
  }
  return out;
}

/** Normalizes shorthand forms after validation: `engine: tfjs` → `{name: tfjs, backend: auto}`. */
function normalize(config: JsonObject): void {
  if (config.engine === "tfjs") config.engine = { name: "tfjs", backend: "auto" };
}

/**
 * Validates a whole spec (extends and overrides already merged), filling
 * defaults in place. Returns every problem found, located when `locate` is given.
 */
export function validateSpecValue(value: JsonObject, locate?: Locator): Diagnostic[] {
  const { spec } = validators();
  if (spec(value)) {
    normalize(value);
    return [];
  }
  return toDiagnostics(spec.errors ?? [], locate);
}

/**
 * Validates one resolved run config (the semantic sections of a sweep cell) and
 * fills its defaults in place, so that cells differing only in whether a
 * default was written get the same run key.
 */
export function validateRunConfig(config: RunConfig, locate?: Locator): Diagnostic[] {
  const { run } = validators();
  const value = config as unknown as JsonObject;
  if (run(value)) {
    normalize(value);
    return [];
  }
  return toDiagnostics(run.errors ?? [], locate);
}
