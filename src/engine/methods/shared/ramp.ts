// The consistency weight's ramp-up / plateau / ramp-down, CSD's `rampweight`
// (soo89/CSD-SSD and NVlabs/AL-SSL, METHODS.md §1a) with its breakpoints
// scaled to the run's length:
//
//   w(0) = 0
//   w(t) = exp(−5·(1 − t/T_up)²)                         t < T_up      (code: 32k)
//   w(t) = 1                                              T_up ≤ t ≤ T_down (code: 100k)
//   w(t) = exp(−12.5·(1 − (T − t)/(T − T_down))²)         t > T_down    (code: T = 120k)
//
// with T_up = ramp_up·T and T_down = ramp_down·T (code: 26.7 % and 83.3 %).
// Reusable by any method with a ramped unsupervised weight.

export interface RampOptions {
  /** Total iterations T. */
  total: number;
  /** End of the ramp-up as a fraction of T (0: no ramp-up). */
  up: number;
  /** Start of the ramp-down as a fraction of T (1: no ramp-down). */
  down: number;
}

/** The breakpoints in iterations. */
export function rampBreakpoints(o: RampOptions): { up: number; down: number; total: number } {
  return { up: o.up * o.total, down: o.down * o.total, total: o.total };
}

/** w(t) at 0-based iteration t. */
export function rampWeight(t: number, o: RampOptions): number {
  if (t === 0) return 0;
  const { up, down, total } = rampBreakpoints(o);
  if (t < up) return Math.exp(-5 * (1 - t / up) ** 2);
  if (t > down && total > down) return Math.exp(-12.5 * (1 - (total - t) / (total - down)) ** 2);
  return 1;
}
