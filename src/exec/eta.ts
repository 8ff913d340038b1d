// The sweep's ETA (issue 17 §1): how long until every run of the sweep has
// finished, from what is known now —
//   a running run's remaining time from its own iteration rate (iterations
//     since its first progress event / time since then), or, before it reports
//     progress, from the mean duration of finished runs;
//   a queued run's duration: the mean of finished runs, or before any finished,
//     the projected total of the running ones;
// and then the queue is dealt to the slots as the executor deals it (each run
// to the slot that frees first). Unknown (null) until some duration is known.

export interface RunningRun {
  /** Seconds since the run started. */
  elapsed: number;
  /** Latest progress: iteration reached of total, and the rate since the first progress event. */
  progress?: { iter: number; total: number; itersPerSecond: number | null };
}

export interface EtaInput {
  finishedSeconds: readonly number[];
  running: readonly RunningRun[];
  queued: number;
  slots: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function remainingOf(run: RunningRun, typical: number | null): number | null {
  const p = run.progress;
  if (p && p.itersPerSecond !== null && p.itersPerSecond > 0)
    return Math.max(0, (p.total - p.iter) / p.itersPerSecond);
  if (typical !== null) return Math.max(0, typical - run.elapsed);
  return null;
}

/** Seconds until the sweep is done, or null when nothing is known yet. */
export function estimateEta(input: EtaInput): number | null {
  const finishedMean = input.finishedSeconds.length > 0 ? mean(input.finishedSeconds) : null;
  const rated = input.running.map((r) => remainingOf(r, finishedMean));
  const projected = input.running.flatMap((r, i) => (rated[i] === null ? [] : [r.elapsed + rated[i]!]));
  const typical = finishedMean ?? (projected.length > 0 ? mean(projected) : null);
  if (typical === null) return input.running.length === 0 && input.queued === 0 ? 0 : null;
  const free = rated.map((x, i) => x ?? Math.max(0, typical - input.running[i]!.elapsed));
  while (free.length < Math.max(1, input.slots)) free.push(0);
  let end = Math.max(0, ...free);
  // Deal the queue: each queued run takes the slot that frees first.
  for (let q = 0; q < input.queued; q++) {
    free.sort((a, b) => a - b);
    free[0] = free[0]! + typical;
    end = Math.max(end, free[0]);
  }
  return end;
}
