import * as crypto from "node:crypto";
import type { ActiveLabels, JsonValue, RunConfig } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import type { DottedPath } from "./paths.js";
import { runKey } from "./run-key.js";
import type { RunStatus } from "./run-store.js";

// Dependent runs (DESIGN.md "Dependent runs"): an `active` cell becomes one
// chain of cycle runs — cycle 0 trains on the initial labelled set, cycle k on
// the set grown by cycle k−1's selection (METHODS.md §1a/§1b, AL-SSL: one
// training run per cycle). A cycle's config is its cell's config with
// `labels.cycle: k` (so tables can put cycles in rows or columns), and its key
// chains its parent's: key_k = sha256({own, parents}) where own is the plain
// run key of its config. A changed cycle re-keys itself and every later cycle
// of its chain, nothing else. The parent's *output* (its selection) cannot be
// known at plan time; the worker records its hash beside the parent's key in
// run.json when it derives the cycle's split (exec/active-run.ts), and a run
// whose parent's output changed since is started over.

/** What chains read and add of a planned run (plan.ts PlannedRun, matched by shape: plan.ts imports this file). */
export interface ChainRun {
  key: string;
  config: RunConfig;
  values: (JsonValue | undefined)[];
  split: string | null;
  code: string;
  parents?: string[];
  cycle?: number;
  own?: string;
}

/** The column the plan adds for chains: `labels.cycle`. */
export const CYCLE_PATH = "labels.cycle" as DottedPath;

/** Key of a run with parents: its own key chained to its parents' keys (in order). No parents: its own key. */
export function chainedKey(own: string, parents: readonly string[]): string {
  if (parents.length === 0) return own;
  return crypto
    .createHash("sha256")
    .update(canonicalJson({ own, parents: [...parents] }))
    .digest("hex");
}

/** The keys of one chain from its runs' own keys: each chained to the one before. */
export function chainKeys(owns: readonly string[]): string[] {
  const keys: string[] = [];
  for (const [i, own] of owns.entries()) keys.push(chainedKey(own, i === 0 ? [] : [keys[i - 1]!]));
  return keys;
}

export function isActiveChain(config: RunConfig): boolean {
  return config.labels.protocol === "active";
}

/** The config of cycle `cycle` of an active cell. */
export function cycleConfig(config: RunConfig, cycle: number): RunConfig {
  return { ...config, labels: { ...(config.labels as ActiveLabels), cycle } as RunConfig["labels"] };
}

/**
 * Expands the active cells of a keyed plan into chains. Runs of other
 * protocols are kept as they are (with no value in the cycle column).
 */
export function expandChains<R extends ChainRun>(
  runs: readonly R[],
  columns: readonly DottedPath[],
): { runs: R[]; columns: DottedPath[] } {
  if (!runs.some((r) => isActiveChain(r.config))) return { runs: [...runs], columns: [...columns] };
  const out: R[] = [];
  for (const run of runs) {
    if (!isActiveChain(run.config)) {
      out.push({ ...run, values: [...run.values, undefined] });
      continue;
    }
    const cycles = (run.config.labels as ActiveLabels).cycles;
    const configs = Array.from({ length: cycles + 1 }, (_, cycle) => cycleConfig(run.config, cycle));
    const owns = configs.map((config) => runKey({ config, split: run.split, code: run.code }));
    const keys = chainKeys(owns);
    configs.forEach((config, cycle) => {
      const parents = cycle === 0 ? [] : [keys[cycle - 1]!];
      out.push({
        ...run,
        key: keys[cycle]!,
        config,
        values: [...run.values, cycle as JsonValue],
        parents,
        cycle,
        ...(parents.length > 0 ? { own: owns[cycle]! } : {}),
      });
    });
  }
  return { runs: out, columns: [...columns, CYCLE_PATH] };
}

/** How many runs a list of cells plans: an active cell is a chain of cycles + 1 runs. */
export function runCount(cells: readonly { config: RunConfig }[]): number {
  let n = 0;
  for (const c of cells) n += isActiveChain(c.config) ? (c.config.labels as ActiveLabels).cycles + 1 : 1;
  return n;
}

/** The keys of a run's ancestors, oldest first (cycle 0 … its parent). */
export function ancestorsOf(run: ChainRun, byKey: ReadonlyMap<string, ChainRun>): string[] {
  const out: string[] = [];
  let parents = run.parents ?? [];
  while (parents.length > 0) {
    const p = parents[0]!;
    out.unshift(p);
    parents = byKey.get(p)?.parents ?? [];
  }
  return out;
}

/**
 * Statuses with chains taken into account: a run that has not finished and
 * whose parent failed (or is itself blocked) is `blocked` — it cannot start
 * until that parent is retried (`--retry-failed`).
 */
export function chainStatuses(runs: readonly ChainRun[], statuses: readonly RunStatus[]): RunStatus[] {
  if (!runs.some((r) => r.parents && r.parents.length > 0)) return [...statuses];
  const index = new Map(runs.map((r, i) => [r.key, i]));
  const out = [...statuses];
  // Parents come before their children in plan order.
  runs.forEach((run, i) => {
    const s = out[i]!;
    if (s !== "new" && s !== "interrupted") return;
    for (const p of run.parents ?? []) {
      const j = index.get(p);
      const ps = j === undefined ? undefined : out[j];
      if (ps === "failed" || ps === "blocked" || ps === "corrupt" || ps === "unknown") {
        out[i] = "blocked";
        return;
      }
    }
  });
  return out;
}

/**
 * The selected runs that can start in this sweep: a run with a parent that is
 * neither done nor selected itself (running elsewhere, blocked, not retried)
 * waits, and so do its descendants. Plan order: parents before children.
 */
export function startable<R extends ChainRun>(
  runs: readonly ChainRun[],
  statuses: readonly RunStatus[],
  selected: readonly R[],
): R[] {
  const status = new Map(runs.map((r, i) => [r.key, statuses[i]!]));
  const keep = new Set<string>();
  for (const run of selected) {
    const ok = (run.parents ?? []).every((p) => keep.has(p) || status.get(p) === "done");
    if (ok) keep.add(run.key);
  }
  return selected.filter((r) => keep.has(r.key));
}
