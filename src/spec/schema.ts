import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Ajv as AjvType, ErrorObject, ValidateFunction } from "ajv";
import type { Diagnostic, Locator } from "./diagnostics.js";
import { describeError } from "./schema-errors.js";
import { type JsonObject, OPTIONAL_SEMANTIC_KEYS, type RunConfig, SEMANTIC_KEYS } from "./types.js";

// JSON Schema validation with ajv (allErrors, so every problem is reported at
// once). ajv also fills the schema's defaults, so a value left out and the same
// value written explicitly give the same resolved config, and the same run key.

export const SCHEMA_URL = new URL("../../schemas/experiment.schema.json", import.meta.url);
const SCHEMA_ID = "https://labelsweep.dev/schemas/experiment.schema.json";
const RUN_ID = "https://labelsweep.dev/schemas/run-config.schema.json";

/**
 * The validators precompiled by `npm run build` (ajv standalone code, see
 * build-validators.ts) sit next to this file in dist/. Compiling the schema
 * with ajv takes most of `labelsweep validate`'s start (≈1 s of a 1.5 s start
 * on an idle 2-core machine); the generated module loads in milliseconds. It
 * records the sha256 of the schema it was made from and is ignored when the
 * schema has changed since (then ajv compiles as before).
 */
export const GENERATED_VALIDATORS = "validators.generated.cjs";

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

export function schemaText(): string {
  return readFileSync(SCHEMA_URL, "utf8");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** An ajv instance holding the experiment schema (defaults hoisted) and the run-config schema. */
export function buildAjv(Ajv: typeof AjvType, options: { standalone?: boolean } = {}): AjvType {
  const schema = JSON.parse(schemaText()) as JsonObject;
  hoistRefDefaults(schema);
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: false,
    ...(options.standalone ? { code: { source: true } } : {}),
  });
  ajv.addSchema(schema);
  const properties: JsonObject = {};
  for (const key of SEMANTIC_KEYS) properties[key] = { $ref: `${SCHEMA_ID}#/properties/${key}` };
  const required = SEMANTIC_KEYS.filter((k) => !OPTIONAL_SEMANTIC_KEYS.includes(k));
  ajv.addSchema({ $id: RUN_ID, type: "object", properties, required });
  return ajv;
}

export const VALIDATOR_IDS = { spec: SCHEMA_ID, run: RUN_ID } as const;

function generated(): { spec: ValidateFunction; run: ValidateFunction } | undefined {
  const file = new URL(GENERATED_VALIDATORS, import.meta.url);
  if (!existsSync(file)) return undefined;
  const mod = createRequire(import.meta.url)(`./${GENERATED_VALIDATORS}`) as {
    schemaSha256?: string;
    spec?: ValidateFunction;
    run?: ValidateFunction;
  };
  if (mod.schemaSha256 !== sha256(schemaText()) || !mod.spec || !mod.run) return undefined;
  return { spec: mod.spec, run: mod.run };
}

function validators(): { spec: ValidateFunction; run: ValidateFunction } {
  if (compiled) return compiled;
  compiled = generated();
  if (compiled) return compiled;
  // No (or a stale) precompiled module, e.g. under vitest from src/: compile now.
  const { Ajv } = createRequire(import.meta.url)("ajv") as { Ajv: typeof AjvType };
  const ajv = buildAjv(Ajv);
  const spec = ajv.getSchema(SCHEMA_ID);
  const run = ajv.getSchema(RUN_ID);
  if (!spec || !run) throw new Error("experiment schema failed to compile");
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
