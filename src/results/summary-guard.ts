import type { RunConfig } from "../spec/types.js";
import { canonicalRunConfig } from "../sweep/run-key.js";
import type { Summary, SummaryCode, SummaryInput } from "./summary-types.js";

// A committed table is never replaced by one that found fewer finished runs
// without saying so (issue 11: a changed code identity made every key new and
// `labelsweep table` overwrote a committed table with "—"). When the new
// summary has fewer finished runs than the one on disk, the old files are kept
// and the reason is worked out from what the old summary recorded: the runs'
// configs, splits and code identities against the plan's.

export interface GuardVerdict {
  /** Finished runs in the summary on disk and in the new one. */
  before: number;
  after: number;
  planned: number;
  /** Why the old runs are not found (one phrase per cause), empty when nothing is lost. */
  reasons: string[];
  /** The first few files whose digest changed since the old runs (code identity changes). */
  changedFiles: string[];
}

export function doneRuns(summary: Pick<Summary, "cells">): number {
  let n = 0;
  for (const cell of summary.cells) for (const r of cell.runs) if (r.status === "done") n++;
  return n;
}

/** The config a summary run had: its cell's config (stored without seed and fold) plus its seed and fold. */
function oldConfig(
  summary: Summary,
  cell: Summary["cells"][number],
  run: Summary["cells"][number]["runs"][number],
) {
  const base = cell.config ? summary.configs[cell.config] : undefined;
  if (!base) return undefined;
  const labels = run.fold === null ? base.labels : { ...base.labels, fold: run.fold };
  return { ...base, labels, seed: run.seed } as RunConfig;
}

/** Compares the summary on disk with a new one; `reasons` says why finished runs went missing. */
export function guardSummary(
  previous: Summary,
  next: Pick<Summary, "cells">,
  input: SummaryInput,
): GuardVerdict {
  const before = doneRuns(previous);
  const after = doneRuns(next);
  const verdict: GuardVerdict = { before, after, planned: input.runs.length, reasons: [], changedFiles: [] };
  if (after >= before) return verdict;

  const planned = new Map(input.runs.map((r) => [r.key, r]));
  const byConfig = new Map<string, (typeof input.runs)[number][]>();
  for (const r of input.runs) {
    const c = canonicalRunConfig(r.config);
    byConfig.set(c, [...(byConfig.get(c) ?? []), r]);
  }
  const nowRuns = new Map(next.cells.flatMap((c) => c.runs.map((r) => [r.key, r] as const)));
  const nowDone = new Set([...nowRuns.values()].filter((r) => r.status === "done").map((r) => r.key));
  const counts = { missing: 0, code: 0, split: 0, config: 0, unusable: 0 };
  const otherwise = new Map<string, number>();
  const changed = new Set<string>();
  const keyVersionChanged = previous.keyVersion !== input.keyVersion;
  for (const cell of previous.cells) {
    for (const run of cell.runs) {
      if (run.status !== "done" || nowDone.has(run.key)) continue;
      if (planned.has(run.key)) {
        const now = nowRuns.get(run.key);
        if (now?.problem) counts.unusable++;
        else if (!now || now.status === "new") counts.missing++;
        else otherwise.set(now.status, (otherwise.get(now.status) ?? 0) + 1);
        continue;
      }
      const config = oldConfig(previous, cell, run);
      const same = config ? byConfig.get(canonicalRunConfig(config)) : undefined;
      if (!same) {
        counts.config++;
        continue;
      }
      const match = same.find((r) => (r.split ?? null) === (run.split ?? null) || run.split === undefined);
      if (!match) {
        counts.split++;
        continue;
      }
      counts.code++;
      const was = run.code ? previous.code?.[run.code] : undefined;
      const now = match.code ? input.code?.[match.code] : undefined;
      if (was && now) for (const f of codeChanges(was, now)) changed.add(f);
    }
  }
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  if (counts.code > 0) {
    let detail: string;
    if (keyVersionChanged)
      detail = `labelsweep's run-key format changed (key version ${previous.keyVersion ?? "2 or older"} → ${input.keyVersion})`;
    else if (changed.size > 0)
      detail = `${plural(changed.size, "file")} ${changed.size === 1 ? "differs" : "differ"} since the runs`;
    else detail = "the summary on disk does not record which files";
    verdict.reasons.push(`code identity changed (${detail})`);
  }
  if (counts.split > 0) verdict.reasons.push(`label split changed for ${plural(counts.split, "run")}`);
  if (counts.config > 0)
    verdict.reasons.push(
      `${plural(counts.config, "run")} of the summary on disk are no longer in the spec's plan`,
    );
  if (counts.unusable > 0)
    verdict.reasons.push(
      `${plural(counts.unusable, "finished run")} now ${counts.unusable === 1 ? "has" : "have"} metrics that cannot be used (see the notes)`,
    );
  for (const [status, n] of otherwise)
    verdict.reasons.push(`${plural(n, "run")} ${n === 1 ? "is" : "are"} now ${status}`);
  if (counts.missing > 0)
    verdict.reasons.push(
      `${plural(counts.missing, "run")} with unchanged keys have no finished run directory here (results/<experiment>/runs/ is not committed)`,
    );
  verdict.changedFiles = [...changed].sort();
  return verdict;
}

/** Files (and packages, as "package <name>") that differ between two recorded code identities. */
function codeChanges(was: SummaryCode, now: SummaryCode): string[] {
  const out: string[] = [];
  for (const f of new Set([...Object.keys(was.files), ...Object.keys(now.files)])) {
    const a = was.files[f];
    const b = now.files[f];
    if (a === undefined || b === undefined || !(a.startsWith(b) || b.startsWith(a))) out.push(f);
  }
  for (const p of new Set([...Object.keys(was.packages), ...Object.keys(now.packages)]))
    if (was.packages[p] !== now.packages[p]) out.push(`package ${p}`);
  if (was.labelsweep !== now.labelsweep) out.push(`labelsweep version ${was.labelsweep} → ${now.labelsweep}`);
  return out;
}

/** The one-paragraph message for a kept summary. */
export function guardMessage(v: GuardVerdict, where: string): string {
  const lines = [
    `${v.after} of ${v.planned} planned runs found — ${v.reasons.join("; ") || "fewer finished runs than before"}.`,
    `  ${where} (${v.before} finished runs) is kept; --force writes the new one anyway.`,
  ];
  if (v.changedFiles.length > 0) {
    const shown = v.changedFiles.slice(0, 8);
    lines.push(
      `  changed: ${shown.join(", ")}${v.changedFiles.length > shown.length ? `, … (${v.changedFiles.length} in all)` : ""}`,
    );
  }
  lines.push("  `labelsweep plan <spec> --explain-key <key>` shows what goes into a run key.");
  return `${lines.join("\n")}\n`;
}
