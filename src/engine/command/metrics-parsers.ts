import type { MetricsScale } from "../../spec/types.js";
import type { Metrics } from "../../sweep/run-record.js";
import { UserError } from "../../util/errors.js";

// Metrics from the output of external trainers, without touching their code
// (RUNNERS.md §4.7). Each parser returns the values as the tool printed them,
// under labelsweep's names (AP, AP50, …, APr, mAP), with the scale its format
// prints in when the format fixes one; metrics-scale.ts turns them into
// fractions. A value that is not a number is an error that quotes it (issue 11:
// never a run "done" with null where the trainer printed garbage); only the
// tools' own "undefined" markers (pycocotools −1, detectron2 nan) become null.

export type { Metrics };

/** A parser's result: values as printed, and the scale the format prints in (when it has one). */
export interface ParsedMetrics {
  metrics: Metrics;
  scale?: MetricsScale;
}

/** The text of one line, shortened for a message. */
const quote = (line: string) =>
  JSON.stringify(line.trim().length > 160 ? `${line.trim().slice(0, 160)}…` : line.trim());

/** A number as printed, or null for the tool's "undefined" marker; anything else throws with the text. */
function numberIn(text: string, where: string, undefinedMarker?: (v: string) => boolean): number | null {
  const t = text.trim();
  if (undefinedMarker?.(t)) return null;
  const v = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(v))
    throw new UserError(`${where}: the metric value ${JSON.stringify(t)} is not a number`, 1);
  return v;
}

const COCO_LINE =
  /Average (Precision|Recall)\s+\((AP|AR)\)\s+@\[\s*IoU=([0-9.:]+)\s*\|\s*area=\s*(\w+)\s*\|\s*maxDets=\s*(\d+)\s*\]\s*=\s*(\S*)/;

function cocoName(
  kind: string,
  iou: string,
  area: string,
  maxDets: string,
  largestMaxDets: number,
): string | undefined {
  const areaSuffix: Record<string, string> = { small: "s", medium: "m", large: "l" };
  if (kind === "AP") {
    if (area === "all")
      return iou === "0.50:0.95" ? "AP" : iou === "0.50" ? "AP50" : iou === "0.75" ? "AP75" : undefined;
    return iou === "0.50:0.95" && areaSuffix[area] ? `AP${areaSuffix[area]}` : undefined;
  }
  if (area === "all") return `AR${maxDets}`;
  return Number(maxDets) === largestMaxDets && areaSuffix[area] ? `AR${areaSuffix[area]}` : undefined;
}

/** The last complete pycocotools summary block in a log (−1 means "no ground truth in range": null). */
export function parsePycocotools(text: string): ParsedMetrics {
  const lines = text.split(/\r?\n/);
  const blocks: RegExpExecArray[][] = [];
  let current: RegExpExecArray[] = [];
  for (const line of lines) {
    const m = COCO_LINE.exec(line);
    if (m) current.push(m);
    else if (current.length > 0) {
      blocks.push(current);
      current = [];
    }
  }
  if (current.length > 0) blocks.push(current);
  const block = blocks.filter((b) => b.length >= 12).pop();
  if (!block)
    throw new UserError(
      "no pycocotools summary block (12 'Average Precision/Recall' lines) found in the output",
    );
  const largest = Math.max(...block.map((m) => Number(m[5])));
  const out: Metrics = {};
  for (const m of block) {
    const name = cocoName(m[2]!, m[3]!, m[4]!, m[5]!, largest);
    if (!name) continue;
    const v = numberIn(m[6]!, `pycocotools summary line ${quote(m.input)}`);
    out[name] = v !== null && v < 0 ? null : v;
  }
  return { metrics: out, scale: "fraction" };
}

/**
 * detectron2's `copypaste:` lines (percentages): the last Task block of the
 * wanted task. detectron2 writes a −1 of COCOeval (no ground truth in range) as nan.
 */
