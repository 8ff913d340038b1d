import { didYouMean } from "../spec/suggest.js";
import { type JsonValue, type RunConfig, SEMANTIC_KEYS } from "../spec/types.js";
import type { DottedPath } from "./paths.js";
import { DISCRIMINATORS } from "./sections.js";

// Which dotted paths a sweep may name: a path is known when the base spec sets
// it or the JSON Schema allows it in some variant of its block (csd's
// `method.weight` is known even when the base names supervised; whether it is
// valid for a given cell is the schema check's job, per cell). A block whose
// schema allows any key (command-engine env, a detector arch the tfjs engine
// does not know) accepts any path below it.

type Schema = { [key: string]: JsonValue };

export interface Vocabulary {
  known: Set<DottedPath>;
  /** Paths under which any key is allowed. */
  open: Set<DottedPath>;
}

function asSchema(v: JsonValue | undefined): Schema | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Schema) : undefined;
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  const hash = ref.indexOf("#");
  if (hash < 0) return undefined;
  let node: JsonValue | undefined = root;
  for (const part of ref.slice(hash + 2).split("/")) {
    if (part === "") continue;
    node = asSchema(node)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return asSchema(node);
}

/** The schema and every subschema that constrains the same value (refs, allOf/anyOf/oneOf, if-branches). */
function gather(root: Schema, schema: Schema, out: Schema[], seen: Set<Schema>): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  out.push(schema);
  if (typeof schema.$ref === "string") {
    const target = resolveRef(root, schema.$ref);
    if (target) gather(root, target, out, seen);
  }
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const list = schema[key];
    if (Array.isArray(list)) for (const s of list) if (asSchema(s)) gather(root, asSchema(s)!, out, seen);
  }
  for (const key of ["then", "else"]) {
    const s = asSchema(schema[key]);
    if (s) gather(root, s, out, seen);
  }
}

/** Values of `key` that select a conditional branch (`if: {properties: {key: {const}}}`), and whether an else exists. */
function branchConsts(parts: Schema[], key: string): { consts: JsonValue[]; hasElse: boolean } {
  const consts: JsonValue[] = [];
  let hasElse = false;
  for (const s of parts) {
    const cond = asSchema(asSchema(asSchema(s.if)?.properties)?.[key]);
    if (cond && "const" in cond) consts.push(cond.const!);
    if (s.if !== undefined && s.else !== undefined) hasElse = true;
  }
  return { consts, hasElse };
}

function walk(
  root: Schema,
  schema: Schema,
  prefix: DottedPath,
  baseValue: JsonValue | undefined,
  vocab: Vocabulary,
  depth: number,
): void {
  if (depth > 12) return;
  const parts: Schema[] = [];
  gather(root, schema, parts, new Set());
  const properties = new Map<string, Schema[]>();
  let closed = false;
  let explicitlyOpen = false;
  for (const s of parts) {
    const props = asSchema(s.properties);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        const sub = asSchema(v);
        if (sub) properties.set(k, [...(properties.get(k) ?? []), sub]);
      }
    }
    if (s.additionalProperties === false) closed = true;
    else if (s.additionalProperties !== undefined || s.patternProperties !== undefined) explicitlyOpen = true;
  }
  const section = prefix.split(".")[0] as keyof typeof DISCRIMINATORS;
  const disc = prefix.includes(".") ? undefined : DISCRIMINATORS[section];
  if (disc !== undefined && closed && !explicitlyOpen) {
    // A variant the schema has no branch for (e.g. a detector arch for the
    // command engine) keeps the block's own, open, form.
    const { consts, hasElse } = branchConsts(parts, disc);
    const chosen = asSchema(baseValue)?.[disc];
    if (!hasElse && consts.length > 0 && chosen !== undefined && !consts.includes(chosen))
      explicitlyOpen = true;
  }
  const isObject = parts.some((s) => s.type === "object" || s.properties !== undefined);
  if (explicitlyOpen || (isObject && !closed)) vocab.open.add(prefix);
  for (const [key, subs] of properties) {
    const path = `${prefix}.${key}`;
    vocab.known.add(path);
    for (const sub of subs) walk(root, sub, path, asSchema(baseValue)?.[key], vocab, depth + 1);
  }
}

function addWritten(value: JsonValue | undefined, prefix: DottedPath, known: Set<DottedPath>): void {
  known.add(prefix);
  const obj = asSchema(value);
  if (obj) for (const [k, v] of Object.entries(obj)) addWritten(v, `${prefix}.${k}`, known);
}

/** Every path of the run config that a sweep, an exclude rule or a reference cell may name. */
export function buildVocabulary(schema: Schema, base: RunConfig): Vocabulary {
  const vocab: Vocabulary = { known: new Set(), open: new Set() };
  const topProps = asSchema(schema.properties) ?? {};
  for (const key of SEMANTIC_KEYS) {
    const value = base[key] as JsonValue | undefined;
    addWritten(value, key, vocab.known);
    const sub = asSchema(topProps[key]);
    if (sub) walk(schema, sub, key, value, vocab, 0);
  }
  return vocab;
}

/** Why a path is not in the vocabulary (with a suggestion), or undefined when it is. */
export function unknownPath(
  path: DottedPath,
  vocab: Vocabulary,
): { message: string; hint?: string } | undefined {
  if (vocab.known.has(path)) return undefined;
  const parts = path.split(".");
  for (let i = parts.length - 1; i >= 1; i--) {
    if (vocab.open.has(parts.slice(0, i).join("."))) return undefined;
  }
  // The deepest known ancestor names the block the typo is in.
  let parent = parts.slice(0, -1).join(".");
  while (parent !== "" && !vocab.known.has(parent)) parent = parent.split(".").slice(0, -1).join(".");
  if (parent === "") return { message: `"${path}" is not a key path of the run config` };
  const depth = parent.split(".").length;
  const children = [...vocab.known].filter(
    (p) => p.startsWith(`${parent}.`) && p.split(".").length === depth + 1,
  );
  const names = children.map((p) => p.slice(parent.length + 1));
  const typo = parts[depth]!;
  const near = didYouMean(typo, names);
  const hint = near?.replace(
    /"([^"]+)"/,
    (_, name: string) => `"${parent}.${[name, ...parts.slice(depth + 1)].join(".")}"`,
  );
  const shown = names.length > 12 ? [...names.slice(0, 12), "…"] : names;
  const list = names.length > 0 ? `; ${parent} has ${shown.join(", ")}` : "";
  const message = `"${path}" is not a key path of the run config: ${parent} has no key "${typo}"${list}`;
  return hint === undefined ? { message } : { message, hint };
}
