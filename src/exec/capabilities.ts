import { tfjsMethods } from "../engine/methods/registry.js";
import type { Capabilities } from "../spec/capabilities.js";

// What this build of labelsweep can run, as plain data for `validate`, `plan`,
// `run` and `train` (spec/capabilities.ts): the tfjs engine's methods and
// methods from its light registry (no TensorFlow.js is loaded), and the
// runner's own. A spec that needs anything else is refused as "not
// implemented yet" before any work starts, never as failed runs.

/**
 * Active-learning cycles need dependent runs (DESIGN.md "Dependent runs": a
 * cycle's acquisition reads the previous cycle's model); the runner plans
 * independent runs only, so it would train the initial set once and call it done.
 */
const ACTIVE_CYCLES = false;

export function runnerCapabilities(): Capabilities {
  return {
    tfjs: { methods: tfjsMethods() },
    activeCycles: ACTIVE_CYCLES,
  };
}
