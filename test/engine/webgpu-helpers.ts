import { probeWebgpu } from "../../src/engine/webgpu/start.js";

/**
 * Why the webgpu tests cannot run here (null: they can): the optional
 * packages are missing, or Dawn finds no Vulkan adapter (CI installs Mesa's
 * lavapipe from bookworm-backports; see .ci/run).
 */
export async function webgpuUnavailable(): Promise<string | null> {
  try {
    const probe = await probeWebgpu();
    return probe.adapter ? null : `no Vulkan adapter: ${probe.why.replace(/\n/g, " ")}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * tfjs-backend-webgpu programs that add with atomics (atomicAdd, or a
 * compare-exchange loop for floats), so their float sums come out in
 * whatever order the GPU runs the workgroups: not bit-exact between runs.
 */
export const ATOMIC_PROGRAMS = [
  "MatMulSplitKProgram",
  "ScatterProgram",
  "UnsortedSegmentSumProgram",
  "SparseSegmentSumProgram",
  "SparseSegmentIdCountProgram",
  "BincountProgram",
  "Dilation2DBackpropInputProgram",
  "Dilation2DBackpropFilterProgram",
];

/** Records the class name of every program the active webgpu backend runs until stop(). */
export async function recordPrograms(): Promise<{ names: Set<string>; stop(): void }> {
  const { tf } = await import("../../src/engine/tf.js");
  const backend = tf.findBackend("webgpu") as unknown as {
    runWebGPUProgram: (program: object, ...rest: unknown[]) => unknown;
  };
  const names = new Set<string>();
  const run = backend.runWebGPUProgram;
  backend.runWebGPUProgram = function (this: unknown, program: object, ...rest: unknown[]) {
    names.add(program.constructor.name);
    return run.call(this, program, ...rest);
  };
  return {
    names,
    stop() {
      backend.runWebGPUProgram = run;
    },
  };
}
