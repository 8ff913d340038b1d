import type { JsonValue } from "../spec/types.js";
import type { CodeIdentity } from "./code-identity.js";
import type { Plan } from "./plan.js";
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

/** Shown for a value a run does not set (an include entry without that path). */
export const ABSENT = "–";

function isBlock(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function variantOf(v: { [k: string]: JsonValue }): { key: string; name: string } | undefined {
  for (const k of Object.keys(v))
    if (DISCRIMINATOR_KEYS.has(k) && typeof v[k] === "string") return { key: k, name: v[k] as string };
  return undefined;
}

/** Leaf paths of a block (dotted), lists and scalars as leaves. */
function leaves(v: JsonValue, prefix: string, out: Map<string, string>): void {
  if (isBlock(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, prefix === "" ? k : `${prefix}.${k}`, out);
  } else out.set(prefix, typeof v === "string" ? v : JSON.stringify(v));
}

/**
 * Display text of a column's values. A swept block shows its variant and only
 * the keys that differ between the column's blocks (`csd(ramp=0.3)`), not its
 * JSON; a run that does not set the path shows "–".
 */
function columnRenderer(values: readonly (JsonValue | undefined)[]): (v: JsonValue | undefined) => string {
  const blocks = new Map<string, { [k: string]: JsonValue }>();
  for (const v of new Set(values)) if (isBlock(v)) blocks.set(canonicalOf(v), v);
  const flat = new Map<string, Map<string, string>>();
  for (const [id, b] of blocks) {
    const m = new Map<string, string>();
    leaves(b, "", m);
    flat.set(id, m);
  }
  // Keys are compared among blocks of the same variant: CSD's keys are not
  // "differences" next to a supervised block that has none of them, so
  // [supervised, csd(ramp_up 0.3), csd(weight 2)] prints as
  // supervised, csd(ramp_up=0.3,weight=1), csd(ramp_up=0.267,weight=2).
  const byVariant = new Map<string, Map<string, string>[]>();
  for (const [id, m] of flat) {
    const name = variantOf(blocks.get(id)!)?.name ?? "";
    byVariant.set(name, [...(byVariant.get(name) ?? []), m]);
  }
  const differing = new Map<string, Set<string>>();
  for (const [name, all] of byVariant) {
    const d = new Set<string>();
    for (const m of all) for (const [path, text] of m) if (all.some((o) => o.get(path) !== text)) d.add(path);
    differing.set(name, d);
  }
  const cache = new Map<JsonValue | undefined, string>();
  return (v) => {
    let text = cache.get(v);
    if (text !== undefined) return text;
    if (v === undefined) text = ABSENT;
    else if (typeof v === "string") text = v;
    else if (isBlock(v)) {
      const variant = variantOf(v);
      const m = flat.get(canonicalOf(v)) ?? new Map<string, string>();
      const diff = differing.get(variant?.name ?? "");
      const keys = [...m].filter(([path]) => diff?.has(path) && path !== variant?.key);
      const inner = keys.map(([path, t]) => `${path}=${t}`).join(",");
      text = variant ? (inner ? `${variant.name}(${inner})` : variant.name) : `(${inner})`;
    } else text = JSON.stringify(v);
    cache.set(v, text);
    return text;
  };
}

const rendered = new WeakMap<Plan, string[][]>();

/** The display text of every run's swept values, column by column (computed once per plan). */
export function valueTexts(plan: Plan): string[][] {
  let texts = rendered.get(plan);
  if (!texts) {
    texts = plan.columns.map((_, c) => {
      const render = columnRenderer(plan.runs.map((r) => r.values[c]));
      return plan.runs.map((r) => render(r.values[c]));
    });
    rendered.set(plan, texts);
  }
  return texts;
}

/** Statuses named in the counts only when some run has them. */
const RARE = new Set<RunStatus>(["interrupted", "corrupt", "unknown", "blocked"]);

/** What `status` adds per run: metrics, duration, log, error (sweep/run-details.ts). */
export interface RunLine {
  metrics?: Record<string, number | null>;
  seconds?: number;
  log?: string;
  error?: string;
}

export interface PlanTableOptions {
  /** "plan" (default) or "status": the header word. */
  title?: "plan" | "status";
  /** Per-run details, aligned with plan.runs (status). */
  details?: readonly (RunLine | undefined)[];
  /** Metrics to show and how (the table's: names, ×scale, decimals). */
  metrics?: { names: readonly string[]; scale: number; precision: number };
}

/** `1h 02m`, `3m 05s`, `12.3 s`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return ABSENT;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A metric at the table's scale: `AP50 61.1`. */
export function metricText(value: number | null | undefined, scale: number, precision: number): string {
  return typeof value === "number" && Number.isFinite(value) ? (value * scale).toFixed(precision) : ABSENT;
}

export function formatPlanTable(
  plan: Plan,
  statuses: readonly RunStatus[],
  options: PlanTableOptions = {},
): string {
  const runs = plan.runs;
  const texts = valueTexts(plan);
  const extraHeads: string[] = [];
  const extra: string[][] = [];
  if (options.details) {
    const names = options.metrics?.names ?? [];
    const scale = options.metrics?.scale ?? 100;
    const precision = options.metrics?.precision ?? 1;
    for (const m of names) {
      extraHeads.push(m);
      extra.push(runs.map((_, i) => metricText(options.details![i]?.metrics?.[m], scale, precision)));
    }
    extraHeads.push("time", "log");
    extra.push(
      runs.map((_, i) =>
        options.details![i]?.seconds === undefined ? ABSENT : formatSeconds(options.details![i]!.seconds!),
      ),
    );
    extra.push(runs.map((_, i) => options.details![i]?.log ?? ABSENT));
  }
  // Dependent runs (chains.ts): the parent each run waits for.
  const parents = runs.some((r) => r.parents && r.parents.length > 0);
  const parentCol = parents
    ? [runs.map((r) => (r.parents?.length ? r.parents.map(shortKey).join(",") : "-"))]
    : [];
  const heads = ["key", ...plan.columns, ...(parents ? ["parent"] : []), "status", ...extraHeads];
  const cols = [runs.map((r) => shortKey(r.key)), ...texts, ...parentCol, [...statuses], ...extra];
  const widths = heads.map((h, c) =>
    cols[c]!.reduce((w, t) => Math.max(w, t.length), Math.max(h.length, c === 0 ? SHORT_KEY_LENGTH : 0)),
  );
  const row = (cells: readonly string[]) =>
    cells
      .map((t, c) => (c === cells.length - 1 ? t : t.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const lines: string[] = new Array(runs.length);
  for (let i = 0; i < runs.length; i++) lines[i] = row(cols.map((col) => col[i]!));
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
  return `${options.title ?? "plan"} ${plan.experiment}  commit ${commit}${dirty}\n${codes}\n${row(heads)}\n${lines.join("\n")}\n\n${summary}\n`;
}

export function formatPlanJson(
  plan: Plan,
  statuses: readonly RunStatus[],
  details?: readonly (RunLine | undefined)[],
): string {
  const parts: string[] = [];
  const names = runNames(plan);
  plan.runs.forEach((run, i) => {
    const values: Record<string, JsonValue> = {};
    plan.columns.forEach((path, c) => {
      const v = run.values[c];
      if (v !== undefined) values[path] = v;
    });
    parts.push(
      `{"key":"${run.key}","short":"${shortKey(run.key)}","name":${JSON.stringify(names[i])},"status":"${statuses[i]}",` +
        (details?.[i] ? `"details":${JSON.stringify(details[i])},` : "") +
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

/** Each run's readable name, aligned with plan.runs: its swept values (`method.name=csd labels.fraction=0.1 seed=0`). */
const namesOf = new WeakMap<Plan, string[]>();

export function runNames(plan: Plan): string[] {
  const cached = namesOf.get(plan);
  if (cached) return cached;
  const texts = valueTexts(plan);
  const names = plan.runs.map((run, i) =>
    plan.columns
      .map((c, k) => (run.values[k] === undefined ? "" : `${c}=${texts[k]![i]}`))
      .filter((t) => t !== "")
      .join(" "),
  );
  namesOf.set(plan, names);
  return names;
}

/** Readable names by run key. */
export function namesByKey(plan: Plan): Map<string, string> {
  const names = runNames(plan);
  return new Map(plan.runs.map((r, i) => [r.key, names[i]!]));
}

/** One line about a code identity: the engine, labelsweep's version, how many files and packages. */
export function describeIdentity(c: CodeIdentity): string {
  const files = Object.keys(c.manifest.files);
  const own = files.filter((f) => f.startsWith("labelsweep/")).length;
  const trainer = files.filter((f) => f.startsWith("trainer/")).length;
  const declared = files.filter((f) => f.startsWith("code/")).length;
  // The run's own method file is part of a tfjs identity (labelsweep-code.ts): name it, so identities of a sweep tell apart.
  const methods = files
    .map((f) => /^labelsweep\/engine\/methods\/([^/]+)\.(?:js|ts)$/.exec(f)?.[1])
    .filter((m): m is string => m !== undefined && m !== "types");
  const parts = [
    `labelsweep ${c.manifest.labelsweep} (${own} files${methods.length ? `, method ${methods.join(", ")}` : ""})`,
  ];
  if (c.manifest.engine === "command")
    parts.push(`trainer ${trainer} tracked files`, `engine.code ${declared} files`);
  parts.push(`${Object.keys(c.manifest.packages).length} packages`);
  const engine = c.manifest.engine === "tfjs" ? "built-in tfjs engine" : "command engine";
  return `${engine}: ${parts.join(", ")}`;
}
