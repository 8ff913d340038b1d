import type { MetricsScale } from "../../spec/types.js";
import type { Metrics } from "../../sweep/run-record.js";
import { UserError } from "../../util/errors.js";
import { METRIC_NAME, type ParsedMetrics } from "./metrics-parsers.js";

// The scale of an external trainer's metrics (issue 11: never a 3000.0 AP).
// labelsweep keeps fractions; a trainer prints fractions (pycocotools 0.412)
// or percentages (detectron2 41.2). The scale used is, in order: the spec's
// `engine.metrics.scale`, the one the output format fixes, or one detected
// from the values (any AP/AR-like value above 1 means percent). Whatever
// decided it is recorded in metrics.json and the run's log, and a value that
// is still not a fraction after scaling makes the run fail.

export interface ScaleReport {
  scale: MetricsScale;
  how: "declared" | "format" | "detected";
  /** For a detected scale: the value that decided it, or that every value was ≤ 1. */
  evidence?: string;
}

const show = (v: number) => String(Number(v.toPrecision(6)));

export function toFractions(
  parsed: ParsedMetrics,
  declared: MetricsScale | undefined,
): { metrics: Metrics; scale: ScaleReport } {
  const rates = Object.entries(parsed.metrics).filter(
    (e): e is [string, number] => METRIC_NAME.test(e[0]) && typeof e[1] === "number",
  );
  let report: ScaleReport;
  if (declared) report = { scale: declared, how: "declared" };
  else if (parsed.scale) report = { scale: parsed.scale, how: "format" };
  else {
    const above = rates.find(([, v]) => v > 1);
    report = above
      ? { scale: "percent", how: "detected", evidence: `${above[0]} = ${show(above[1])} > 1` }
      : {
          scale: "fraction",
          how: "detected",
          evidence: rates.length > 0 ? "every AP/AR value ≤ 1" : "no AP/AR values",
        };
  }
  const factor = report.scale === "percent" ? 100 : 1;
  const metrics: Metrics = {};
  for (const [name, v] of Object.entries(parsed.metrics)) {
    metrics[name] = v === null ? null : METRIC_NAME.test(name) ? v / factor : v;
  }
  for (const [name, v] of rates) {
    if (v / factor > 1 || v < 0) {
      const why =
        report.how === "declared"
          ? `engine.metrics.scale is ${declared}`
          : report.how === "format"
            ? `this format prints ${report.scale === "percent" ? "percentages" : "fractions"}`
            : `detected ${report.scale}`;
      throw new UserError(
        `metric ${name} = ${show(v)} is not a ${report.scale === "percent" ? "percentage (0–100)" : "fraction (0–1)"} (${why}); ` +
          `set engine.metrics.scale to what the trainer prints`,
        1,
      );
    }
  }
  return { metrics, scale: report };
}

export function describeScale(r: ScaleReport): string {
  const what = r.scale === "percent" ? "percentages (divided by 100)" : "fractions";
  const how =
    r.how === "declared"
      ? "engine.metrics.scale"
      : r.how === "format"
        ? "the output format"
        : `detected: ${r.evidence}`;
  return `metrics read as ${what} (${how})`;
}
