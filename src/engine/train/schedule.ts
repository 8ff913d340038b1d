// Learning-rate schedules over a fixed iteration budget, with linear warm-up.
// Milestones may be given as fractions of the budget (METHODS.md §7: scale
// every iteration-based schedule to fractions of the total — SSD 66.7 %/83.3 %,
// RetinaNet 66.7 %/88.9 %).

export interface ScheduleSpec {
  type: "constant" | "step" | "cosine";
  /** Step milestones: values ≤ 1 are fractions of the total, larger ones iteration numbers. */
  steps?: number[];
  /** Step decay factor (default 0.1). */
  gamma?: number;
  /** Warm-up iterations (linear from warmupFactor·lr to lr). */
  warmup?: number;
  warmupFactor?: number;
  /** Cosine floor as a fraction of the base rate (default 0). */
  minFactor?: number;
}

export function milestones(spec: ScheduleSpec, total: number): number[] {
  return (spec.steps ?? [])
    .map((s) => (s <= 1 ? Math.round(s * total) : Math.round(s)))
    .sort((a, b) => a - b);
}

/** Learning rate for iteration `iter` (0-based) of `total`. */
export function learningRate(
  base: number,
  iter: number,
  total: number,
  spec: ScheduleSpec = { type: "constant" },
): number {
  let factor = 1;
  if (spec.type === "step") {
    const gamma = spec.gamma ?? 0.1;
    for (const m of milestones(spec, total)) if (iter >= m) factor *= gamma;
  } else if (spec.type === "cosine") {
    const floor = spec.minFactor ?? 0;
    const t = total > 1 ? Math.min(iter / (total - 1), 1) : 1;
    factor = floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
  }
  const warmup = spec.warmup ?? 0;
  if (iter < warmup) {
    const start = spec.warmupFactor ?? 0.001;
    factor *= start + ((1 - start) * iter) / warmup;
  }
  return base * factor;
}
