import { readFileSync } from "node:fs";
import type { JsonValue, SemanticKey } from "./types.js";

// Blocks with variants. The key that says which variant a block is
// (`method.name`, `labels.protocol`, …) decides which other keys the block may
// have: CSD's `weight` means nothing to `supervised`. Both the sweep (a swept
// variant starts its block afresh, sweep/sections.ts) and `extends` (a child
// that switches the variant drops the parent's keys the new variant lacks,
// spec/load.ts) read this one table.

export const DISCRIMINATORS: Readonly<Partial<Record<SemanticKey, string>>> = {
  dataset: "name",
  labels: "protocol",
  detector: "arch",
  method: "name",
};

type Schema = { [key: string]: JsonValue };

let schemaDoc: Schema | undefined;

function schema(): Schema {
  schemaDoc ??= JSON.parse(
    readFileSync(new URL("../../schemas/experiment.schema.json", import.meta.url), "utf8"),
  ) as Schema;
  return schemaDoc;
}

const asSchema = (v: JsonValue | undefined): Schema | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Schema) : undefined;

function deref(s: Schema | undefined): Schema | undefined {
  const ref = s?.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/definitions/")) return s;
  return asSchema(asSchema(schema().definitions)?.[ref.slice("#/definitions/".length)]);
}

/**
 * The keys a variant of a block accepts (its discriminator included), from
 * the schema's if/then branches; null when any key is allowed (a free name for
 * the command engine, an open block) or the block has no variants.
 */
export function variantKeys(section: string, variant: JsonValue): Set<string> | null {
  const disc = DISCRIMINATORS[section as SemanticKey];
  if (!disc) return null;
  const block = deref(asSchema(asSchema(schema().properties)?.[section]));
  const branches = Array.isArray(block?.allOf) ? block.allOf : [];
  for (const b of branches) {
    const cond = asSchema(asSchema(asSchema(asSchema(b)?.if)?.properties)?.[disc]);
    if (!cond) continue;
    const notConst = asSchema(cond.not);
    const matches =
      "const" in cond
        ? cond.const === variant
        : notConst && "const" in notConst
          ? notConst.const !== variant
          : false;
    if (!matches) continue;
    const then = deref(asSchema(asSchema(b)?.then));
    if (then?.additionalProperties !== false) return null;
    return new Set([disc, ...Object.keys(asSchema(then.properties) ?? {})]);
  }
  return null;
}
