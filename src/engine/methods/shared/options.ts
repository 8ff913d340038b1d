// Reading a method's options from the run's `method` block. The schema fills
// in its defaults before a run starts; the fallbacks here are the same values,
// for runs built in code (tests, benchmarks), and a wrong type is a clear error.

import type { JsonValue, RunConfig } from "../../../spec/types.js";
import { UserError } from "../../../util/errors.js";
import type { AugmentOptions } from "../../augment.js";

export class MethodOptions {
  constructor(private readonly block: Record<string, JsonValue>) {}

  private value(key: string): JsonValue | undefined {
    const v = this.block[key];
    return v === null ? undefined : v;
  }

  private fail(key: string, what: string, v: JsonValue): never {
    throw new UserError(`method.${key}: expected ${what}, got ${JSON.stringify(v)}`);
  }

  num(key: string, fallback: number): number {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(key, "a number", v);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") this.fail(key, "true or false", v);
    return v;
  }

  choice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== "string" || !(choices as readonly string[]).includes(v))
      this.fail(key, choices.join(" | "), v);
    return v as T;
  }
}

export function methodOptions(config: RunConfig): MethodOptions {
  return new MethodOptions(config.method as unknown as Record<string, JsonValue>);
}

/** The run's batch size, augmentation and unlabelled ratio (train.*), as the engine uses them. */
export function trainBatchOptions(config: RunConfig): {
  batchSize: number;
  augment: AugmentOptions;
  unlabeledRatio: number;
} {
  const a = config.train.augment ?? {};
  return {
    batchSize: config.train.batch ?? 16,
    augment: { flip: a.flip ?? true, scaleJitter: a.scale_jitter, colorJitter: a.color_jitter },
    unlabeledRatio: config.train.unlabeled_ratio ?? 1,
  };
}

/** A fraction of the run's iterations as a whole number of steps. */
export function stepsOf(fraction: number, iterations: number): number {
  return Math.min(iterations, Math.max(0, Math.round(fraction * iterations)));
}
