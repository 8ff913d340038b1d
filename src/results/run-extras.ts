import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MetricsFile, RunRecord } from "../sweep/run-record.js";
import { RUN_FILES, readJsonFile, runDir } from "../sweep/run-store.js";

// What a summary keeps of each run beyond its metrics, for `labelsweep diff`
// and `labelsweep report`: the split hash (split drift), per-category AP
// (long-tail bars) and the training-loss curve from events.jsonl `progress`
// events. Curves are thinned so the committed summary stays small.

export const MAX_CURVE_POINTS = 50;

export type FrequencyGroup = "r" | "c" | "f";

export interface CategoryAp {
  id: number | string;
  name: string | null;
  /** LVIS frequency group, when the evaluator recorded it. */
  group?: FrequencyGroup;
  ap: number | null;
}

export interface RunExtras {
  split: string | null;
  perCategory?: CategoryAp[];
  loss?: { iter: number; loss: number }[];
}

/** Six significant digits: enough for a plot, and stable across platforms. */
export function round6(x: number): number {
  return Number(x.toPrecision(6));
}

/** At most `max` points, evenly spaced by index, first and last kept. */
export function thin<T>(points: readonly T[], max = MAX_CURVE_POINTS): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]!);
  return out;
}

function lossCurve(dir: string): { iter: number; loss: number }[] | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, RUN_FILES.events), "utf8");
  } catch {
    return undefined;
  }
  const byIter = new Map<number, number>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let e: { type?: string; iter?: unknown; loss?: unknown };
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line cut short by a kill: the rest of the file still counts
    }
    if (e.type !== "progress" || typeof e.iter !== "number" || typeof e.loss !== "number") continue;
    if (!Number.isFinite(e.loss)) continue;
    byIter.set(e.iter, e.loss); // a resumed run repeats iterations: the last report wins
  }
  if (byIter.size === 0) return undefined;
  return [...byIter.entries()].sort((a, b) => a[0] - b[0]).map(([iter, loss]) => ({ iter, loss }));
}

export function readRunExtras(resultsDir: string, experiment: string, key: string): RunExtras {
  const dir = runDir(resultsDir, experiment, key);
  const record = readJsonFile<Partial<RunRecord>>(join(dir, RUN_FILES.run));
  const metrics = readJsonFile<Pick<MetricsFile, "key">>(join(dir, RUN_FILES.metrics)) as {
    perCategory?: (CategoryAp & { frequency?: string })[];
  } | null;
  const extras: RunExtras = { split: record?.split?.hash ?? null };
  if (metrics?.perCategory) {
    extras.perCategory = metrics.perCategory.map((c) => {
      const g = c.group ?? c.frequency;
      const out: CategoryAp = { id: c.id, name: c.name, ap: c.ap };
      if (g === "r" || g === "c" || g === "f") out.group = g;
      return out;
    });
  }
  const loss = lossCurve(dir);
  if (loss) extras.loss = loss;
  return extras;
}

/** Mean per-category AP over a cell's runs (categories in first-seen order). */
export function meanPerCategory(runs: readonly RunExtras[]): (CategoryAp & { n: number })[] | undefined {
  const acc = new Map<string, { c: CategoryAp; sum: number; n: number }>();
  for (const r of runs) {
    for (const c of r.perCategory ?? []) {
      const k = String(c.id);
      const slot = acc.get(k) ?? { c, sum: 0, n: 0 };
      if (typeof c.ap === "number" && Number.isFinite(c.ap)) {
        slot.sum += c.ap;
        slot.n++;
      }
      acc.set(k, slot);
    }
  }
  if (acc.size === 0) return undefined;
  return [...acc.values()].map(({ c, sum, n }) => {
    const out: CategoryAp & { n: number } = { id: c.id, name: c.name, ap: n > 0 ? round6(sum / n) : null, n };
    if (c.group) out.group = c.group;
    return out;
  });
}

/** Mean loss over a cell's runs at each reported iteration, thinned. */
export function meanLossCurve(
  runs: readonly RunExtras[],
): { iter: number; loss: number; n: number }[] | undefined {
  const acc = new Map<number, { sum: number; n: number }>();
  for (const r of runs) {
    for (const p of r.loss ?? []) {
      const slot = acc.get(p.iter) ?? { sum: 0, n: 0 };
      slot.sum += p.loss;
      slot.n++;
      acc.set(p.iter, slot);
    }
  }
  if (acc.size === 0) return undefined;
  const points = [...acc.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([iter, { sum, n }]) => ({ iter, loss: round6(sum / n), n }));
  return thin(points);
}
