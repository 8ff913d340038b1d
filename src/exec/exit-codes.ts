// Exit codes of `labelsweep worker`, in a module of their own so the runner,
// the Slurm executor and `train` can read them without loading the worker
// (which loads the engines, TensorFlow.js among them).

/** Exit code when another live process already executes this run. */
export const EXIT_LOCKED = 75;
/** Exit code after a graceful stop (the run is resumable). */
export const EXIT_INTERRUPTED = 143;
