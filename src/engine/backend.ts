// Chooses the TensorFlow.js backend a run trains on, and says why.
//
// auto: tfjs-node-gpu → webgpu on a hardware adapter → tfjs-node → wasm
// (+ this project's gradient kernels) → cpu. auto never trains on a software
// Vulkan adapter (Mesa's lavapipe, SwiftShader): that runs at CPU speed with a
// per-op overhead, so wasm is the better CPU backend; `webgpu` asked for by
// name does run there (the CI checks the backend on lavapipe).
// The native packages are optional dependencies whose install downloads
// libtensorflow (which fails offline), and `webgpu` / tfjs-backend-webgpu are
// optional too, so all of them are only ever loaded through a guarded dynamic
// import.

import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { BACKEND_CHOICES, type BackendChoice } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { fixCpuResizeNearestGrad } from "./fixes/cpu-resize-grad.js";
import { tf } from "./tf.js";
import { registerFastWasmKernels } from "./wasm/register.js";
import { unrefWasmWorkers, withWasmThreadPatches } from "./wasm/threads.js";
import type { AdapterDescription } from "./webgpu/dawn.js";
import type { SlotGpu } from "./webgpu/pin.js";
import { activateWebgpu, dropWebgpuProbe, probeWebgpu } from "./webgpu/start.js";
import { gpuDeviceNodes } from "./webgpu/vulkan-env.js";

export type { SlotGpu } from "./webgpu/pin.js";
export { BACKEND_CHOICES, type BackendChoice };

export interface BackendSelection {
  /** The tfjs backend name now active. */
  name: "tensorflow" | "webgpu" | "wasm" | "cpu";
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
  /** webgpu: the Vulkan adapter (name, vendor, driver) and how it was pinned to the run's GPU slot. */
  adapter?: AdapterDescription & { pinned: string };
  /** Things the person running it should know (e.g. identical GPUs that Vulkan cannot tell apart). */
  warnings: string[];
}

export interface BackendOptions {
  /** wasm threads (default 1). More than 1 needs the threaded build; see wasm/threads.ts. */
  threads?: number;
  /** The GPU of the run's slot (runner --gpus / Slurm --gres), for pinning webgpu to it. */
  gpu?: SlotGpu;
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

  const native = async (pkg: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node"): Promise<boolean> => {
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
        warnings: [],
      };
      return true;
    } catch (err) {
      skipped.push({ name: pkg, why: firstLine(err) });
      return false;
    }
  };

  if ((choice === "auto" || choice === "tensorflow") && (await native("@tensorflow/tfjs-node-gpu")))
    return current!;

  if (choice === "auto" || choice === "webgpu") {
    const started = await startWebgpu(choice, skipped, options.gpu);
    if (started) return started;
  }

  if (choice === "auto" || choice === "tensorflow") {
    if (await native("@tensorflow/tfjs-node")) return current!;
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
          ? "no native TensorFlow package loaded (optional @tensorflow/tfjs-node[-gpu] absent or broken) and no hardware WebGPU adapter, so WebAssembly"
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
        warnings: [],
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
    warnings: [],
  };
  return current;
}

const WEBGPU_PACKAGES = "@tensorflow/tfjs-backend-webgpu + webgpu (Dawn)";

/**
 * Why `auto` will not train on this adapter (null: it will). Dawn offers its
 * best adapter first (discrete, then integrated, then CPU), so a software
 * adapter here means there is no hardware one.
 */
export function autoRefuses(adapter: AdapterDescription): string | null {
  if (!adapter.software) return null;
  return (
    `the only Vulkan adapter is a software one ('${adapter.description || adapter.device}', CPU speed); ` +
    "auto never trains on a software adapter (--backend webgpu forces it)"
  );
}

/**
 * webgpu if it can start (auto: only on a hardware adapter). Returns null
 * when auto should move on (the reason is pushed to `skipped`); throws a
 * UserError naming what is missing when webgpu was asked for by name.
 */
async function startWebgpu(
  choice: BackendChoice,
  skipped: { name: string; why: string }[],
  gpu: SlotGpu | undefined,
): Promise<BackendSelection | null> {
  const refuse = (why: string): null => {
    if (choice === "webgpu") {
      throw new UserError(
        `backend 'webgpu' cannot start: ${why}\n` +
          "It needs the optional npm packages webgpu and @tensorflow/tfjs-backend-webgpu (linux-x64, glibc ≥ 2.34) " +
          "and a Vulkan driver; `labelsweep doctor` lists what this machine has (README: GPU training).",
      );
    }
    skipped.push({ name: WEBGPU_PACKAGES, why });
    return null;
  };
  if (choice === "auto" && gpuDeviceNodes().length === 0) {
    return refuse(
      "no GPU device node (/dev/dri/renderD*, /dev/nvidia0…, /dev/dxg), so no hardware Vulkan adapter",
    );
  }
  let probe: Awaited<ReturnType<typeof probeWebgpu>>;
  try {
    probe = await probeWebgpu(gpu);
  } catch (err) {
    return refuse(firstLine(err));
  }
  if (!probe.adapter) return refuse(`Dawn found no Vulkan adapter. ${probe.why.replace(/\n/g, " ")}`);
  const a = probe.adapter;
  const name = `'${a.description || a.device}'`;
  const refusal = choice === "auto" ? autoRefuses(a) : null;
  if (refusal) {
    dropWebgpuProbe();
    return refuse(refusal);
  }
  let backendVersion: string;
  try {
    ({ backendVersion } = await activateWebgpu());
  } catch (err) {
    return refuse(firstLine(err));
  }
  current = {
    name: "webgpu",
    requested: choice,
    package: "@tensorflow/tfjs-backend-webgpu",
    version: backendVersion,
    threads: 0,
    fastKernels: [],
    reason:
      choice === "auto"
        ? `no CUDA TensorFlow (tfjs-node-gpu) loaded and a hardware Vulkan adapter is present: WebGPU through Dawn ${probe.dawn.version} on ${name}`
        : `requested: WebGPU through Dawn ${probe.dawn.version} on ${name}${a.software ? " (a software adapter: CPU speed, for checking the backend)" : ""}`,
    skipped,
    adapter: { ...a, pinned: probe.pin.detail },
    warnings: [...probe.warnings],
  };
  return current;
}
