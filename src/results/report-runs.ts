import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunRecord } from "../sweep/run-record.js";
import { RUN_FILES, readJsonFile, readState } from "../sweep/run-store.js";
import { axisValue } from "./axis-label.js";
import type { Summary } from "./summary.js";

// The report's run list: every run of every cell with its status, metrics,
// duration, and where its folder and log are — read from the summary, and
// from the run folders when they are on this machine (a committed summary
// alone has no durations and no folders to link).

export interface ReportRun {
  key: string;
  name: string;
  status: string;
  metrics: Record<string, number | null>;
  seconds: number | null;
  /** The run's folder and log, absolute, when they exist here. */
  dir: string | null;
  log: string | null;
}

export function reportRuns(s: Summary, experimentDir: string | null): ReportRun[] {
  return s.cells.flatMap((cell) =>
    cell.runs.map((run) => {
      const dir = experimentDir ? join(experimentDir, "runs", run.key) : null;
      const here = dir !== null && existsSync(dir);
      const record = here ? readJsonFile<RunRecord>(join(dir, RUN_FILES.run)) : undefined;
      const state = here ? readState(dir) : undefined;
      const values = [...Object.values(cell.row), ...Object.values(cell.column)].map(axisValue);
      values.push(`seed ${run.seed}`);
      if (run.fold !== null) values.push(`fold ${run.fold}`);
      let seconds: number | null = record?.provenance?.seconds ?? null;
      if (seconds === null && state?.started && state.ended)
        seconds = (Date.parse(state.ended) - Date.parse(state.started)) / 1000;
      const log = here ? join(dir, RUN_FILES.log) : null;
      return {
        key: run.key,
        name: record?.name || values.join(" · "),
        status: run.status,
        metrics: run.metrics,
        seconds: seconds !== null && Number.isFinite(seconds) ? seconds : null,
        dir: here ? dir : null,
        log: log && existsSync(log) ? log : null,
      };
    }),
  );
}
