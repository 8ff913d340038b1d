import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Ajv as AjvType } from "ajv";
import { buildAjv, GENERATED_VALIDATORS, schemaText, sha256, VALIDATOR_IDS } from "./schema.js";

// Build step (`npm run build` runs this file): writes the experiment schema's
// validators as ajv standalone code next to schema.js in dist/, so loading a
// spec does not compile the schema at every start (schema.ts GENERATED_VALIDATORS).

const require = createRequire(import.meta.url);

export function validatorsSource(): string {
  const { Ajv } = require("ajv") as { Ajv: typeof AjvType };
  const standaloneCode = (
    require("ajv/dist/standalone") as { default: (ajv: AjvType, refs: Record<string, string>) => string }
  ).default;
  const ajv = buildAjv(Ajv, { standalone: true });
  const code = standaloneCode(ajv, { spec: VALIDATOR_IDS.spec, run: VALIDATOR_IDS.run });
  return `${code}\nexports.schemaSha256 = ${JSON.stringify(sha256(schemaText()))};\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = new URL(GENERATED_VALIDATORS, import.meta.url);
  writeFileSync(target, validatorsSource());
  process.stdout.write(`wrote ${fileURLToPath(target)}\n`);
}