export function parseDetectron2(text: string, task = "bbox"): ParsedMetrics {
  const lines = text
    .split(/\r?\n/)
    .map((l) => /copypaste:\s*(.*)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => l !== undefined);
  let found: Metrics | undefined;
  for (let i = 0; i + 2 < lines.length; i++) {
    if (lines[i] !== `Task: ${task}`) continue;
    const names = lines[i + 1]!.split(",").map((s) => s.trim());
    const texts = lines[i + 2]!.split(",");
    const where = `detectron2 copypaste line ${quote(lines[i + 2]!)}`;
    if (names.length !== texts.length)
      throw new UserError(
        `${where}: ${texts.length} values for ${names.length} names (${names.join(",")})`,
        1,
      );
    const metrics: Metrics = {};
    names.forEach((n, j) => {
      const v = numberIn(texts[j]!, where, (t) => t.toLowerCase() === "nan");
      metrics[n] = v !== null && v < 0 ? null : v;
    });
    found = metrics;
  }
  if (!found) throw new UserError(`no detectron2 "copypaste: Task: ${task}" block found in the output`);
  return { metrics: found, scale: "percent" };
}

const MMENGINE_NAMES: [RegExp, string][] = [
  [/^coco\/bbox_mAP$/, "AP"],
  [/^coco\/bbox_mAP_50$/, "AP50"],
  [/^coco\/bbox_mAP_75$/, "AP75"],
  [/^coco\/bbox_mAP_s$/, "APs"],
  [/^coco\/bbox_mAP_m$/, "APm"],
  [/^coco\/bbox_mAP_l$/, "APl"],
  [/^lvis\/bbox_AP$/, "AP"],
  [/^lvis\/bbox_AP50$/, "AP50"],
  [/^lvis\/bbox_AP75$/, "AP75"],
  [/^lvis\/bbox_APs$/, "APs"],
  [/^lvis\/bbox_APm$/, "APm"],
  [/^lvis\/bbox_APl$/, "APl"],
  [/^lvis\/bbox_APr$/, "APr"],
  [/^lvis\/bbox_APc$/, "APc"],
  [/^lvis\/bbox_APf$/, "APf"],
  [/^pascal_voc\/mAP$/, "mAP"],
];

/** mmengine's vis_data/scalars.json (JSON lines): the last line that carries evaluation metrics (fractions). */
export function parseMmengineScalars(text: string): ParsedMetrics {
  let found: Metrics | undefined;
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new UserError(`mmengine scalars: line ${i + 1} is not JSON: ${quote(line)}`, 1);
    }
    const metrics: Metrics = {};
    for (const [key, value] of Object.entries(obj ?? {})) {
      const name = MMENGINE_NAMES.find(([re]) => re.test(key))?.[1];
      if (!name) continue;
      if (typeof value !== "number" || !Number.isFinite(value))
        throw new UserError(
          `mmengine scalars line ${i + 1}: ${key} is ${JSON.stringify(value)}, not a number`,
          1,
        );
      metrics[name] = value < 0 ? null : value;
    }
    if (Object.keys(metrics).length > 0) found = metrics;
  }
  if (!found) throw new UserError("mmengine scalars: no line with coco/, lvis/ or pascal_voc/ metrics found");
  return { metrics: found, scale: "fraction" };
}

/** Names that are metrics (AP, AP50, APr, AR100, mAP, F1, …): a non-number there is an error. */
export const METRIC_NAME = /^(m?AP|AR|m?F1)([A-Za-z0-9_]*)$/;

/**
 * JSON lines: numeric fields of every object (or of its `metrics` member),
 * later lines win. Every value of a `metrics` member, and a top-level value
 * with a metric's name, must be a number (or null: undefined); other
 * top-level fields (mode, epoch) that are not numbers are not metrics.
 */
export function parseJsonLines(text: string): ParsedMetrics {
  const out: Metrics = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new UserError(`JSON lines: line ${i + 1} is not JSON: ${quote(line)}`, 1);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) continue;
    const record = obj as Record<string, unknown>;
    const member = record.metrics && typeof record.metrics === "object" && !Array.isArray(record.metrics);
    const source = member ? (record.metrics as Record<string, unknown>) : record;
    for (const [k, v] of Object.entries(source)) {
      if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
      else if (typeof v === "number")
        throw new UserError(`JSON lines: line ${i + 1}: ${k} is ${v}, not a finite number`, 1);
      else if (v === null && (member || METRIC_NAME.test(k))) out[k] = null;
      else if (member || METRIC_NAME.test(k))
        throw new UserError(
          `JSON lines: line ${i + 1}: metric ${k} is ${JSON.stringify(v)}, not a number`,
          1,
        );
    }
  }
  if (Object.keys(out).length === 0) throw new UserError("JSON lines: no numeric metrics found", 1);
  return { metrics: out };
}
