import { headlineMetric } from "../spec/metric-names.js";
import type { Spec, TableSpec } from "../spec/types.js";
import type { Plan } from "../sweep/plan.js";
import type { ResolvedSweep } from "../sweep/resolve.js";
import { KEY_VERSION } from "../sweep/run-key.js";
import type { SummaryCode, SummaryInput } from "./summary.js";

// What a summary is built from: the resolved sweep's runs and the table they fill.

/** The spec's table, or a default one: swept paths as rows, the family's headline metric. */
export function tableOf(spec: Spec, plan: Plan): TableSpec {
  if (spec.table) return spec.table;
  const rows = plan.columns.filter((c) => c !== "seed" && c !== "labels.fold");
  return {
    rows: rows.length > 0 ? rows : ["method.name"],
    columns: [],
    metric: headlineMetric(spec.eval.type),
  };
}

export function summaryInputOf(r: Pick<ResolvedSweep, "resultsDir" | "plan" | "spec">): SummaryInput {
  const code: Record<string, SummaryCode> = {};
  for (const c of r.plan.identities.values()) {
    const files: Record<string, string> = {};
    for (const [f, d] of Object.entries(c.manifest.files)) files[f] = d.slice(0, 12);
    code[c.hash] = {
      engine: c.manifest.engine,
      labelsweep: c.manifest.labelsweep,
      packages: c.manifest.packages,
      files,
    };
  }
  return {
    resultsDir: r.resultsDir,
    experiment: r.plan.experiment,
    table: tableOf(r.spec, r.plan),
    references: r.spec.references ?? [],
    runs: r.plan.runs.map((run) => ({ key: run.key, config: run.config, code: run.code, split: run.split })),
    code,
    keyVersion: KEY_VERSION,
  };
}
