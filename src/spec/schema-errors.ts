import type { ErrorObject } from "ajv";
import { didYouMean } from "./suggest.js";

// Turns ajv's errors into one message per problem, in the words a person needs:
// what was wrong, what was expected, and "did you mean" when it looks like a typo.

export interface Described {
  path: (string | number)[];
  message: string;
  hint?: string;
  /** Point at the key (unknown/missing keys) or at the value (wrong type, range). */
  at: "key" | "value";
}

type Schema = Record<string, unknown>;

export function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "number") return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

const TYPE_WORDS: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  null: "null",
};

function expectedType(t: unknown): string {
  const types = Array.isArray(t) ? t : [t];
  return types.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(" or ");
}

function describeBranch(schema: Schema | undefined): string {
  if (!schema) return "another form";
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(schema.required) && !schema.type) return `a ${schema.required.join(", ")} key`;
  if (schema.$ref) return String(schema.$ref).split("/").pop() ?? "another form";
  const base = expectedType(schema.type);
  if (schema.type === "object" && Array.isArray(schema.required)) return `{${schema.required.join(", ")}: …}`;
  return base;
}

function single(e: ErrorObject): Described | undefined {
  const path = pathOf(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Schema;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((parent.properties as Schema | undefined) ?? {}).filter(
        (k) => k !== "$schema",
      );
      return {
        path: [...path, key],
        message: `unknown key "${key}"; expected one of: ${allowed.join(", ")}`,
        hint: didYouMean(key, allowed),
        at: "key",
      };
    }
    case "required":
      return {
        path: [...path, String(p.missingProperty)],
        message: `missing required key "${String(p.missingProperty)}"`,
        at: "key",
      };
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map((v) => String(v));
      return {
        path,
        message: `${typeName(e.data)} is not allowed; expected one of: ${allowed.join(" | ")}`,
        hint: typeof e.data === "string" ? didYouMean(e.data, allowed) : undefined,
        at: "value",
      };
    }
    case "const":
      return {
        path,
        message: `expected ${JSON.stringify(p.allowedValue)}, got ${typeName(e.data)}`,
        at: "value",
      };
    case "type":
      return { path, message: `expected ${expectedType(p.type)}, got ${typeName(e.data)}`, at: "value" };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return {
        path,
        message: `expected a number ${String(p.comparison)} ${String(p.limit)}, got ${String(e.data)}`,
        at: "value",
      };
    case "minItems":
    case "maxItems": {
      const n = Array.isArray(e.data) ? e.data.length : 0;
      const bound = e.keyword === "minItems" ? "at least" : "at most";
      return { path, message: `expected ${bound} ${String(p.limit)} item(s), got ${n}`, at: "value" };
    }
    case "minLength":
      return { path, message: "must not be empty", at: "value" };
    case "minProperties":
      return { path, message: "must not be empty", at: "value" };
    case "uniqueItems":
      return {
        path,
        message: `items must be unique (items ${String(p.j)} and ${String(p.i)} are equal)`,
        at: "value",
      };
    case "pattern": {
      const what = typeof parent.description === "string" ? ` (${parent.description})` : "";
      return { path, message: `${typeName(e.data)} does not match ${String(p.pattern)}${what}`, at: "value" };
    }
    case "propertyNames":
      return {
        path: [...path, String(p.propertyName)],
        message: `"${String(p.propertyName)}" is not a dotted key path (expected e.g. method.name or labels.fraction)`,
        at: "key",
      };
    case "if":
      return undefined;
    default:
      return { path, message: e.message ?? e.keyword, at: "value" };
  }
}

function underBranch(e: ErrorObject, oneOfPath: string): number | undefined {
  if (!e.schemaPath.startsWith(`${oneOfPath}/`)) return undefined;
  const idx = e.schemaPath.slice(oneOfPath.length + 1).split("/")[0];
  return idx !== undefined && /^\d+$/.test(idx) ? Number(idx) : undefined;
}

/**
 * A branch that is a `$ref` (e.g. positiveInt) reports its errors under the
 * referenced definition's path, not under the oneOf: match them by that path,
 * within the oneOf's value.
 */
