import { tfjsMethods } from "../engine/methods/registry.js";
import type { Capabilities } from "../spec/capabilities.js";

// What this build of labelsweep can run, as plain data for `validate`, `plan`,
// `run` and `train` (spec/capabilities.ts): the tfjs engine's methods and
// methods from its light registry (no TensorFlow.js is loaded), and the
// runner's own. A spec that needs anything else is refused as "not
// implemented yet" before any work starts, never as failed runs.

/**
 * Active-learning cycles run as chains of dependent runs (sweep/chains.ts,
 * exec/dag-pool.ts; DESIGN.md "Dependent runs"); what a chain cannot do yet
 * (pseudo-labels, mlc-lite, datasets labelsweep does not read) is refused by
 * sweep/chain-checks.ts.
 */
const ACTIVE_CYCLES = true;

export function runnerCapabilities(): Capabilities {
  return {
    tfjs: { methods: tfjsMethods() },
    activeCycles: ACTIVE_CYCLES,
  };
}
