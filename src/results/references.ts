import type { JsonValue, ReferenceSpec, TableSpec } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import type { AggregatedTable, MetricStats } from "./aggregate.js";

// Paper numbers beside our own: for each reference, the table cell it names,
// our mean (in the table's printed scale), Δ = ours − paper, and whether the
// paper value lies within the noise of our runs: |Δ| ≤ k·std (k = 2 unless the
// reference says otherwise) or |Δ| ≤ abs.

export type ReferenceStatus = "within-noise" | "differs" | "undetermined" | "no-runs" | "no-cell";

export interface ReferenceCheck {
  reference: ReferenceSpec;
  row: number | null;
  column: number | null;
  ours: { mean: number; std: number | null; n: number } | null;
  delta: number | null;
  bound: number | null;
  status: ReferenceStatus;
}

function matches(values: Record<string, JsonValue>, cell: Record<string, JsonValue>): boolean {
  for (const [path, want] of Object.entries(cell)) {
    if (path in values && canonicalJson(values[path]) !== canonicalJson(want)) return false;
  }
  return true;
}

export function checkReferences(
  table: TableSpec,
  agg: AggregatedTable,
  references: readonly ReferenceSpec[],
): ReferenceCheck[] {
  const scale = table.scale ?? 100;
  return references.map((reference) => {
    const r = agg.rows.findIndex((row) => matches(row, reference.cell));
    const c = agg.columns.findIndex((col) => matches(col, reference.cell));
    const base = { reference, row: r < 0 ? null : r, column: c < 0 ? null : c };
    if (r < 0 || c < 0) return { ...base, ours: null, delta: null, bound: null, status: "no-cell" as const };
    const stats: MetricStats | undefined = agg.cells[r]![c]!.stats[reference.metric];
    if (!stats || stats.mean === null)
      return { ...base, ours: null, delta: null, bound: null, status: "no-runs" as const };
    const ours = { mean: stats.mean * scale, std: stats.std === null ? null : stats.std * scale, n: stats.n };
    const delta = ours.mean - reference.value;
    const k = reference.tolerance?.k ?? 2;
    const bound = reference.tolerance?.abs ?? (ours.std === null ? null : k * ours.std);
    const status: ReferenceStatus =
      bound === null ? "undetermined" : Math.abs(delta) <= bound ? "within-noise" : "differs";
    return { ...base, ours, delta, bound, status };
  });
}
