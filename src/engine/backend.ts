// Chooses the TensorFlow.js backend a run trains on, and says why.
//
// auto: tfjs-node-gpu → tfjs-node → wasm (+ this project's gradient kernels) → cpu.
// The native packages are optional dependencies whose install downloads
// libtensorflow (which fails offline), so they are only ever loaded through a
// guarded dynamic import.

import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { BACKEND_CHOICES, type BackendChoice } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { fixCpuResizeNearestGrad } from "./fixes/cpu-resize-grad.js";
import { tf } from "./tf.js";
import { registerFastWasmKernels } from "./wasm/register.js";
import { unrefWasmWorkers, withWasmThreadPatches } from "./wasm/threads.js";

export { BACKEND_CHOICES, type BackendChoice };

export interface BackendSelection {
  /** The tfjs backend name now active. */
  name: "tensorflow" | "wasm" | "cpu";
  /** What was asked for. */
  requested: BackendChoice;
  /** The npm package that provides it, with its version. */
  package: string;
  version: string;
  /** Threads the backend computes with (wasm: pthreads; tensorflow: its own pool, reported as 0 = library default). */
  threads: number;
  /** Kernels this project registered over the stock ones (wasm only). */
  fastKernels: string[];
  /** One sentence for logs and run provenance. */
  reason: string;
  /** Candidates tried before this one, with why each was not used. */
  skipped: { name: string; why: string }[];
}

export interface BackendOptions {
  /** wasm threads (default 1). More than 1 needs the threaded build; see wasm/threads.ts. */
  threads?: number;
}

let current: BackendSelection | null = null;

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!.slice(0, 300);
}

async function tryNative(pkg: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node"): Promise<string> {
  // A variable specifier keeps TypeScript and bundlers from resolving a package that may be absent.
  const specifier: string = pkg;
  const mod = (await import(specifier)) as { version?: Record<string, string> };
  const ok = await tf.setBackend("tensorflow");
  if (!ok) throw new Error(`${pkg} loaded but the 'tensorflow' backend failed to initialise`);
  return mod.version?.["tfjs-node"] ?? tf.version_core;
}

async function startWasm(threads: number): Promise<number> {
  if (tf.findBackend("wasm")) {
    // Already initialised earlier in this process: its thread count is fixed.
    await tf.setBackend("wasm");
    return getThreadsCount();
  }
  if (threads > 1) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    setThreadsCount(threads);
    const ok = await withWasmThreadPatches(threads, () => tf.setBackend("wasm"));
    if (!ok) throw new Error("the threaded wasm backend failed to initialise");
    unrefWasmWorkers((tf.backend() as unknown as { wasm: unknown }).wasm);
  } else {
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new Error("the wasm backend failed to initialise");
  }
  return getThreadsCount();
}

/**
 * Makes `choice` the active backend (idempotent for the same choice) and
 * returns what was chosen and why. Throws UserError when an explicit choice
 * cannot be honoured.
 */
export async function selectBackend(
  choice: BackendChoice = "auto",
  options: BackendOptions = {},
): Promise<BackendSelection> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UserError(`unknown backend '${choice}': expected one of ${BACKEND_CHOICES.join(", ")}`);
  }
  if (current && current.requested === choice && tf.getBackend() === current.name) return current;
  // Kernels tfjs gets wrong, replaced before any model runs (on every backend choice:
  // code may still switch to cpu later, e.g. to check results).
  fixCpuResizeNearestGrad();
  // Silences tfjs's console banners ("looks like you are running TensorFlow.js in Node.js");
  // the reason below says the same thing once, where the run records it.
  tf.env().set("PROD", true);
  const skipped: { name: string; why: string }[] = [];
  const threads = Math.max(1, Math.floor(options.threads ?? 1));

  if (choice === "auto" || choice === "tensorflow") {
    for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const) {
      try {
        const version = await tryNative(pkg);
        current = {
          name: "tensorflow",
          requested: choice,
          package: pkg,
          version,
          threads: 0,
          fastKernels: [],
          reason: `${pkg} is installed and loaded: native TensorFlow (libtensorflow)${pkg.endsWith("gpu") ? " with CUDA" : ""}`,
          skipped,
        };
        return current;
      } catch (err) {
        skipped.push({ name: pkg, why: firstLine(err) });
      }
    }
    if (choice === "tensorflow") {
      throw new UserError(
        "backend 'tensorflow' needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, and neither loaded:\n" +
          skipped.map((s) => `  ${s.name}: ${s.why}`).join("\n") +
          "\nTheir install downloads libtensorflow; run `npm install @tensorflow/tfjs-node` where the network allows it, or use --backend wasm.",
      );
    }
  }

  if (choice === "auto" || choice === "wasm") {
    try {
      const actual = await startWasm(threads);
      const fastKernels = registerFastWasmKernels();
      const why =
        choice === "auto"
          ? "no native TensorFlow package loaded (optional @tensorflow/tfjs-node[-gpu] absent or broken), so WebAssembly"
          : "requested";
      current = {
        name: "wasm",
        requested: choice,
        package: "@tensorflow/tfjs-backend-wasm",
        version: tf.version_core,
        threads: actual,
        fastKernels,
        reason: `${why}: tfjs wasm backend (XNNPACK, SIMD, ${actual} thread${actual === 1 ? "" : "s"}) with labelsweep's gradient kernels`,
        skipped,
      };
      return current;
    } catch (err) {
      if (choice === "wasm") throw new UserError(`backend 'wasm' failed to start: ${firstLine(err)}`);
      skipped.push({ name: "@tensorflow/tfjs-backend-wasm", why: firstLine(err) });
    }
  }

  const ok = await tf.setBackend("cpu");
  if (!ok) throw new UserError("the tfjs cpu backend failed to initialise");
  current = {
    name: "cpu",
    requested: choice,
    package: "@tensorflow/tfjs-backend-cpu",
    version: tf.version_core,
    threads: 1,
    fastKernels: [],
    reason:
      choice === "cpu"
        ? "requested: plain JavaScript kernels (slow; meant for checking other backends)"
        : "neither native TensorFlow nor wasm could start, so plain JavaScript kernels (slow)",
    skipped,
  };
  return current;
}
