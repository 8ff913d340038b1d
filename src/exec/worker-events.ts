import type { Metrics } from "../sweep/run-record.js";

// The worker → runner event channel: JSON objects, one per line in
// events.jsonl, and over the IPC channel when a local runner started the worker.

export type WorkerEvent =
  | { type: "start"; attempt: number; resume: boolean }
  | { type: "progress"; iter: number; total: number; loss?: number; [k: string]: number | string | undefined }
  | { type: "checkpoint"; iter: number; path: string }
  | { type: "eval"; iter: number; metrics: Metrics }
  | { type: "stopping"; reason: string }
  | { type: "interrupted" }
  | { type: "done"; metrics: Metrics }
  | { type: "failed"; error: string };
