import type { Metrics } from "../sweep/run-record.js";

// The worker → runner event channel: JSON objects, one per line in
// events.jsonl, and over the IPC channel when a local runner started the worker.

export type WorkerEvent =
  | { type: "start"; attempt: number; resume: boolean }
  /** The trainer (external process, or the tfjs loop) starts: --timeout counts from here. */
  | { type: "trainer" }
  | { type: "progress"; iter: number; total: number; loss?: number; [k: string]: number | string | undefined }
  | { type: "checkpoint"; iter: number; path: string }
  | { type: "eval"; iter: number; metrics: Metrics }
  | { type: "stopping"; reason: string }
  | { type: "interrupted"; reason?: string }
  | { type: "done"; metrics: Metrics }
  | { type: "failed"; error: string };

/** Worker exit code when another live process already executes this run. */
export const EXIT_LOCKED = 75;
/** Worker exit code after a graceful stop (the run is resumable). */
export const EXIT_INTERRUPTED = 143;
