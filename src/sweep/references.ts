import { didYouMean } from "../spec/suggest.js";
import type { JsonValue, Spec } from "../spec/types.js";
import { SEMANTIC_KEYS } from "../spec/types.js";
import type { Expansion } from "./expand.js";
import { getAt, splitPath } from "./paths.js";
import { problem, type SweepProblem } from "./problems.js";
import { canonicalOf } from "./sections.js";
import { show } from "./show.js";

// `references[].cell` names a table cell by swept values; a paper number the
// plan can never sit beside is a typo or a stale reference (RUNNERS.md §4.8).

const isSemantic = (section: string) => (SEMANTIC_KEYS as readonly string[]).includes(section);

/** Each reference cell must name values the sweep produces, and a run that has them all. */
export function checkReferences(spec: Spec, expansion: Expansion): SweepProblem[] {
  const problems: SweepProblem[] = [];
  const refs = spec.references ?? [];
  if (refs.length === 0) return problems;
  const cells = expansion.cells;
  // Per referenced path: the id of each cell's value, and the distinct values.
  const columns = new Map<
    string,
    { ids: Int32Array; values: Map<string, { id: number; value: JsonValue }> }
  >();
  const valueId = (v: JsonValue | undefined) => (v === undefined ? "u" : canonicalOf(v));
  for (const ref of refs) {
    for (const path of Object.keys(ref.cell ?? {})) {
      if (columns.has(path) || !isSemantic(path.split(".")[0]!)) continue;
      const parts = splitPath(path);
      const ids = new Int32Array(cells.length);
      const values = new Map<string, { id: number; value: JsonValue }>();
      cells.forEach((c, i) => {
        const v = getAt(c.config, parts);
        const key = valueId(v);
        let entry = values.get(key);
        if (!entry) {
          entry = { id: values.size, value: v ?? null };
          values.set(key, entry);
        }
        ids[i] = entry.id;
      });
      columns.set(path, { ids, values });
    }
  }
  refs.forEach((ref, r) => {
    const terms: { ids: Int32Array; id: number }[] = [];
    let complete = true;
    for (const [path, value] of Object.entries(ref.cell ?? {})) {
      const column = columns.get(path);
      if (!column) {
        complete = false;
        continue;
      }
      const hit = column.values.get(valueId(value));
      if (hit) {
        terms.push({ ids: column.ids, id: hit.id });
        continue;
      }
      complete = false;
      const produced = [...column.values.values()].map((e) => e.value);
      const strings = produced.filter((v): v is string => typeof v === "string");
      problems.push(
        problem(
          ["references", r, "cell", path],
          "value",
          `${path} = ${show(value)} is not a value the sweep produces; its runs have ` +
            `${produced.slice(0, 12).map(show).join(", ")}${produced.length > 12 ? ", …" : ""}`,
          typeof value === "string" ? didYouMean(value, strings) : undefined,
        ),
      );
    }
    if (!complete || terms.length === 0) return;
    for (let i = 0; i < cells.length; i++) if (terms.every((t) => t.ids[i] === t.id)) return;
    const desc = Object.entries(ref.cell)
      .map(([p, v]) => `${p} = ${show(v)}`)
      .join(", ");
    problems.push(
      problem(
        ["references", r, "cell"],
        "key",
        `no run of the sweep has ${desc} together (excluded, or never combined)`,
      ),
    );
  });
  return problems;
}

/**
 * `table.baseline` names a cell by row and column values: each path must be
 * one of table.rows or table.columns, and each value one the sweep produces.
 */
export function checkTableBaseline(spec: Spec, expansion: Expansion): SweepProblem[] {
  const table = spec.table;
  const baseline = table?.baseline;
  if (!table || !baseline) return [];
  const problems: SweepProblem[] = [];
  const paths = [...table.rows, ...table.columns];
  for (const [path, value] of Object.entries(baseline)) {
    if (!paths.includes(path)) {
      problems.push(
        problem(
          ["table", "baseline", path],
          "key",
          `${path} is not a row or column path of the table (rows: ${table.rows.join(", ") || "none"}; columns: ${table.columns.join(", ") || "none"})`,
          didYouMean(path, paths),
        ),
      );
      continue;
    }
    const parts = splitPath(path);
    const produced = new Map<string, JsonValue>();
    for (const c of expansion.cells) {
      const v = getAt(c.config, parts) ?? null;
      produced.set(canonicalOf(v), v);
    }
    if (produced.size > 0 && !produced.has(canonicalOf(value))) {
      const list = [...produced.values()];
      problems.push(
        problem(
          ["table", "baseline", path],
          "value",
          `${path} = ${show(value)} is not a value the sweep produces; its runs have ${list.slice(0, 12).map(show).join(", ")}${list.length > 12 ? ", …" : ""}`,
          typeof value === "string"
            ? didYouMean(
                value,
                list.filter((v): v is string => typeof v === "string"),
              )
            : undefined,
        ),
      );
    }
  }
  return problems;
}
