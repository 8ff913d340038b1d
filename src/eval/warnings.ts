import type { EvalWarning } from "./types.js";

const MAX_EXAMPLES = 5;

// Warning texts shared by the two detection readers (the fast byte reader and
// parseDetections), so both say exactly the same thing.
export const UNKNOWN_CATEGORY_MESSAGE =
  "detections of a category that is not in the ground truth's categories are ignored (as pycocotools does)";
export const EMPTY_BOX_MESSAGE =
  "detections with zero width or height overlap nothing and count as false positives (as in pycocotools)";

/** Collects counted warnings: one entry per code, with a count and a few examples. */
export class WarningCounter {
  private readonly byCode = new Map<string, EvalWarning>();

  add(code: string, message: string, example: string): void {
    const w = this.byCode.get(code);
    if (w) {
      w.count++;
      if (w.examples.length < MAX_EXAMPLES) w.examples.push(example);
    } else {
      this.byCode.set(code, { code, count: 1, message, examples: [example] });
    }
  }

  /** Adds `count` at once (for warnings found in bulk). */
  addMany(code: string, message: string, count: number, examples: string[]): void {
    if (count <= 0) return;
    const w = this.byCode.get(code);
    if (w) {
      w.count += count;
      for (const e of examples) if (w.examples.length < MAX_EXAMPLES) w.examples.push(e);
    } else {
      this.byCode.set(code, { code, count, message, examples: examples.slice(0, MAX_EXAMPLES) });
    }
  }

  list(): EvalWarning[] {
    return [...this.byCode.values()];
  }
}

/** Collects input errors so that one run reports several at once, then throws them together. */
export class ErrorCollector {
  readonly messages: string[] = [];
  count = 0;

  add(message: string): void {
    this.count++;
    if (this.messages.length < 8) this.messages.push(message);
  }
}
