import type { JsonValue } from "../spec/types.js";
import type { CodeIdentity } from "./code-identity.js";
import type { Plan, PlannedRun } from "./plan.js";
import { canonicalRunConfig, SHORT_KEY_LENGTH, shortKey } from "./run-key.js";
import type { RunStatus } from "./run-status.js";
import { RUN_STATUSES } from "./run-status.js";
import { canonicalOf, DISCRIMINATORS } from "./sections.js";

// What `labelsweep plan` prints: a table for people (short key, one column per
// swept path, status, then the counts) or JSON for machines (full keys,
// configs). Both are built as one string and written once.

export type StatusCounts = Record<RunStatus, number> & { total: number };

export function countStatuses(statuses: readonly RunStatus[]): StatusCounts {
  const counts = { total: statuses.length } as StatusCounts;
  for (const s of RUN_STATUSES) counts[s] = 0;
  for (const s of statuses) counts[s]++;
  return counts;
}

const DISCRIMINATOR_KEYS = new Set(Object.values(DISCRIMINATORS));

function variantName(v: JsonValue): string | undefined {
  if (Array.isArray(v) || v === null || typeof v !== "object") return undefined;
  for (const k of Object.keys(v))
    if (DISCRIMINATOR_KEYS.has(k) && typeof v[k] === "string") return v[k] as string;
  return undefined;
}

/** Display text of a column's values: whole blocks by their variant name when that tells them apart. */
function columnRenderer(values: readonly (JsonValue | undefined)[]): (v: JsonValue | undefined) => string {
  const distinct = new Map<string, JsonValue>();
  for (const v of new Set(values)) if (typeof v === "object" && v !== null) distinct.set(canonicalOf(v), v);
  const names = [...distinct.values()].map(variantName);
  const useNames = names.every((n) => n !== undefined) && new Set(names).size === names.length;
  const cache = new Map<JsonValue | undefined, string>();
  return (v) => {
    let text = cache.get(v);
    if (text !== undefined) return text;
    if (v === undefined) text = "-";
    else if (typeof v === "string") text = v;
    else if (typeof v === "object" && v !== null) text = (useNames && variantName(v)) || JSON.stringify(v);
    else text = String(v);
    cache.set(v, text);
    return text;
  };
}

/** Statuses named in the counts only when some run has them. */
const RARE = new Set<RunStatus>(["interrupted", "corrupt", "unknown", "blocked"]);

export function formatPlanTable(plan: Plan, statuses: readonly RunStatus[]): string {
  const runs = plan.runs;
  const columns = plan.columns.length;
  // Render each column once per distinct value; widths from the rendered texts.
  const texts: string[][] = plan.columns.map((_, c) => {
    const render = columnRenderer(runs.map((r) => r.values[c]));
    return runs.map((r) => render(r.values[c]));
  });
  const widths = [
    SHORT_KEY_LENGTH,
    ...plan.columns.map((path, c) => texts[c]!.reduce((w, t) => Math.max(w, t.length), path.length)),
  ];
  const pad = (text: string, c: number) => text.padEnd(widths[c]!);
  // Dependent runs (chains.ts): the parent each run waits for.
  const parents = runs.some((r) => r.parents && r.parents.length > 0);
  const parentText = (r: PlannedRun) =>
    (r.parents?.length ? r.parents.map(shortKey).join(",") : "-").padEnd(SHORT_KEY_LENGTH);
  let header = pad("key", 0);
  for (let c = 0; c < columns; c++) header += `  ${pad(plan.columns[c]!, c + 1)}`;
  if (parents) header += `  ${"parent".padEnd(SHORT_KEY_LENGTH)}`;
  const lines: string[] = new Array(runs.length);
  for (let i = 0; i < runs.length; i++) {
    let line = shortKey(runs[i]!.key);
    for (let c = 0; c < columns; c++) line += `  ${pad(texts[c]![i]!, c + 1)}`;
    if (parents) line += `  ${parentText(runs[i]!)}`;
    lines[i] = `${line}  ${statuses[i]}`;
  }
  const counts = countStatuses(statuses);
  const commit = plan.code.commit.length === 40 ? plan.code.commit.slice(0, 12) : plan.code.commit;
  const dirty = plan.code.dirty ? " (uncommitted changes)" : "";
  const codes = [...plan.identities.values()]
    .map((c) => `code ${shortKey(c.hash)}  ${describeIdentity(c)}\n`)
    .join("");
  const summary =
    `${counts.total} run${counts.total === 1 ? "" : "s"}: ` +
    RUN_STATUSES.filter((s) => !RARE.has(s) || counts[s] > 0)
      .map((s) => `${counts[s]} ${s}`)
      .join(", ");
  return `plan ${plan.experiment}  commit ${commit}${dirty}\n${codes}\n${header}  status\n${lines.join("\n")}\n\n${summary}\n`;
}

