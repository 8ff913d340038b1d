import { headlineMetric, runMetrics } from "../spec/metric-names.js";
import { didYouMean } from "../spec/suggest.js";
import { type JsonValue, SEMANTIC_KEYS, type Spec } from "../spec/types.js";
import { CYCLE_PATH, isActiveChain } from "./chains.js";
import type { Expansion } from "./expand.js";
import { getAt, splitPath } from "./paths.js";
import { problem, type SweepProblem } from "./problems.js";
import { canonicalOf } from "./sections.js";
import { unknownPath, type Vocabulary } from "./vocabulary.js";

// The table and the references are read after every run has trained; a
// mistake in them must not wait that long. Each row and column path must be
// a path of the run config that some run sets (a typo gives a table of "—"),
// no path may be both a row and a column, and every metric a table or
// reference names must be one the runs report (`mAP` of a COCO evaluation is
// never there). Runs that differ in a swept key the table does not show are
// averaged into one cell, as the table has always done: an ad hoc
// `--sweep`/positional axis on `plan` relies on that.

type Obj = { [k: string]: JsonValue };
const isSemantic = (section: string) => (SEMANTIC_KEYS as readonly string[]).includes(section);

/** Metric names every run of the expansion reports; null when some run's names are the trainer's own. */
function reportedMetrics(expansion: Expansion): { names: Set<string>; sources: string[] } | null {
  let names: Set<string> | null = null;
  const sources = new Set<string>();
  const seen = new Set<string>();
  for (const cell of expansion.cells) {
    const config = cell.config as unknown as Obj;
    const id = `${canonicalOf(config.engine ?? null)}|${canonicalOf(config.eval ?? null)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const m = runMetrics(config);
    if (!m) return null;
    sources.add(m.source);
    names = names ? new Set(m.names.filter((n) => names!.has(n))) : new Set(m.names);
  }
  return names ? { names, sources: [...sources] } : null;
}

function metricProblem(name: string, reported: { names: Set<string>; sources: string[] }) {
  const known = [...reported.names];
  return {
    message: `the runs do not report ${JSON.stringify(name)}; they report ${known.join(", ")} (${reported.sources.join(" and ")})`,
    hint: didYouMean(name, known),
  };
}

export function checkTable(spec: Spec, expansion: Expansion, vocab: Vocabulary): SweepProblem[] {
  const problems: SweepProblem[] = [];
  const table = spec.table;
  const reported = expansion.cells.length > 0 ? reportedMetrics(expansion) : null;

  if (table) {
    const paths: { path: string; at: (string | number)[] }[] = [
      ...table.rows.map((path, i) => ({ path, at: ["table", "rows", i] })),
      ...table.columns.map((path, i) => ({ path, at: ["table", "columns", i] })),
    ];
    const usable: string[] = [];
    for (const { path, at } of paths) {
      if (!isSemantic(path.split(".")[0]!)) {
        problems.push(
          problem(at, "value", `"${path}" is not a key path of the run config (a table shows run values)`),
        );
        continue;
      }
      // An active sweep's cycle number is set on each cycle run when chains are expanded (chains.ts).
      const chained = path === CYCLE_PATH && expansion.cells.some((c) => isActiveChain(c.config));
      if (chained) {
        usable.push(path);
        continue;
      }
      const bad = unknownPath(path, vocab);
      if (bad) {
        problems.push(problem(at, "value", bad.message, bad.hint));
        continue;
      }
      const parts = splitPath(path);
      if (expansion.cells.length > 0 && expansion.cells.every((c) => getAt(c.config, parts) === undefined)) {
        problems.push(problem(at, "value", `no run of the sweep sets ${path}: every cell would show "—"`));
        continue;
      }
      usable.push(path);
    }
    table.columns.forEach((path, j) => {
      if (table.rows.includes(path))
        problems.push(
          problem(["table", "columns", j], "value", `${path} is both a row and a column of the table`),
        );
    });
    if (reported) {
      const metrics = Array.isArray(table.metric) ? table.metric : [table.metric];
      metrics.forEach((name, i) => {
        if (reported.names.has(name)) return;
        const at = Array.isArray(table.metric) ? ["table", "metric", i] : ["table", "metric"];
        const p = metricProblem(name, reported);
        problems.push(problem(at, "value", p.message, p.hint));
      });
    }
  }

  const shown = table
    ? Array.isArray(table.metric)
      ? table.metric
      : [table.metric]
    : [headlineMetric(spec.eval.type)];
  (spec.references ?? []).forEach((ref, i) => {
    const at = ["references", i, "metric"];
    if (reported && !reported.names.has(ref.metric)) {
      const p = metricProblem(ref.metric, reported);
      problems.push(problem(at, "value", p.message, p.hint));
    } else if (!shown.includes(ref.metric)) {
      problems.push(
        problem(
          at,
          "value",
          `the table shows ${shown.join(", ")}, not ${ref.metric}: this reference would never sit beside a number`,
          didYouMean(ref.metric, shown),
        ),
      );
    }
  });
  return problems;
}
