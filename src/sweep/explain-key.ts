import { canonicalJson } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import { chainedKey } from "./chains.js";
import type { Plan } from "./plan.js";
import { describeIdentity, runNames } from "./plan-format.js";
import { canonicalRunConfig, KEY_VERSION, runKey, shortKey } from "./run-key.js";

// `labelsweep plan <spec> --explain-key <key>`: everything that went into one
// run key, so a person can see why two keys differ (a config value, the split,
// a file of the code, a package version) instead of guessing.

export function explainKey(plan: Plan, wanted: string): string {
  const prefix = wanted.toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(prefix))
    throw new UserError(`--explain-key ${wanted}: expected a run key (hex digits)`);
  const found = plan.runs.map((r, i) => ({ r, i })).filter(({ r }) => r.key.startsWith(prefix));
  if (found.length === 0)
    throw new UserError(
      `--explain-key ${wanted}: no run of this plan has a key starting with it (${plan.runs.length} runs; \`labelsweep plan\` lists them)`,
    );
  if (found.length > 1)
    throw new UserError(
      `--explain-key ${wanted}: ${found.length} runs have keys starting with it; give more digits`,
    );
  const { r: run, i } = found[0]!;
  const code = plan.identities.get(run.code);
  // The key is recomputed here from the parts printed below: what is shown is what was hashed.
  const own = runKey({ config: run.config, split: run.split, code: run.code });
  const again = chainedKey(own, run.parents ?? []);
  if (again !== run.key) throw new Error(`internal: key ${run.key} does not recompute (${again})`);
  const lines = [
    `run ${run.key}`,
    `  plan index ${i}${runNames(plan)[i] ? `: ${runNames(plan)[i]}` : ""}`,
    "",
    `key = sha256 of {"code":<code>,"config":<config>,"keyVersion":${KEY_VERSION},"split":<split>}`,
    `  keyVersion ${KEY_VERSION}`,
    `  split      ${run.split ?? "null (no split: an external trainer's own dataset, or its files are not on this machine)"}`,
    `  config     ${canonicalRunConfig(run.config)}`,
    `  code       ${run.code}`,
  ];
  if (code) {
    lines.push(
      `             = sha256 of the canonical JSON of this manifest (${describeIdentity(code)}):`,
      ...code.notes.map((n) => `    ${n}`),
      `    engine      ${code.manifest.engine}`,
      `    labelsweep  ${code.manifest.labelsweep}`,
      `    packages    ${
        Object.entries(code.manifest.packages)
          .map(([p, v]) => `${p} ${v}`)
          .join(", ") || "none"
      }`,
      `    files       ${Object.keys(code.manifest.files).length}`,
      ...Object.entries(code.manifest.files).map(([f, d]) => `      ${d.slice(0, 16)}  ${f}`),
      `    manifest sha256 input: ${canonicalJson(code.manifest).length} bytes`,
    );
  }
  if (run.parents && run.parents.length > 0)
    lines.push(
      "",
      `dependent run (cycle ${run.cycle ?? "?"}): key = sha256 of {"own":<the key above>,"parents":[…]}`,
      `  own        ${own}`,
      ...run.parents.map((p) => `  parent     ${p}`),
    );
  lines.push("", `short key ${shortKey(run.key)}`);
  return `${lines.join("\n")}\n`;
}