export function formatPlanJson(plan: Plan, statuses: readonly RunStatus[]): string {
  const parts: string[] = [];
  plan.runs.forEach((run, i) => {
    const values: Record<string, JsonValue> = {};
    plan.columns.forEach((path, c) => {
      const v = run.values[c];
      if (v !== undefined) values[path] = v;
    });
    parts.push(
      `{"key":"${run.key}","short":"${shortKey(run.key)}","status":"${statuses[i]}",` +
        `"values":${JSON.stringify(values)},"split":${JSON.stringify(run.split)},` +
        `"code":"${run.code}","source":${JSON.stringify(run.source)},` +
        (run.parents ? `"parents":${JSON.stringify(run.parents)},"cycle":${run.cycle ?? null},` : "") +
        `"config":${canonicalRunConfig(run.config)}}`,
    );
  });
  const head = JSON.stringify({
    experiment: plan.experiment,
    code: plan.code,
    identities: Object.fromEntries(
      [...plan.identities.values()].map((c) => [
        c.hash,
        {
          engine: c.manifest.engine,
          labelsweep: c.manifest.labelsweep,
          files: Object.keys(c.manifest.files).length,
          packages: c.manifest.packages,
          notes: c.notes,
        },
      ]),
    ),
    columns: plan.columns,
    counts: countStatuses(statuses),
  });
  return `${head.slice(0, -1)},"runs":[\n${parts.join(",\n")}\n]}\n`;
}

/** A run's one-line label (progress bars, collect): its swept values, blocks by variant name. */
export function label(plan: Plan, run: PlannedRun): string {
  return plan.columns
    .map((c, i) => {
      const v = run.values[i];
      if (v === undefined) return "";
      // A swept block is named by its variant (method.name, detector.arch, labels.protocol, dataset.name).
      const block =
        typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
      const variant = block ? (block.name ?? block.arch ?? block.protocol) : undefined;
      const text = block ? (typeof variant === "string" ? variant : JSON.stringify(v)) : String(v);
      return `${c}=${text}`;
    })
    .filter((s) => s !== "")
    .join(" ");
}

/** One line about a code identity: the engine, labelsweep's version, how many files and packages. */
export function describeIdentity(c: CodeIdentity): string {
  const files = Object.keys(c.manifest.files);
  const own = files.filter((f) => f.startsWith("labelsweep/")).length;
  const trainer = files.filter((f) => f.startsWith("trainer/")).length;
  const declared = files.filter((f) => f.startsWith("code/")).length;
  const parts = [`labelsweep ${c.manifest.labelsweep} (${own} files)`];
  if (c.manifest.engine === "command")
    parts.push(`trainer ${trainer} tracked files`, `engine.code ${declared} files`);
  parts.push(`${Object.keys(c.manifest.packages).length} packages`);
  const engine = c.manifest.engine === "tfjs" ? "built-in tfjs engine" : "command engine";
  return `${engine}: ${parts.join(", ")}`;
}
