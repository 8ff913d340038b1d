// The command engine's door (external trainers): what the worker needs to run
// an external trainer and score its predictions, without loading TensorFlow.js. Everything else of the
// engine goes through src/engine/index.ts.

export { scorePredictions } from "../score.js";
export { type CommandContext, type CommandOutcome, runCommandEngine } from "./run-command.js";
