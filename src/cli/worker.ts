import type { Command } from "commander";

export function registerWorker(program: Command): void {
  program
    .command("worker", { hidden: true })
    .description("execute one run directory (started by the executors; useful for debugging a run)")
    .argument("<run-dir>", "results/<experiment>/runs/<key>")
    .option("--gpus <ids>", "GPU ids pinned to this run (default: $CUDA_VISIBLE_DEVICES)")
    .action(async (dir: string, opts: { gpus?: string }) => {
      // Loaded here, not at startup: the worker brings TensorFlow.js, which no other command needs.
      const { runWorker } = await import("../exec/worker.js");
      process.exitCode = await runWorker(dir, { gpus: opts.gpus ?? process.env.CUDA_VISIBLE_DEVICES ?? "" });
    });
}
