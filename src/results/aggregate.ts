import type { JsonValue, RunConfig, TableSpec } from "../spec/types.js";
import type { RunStatus } from "../sweep/run-store.js";
import { canonicalJson } from "../util/canonical-json.js";
import { ci95HalfWidth, mean, sampleStd } from "./stats.js";

// Groups finished runs into the table's cells (rows × columns) and aggregates
// each metric over the runs of a cell (seeds and folds): mean, sample std,
// the 95 % t-interval, how many runs were expected and how many failed.

export interface RunOutcome {
  key: string;
  config: RunConfig;
  status: RunStatus;
  metrics?: Record<string, number | null>;
  /** Why a finished run counts as failed (unreadable metrics, a metric the table needs is missing). */
  problem?: string;
}

export interface MetricStats {
  values: number[];
  mean: number | null;
  std: number | null;
  ci95: number | null;
  n: number;
}

export interface TableCell {
  row: Record<string, JsonValue>;
  column: Record<string, JsonValue>;
  /** Runs planned for this cell, in plan order. */
  runs: {
    key: string;
    seed: number;
    fold: number | null;
    status: RunStatus;
    metrics: Record<string, number | null>;
    problem?: string;
  }[];
  expected: number;
  failed: number;
  stats: Record<string, MetricStats>;
}

export interface AggregatedTable {
  metrics: string[];
  rowPaths: string[];
  columnPaths: string[];
  rows: Record<string, JsonValue>[];
  columns: Record<string, JsonValue>[];
  /** cells[r][c] */
  cells: TableCell[][];
}

export function getPath(value: unknown, path: string): JsonValue {
  let cur: unknown = value;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return (cur ?? null) as JsonValue;
}

function pick(config: RunConfig, paths: readonly string[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const p of paths) out[p] = getPath(config, p);
  return out;
}

export function metricList(table: TableSpec): string[] {
  return Array.isArray(table.metric) ? table.metric : [table.metric];
}

function statsOf(values: number[]): MetricStats {
  const n = values.length;
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    values,
    n,
    mean: n > 0 ? mean(values) : null,
    std: n > 1 ? finite(sampleStd(values)) : null,
    ci95: n > 1 ? finite(ci95HalfWidth(values)) : null,
  };
}

export function aggregate(table: TableSpec, runs: readonly RunOutcome[]): AggregatedTable {
  const metrics = metricList(table);
  const rowIndex = new Map<string, number>();
  const colIndex = new Map<string, number>();
  const rows: Record<string, JsonValue>[] = [];
  const columns: Record<string, JsonValue>[] = [];
  const placed: { r: number; c: number; run: RunOutcome }[] = [];
  for (const run of runs) {
    const row = pick(run.config, table.rows);
    const column = pick(run.config, table.columns);
    const rk = canonicalJson(row);
    const ck = canonicalJson(column);
    if (!rowIndex.has(rk)) {
      rowIndex.set(rk, rows.length);
      rows.push(row);
    }
    if (!colIndex.has(ck)) {
      colIndex.set(ck, columns.length);
      columns.push(column);
    }
    placed.push({ r: rowIndex.get(rk)!, c: colIndex.get(ck)!, run });
  }
  const cells: TableCell[][] = rows.map((row) =>
    columns.map((column) => ({ row, column, runs: [], expected: 0, failed: 0, stats: {} })),
  );
  for (const { r, c, run } of placed) {
    const cell = cells[r]![c]!;
    cell.expected++;
    if (run.status === "failed") cell.failed++;
    cell.runs.push({
      key: run.key,
      seed: run.config.seed,
      fold: (run.config.labels as { fold?: number }).fold ?? null,
      status: run.status,
      metrics: run.status === "done" ? (run.metrics ?? {}) : {},
      ...(run.problem ? { problem: run.problem } : {}),
    });
  }
  for (const row of cells) {
    for (const cell of row) {
      for (const m of metrics) {
        const values = cell.runs
          .filter((x) => x.status === "done")
          .map((x) => x.metrics[m])
          .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
        cell.stats[m] = statsOf(values);
      }
    }
  }
  return { metrics, rowPaths: table.rows, columnPaths: table.columns, rows, columns, cells };
}