function refBranch(e: ErrorObject, o: ErrorObject): number | undefined {
  if (e === o || !(e.instancePath === o.instancePath || e.instancePath.startsWith(`${o.instancePath}/`)))
    return undefined;
  const branches = (o.schema ?? []) as Schema[];
  const i = branches.findIndex((b) => typeof b?.$ref === "string" && e.schemaPath.startsWith(`${b.$ref}/`));
  return i >= 0 ? i : undefined;
}

function describeOneOf(e: ErrorObject, branchErrors: ErrorObject[][]): Described[] {
  const path = pathOf(e.instancePath);
  const branches = (e.schema ?? []) as Schema[];
  const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
  if (passing && passing.length > 1) {
    const names = passing.map((i) => describeBranch(branches[i]));
    return [
      {
        path,
        message: `matches more than one allowed form (${names.join(" and ")}); give exactly one`,
        at: "value",
      },
    ];
  }
  // Branches whose type fits the value: their errors are the precise story.
  const structured = e.data !== null && typeof e.data === "object";
  const mismatch = (x: ErrorObject) =>
    x.instancePath === e.instancePath &&
    (x.keyword === "type" || (structured && (x.keyword === "enum" || x.keyword === "const")));
  const fitting = branchErrors.map((errs, i) => ({ errs, i })).filter(({ errs }) => !errs.some(mismatch));
  if (
    fitting.length > 0 &&
    fitting.every(({ i }) => Array.isArray(branches[i]?.required) && !branches[i]?.type)
  ) {
    const keys = fitting.flatMap(({ i }) => branches[i]!.required as string[]);
    return [{ path, message: `needs one of the keys ${keys.join(", ")}`, at: "key" }];
  }
  const scalarChoices = fitting.filter(
    ({ i }) => "const" in (branches[i] ?? {}) || "enum" in (branches[i] ?? {}),
  );
  if (fitting.length > 0 && scalarChoices.length === fitting.length) {
    const allowed = scalarChoices.flatMap(({ i }) => {
      const b = branches[i]!;
      return "const" in b ? [String(b.const)] : (b.enum as unknown[]).map(String);
    });
    return [
      {
        path,
        message: `${typeName(e.data)} is not allowed; expected ${branches.map(describeBranch).join(" or ")}`,
        hint: typeof e.data === "string" ? didYouMean(e.data, allowed) : undefined,
        at: "value",
      },
    ];
  }
  if (fitting.length > 0) return describeErrors(fitting[0]!.errs);
  return [
    {
      path,
      message: `expected ${branches.map(describeBranch).join(" or ")}, got ${typeName(e.data)}`,
      at: "value",
    },
  ];
}

function describeErrors(errors: readonly ErrorObject[]): Described[] {
  // Nested (propertyNames) errors are summarised by their propertyNames error.
  const list = errors.filter((e) => e.keyword !== "if" && !(e as { propertyName?: string }).propertyName);
  const oneOfs = list
    .filter((e) => e.keyword === "oneOf")
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const consumed = new Set<ErrorObject>();
  const out: Described[] = [];
  for (const o of oneOfs) {
    if (consumed.has(o)) continue;
    consumed.add(o);
    const branchErrors: ErrorObject[][] = [];
    for (const e of list) {
      const b = underBranch(e, o.schemaPath) ?? refBranch(e, o);
      if (b === undefined) continue;
      consumed.add(e);
      const bucket = branchErrors[b] ?? [];
      bucket.push(e);
      branchErrors[b] = bucket;
    }
    const n = ((o.schema ?? []) as unknown[]).length;
    for (let i = 0; i < n; i++) branchErrors[i] ??= [];
    out.push(...describeOneOf(o, branchErrors));
  }
  for (const e of list) {
    if (consumed.has(e)) continue;
    const d = single(e);
    if (d) out.push(d);
  }
  return out;
}

export function describeError(errors: readonly ErrorObject[]): Described[] {
  return describeErrors(errors);
}
