// The command engine's door (external trainers): what the worker needs to run
// an external trainer, without loading TensorFlow.js. Everything else of the
// engine goes through src/engine/index.ts.

export { type CommandContext, type CommandOutcome, runCommandEngine } from "./run-command.js";
