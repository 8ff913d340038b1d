// Progress from an external trainer's output (issue 17 §2): a line that is a
// JSON object with an iteration count — `{"iter": 120, "loss": 0.83}` — is a
// progress event, so external trainers get the same progress bars, ETA and
// loss curves (events.jsonl → summary → report) as the built-in engine.
// mmengine's and detectron2's JSON loggers name the count `iter`; `step` and
// `iteration` are read too. The total comes from the line (`total`,
// `max_iters`, `max_iter`) or else from the run's train.iterations.

export interface ProgressLine {
  type: "progress";
  iter: number;
  total: number;
  loss?: number;
  [k: string]: number | string | undefined;
}

const ITER_KEYS = ["iter", "iteration", "step"] as const;
const TOTAL_KEYS = ["total", "max_iters", "max_iter", "total_iters"] as const;

/** The progress event a line carries, or null for any other line. */
export function progressFromLine(line: string, defaultTotal: number | undefined): ProgressLine | null {
  const text = line.trim();
  if (!text.startsWith("{") || !text.endsWith("}")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const iterKey = ITER_KEYS.find((k) => typeof obj[k] === "number" && Number.isFinite(obj[k]));
  if (!iterKey) return null;
  const totalKey = TOTAL_KEYS.find((k) => typeof obj[k] === "number" && (obj[k] as number) > 0);
  const total = totalKey ? (obj[totalKey] as number) : defaultTotal;
  if (total === undefined) return null;
  const event: ProgressLine = { type: "progress", iter: obj[iterKey] as number, total };
  // Numbers the trainer reports (loss, loss_cls, lr, …) travel with the event; nothing else does.
  for (const [k, v] of Object.entries(obj)) {
    if (k === iterKey || k === totalKey || k === "type") continue;
    if (typeof v === "number" && Number.isFinite(v)) event[k] = v;
  }
  return event;
}

/** Splits a stream of chunks into lines (the last partial line waits for the next chunk). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = "";
  return {
    push(chunk) {
      rest += chunk;
      let nl = rest.indexOf("\n");
      while (nl >= 0) {
        onLine(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        nl = rest.indexOf("\n");
      }
    },
    end() {
      if (rest !== "") onLine(rest);
      rest = "";
    },
  };
}
